/**
 * REST calls per PVE method, counted in the emulator's request log while one handler runs, at two
 * cluster sizes (a few and a few hundred other volumes in the group): each count is pinned, must
 * not grow with the cluster, and stays within linstor-proxmox's count plus one (an ownership check)
 * where linstor-proxmox makes the same calls (its counts: /work/shared/reference/proxmox.md §1.6,
 * without the GET /health it sends before every method).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProxmoxMethod } from '../src/run';

const SIZES = [3, 150] as const;
const GROUP = 'linstor-hv';

/** Pinned counts (ours), with linstor-proxmox's where it makes the same calls. */
const EXPECTED: Record<string, { ours: number; official?: number }> = {
  'alloc_image (named)': { ours: 6, official: 6 },
  'activate_volume (replica on this node)': { ours: 1, official: 3 },
  'activate_volume (tie-breaker on this node)': { ours: 3, official: 3 },
  'deactivate_volume (replica on this node)': { ours: 1, official: 1 },
  'deactivate_volume (diskless attachment)': { ours: 2, official: 3 },
  list_images: { ours: 1, official: 2 },
  volume_resize: { ours: 2, official: 1 },
  volume_snapshot: { ours: 2, official: 1 },
  volume_snapshot_rollback: { ours: 2, official: 1 },
  volume_snapshot_delete: { ours: 3, official: 3 },
  rename_volume: { ours: 2, official: 1 },
  'free_image (no snapshots)': { ours: 4, official: 3 },
  // linstor-proxmox reads the size with qemu-img on a local device (0 calls when it exists).
  volume_size_info: { ours: 3 },
  // One request for linstor-proxmox (query-all-size-info); ours reads the group, the node list
  // and the cached pool view, the first two in parallel (a resident bridge caches the group).
  'status (cold)': { ours: 3, official: 1 },
};

interface Harness {
  emulator: RunningEmulator;
  dir: string;
  call(method: string, args: Record<string, unknown>, node?: string): Promise<unknown>;
  counted(method: string, args: Record<string, unknown>, node?: string): Promise<number>;
}

async function startHarness(): Promise<Harness> {
  const emulator = await startEmulator({ cluster: 'three-node' });
  const dir = mkdtempSync(join(tmpdir(), 'rest-calls-'));
  const request = (method: string, args: Record<string, unknown>, node: string) =>
    JSON.stringify({
      protocol: 1,
      method,
      storeid: 'drbdstorage',
      scfg: { controller: emulator.url, resourcegroup: GROUP, preferlocal: 'yes' },
      node,
      deviceRoot: join(emulator.dataDir, 'nodes', '{node}', 'dev'),
      peerAccess: 'local',
      statusCacheFile: join(dir, 'status-test.json'),
      deadlineMs: 45_000,
      args,
    });
  const call = async (method: string, args: Record<string, unknown>, node = 'pve1') => {
    const reply = await runProxmoxMethod(method, request(method, args, node));
    if (!reply.ok) throw new Error(`${method}: ${reply.error}`);
    return reply.result;
  };
  return {
    emulator,
    dir,
    call,
    counted: async (method, args, node) => {
      await emulator.control.clearRequests();
      await call(method, args, node);
      const log = await emulator.control.requests();
      if (process.env.REST_CALLS_DEBUG)
        console.log(
          method,
          node,
          log.map((e) => `${e.method} ${e.path}`),
        );
      return log.length;
    },
  };
}

/** Other guests' disks in the same group (definitions only, as on a large PVE cluster). */
async function populate(h: Harness, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${h.emulator.url}/v1/resource-groups/${GROUP}/spawn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resource_definition_name: `vm-${5000 + i}-disk-0`,
        volume_sizes: [1024],
        definitions_only: true,
        resource_definition_props: { 'Aux/pm/vmid': String(5000 + i) },
      }),
    });
    expect(response.status).toBeLessThan(300);
  }
}

async function measure(h: Harness): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const resources = async (name: string) =>
    (await (await fetch(`${h.emulator.url}/v1/view/resources?resources=${name}`)).json()) as {
      node_name: string;
      flags?: string[];
    }[];

  counts['alloc_image (named)'] = await h.counted('alloc_image', {
    vmid: 100,
    name: 'vm-100-disk-0',
    sizeKib: 4096,
  });
  const placed = await resources('vm-100-disk-0');
  const replica = placed.find((r) => !(r.flags ?? []).includes('DISKLESS'))?.node_name ?? 'pve1';
  // Three nodes and two replicas: LINSTOR put its quorum tie-breaker on the third.
  const free =
    ['pve1', 'pve2', 'pve3'].find(
      (n) => !placed.some((r) => r.node_name === n && !(r.flags ?? []).includes('TIE_BREAKER')),
    ) ?? 'pve3';
  const disk = { volname: 'vm-100-disk-0', snapname: null, hints: {} };

  counts['activate_volume (replica on this node)'] = await h.counted('activate_volume', disk, replica);
  counts['activate_volume (tie-breaker on this node)'] = await h.counted('activate_volume', disk, free);
  counts['deactivate_volume (replica on this node)'] = await h.counted(
    'deactivate_volume',
    { volname: 'vm-100-disk-0', snapname: null },
    replica,
  );
  counts['deactivate_volume (diskless attachment)'] = await h.counted(
    'deactivate_volume',
    { volname: 'vm-100-disk-0', snapname: null },
    free,
  );
  counts.list_images = await h.counted('list_images', { vmid: 100 });
  counts.volume_resize = await h.counted('volume_resize', {
    volname: 'vm-100-disk-0',
    sizeBytes: 8 * 1024 * 1024,
    running: false,
  });
  counts.volume_size_info = await h.counted('volume_size_info', { volname: 'vm-100-disk-0' });
  counts.volume_snapshot = await h.counted('volume_snapshot', {
    volname: 'vm-100-disk-0',
    snapname: 'first',
  });
  counts.volume_snapshot_rollback = await h.counted('volume_snapshot_rollback', {
    volname: 'vm-100-disk-0',
    snapname: 'first',
  });
  counts.volume_snapshot_delete = await h.counted('volume_snapshot_delete', {
    volname: 'vm-100-disk-0',
    snapname: 'first',
  });
  counts['status (cold)'] = await h.counted('status', {});

  const unnamed = (await h.call('alloc_image', { vmid: 101, name: null, sizeKib: 4096 })) as {
    volname: string;
  };
  counts.rename_volume = await h.counted('rename_volume', {
    volname: unnamed.volname,
    targetVmid: 102,
    targetVolname: null,
  });
  counts['free_image (no snapshots)'] = await h.counted('free_image', { volname: 'vm-100-disk-0' });
  return counts;
}

describe('REST calls per PVE method', { timeout: 300_000 }, () => {
  const results: Record<number, Record<string, number>> = {};
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    for (const size of SIZES) {
      const h = await startHarness();
      harnesses.push(h);
      await populate(h, size);
      results[size] = await measure(h);
    }
  });
  afterAll(async () => {
    for (const h of harnesses) {
      await h.emulator.stop();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });

  for (const [method, { ours, official }] of Object.entries(EXPECTED)) {
    it(`${method}: ${ours} at both sizes${official === undefined ? '' : ` (linstor-proxmox: ${official})`}`, () => {
      for (const size of SIZES)
        expect(results[size]?.[method], `${method} with ${size} other volumes`).toBe(ours);
      if (official !== undefined && !method.startsWith('status'))
        expect(ours).toBeLessThanOrEqual(official + 1);
    });
  }
});
