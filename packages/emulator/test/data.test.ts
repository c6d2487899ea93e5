import { existsSync } from 'node:fs';
import {
  CREATED,
  FAIL_EXISTS_RSC,
  FAIL_EXISTS_VLM_DFN,
  FAIL_IN_USE,
  FAIL_INVLD_REQUEST,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_FOUND_RSC_DFN,
  FAIL_NOT_FOUND_SNAPSHOT,
  FAIL_NOT_FOUND_SNAPSHOT_DFN,
  MASK_CRT,
  MASK_MOD,
  MASK_RSC,
  MASK_SNAPSHOT,
  MASK_VLM_DFN,
  MODIFIED,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { type ClusterDescription, threeNodeCluster } from '../src/cluster';
import type { RunningEmulator } from '../src/start';
import {
  devicePath,
  diskfulNodes,
  isDisklessView,
  resourcesOf,
  sha256File,
  spawn,
  waitForClone,
  writeRandom,
} from './data-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

const MIB = 1024 * 1024;
const SIZE_KIB = 32 * 1024; // 32 MiB volumes
const MOD_SNAP = MASK_MOD | MASK_SNAPSHOT;

let emu: RunningEmulator;
let url: string;

/** The standard three nodes plus a ZFS-thin pool on each, for ZFS's rollback rule. */
function zfsCluster(): ClusterDescription {
  const cluster = threeNodeCluster();
  for (const node of cluster.nodes) {
    node.pools?.push({
      name: 'zfspool',
      provider_kind: 'ZFS_THIN',
      total_kib: 50 * MIB,
      props: { 'StorDriver/ZPoolThin': 'tank/thin' },
    });
  }
  cluster.resource_groups?.push({
    name: 'zfs-group',
    select_filter: { place_count: 2, storage_pool: 'zfspool' },
  });
  return cluster;
}

useEmulator({ start: { cluster: zfsCluster() } }, (started) => {
  emu = started;
  url = started.url;
});

function dev(node: string, rd: string): string {
  return devicePath(emu.dataDir, node, rd);
}

async function snapshot(rd: string, name: string, nodes?: string[]): Promise<void> {
  const reply = await call(url, 'POST', `/v1/resource-definitions/${rd}/snapshots`, { name, nodes });
  expect(reply.status, reply.text).toBe(201);
}

describe('one volume, every node', () => {
  it('data written through one node is read through every other node that has the resource', async () => {
    await spawn(url, 'linstor-hv', 'data-1', SIZE_KIB);
    const rscs = await resourcesOf(url, 'data-1');
    expect(rscs.map((r) => r.node_name)).toEqual(['pve1', 'pve2', 'pve3']); // 2 diskful + tie-breaker
    const [writer, ...readers] = rscs.map((r) => r.node_name);
    await writeRandom(dev(writer!, 'data-1'), 3 * MIB, 5 * MIB);
    const written = await sha256File(dev(writer!, 'data-1'));
    for (const reader of readers) expect(await sha256File(dev(reader, 'data-1'))).toBe(written);
  });

  it('reports real allocated sizes of thin volumes: tiny when new, growing with written data', async () => {
    await spawn(url, 'linstor-hv', 'data-alloc', SIZE_KIB);
    const diskful = (await resourcesOf(url, 'data-alloc')).filter((r) => !isDisklessView(r));
    for (const r of diskful) expect(r.volumes?.[0]?.allocated_size_kib ?? 0).toBeLessThan(1024);
    await writeRandom(dev(diskful[0]!.node_name, 'data-alloc'), 0, 8 * MIB);
    for (const r of (await resourcesOf(url, 'data-alloc')).filter((x) => !isDisklessView(x))) {
      expect(r.volumes?.[0]?.allocated_size_kib).toBeGreaterThanOrEqual(8 * 1024);
    }
  });

  it('deleting a resource removes that node device path and keeps the others', async () => {
    await spawn(url, 'linstor-hv', 'data-del', SIZE_KIB);
    const nodes = await diskfulNodes(url, 'data-del');
    for (const node of nodes) expect(existsSync(dev(node, 'data-del'))).toBe(true);
    const removed = nodes[1]!;
    const reply = await call(url, 'DELETE', `/v1/resource-definitions/data-del/resources/${removed}`);
    expect(reply.status, reply.text).toBe(200);
    expect(existsSync(dev(removed, 'data-del'))).toBe(false);
    expect(existsSync(dev(nodes[0]!, 'data-del'))).toBe(true);
  });
});

describe('rollback', () => {
  it('restores the exact data of the snapshot after the volume was overwritten', async () => {
    await spawn(url, 'linstor-hv', 'rb-1', SIZE_KIB);
    const [nodeA, nodeB] = await diskfulNodes(url, 'rb-1');
    await writeRandom(dev(nodeA!, 'rb-1'), 0, 4 * MIB);
    const original = await sha256File(dev(nodeA!, 'rb-1'));
    await snapshot('rb-1', 'before');
    await writeRandom(dev(nodeB!, 'rb-1'), MIB, 2 * MIB);
    expect(await sha256File(dev(nodeA!, 'rb-1'))).not.toBe(original);

    const reply = await call(url, 'POST', '/v1/resource-definitions/rb-1/snapshot-rollback/before', {});
    expect(reply.status, reply.text).toBe(200);
    expect(retCodes(reply)).toEqual([MOD_SNAP | MODIFIED]);
    expect(await sha256File(dev(nodeA!, 'rb-1'))).toBe(original);
    expect(await sha256File(dev(nodeB!, 'rb-1'))).toBe(original);
  });

  it('is refused with FAIL_IN_USE while the device is open anywhere', async () => {
    const [nodeA] = await diskfulNodes(url, 'rb-1');
    const opened = await emu.control.openDevice(nodeA!, 'rb-1', 'rw');
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    try {
      const reply = await call(url, 'POST', '/v1/resource-definitions/rb-1/snapshot-rollback/before');
      expect(reply.status).toBe(500);
      expect(retCodes(reply)).toEqual([FAIL_IN_USE | MOD_SNAP]);
      expect(messages(reply)).toEqual([`Resource 'rb-1' on node '${nodeA}' is still in use.`]);
    } finally {
      await emu.control.closeDevice(nodeA!, 'rb-1');
    }
    const after = await call(url, 'POST', '/v1/resource-definitions/rb-1/snapshot-rollback/before');
    expect(after.status).toBe(200);
  });

  it('is refused when a node with a disk lacks the snapshot, and for unknown snapshots', async () => {
    const [nodeA, nodeB] = await diskfulNodes(url, 'rb-1');
    await snapshot('rb-1', 'partial', [nodeA!]);
    const reply = await call(url, 'POST', '/v1/resource-definitions/rb-1/snapshot-rollback/partial');
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_SNAPSHOT | MOD_SNAP]);
    expect(messages(reply)).toEqual([`Snapshot 'partial' of resource 'rb-1' on node '${nodeB}' not found.`]);

    const unknown = await call(url, 'POST', '/v1/resource-definitions/rb-1/snapshot-rollback/never');
    expect(unknown.status).toBe(404);
    expect(retCodes(unknown)).toEqual([FAIL_NOT_FOUND_SNAPSHOT_DFN | MOD_SNAP]);
  });

  it('on ZFS only goes back to the newest snapshot unless the strategy allows older ones', async () => {
    await spawn(url, 'zfs-group', 'rb-zfs', SIZE_KIB);
    const [node] = await diskfulNodes(url, 'rb-zfs');
    await writeRandom(dev(node!, 'rb-zfs'), 0, MIB);
    const atOld = await sha256File(dev(node!, 'rb-zfs'));
    await snapshot('rb-zfs', 'old');
    await writeRandom(dev(node!, 'rb-zfs'), 0, MIB);
    await snapshot('rb-zfs', 'mid');
    await snapshot('rb-zfs', 'new');

    const refused = await call(url, 'POST', '/v1/resource-definitions/rb-zfs/snapshot-rollback/old', {});
    expect(refused.status).toBe(500);
    expect(retCodes(refused)).toEqual([FAIL_INVLD_REQUEST | MOD_SNAP]);
    expect(messages(refused)).toEqual([
      "Cannot roll back resource 'rb-zfs' to snapshot 'old': newer snapshots exist: 'mid', 'new'.",
    ]);
    const explicit = await call(url, 'POST', '/v1/resource-definitions/rb-zfs/snapshot-rollback/old', {
      zfs_rollback_strategy: 'rollback',
    });
    expect(explicit.status).toBe(500);

    const newest = await call(url, 'POST', '/v1/resource-definitions/rb-zfs/snapshot-rollback/new', {});
    expect(newest.status, newest.text).toBe(200);

    const viaClone = await call(url, 'POST', '/v1/resource-definitions/rb-zfs/snapshot-rollback/old', {
      zfs_rollback_strategy: 'clone',
    });
    expect(viaClone.status, viaClone.text).toBe(200);
    expect(await sha256File(dev(node!, 'rb-zfs'))).toBe(atOld);
  });

  it('on ZFS follows StorDriver/Zfs/RollbackStrategy on the resource definition', async () => {
    const set = await call(url, 'PUT', '/v1/resource-definitions/rb-zfs', {
      override_props: { 'StorDriver/Zfs/RollbackStrategy': 'Dynamic' },
    });
    expect(set.status, set.text).toBe(200);
    const reply = await call(url, 'POST', '/v1/resource-definitions/rb-zfs/snapshot-rollback/mid');
    expect(reply.status, reply.text).toBe(200);
  });

  it('on thin LVM goes back to any snapshot', async () => {
    await snapshot('rb-1', 'later');
    const reply = await call(url, 'POST', '/v1/resource-definitions/rb-1/snapshot-rollback/before');
    expect(reply.status, reply.text).toBe(200);
  });
});

