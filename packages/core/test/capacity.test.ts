import type { StoragePool } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { computeCapacity, placementOf, replicatedSpace } from '../src/capacity';

const GiB = 1024 * 1024 * 1024;
const KiBPerGiB = 1024 * 1024;

function pool(
  node: string,
  name: string,
  kind: StoragePool['provider_kind'],
  totalGiB: number,
  freeGiB: number,
): StoragePool {
  return {
    node_name: node,
    storage_pool_name: name,
    provider_kind: kind,
    total_capacity: totalGiB * KiBPerGiB,
    free_capacity: freeGiB * KiBPerGiB,
  };
}

function diskless(node: string): StoragePool {
  return {
    node_name: node,
    storage_pool_name: 'DfltDisklessStorPool',
    provider_kind: 'DISKLESS',
    total_capacity: Number.MAX_SAFE_INTEGER,
    free_capacity: Number.MAX_SAFE_INTEGER,
  };
}

/** The emulator's three-node preset after some writes: 100 GiB thin and 20 GiB thick per node. */
const cluster: StoragePool[] = [
  pool('pve1', 'thinpool', 'LVM_THIN', 100, 90),
  pool('pve2', 'thinpool', 'LVM_THIN', 100, 90),
  pool('pve3', 'thinpool', 'LVM_THIN', 100, 100),
  pool('pve1', 'thickpool', 'LVM', 20, 12),
  pool('pve2', 'thickpool', 'LVM', 20, 20),
  pool('pve3', 'thickpool', 'LVM', 20, 12),
  diskless('pve1'),
  diskless('pve2'),
  diskless('pve3'),
];

describe('replicatedSpace', () => {
  it('is the even spread when no node dominates, and bounded by the smaller nodes otherwise', () => {
    expect(replicatedSpace([100, 100, 100], 2)).toBe(150);
    expect(replicatedSpace([100, 100, 100], 3)).toBe(100);
    // 1000 on one node cannot pair with itself: only 20 of it can ever be mirrored.
    expect(replicatedSpace([1000, 10, 10], 2)).toBe(20);
    expect(replicatedSpace([100, 100, 10], 2)).toBe(105);
    expect(replicatedSpace([100], 2)).toBe(0);
    expect(replicatedSpace([], 1)).toBe(0);
  });
});

