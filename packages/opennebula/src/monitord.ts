/**
 * Sending VM disk sizes to OpenNebula's monitor daemon the way scripts_common.sh `send_to_monitor`
 * does: `MONITOR_VM SUCCESS -1 0 <base64(zlib(payload))>` in one UDP datagram to the
 * MONITOR_ADDRESS and PORT of monitord.conf (`auto` meaning this host).
 */

import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { deflateSync } from 'node:zlib';

/** Where monitord listens, read from the first monitord.conf found; undefined when none exists. */
export async function monitordAddress(
  files: readonly string[],
): Promise<{ address: string; port: number; encrypted: boolean } | undefined> {
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const address = /MONITOR_ADDRESS\s*=\s*"?([^",\s\]]*)/.exec(text)?.[1] ?? 'auto';
    const port = Number(/\bPORT\s*=\s*"?(\d+)/.exec(text)?.[1] ?? '4124');
    const pubkey = /PUBKEY\s*=\s*"([^"]*)"/.exec(text)?.[1] ?? '';
    return {
      address: address === '' || address.includes('auto') ? '127.0.0.1' : address,
      port,
      encrypted: pubkey !== '',
    };
  }
  return undefined;
}

/** The datagram `send_to_monitor MONITOR_VM 0 -1 <payload>` sends. */
export function monitorMessage(payload: string): string {
  return `MONITOR_VM SUCCESS -1 0 ${deflateSync(Buffer.from(`${payload}\n`, 'utf8')).toString('base64')}\n`;
}

/** Sends one datagram. */
export async function sendDatagram(address: string, port: number, message: string): Promise<void> {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) =>
      socket.send(message, port, address, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    socket.close();
  }
}
