/**
 * Sending VM disk sizes to OpenNebula's monitor daemon the way scripts_common.sh `send_to_monitor`
 * does: `MONITOR_VM SUCCESS -1 0 <base64(zlib(payload))>` in one UDP datagram to the
 * MONITOR_ADDRESS and PORT of monitord.conf (`auto` meaning this host). When monitord.conf names a
 * readable PUBKEY file, the payload is RSA-encrypted before it is deflated, as monitord's
 * `Message::parse_from` expects: base64, inflate, then blocks of the key's size each decrypted
 * with PKCS#1 v1.5 padding and joined (ssl_util::rsa_private_decrypt).
 */

import { constants, createPublicKey, type KeyObject, publicEncrypt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import { deflateSync } from 'node:zlib';

/** PKCS#1 v1.5 padding takes 11 bytes of each block. */
const PKCS1_OVERHEAD = 11;

/** Where monitord listens, read from the first monitord.conf found; undefined when none exists. */
export async function monitordAddress(
  files: readonly string[],
): Promise<{ address: string; port: number; pubkey: string | undefined } | undefined> {
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const address = /MONITOR_ADDRESS\s*=\s*"?([^",\s\]]*)/.exec(text)?.[1] ?? 'auto';
    const port = Number(/\bPORT\s*=\s*"?(\d+)/.exec(text)?.[1] ?? '4124');
    const pubkey = /PUBKEY\s*=\s*"?([^",\s\]]*)/.exec(text)?.[1] ?? '';
    return {
      address: address === '' || address.includes('auto') ? '127.0.0.1' : address,
      port,
      pubkey: pubkey === '' ? undefined : pubkey,
    };
  }
  return undefined;
}

/**
 * The key in monitord's PUBKEY file (PKCS#1 `RSA PUBLIC KEY`, as OpenNebula generates it, or
 * SubjectPublicKeyInfo); undefined when the file cannot be read, which send_to_monitor also
 * answers by sending the payload unencrypted (monitord accepts both).
 */
export async function monitordKey(path: string): Promise<KeyObject | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`monitord's PUBKEY ${path} is not an RSA key.`);
  return key;
}

/**
 * The payload encrypted for monitord: cut into pieces that fit one RSA block with PKCS#1 padding,
 * each encrypted into a block of the key's size. (send_to_monitor cuts at the key's size and
 * adds a newline to each piece, which corrupts payloads longer than one block; this does not.)
 */
export function encryptForMonitord(payload: Buffer, key: KeyObject): Buffer {
  const blockBytes = (key.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  const piece = blockBytes - PKCS1_OVERHEAD;
  if (piece <= 0) throw new Error("monitord's PUBKEY is too small to encrypt with.");
  const blocks: Buffer[] = [];
  for (let offset = 0; offset < payload.length; offset += piece) {
    blocks.push(
      publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, payload.subarray(offset, offset + piece)),
    );
  }
  return Buffer.concat(blocks);
}

/** The datagram `send_to_monitor MONITOR_VM 0 -1 <payload>` sends, encrypted when given a key. */
export function monitorMessage(payload: string, key?: KeyObject): string {
  let data: Buffer = Buffer.from(`${payload}\n`, 'utf8');
  if (key) data = encryptForMonitord(data, key);
  return `MONITOR_VM SUCCESS -1 0 ${deflateSync(data).toString('base64')}\n`;
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
