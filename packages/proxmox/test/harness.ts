/**
 * An emulated three-node cluster and PVE-style requests against it, for the vitest suites that call
 * the handlers the way the Perl module does (one-shot, or through the bridge's method table).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { ConnectionPool } from '../src/connections';
import { type ProxmoxBridgeMethod, proxmoxMethodTable, runProxmoxMethod } from '../src/run';

export const GROUP = 'linstor-hv';

export interface Harness {
  emulator: RunningEmulator;
  dir: string;
  /** The request object the Perl module would send for `method` from `node`. */
  request(method: string, args: Record<string, unknown>, node?: string): Record<string, unknown>;
  /** One-shot call (`linstor-hv proxmox <method>`); throws the reply's error line. */
  call(method: string, args: Record<string, unknown>, node?: string): Promise<unknown>;
  /** The bridge's method table over a pool kept for the harness's life. */
  readonly table: Record<string, ProxmoxBridgeMethod>;
  /** A call through the bridge's table; `scfg` overrides storage options for this call. */
  bridgeCall(
    method: string,
    args: Record<string, unknown>,
    node?: string,
    scfg?: Record<string, string>,
  ): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts an emulator with a three-node cluster; `scfg` is added to the storage options. */
export async function startHarness(scfg: Record<string, string> = {}): Promise<Harness> {
  const emulator = await startEmulator({ cluster: 'three-node' });
  const dir = mkdtempSync(join(tmpdir(), 'proxmox-harness-'));
  const pool = new ConnectionPool();
  const table = proxmoxMethodTable(pool);
  const request = (
    method: string,
    args: Record<string, unknown>,
    node = 'pve1',
    overrides: Record<string, string> = {},
  ) => ({
    protocol: 1,
    method,
    storeid: 'drbdstorage',
    scfg: { controller: emulator.url, resourcegroup: GROUP, preferlocal: 'yes', ...scfg, ...overrides },
    node,
    deviceRoot: join(emulator.dataDir, 'nodes', '{node}', 'dev'),
    peerAccess: 'local',
    statusCacheFile: join(dir, 'status-test.json'),
    deadlineMs: 45_000,
    args,
  });
  return {
    emulator,
    dir,
    request,
    table,
    call: async (method, args, node) => {
      const reply = await runProxmoxMethod(method, JSON.stringify(request(method, args, node)));
      if (!reply.ok) throw new Error(`${method}: ${reply.error}`);
      return reply.result;
    },
    bridgeCall: async (method, args, node, overrides) => {
      const handler = table[method];
      if (!handler) throw new Error(`no method ${method}`);
      return handler(request(method, args, node, overrides), {
        signal: AbortSignal.timeout(45_000),
        deadline: Date.now() + 45_000,
      });
    },
    stop: async () => {
      await pool.close();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
