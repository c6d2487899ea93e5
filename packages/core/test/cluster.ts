/** Test fixture: an emulated three-node cluster, a client and a volume service bound to it. */

import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll, expect } from 'vitest';
import { auditOrphans, describeOrphans } from '../src/audit';
import type { VolumeServiceOptions } from '../src/service/types';
import { createVolumeService, type VolumeService } from '../src/service/volume-service';

export const MiB = 1024 * 1024;
export const PLATFORM = 'core-test';
export const OWNER = 'suite-1';

export interface TestCluster {
  emulator: RunningEmulator;
  client: LinstorClient;
  service: VolumeService;
  /** A service bound to another group or with other options, sharing the client. */
  serviceWith(options: Partial<VolumeServiceOptions>): VolumeService;
  /** The device root of a node (`<dataDir>/nodes/<node>/dev`). */
  deviceRoot(node: string): string;
  stop(): Promise<void>;
}

/** Starts the emulator ('three-node' preset) and a service on group `linstor-hv`. */
export async function startCluster(): Promise<TestCluster> {
  const emulator = await startEmulator({ cluster: 'three-node' });
  const client = createLinstorClient({
    controllers: emulator.url,
    tokenFile: false,
    retries: 1,
    backoffMs: 20,
  });
  const deviceRoot = (node: string) => join(emulator.dataDir, 'nodes', node, 'dev');
  const base: VolumeServiceOptions = {
    client,
    resourceGroup: 'linstor-hv',
    platform: PLATFORM,
    ownerId: OWNER,
    deviceRoot,
    deadlines: { notInUseMs: 2000, deviceMs: 5000, cloneMs: 30_000, resizeMs: 10_000 },
  };
  return {
    emulator,
    client,
    service: createVolumeService(base),
    serviceWith: (options) => createVolumeService({ ...base, ...options }),
    deviceRoot,
    stop: async () => {
      await client.close();
      await emulator.stop();
    },
  };
}

/**
 * One cluster per test file: started before the file's first test and stopped after its last. The
 * returned object stands for it; its members are usable from the first test on.
 */
export function useCluster(): TestCluster {
  let started: TestCluster | undefined;
  beforeAll(async () => {
    started = await startCluster();
  });
  afterAll(async () => {
    await started?.stop();
  });
  const current = (): TestCluster => {
    if (!started) throw new Error('the test cluster is started in beforeAll');
    return started;
  };
  return {
    get emulator() {
      return current().emulator;
    },
    get client() {
      return current().client;
    },
    get service() {
      return current().service;
    },
    serviceWith: (options) => current().serviceWith(options),
    deviceRoot: (node) => current().deviceRoot(node),
    stop: () => current().stop(),
  };
}

/** Writes `data` at `offset` into a device path without truncating it (as a block device behaves). */
export async function writeDevice(path: string, data: Buffer, offset = 0): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
  } finally {
    await handle.close();
  }
}

/** sha256 of the first `bytes` of a device path (the size comes from LINSTOR, not from stat). */
export async function deviceSha256(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await handle.read(buffer, done, bytes - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return createHash('sha256').update(buffer).digest('hex');
  } finally {
    await handle.close();
  }
}

/** A recognisable pattern: random blocks at the start and in the middle, zeros elsewhere. */
export function pattern(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  randomBytes(Math.min(bytes, 256 * 1024)).copy(data, 0);
  randomBytes(Math.min(bytes, 128 * 1024)).copy(data, Math.floor(bytes / 2));
  return data;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Fails with the audit's own words when linstor-hv left anything behind. */
export async function expectNoOrphans(client: LinstorClient): Promise<void> {
  const report = await auditOrphans(client, { platform: PLATFORM, ownerId: OWNER });
  expect(describeOrphans(report)).toBe('');
}

/**
 * What an unfinished attempt of this suite's owner leaves: a definition (no replicas) of `name`
 * with the pending mark of `verb`, the attempt id and its start time.
 */
export function stagePendingAttempt(
  client: LinstorClient,
  name: string,
  verb: 'create' | 'clone',
  attempt: string,
  createdAt: Date,
) {
  return client.resourceGroups.spawn('linstor-hv', {
    resource_definition_name: name,
    volume_sizes: [1024],
    definitions_only: true,
    resource_definition_props: {
      'Aux/linstor-hv/platform': PLATFORM,
      'Aux/linstor-hv/owner': OWNER,
      'Aux/linstor-hv/name': name,
      'Aux/linstor-hv/pending': verb,
      'Aux/linstor-hv/attempt': attempt,
      'Aux/linstor-hv/created-at': createdAt.toISOString(),
    },
  });
}