describe('computeCapacity', () => {
  it('thin pool, 2 replicas: hand-computed figures', () => {
    const cap = computeCapacity(cluster, { replicas: 2, storagePools: ['thinpool'], nodes: [] });
    // total: (100+100+100)/2 = 150 GiB; free: (90+90+100)/2 = 140 GiB (no node above 140).
    expect(cap.totalBytes).toBe(150 * GiB);
    expect(cap.freeBytes).toBe(140 * GiB);
    expect(cap.usedBytes).toBe(10 * GiB);
    // Second-largest node free × 20 (thin over-subscription).
    expect(cap.maxVolumeBytes).toBe(90 * 20 * GiB);
    expect(cap.provisionableBytes).toBe(150 * 20 * GiB);
    expect(cap.provisioning).toBe('thin');
    expect(cap.overSubscriptionRatio).toBe(20);
    expect(cap.onlineNodes).toEqual(['pve1', 'pve2', 'pve3']);
    expect(cap.offlineNodes).toEqual([]);
  });

  it('thin pool, 3 replicas', () => {
    const cap = computeCapacity(cluster, { replicas: 3, storagePools: ['thinpool'], nodes: [] });
    // total: min(300/3, 200/2, 100/1) = 100 GiB; free: min(280/3, 190/2, 90/1) = 90 GiB.
    expect(cap.totalBytes).toBe(100 * GiB);
    expect(cap.freeBytes).toBe(90 * GiB);
    expect(cap.usedBytes).toBe(10 * GiB);
    expect(cap.maxVolumeBytes).toBe(90 * 20 * GiB);
  });

  it('thick pool, 2 and 3 replicas', () => {
    const two = computeCapacity(cluster, { replicas: 2, storagePools: ['thickpool'], nodes: [] });
    // total 60/2 = 30; free min(44/2, 32/1) = 22; largest volume = 2nd largest free = 12.
    expect([two.totalBytes, two.freeBytes, two.usedBytes, two.maxVolumeBytes]).toEqual([
      30 * GiB,
      22 * GiB,
      8 * GiB,
      12 * GiB,
    ]);
    expect(two.provisioning).toBe('thick');
    expect(two.provisionableBytes).toBe(two.totalBytes);
    const three = computeCapacity(cluster, { replicas: 3, storagePools: ['thickpool'], nodes: [] });
    // total 60/3 = 20; free min(44/3, 32/2, 12/1) = 12.
    expect([three.totalBytes, three.freeBytes, three.maxVolumeBytes]).toEqual([20 * GiB, 12 * GiB, 12 * GiB]);
  });

  it('leaves an offline node out and names it', () => {
    const offline = cluster.map((p) =>
      p.node_name === 'pve3' && p.provider_kind !== 'DISKLESS'
        ? {
            ...p,
            free_capacity: undefined,
            reports: [
              { ret_code: 0x8000000000000000n | 1002n, message: "No active connection to satellite 'pve3'" },
            ],
          }
        : p,
    );
    const cap = computeCapacity(offline, { replicas: 2, storagePools: ['thinpool'], nodes: [] });
    // Only pve1 and pve2 count: total min(200/2, 100) = 100; free min(180/2, 90) = 90.
    expect([cap.totalBytes, cap.freeBytes, cap.usedBytes]).toEqual([100 * GiB, 90 * GiB, 10 * GiB]);
    expect(cap.offlineNodes).toEqual(['pve3']);
    expect(cap.onlineNodes).toEqual(['pve1', 'pve2']);
    const three = computeCapacity(offline, { replicas: 3, storagePools: ['thinpool'], nodes: [] });
    expect([three.totalBytes, three.freeBytes, three.maxVolumeBytes]).toEqual([0, 0, 0]);
  });

  it('leaves out a node the node list reports offline even when the cached view still has figures', () => {
    const nodes = [
      { name: 'pve1', type: 'SATELLITE', connection_status: 'ONLINE' },
      { name: 'pve2', type: 'SATELLITE', connection_status: 'OFFLINE' },
      { name: 'pve3', type: 'SATELLITE', connection_status: 'ONLINE' },
    ];
    const cap = computeCapacity(cluster, { replicas: 2, storagePools: ['thinpool'], nodes: [] }, { nodes });
    // pve1 (100/90) and pve3 (100/100): total 100, free min(190/2, 90) = 90.
    expect([cap.totalBytes, cap.freeBytes]).toEqual([100 * GiB, 90 * GiB]);
    expect(cap.offlineNodes).toEqual(['pve2']);
  });

  it('counts only the group pools and nodes; no pool means every disk pool', () => {
    const restricted = computeCapacity(cluster, {
      replicas: 2,
      storagePools: ['thinpool'],
      nodes: ['pve1', 'pve2'],
    });
    expect(restricted.totalBytes).toBe(100 * GiB);
    const all = computeCapacity(cluster, { replicas: 2, storagePools: [], nodes: [] });
    // Per node total 120 each, free 102, 110, 112 → total 360/2 = 180, free min(324/2, 214/1) = 162.
    expect([all.totalBytes, all.freeBytes]).toEqual([180 * GiB, 162 * GiB]);
    expect(all.provisioning).toBe('mixed');
    expect(all.overSubscriptionRatio).toBe(1);
    const none = computeCapacity(cluster, { replicas: 2, storagePools: ['nosuchpool'], nodes: [] });
    expect(none.provisioning).toBe('none');
    expect(none.totalBytes).toBe(0);
  });

  it('reads the placement from a resource group', () => {
    expect(
      placementOf({ name: 'linstor-hv', select_filter: { place_count: 3, storage_pool: 'thinpool' } }),
    ).toEqual({
      replicas: 3,
      storagePools: ['thinpool'],
      nodes: [],
    });
    expect(placementOf({ name: 'DfltRscGrp' })).toEqual({ replicas: 2, storagePools: [], nodes: [] });
  });
});