describe('several volumes', () => {
  it('snapshots, rolls back and clones every volume of a two-volume resource', async () => {
    const spawned = await call(url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'mv-src',
      volume_sizes: [SIZE_KIB, SIZE_KIB / 2],
    });
    expect(spawned.status, spawned.text).toBe(201);
    const [node] = await diskfulNodes(url, 'mv-src');
    const vol = (rd: string, nr: number) => devicePath(emu.dataDir, node!, rd, nr);
    await writeRandom(vol('mv-src', 0), 0, MIB);
    await writeRandom(vol('mv-src', 1), MIB, MIB);
    const original = [await sha256File(vol('mv-src', 0)), await sha256File(vol('mv-src', 1))];
    await snapshot('mv-src', 'both');
    const snap = await call(url, 'GET', '/v1/resource-definitions/mv-src/snapshots/both');
    expect((snap.json as { volume_definitions: unknown[] }).volume_definitions).toEqual([
      { volume_number: 0, size_kib: SIZE_KIB },
      { volume_number: 1, size_kib: SIZE_KIB / 2 },
    ]);

    await writeRandom(vol('mv-src', 0), 0, MIB);
    await writeRandom(vol('mv-src', 1), 0, MIB);
    const rolled = await call(url, 'POST', '/v1/resource-definitions/mv-src/snapshot-rollback/both');
    expect(rolled.status, rolled.text).toBe(200);
    expect([await sha256File(vol('mv-src', 0)), await sha256File(vol('mv-src', 1))]).toEqual(original);

    const cloned = await call(url, 'POST', '/v1/resource-definitions/mv-src/clone', { name: 'mv-dst' });
    expect(cloned.status, cloned.text).toBe(201);
    expect(await waitForClone(url, 'mv-src', 'mv-dst')).toBe('COMPLETE');
    expect([await sha256File(vol('mv-dst', 0)), await sha256File(vol('mv-dst', 1))]).toEqual(original);
  });
});

