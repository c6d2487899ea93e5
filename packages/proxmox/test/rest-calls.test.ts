/**
 * REST calls per PVE method, counted in the emulator's request log while one handler runs, at two
 * cluster sizes (a few and a few hundred other volumes in the group): each count is pinned, must
 * not grow with the cluster, and stays within linstor-proxmox's count plus one (an ownership check)
 * where linstor-proxmox makes the same calls (its counts: /work/shared/reference/proxmox.md §1.6,
 * without the GET /health it sends before every method).
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP, type Harness, startHarness } from './harness';

const SIZES = [3, 150] as const;

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
  // linstor-proxmox reads the size with qemu-img on a local device (0 calls when one exists, a
  // diskless attachment made for it when not); ours reads the definition.
  volume_size_info: { ours: 1, official: 0 },
  // One request for linstor-proxmox (query-all-size-info). A one-shot process with no status cache
  // file reads the group, the node list and the cached pool view (the node list beside the other
  // two); it records the group's placement in the file.
  'status (one-shot, cold)': { ours: 3 },
  // Later one-shot refreshes (the file older than `statuscache`) reuse that placement for up to
  // ten minutes, as the bridge does in memory: the node list and the pool view, in parallel.
  'status (one-shot, refresh)': { ours: 2, official: 1 },
  // The bridge keeps the group's placement, so a refresh reads the node list and the pool view.
  'status (bridge, refresh)': { ours: 2, official: 1 },
  // Within `statuscache` the bridge answers from its memory.
  'status (bridge, within statuscache)': { ours: 0, official: 1 },
};

/** REST calls of one call (one-shot, or through the bridge's table), from the emulator's log. */
async function counted(
  h: Harness,
  method: string,
  args: Record<string, unknown>,
  options: { node?: string; bridge?: boolean; scfg?: Record<string, string> } = {},
): Promise<number> {
  await h.emulator.control.clearRequests();
  if (options.bridge) await h.bridgeCall(method, args, options.node, options.scfg);
  else await h.call(method, args, options.node);
  const log = await h.emulator.control.requests();
  if (process.env.REST_CALLS_DEBUG)
    console.log(
      method,
      options,
      log.map((e) => `${e.method} ${e.path}`),
    );
  return log.length;
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
  const c = (method: string, args: Record<string, unknown>, node?: string) =>
    counted(h, method, args, node === undefined ? {} : { node });
  const resources = async (name: string) =>
    (await (await fetch(`${h.emulator.url}/v1/view/resources?resources=${name}`)).json()) as {
      node_name: string;
      flags?: string[];
    }[];

  counts['alloc_image (named)'] = await c('alloc_image', {
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

  counts['activate_volume (replica on this node)'] = await c('activate_volume', disk, replica);
  counts['activate_volume (tie-breaker on this node)'] = await c('activate_volume', disk, free);
  counts['deactivate_volume (replica on this node)'] = await c(
    'deactivate_volume',
    { volname: 'vm-100-disk-0', snapname: null },
    replica,
  );
  counts['deactivate_volume (diskless attachment)'] = await c(
    'deactivate_volume',
    { volname: 'vm-100-disk-0', snapname: null },
    free,
  );
  counts.list_images = await c('list_images', { vmid: 100 });
  counts.volume_resize = await c('volume_resize', {
    volname: 'vm-100-disk-0',
    sizeBytes: 8 * 1024 * 1024,
    running: false,
  });
  counts.volume_size_info = await c('volume_size_info', { volname: 'vm-100-disk-0' });
  counts.volume_snapshot = await c('volume_snapshot', {
    volname: 'vm-100-disk-0',
    snapname: 'first',
  });
  counts.volume_snapshot_rollback = await c('volume_snapshot_rollback', {
    volname: 'vm-100-disk-0',
    snapname: 'first',
  });
  counts.volume_snapshot_delete = await c('volume_snapshot_delete', {
    volname: 'vm-100-disk-0',
    snapname: 'first',
  });
  counts['status (one-shot, cold)'] = await c('status', {});
  counts['status (one-shot, refresh)'] = await c('status', {});
  // The reused placement gives the same figures as a cold read of the group.
  const reused = await h.call('status', {});
  rmSync(join(h.dir, 'status-test.json'));
  expect(await h.call('status', {})).toEqual(reused);
  // statuscache 0: every call refreshes; the first one (a bridge just started) reads the group.
  const refresh = { bridge: true, scfg: { statuscache: '0' } };
  await counted(h, 'status', {}, refresh);
  counts['status (bridge, refresh)'] = await counted(h, 'status', {}, refresh);
  counts['status (bridge, within statuscache)'] = await counted(h, 'status', {}, { bridge: true });

  const unnamed = (await h.call('alloc_image', { vmid: 101, name: null, sizeKib: 4096 })) as {
    volname: string;
  };
  counts.rename_volume = await c('rename_volume', {
    volname: unnamed.volname,
    targetVmid: 102,
    targetVolname: null,
  });
  counts['free_image (no snapshots)'] = await c('free_image', { volname: 'vm-100-disk-0' });
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
    for (const h of harnesses) await h.stop();
  });

  for (const [method, { ours, official }] of Object.entries(EXPECTED)) {
    it(`${method}: ${ours} at both sizes${official === undefined ? '' : ` (linstor-proxmox: ${official})`}`, () => {
      for (const size of SIZES)
        expect(results[size]?.[method], `${method} with ${size} other volumes`).toBe(ours);
      if (official !== undefined) expect(ours).toBeLessThanOrEqual(official + 1);
    });
  }
});
