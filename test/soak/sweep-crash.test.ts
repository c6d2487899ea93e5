/**
 * Crashed operations and the orphan sweep: `linstor-hv proxmox alloc_image` is SIGKILLed at two
 * points of a create (after the pending definition exists but before any replica, and after the
 * replicas but before the definition is marked finished), next to finished volumes, one of them in
 * use, and another storage's unfinished volume. The sweep (core function and `linstor-hv cleanup`)
 * then removes exactly the two leftovers; the finished volumes keep their data, and repeating the
 * killed calls succeeds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROP_HV_NAME, PROP_HV_OWNER, PROP_HV_PENDING, PROP_HV_PLATFORM } from '@linstor-hv/api';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import { auditOrphans, sweepOrphans } from '@linstor-hv/core';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, type PveStorage, pveCall, requireBundle, startPveCall } from './pve';

const SIZE_KIB = 4096;
let emulator: RunningEmulator;
let client: LinstorClient;
let scratch: string;
let storage: PveStorage;

beforeAll(async () => {
  requireBundle();
  emulator = await startEmulator({ cluster: 'three-node' });
  client = createLinstorClient({ controllers: emulator.url, tokenFile: false, retries: 1, backoffMs: 20 });
  scratch = mkdtempSync(join(tmpdir(), 'sweep-crash-'));
  storage = {
    storeid: 'drbdstorage',
    controller: emulator.url,
    resourceGroup: 'linstor-hv',
    deviceRoot: join(emulator.dataDir, 'nodes', '{node}', 'dev'),
    statusCacheFile: join(scratch, 'cache', 'status-0.json'),
  };
});

afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs `linstor-hv cleanup` (asynchronously: the emulator runs in this process). */
async function run(...flags: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [CLI_BUNDLE, 'cleanup', '--controllers', emulator.url, ...flags],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
    );
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { status: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const definitionNames = async () =>
  (await client.resourceDefinitions.list()).map((rd) => rd.name ?? '').sort();

/** Starts alloc_image, holds the request matching `pathRegex` for a minute, kills the process once `ready`. */
async function killedAlloc(name: string, method: string, pathRegex: string, ready: () => Promise<boolean>) {
  await emulator.control.addFault({ method, pathRegex, action: 'delay', delayMs: 60_000, times: 1 });
  const call = startPveCall(storage, 'pve1', 'alloc_image', { vmid: 100, name, sizeKib: SIZE_KIB });
  await until(`${name} to reach the held request`, ready);
  call.kill();
  const reply = await call.reply;
  expect(reply).toMatchObject({ ok: false, signal: 'SIGKILL' });
  await emulator.control.clearFaults();
}

describe('orphan sweep after killed operations', () => {
  it('removes exactly what the killed calls left, and the calls succeed when repeated', async () => {
    // Finished volumes: one with data, one open on pve1 (a running guest).
    for (const name of ['vm-100-disk-0', 'vm-100-disk-1']) {
      expect(
        await pveCall(storage, 'pve1', 'alloc_image', { vmid: 100, name, sizeKib: SIZE_KIB }),
      ).toMatchObject({
        ok: true,
      });
    }
    expect((await emulator.control.openDevice('pve1', 'vm-100-disk-1', 'rw')).status).toBe(200);
    // Another storage's unfinished volume is not ours to judge.
    await client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'vm-300-disk-0',
      volume_sizes: [SIZE_KIB],
      resource_definition_props: {
        [PROP_HV_PLATFORM]: 'proxmox',
        [PROP_HV_OWNER]: 'otherstorage',
        [PROP_HV_NAME]: 'vm-300-disk-0',
        [PROP_HV_PENDING]: 'create',
      },
    });

    // Killed before any replica exists: the held request is the first resource creation.
    await killedAlloc(
      'vm-100-disk-2',
      'POST',
      '^/v1/resource-definitions/vm-100-disk-2/resources',
      async () => (await definitionNames()).includes('vm-100-disk-2'),
    );
    // Killed after the replicas, while the definition is being marked finished.
    await killedAlloc('vm-100-disk-3', 'PUT', '^/v1/resource-definitions/vm-100-disk-3$', async () => {
      const resources = await client.resources.view({ resources: ['vm-100-disk-3'] });
      return resources.filter((r) => !(r.flags ?? []).includes('DRBD_DISKLESS')).length >= 2;
    });

    const scope = { platform: 'proxmox', ownerId: 'drbdstorage' };
    const leftovers = (await auditOrphans(client, scope)).orphans
      .map((o) => `${o.kind} ${o.resource}`)
      .sort();
    expect(leftovers).toEqual(['resource-definition vm-100-disk-2', 'resource-definition vm-100-disk-3']);
    // Neither is listed as a volume of the storage.
    const listed = await pveCall(storage, 'pve1', 'list_images', {});
    expect(listed.ok && (listed.result.images as { volname: string }[]).map((i) => i.volname).sort()).toEqual(
      ['vm-100-disk-0', 'vm-100-disk-1'],
    );

    // Within the grace period nothing goes (another attempt could still be building them).
    const young = await sweepOrphans(client, { ...scope, graceMs: 10 * 60_000 });
    expect(young.removed).toBe(0);
    const before = await definitionNames();

    // The operator's command, past the grace period: a dry run first, then the real thing.
    const cleanup = async (...flags: string[]) => (await run(...flags)).stdout;
    const dry = await cleanup(
      '--grace',
      '0s',
      '--platform',
      'proxmox',
      '--owner',
      'drbdstorage',
      '--dry-run',
    );
    expect(dry).toMatch(/^would remove\s+resource-definition\s+vm-100-disk-2\b/m);
    expect(dry).toMatch(/^would remove\s+resource-definition\s+vm-100-disk-3\b/m);
    expect(dry).toMatch(/^0 removed, 2 kept, 0 failed \(grace 0s, dry run: nothing changed\)$/m);
    expect(await definitionNames()).toEqual(before);

    const table = await cleanup('--grace', '0s', '--platform', 'proxmox', '--owner', 'drbdstorage');
    expect(table.split('\n')[0]).toMatch(/^action\s+kind\s+resource\s+detail\s+age\s+note$/);
    expect(table).toMatch(/^removed\s+resource-definition\s+vm-100-disk-2\b/m);
    expect(table).toMatch(/^removed\s+resource-definition\s+vm-100-disk-3\b/m);
    expect(table).toMatch(/^2 removed, 0 kept, 0 failed \(grace 0s\)$/m);
    expect(await definitionNames()).toEqual(
      before.filter((n) => n !== 'vm-100-disk-2' && n !== 'vm-100-disk-3'),
    );
    expect((await auditOrphans(client, scope)).orphans).toEqual([]);
    expect(await definitionNames()).toContain('vm-300-disk-0');

    // The killed calls succeed when repeated.
    for (const name of ['vm-100-disk-2', 'vm-100-disk-3']) {
      expect(await pveCall(storage, 'pve1', 'alloc_image', { vmid: 100, name, sizeKib: SIZE_KIB })).toEqual({
        ok: true,
        result: expect.objectContaining({ volname: name }),
      });
    }
    const again = await pveCall(storage, 'pve1', 'list_images', {});
    expect(again.ok && (again.result.images as { volname: string }[]).map((i) => i.volname).sort()).toEqual([
      'vm-100-disk-0',
      'vm-100-disk-1',
      'vm-100-disk-2',
      'vm-100-disk-3',
    ]);
    expect((await auditOrphans(client, scope)).orphans).toEqual([]);
  });

  it('refuses a bad --grace and an owner without a platform with one line and exit code 1', async () => {
    expect(await run('--grace', 'soon')).toEqual({
      status: 1,
      stdout: '',
      stderr: "linstor-hv: 'soon' is not a duration: write e.g. 90s, 10m, 2h or 1h30m\n",
    });
    expect(await run('--owner', 'drbdstorage')).toEqual({
      status: 1,
      stdout: '',
      stderr: 'linstor-hv: --owner needs --platform: an owner id is unique only within its platform\n',
    });
  });
});
