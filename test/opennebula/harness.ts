/**
 * The sandbox front-end of @linstor-hv/opennebula/sandbox (the installed remotes tree, the bundle,
 * and the onevm/onedatastore/ssh/virsh doubles) on an emulator running in this process, three
 * nodes pve1..3, which the OpenNebula hosts one-host-1..3 map to. One per test file.
 */

import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { actionData, createSandbox, type OneSandbox, SANDBOX_IMAGE_DS } from '@linstor-hv/opennebula/sandbox';
import { afterAll, beforeAll, expect } from 'vitest';

export {
  SANDBOX_IMAGE_DS as IMAGE_DS,
  SANDBOX_SYSTEM_DS as SYSTEM_DS,
  sha256Of,
  writeDevice,
} from '@linstor-hv/opennebula/sandbox';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE = join(ROOT, 'apps', 'linstor-hv', 'dist', 'linstor-hv.mjs');
export const MiB = 1024 * 1024;
export const NODE_OF: Record<string, string> = {
  'one-host-1': 'pve1',
  'one-host-2': 'pve2',
  'one-host-3': 'pve3',
};

export interface OneTestbed extends OneSandbox {
  emulator: RunningEmulator;
  client: LinstorClient;
  stop(): Promise<void>;
}

/** Starts the emulator and a sandbox front-end. */
export async function startTestbed(): Promise<OneTestbed> {
  if (!existsSync(BUNDLE)) throw new Error(`missing ${BUNDLE}: run pnpm build first`);
  const emulator = await startEmulator({ cluster: 'three-node' });
  const client = createLinstorClient({ controllers: emulator.url, tokenFile: false, retries: 1 });
  const sandbox = await createSandbox({ emulator, bundle: BUNDLE, nodes: NODE_OF });
  return Object.assign(sandbox, {
    emulator,
    client,
    stop: async () => {
      await client.close();
      await emulator.stop();
      await sandbox.remove();
    },
  });
}

/** One testbed per test file. */
export function useTestbed(): () => OneTestbed {
  let bed: OneTestbed | undefined;
  beforeAll(async () => {
    bed = await startTestbed();
  });
  afterAll(async () => {
    await bed?.stop();
  });
  return () => {
    if (!bed) throw new Error('the testbed starts in beforeAll');
    return bed;
  };
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Imports `sizeMb` of random data as image `id` through `ds cp` (the datastores put first); returns its sha256. */
export async function importImage(b: OneTestbed, id: number, sizeMb: number): Promise<string> {
  await b.putDatastore(b.imageDs());
  await b.putDatastore(b.systemDs());
  const data = randomBytes(sizeMb * MiB);
  const path = join(b.dir, 'staging', `image-${id}.img`);
  await writeFile(path, data);
  const cp = await b.runDs(
    'cp',
    actionData({ image: { id, path, sizeMb, datastoreId: SANDBOX_IMAGE_DS }, datastore: b.imageDs() }),
    id,
  );
  expect(cp, cp.stderr).toMatchObject({ code: 0, stdout: `OpenNebula-Image-${id} raw` });
  return sha256(data);
}
