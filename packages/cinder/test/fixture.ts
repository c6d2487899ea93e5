/** Test fixture: the emulated three-node cluster and the Cinder method table bound to it. */

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll } from 'vitest';
import { BackendRegistry } from '../src/backend';
import type { CinderMethod } from '../src/methods/common';
import { cinderMethodTable } from '../src/table';

export const GIB = 1024 ** 3;

export interface TableCluster {
  emulator: RunningEmulator;
  table: Record<string, CinderMethod>;
  /** The backends the table made (as the bridge keeps them). */
  registry: BackendRegistry;
  /** The backend settings every call carries. */
  backend: Record<string, unknown>;
  /** Calls a method the way the bridge does. */
  call(name: string, params: Record<string, unknown>): Promise<Record<string, unknown>>;
  deviceRoot(node: string): string;
  /** REST requests the emulator saw while `work` ran, as `METHOD template` strings. */
  countRequests(work: () => Promise<unknown>): Promise<string[]>;
}

/** One emulator and one method table per test file. */
export function useTableCluster(): TableCluster {
  let emulator: RunningEmulator | undefined;
  let registry: BackendRegistry | undefined;
  let table: Record<string, CinderMethod> | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ cluster: 'three-node' });
    registry = new BackendRegistry();
    table = cinderMethodTable(registry);
  });
  afterAll(async () => {
    await registry?.close();
    await emulator?.stop();
  });
  const current = () => {
    if (!emulator || !table || !registry) throw new Error('the cluster starts in beforeAll');
    return { emulator, table, registry };
  };
  const backend = () => ({
    name: 'lin1',
    uris: [current().emulator.url],
    defaultResourceGroup: 'linstor-hv',
    cinderHosts: ['pve1'],
    deviceRoot: join(current().emulator.dataDir, 'nodes', '{node}', 'dev'),
  });
  return {
    get emulator() {
      return current().emulator;
    },
    get table() {
      return current().table;
    },
    get registry() {
      return current().registry;
    },
    get backend() {
      return backend();
    },
    async call(name, params) {
      const fn = current().table[name];
      if (!fn) throw new Error(`no method ${name}`);
      const controller = new AbortController();
      return (await fn(
        { backend: backend(), ...params },
        {
          signal: controller.signal,
          deadline: Date.now() + 60_000,
        },
      )) as Record<string, unknown>;
    },
    deviceRoot: (node) => join(current().emulator.dataDir, 'nodes', node, 'dev'),
    async countRequests(work) {
      const { control } = current().emulator;
      await control.clearRequests();
      await work();
      return (await control.requests()).map((r) => `${r.method} ${r.template}`);
    },
  };
}

/** A Cinder volume as the Python driver sends it. */
export function volume(size: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const id = randomUUID();
  return { id, nameId: id, size, attachments: [], ...extra };
}

/** A Cinder snapshot of `of` as the Python driver sends it. */
export function snapshot(of: Record<string, unknown>): Record<string, unknown> {
  return { id: randomUUID(), volumeSize: of.size, volume: of };
}

export async function writeDevice(path: string, data: Buffer): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(data, 0, data.length, 0);
  } finally {
    await handle.close();
  }
}

export async function sha256Of(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    await handle.read(buffer, 0, bytes, 0);
    return createHash('sha256').update(buffer).digest('hex');
  } finally {
    await handle.close();
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function randomData(bytes: number): Buffer {
  return randomBytes(bytes);
}