describe('restore', () => {
  async function createRd(name: string): Promise<void> {
    const reply = await call(url, 'POST', '/v1/resource-definitions', { resource_definition: { name } });
    expect(reply.status, reply.text).toBe(201);
  }

  /** Restores snapshot 'snap' of 'rs-src' into `target`: its volume definitions or its resources. */
  function restore(
    what: 'volume-definition' | 'resource',
    target: string,
    extra: Record<string, unknown> = {},
  ) {
    return call(url, 'POST', `/v1/resource-definitions/rs-src/snapshot-restore-${what}/snap`, {
      to_resource: target,
      ...extra,
    });
  }

  it('restores volume definitions and resources with the snapshot data (create RD, VD, resources)', async () => {
    await spawn(url, 'linstor-hv', 'rs-src', SIZE_KIB);
    const srcNodes = await diskfulNodes(url, 'rs-src');
    await writeRandom(dev(srcNodes[0]!, 'rs-src'), 2 * MIB, 3 * MIB);
    const atSnapshot = await sha256File(dev(srcNodes[0]!, 'rs-src'));
    await snapshot('rs-src', 'snap');
    await writeRandom(dev(srcNodes[0]!, 'rs-src'), 0, MIB); // the source moves on

    await createRd('rs-dst');
    const vds = await restore('volume-definition', 'rs-dst');
    expect(vds.status, vds.text).toBe(200);
    expect(retCodes(vds)).toEqual([MASK_CRT | MASK_VLM_DFN | CREATED]);
    const vdList = await call(url, 'GET', '/v1/resource-definitions/rs-dst/volume-definitions');
    expect(
      (vdList.json as { volume_number: number; size_kib: number }[]).map((v) => [
        v.volume_number,
        v.size_kib,
      ]),
    ).toEqual([[0, SIZE_KIB]]);

    const rscs = await restore('resource', 'rs-dst');
    expect(rscs.status, rscs.text).toBe(200);
    const restored = await resourcesOf(url, 'rs-dst');
    const restoredDiskful = restored.filter((r) => !isDisklessView(r));
    expect(restoredDiskful.map((r) => r.node_name)).toEqual(srcNodes);
    for (const r of restoredDiskful) expect(r.volumes?.[0]?.storage_pool_name).toBe('thinpool');
    for (const r of restored) expect(await sha256File(dev(r.node_name, 'rs-dst'))).toBe(atSnapshot);
  });

  it('restores onto a subset of the nodes', async () => {
    await createRd('rs-subset');
    const srcNodes = await diskfulNodes(url, 'rs-src');
    await restore('volume-definition', 'rs-subset');
    const reply = await restore('resource', 'rs-subset', { nodes: [srcNodes[1]] });
    expect(reply.status, reply.text).toBe(200);
    expect(await diskfulNodes(url, 'rs-subset')).toEqual([srcNodes[1]]);
  });

  it('refuses a missing target (404), a target with resources (FAIL_EXISTS_RSC) and an existing VD', async () => {
    const missing = await restore('volume-definition', 'rs-nowhere');
    expect(missing.status).toBe(404);
    expect(retCodes(missing)).toEqual([FAIL_NOT_FOUND_RSC_DFN | MASK_CRT | MASK_VLM_DFN]);

    const deployed = await restore('resource', 'rs-dst');
    expect(deployed.status).toBe(500);
    expect(retCodes(deployed)).toEqual([FAIL_EXISTS_RSC | MASK_CRT | MASK_RSC]);

    await createRd('rs-has-vd');
    const vd = await call(url, 'POST', '/v1/resource-definitions/rs-has-vd/volume-definitions', {
      volume_definition: { volume_number: 0, size_kib: SIZE_KIB },
    });
    expect(vd.status, vd.text).toBe(200);
    const clash = await restore('volume-definition', 'rs-has-vd');
    expect(clash.status).toBe(500);
    expect(retCodes(clash)).toEqual([FAIL_EXISTS_VLM_DFN | MASK_CRT | MASK_VLM_DFN]);
  });

  it('restores into other pools with stor_pool_rename, with the same data', async () => {
    await createRd('rs-renamed');
    await restore('volume-definition', 'rs-renamed');
    const reply = await restore('resource', 'rs-renamed', { stor_pool_rename: { thinpool: 'zfspool' } });
    expect(reply.status, reply.text).toBe(200);
    const restored = (await resourcesOf(url, 'rs-renamed')).filter((r) => !isDisklessView(r));
    expect(restored.map((r) => r.volumes?.[0]?.storage_pool_name)).toEqual(['zfspool', 'zfspool']);
    const fromSnapshot = await sha256File(dev(restored[0]!.node_name, 'rs-dst'));
    expect(await sha256File(dev(restored[0]!.node_name, 'rs-renamed'))).toBe(fromSnapshot);
  });

  it('refuses nodes that do not hold the snapshot with 404 FAIL_NOT_FOUND_SNAPSHOT, creating nothing', async () => {
    await createRd('rs-elsewhere');
    await restore('volume-definition', 'rs-elsewhere');
    const holders = await diskfulNodes(url, 'rs-src');
    const stranger = ['pve1', 'pve2', 'pve3'].find((n) => !holders.includes(n))!;
    const reply = await restore('resource', 'rs-elsewhere', { nodes: [holders[0], stranger] });
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_SNAPSHOT | MASK_CRT | MASK_RSC]);
    expect(messages(reply)).toEqual([
      `Snapshot 'snap' of resource 'rs-src' on node '${stranger}' not found.`,
    ]);
    expect(await resourcesOf(url, 'rs-elsewhere')).toEqual([]);
  });

  it('warns "No volumes to restore" when the target has no volume definitions yet', async () => {
    await createRd('rs-no-vds');
    const reply = await restore('resource', 'rs-no-vds');
    expect(reply.status, reply.text).toBe(200);
    expect(retCodes(reply)[0]).toBe(WARN_NOT_FOUND | MASK_CRT | MASK_VLM_DFN);
    expect(messages(reply)[0]).toBe(
      "No volumes to restore: resource definition 'rs-no-vds' has no volume definitions.",
    );
  });

  it('refuses target volume definitions whose size differs from the snapshot (FAIL_INVLD_VLM_SIZE)', async () => {
    await createRd('rs-bigger');
    const vd = await call(url, 'POST', '/v1/resource-definitions/rs-bigger/volume-definitions', {
      volume_definition: { volume_number: 0, size_kib: SIZE_KIB * 2 },
    });
    expect(vd.status, vd.text).toBe(200);
    const reply = await restore('resource', 'rs-bigger');
    expect(reply.status).toBe(500);
    expect(retCodes(reply)).toEqual([FAIL_INVLD_VLM_SIZE | MASK_CRT | MASK_RSC]);
    expect(await resourcesOf(url, 'rs-bigger')).toEqual([]);
    expect(existsSync(dev('pve1', 'rs-bigger'))).toBe(false);
  });
});
