/**
 * The domain's access to the data plane (dataplane/data-plane.ts): one DataPlane per data
 * directory, the thin-pool usage figure the capacity code needs, and the file operations of a
 * transaction (`files`). Thin usage sums the real allocated sizes of the pool's volumes and
 * snapshots; it is cached for a short time, as the controller caches
 * the free space its satellites report, so that placing thousands of volumes stays cheap.
 */

import { statSync, truncateSync } from 'node:fs';
import { nameKey } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { DataPlane, type DeviceVolume } from '../dataplane/data-plane';
import type { Store } from '../infra/store';
import type { RscRec, SnapRec } from './model';

const planes = new Map<string, DataPlane>();

/** The data plane of the emulator's data directory. */
export function dataPlane(ctx: EmulatorContext): DataPlane {
  let plane = planes.get(ctx.dataDir);
  if (!plane) {
    plane = new DataPlane(ctx.dataDir);
    planes.set(ctx.dataDir, plane);
  }
  return plane;
}

/** How long measured thin usage is reused (ms). */
export const THIN_USAGE_MAX_AGE_MS = 1000;

/**
 * Measured usage per data directory: KiB per `nodeKey\0poolKey`, when it was measured, and how
 * many resources and snapshots existed then (fewer resources now means deletes or a reset, another
 * snapshot count means snapshots taken or deleted: measure again).
 */
const thinUsage = new Map<
  string,
  { at: number; resources: number; snapshots: number; kib: Map<string, number> }
>();

/** A volume file placed in a pool. */
interface PlacedFile {
  rdName: string;
  vlmNr: number;
}

/** A snapshot held in a pool, and how many of the snapshot's nodes use that pool. */
interface HeldSnapshot {
  rdName: string;
  snapName: string;
  vlmNrs: number[];
  times: number;
}

/**
 * What each pool holds, kept in step with the records by store watchers (so measuring usage reads
 * no record): per `nodeKey\0poolKey`, the volume files of the diskful resources placed there (by
 * `rdKey/vlmNr`) and the snapshots whose nodes use it.
 */
class PoolContents {
  readonly files = new Map<string, Map<string, PlacedFile>>();
  readonly snapshots = new Map<string, Map<string, HeldSnapshot>>();

  constructor(store: Store) {
    store.watch('resources', (_key, before, after) => {
      if (before) this.placeResource(before as RscRec, -1);
      if (after) this.placeResource(after as RscRec, 1);
    });
    store.watch('snapshots', (_key, before, after) => {
      if (before) this.holdSnapshot(before as SnapRec, -1);
      if (after) this.holdSnapshot(after as SnapRec, 1);
    });
  }

  private placeResource(rsc: RscRec, sign: 1 | -1): void {
    if (rsc.flags.includes('DISKLESS')) return;
    for (const v of rsc.volumes) {
      const poolKey = `${nameKey(rsc.nodeName)}\u0000${nameKey(v.poolName)}`;
      const fileKey = `${nameKey(rsc.rdName)}/${v.volumeNumber}`;
      let files = this.files.get(poolKey);
      if (sign > 0) {
        if (!files) {
          files = new Map();
          this.files.set(poolKey, files);
        }
        files.set(fileKey, { rdName: rsc.rdName, vlmNr: v.volumeNumber });
      } else if (files) {
        files.delete(fileKey);
        if (files.size === 0) this.files.delete(poolKey);
      }
    }
  }

  private holdSnapshot(snap: SnapRec, sign: 1 | -1): void {
    const snapKey = `${nameKey(snap.rdName)}\u0000${nameKey(snap.name)}`;
    for (const n of snap.nodes) {
      const poolKey = `${nameKey(n.nodeName)}\u0000${nameKey(n.poolName)}`;
      let held = this.snapshots.get(poolKey);
      if (!held) {
        held = new Map();
        this.snapshots.set(poolKey, held);
      }
      const entry = held.get(snapKey);
      if (sign > 0) {
        if (entry) entry.times++;
        else {
          const vlmNrs = snap.volumes.map((v) => v.volumeNumber);
          held.set(snapKey, { rdName: snap.rdName, snapName: snap.name, vlmNrs, times: 1 });
        }
      } else if (entry && --entry.times === 0) held.delete(snapKey);
      if (held.size === 0) this.snapshots.delete(poolKey);
    }
  }
}

const poolContents = new WeakMap<Store, PoolContents>();

function contentsOf(store: Store): PoolContents {
  let contents = poolContents.get(store);
  if (!contents) {
    contents = new PoolContents(store);
    poolContents.set(store, contents);
  }
  return contents;
}

/**
 * Measures what every diskful volume and every snapshot really occupies, summed per node and pool.
 * Each volume file is measured once even though all its replicas share it (DRBD keeps them
 * identical); a snapshot counts in the pool of each node that holds it.
 */
function measureUsage(ctx: EmulatorContext): Map<string, number> {
  const plane = dataPlane(ctx);
  const contents = contentsOf(ctx.store);
  const perFile = new Map<string, number>();
  const usage = new Map<string, number>();
  for (const [poolKey, files] of contents.files) {
    let sum = 0;
    for (const [fileKey, f] of files) {
      let kib = perFile.get(fileKey);
      if (kib === undefined) {
        kib = plane.allocatedKib(f.rdName, f.vlmNr);
        perFile.set(fileKey, kib);
      }
      sum += kib;
    }
    usage.set(poolKey, sum);
  }
  // Snapshots occupy real space in the pool of every node that holds them, as LVM-thin and ZFS
  // report it: what their copies really allocate.
  const perSnapshot = new Map<string, number>();
  for (const [poolKey, held] of contents.snapshots) {
    for (const [snapKey, snap] of held) {
      let kib = perSnapshot.get(snapKey);
      if (kib === undefined) {
        kib = 0;
        for (const v of snap.vlmNrs) kib += plane.snapshotAllocatedKib(snap.rdName, snap.snapName, v);
        perSnapshot.set(snapKey, kib);
      }
      if (kib > 0) usage.set(poolKey, (usage.get(poolKey) ?? 0) + kib * snap.times);
    }
  }
  return usage;
}

/**
 * KiB really allocated by the volumes placed in a pool on a node (measured over the data files;
 * the measurement is reused for up to `maxAgeMs`, 0 forces a fresh one).
 */
export function poolAllocatedKib(
  ctx: EmulatorContext,
  nodeName: string,
  poolName: string,
  maxAgeMs = THIN_USAGE_MAX_AGE_MS,
): number {
  const now = Date.now();
  const resources = ctx.store.count('resources');
  const snapshots = ctx.store.count('snapshots');
  let cached = thinUsage.get(ctx.dataDir);
  if (
    !cached ||
    now - cached.at > maxAgeMs ||
    resources < cached.resources ||
    snapshots !== cached.snapshots
  ) {
    cached = { at: now, resources, snapshots, kib: measureUsage(ctx) };
    thinUsage.set(ctx.dataDir, cached);
  }
  return cached.kib.get(`${nameKey(nodeName)}\u0000${nameKey(poolName)}`) ?? 0;
}

/** Forgets measured thin usage (after writes the caller wants to see at once, or a reset). */
export function forgetThinUsage(): void {
  thinUsage.clear();
}

/** The name keys of the resource definitions deployed on a node (via the rscByNode index). */
export function rdKeysOfNode(ctx: EmulatorContext, nodeName: string): string[] {
  return ctx.store.list<{ rdKey: string }>('rscByNode', [nameKey(nodeName)]).map((r) => r.rdKey);
}

/**
 * Data-plane file operations of a store transaction (dataplane/data-plane.ts's contract): files
 * and links are created before the commit, with an undo for a rollback (store.onRollback); they
 * are deleted only after the commit is durable (store.afterCommit), so a crash in between leaves
 * orphans for the startup reconcile, never committed records whose data is gone. Each deferred
 * deletion checks the committed state first (a later step of the same transaction may have
 * deployed the object again). Only call these inside a store transaction.
 */
export const files = {
  /** Creates a volume's data file (kept when it exists already: replicas share it). */
  createVolume(ctx: EmulatorContext, rdName: string, vlmNr: number, sizeKib: number): void {
    const plane = dataPlane(ctx);
    if (plane.createVolume(rdName, vlmNr, sizeKib))
      ctx.store.onRollback(() => plane.deleteVolume(rdName, vlmNr));
  },
  /** Grows a volume's data file. */
  resizeVolume(ctx: EmulatorContext, rdName: string, vlmNr: number, sizeKib: number): void {
    const plane = dataPlane(ctx);
    const path = plane.volumePath(rdName, vlmNr);
    const before = statSync(path).size;
    plane.resizeVolume(rdName, vlmNr, sizeKib);
    ctx.store.onRollback(() => truncateSync(path, before));
  },
  /**
   * Deletes a volume's data file once the transaction committed, unless the committed state still
   * needs it (its VD exists and the RD has resources).
   */
  deleteVolume(ctx: EmulatorContext, rdName: string, vlmNr: number): void {
    ctx.store.afterCommit(() => {
      const rdKey = nameKey(rdName);
      const needed =
        ctx.store.get('vds', [rdKey, String(vlmNr)]) !== undefined &&
        ctx.store.count('resources', [rdKey]) > 0;
      if (!needed) dataPlane(ctx).deleteVolume(rdName, vlmNr);
    });
  },
  /** Deletes every data file of an RD once the transaction committed, unless the RD exists again. */
  deleteVolumes(ctx: EmulatorContext, rdName: string): void {
    ctx.store.afterCommit(() => {
      if (ctx.store.get('rds', [nameKey(rdName)]) === undefined) dataPlane(ctx).deleteVolumes(rdName);
    });
  },
  /** Creates a node's device links for the given volumes. */
  link(ctx: EmulatorContext, nodeName: string, rdName: string, volumes: readonly DeviceVolume[]): void {
    const plane = dataPlane(ctx);
    plane.linkResource(nodeName, rdName, volumes);
    ctx.store.onRollback(() => {
      const gone = volumes.filter((v) => !linkedInStore(ctx, nodeName, rdName, v.volumeNumber));
      plane.unlinkResource(nodeName, rdName, gone);
    });
  },
  /**
   * Removes a node's device links for the given volumes once the transaction committed, except
   * those the committed state still deploys there.
   */
  unlink(ctx: EmulatorContext, nodeName: string, rdName: string, volumes: readonly DeviceVolume[]): void {
    ctx.store.afterCommit(() => {
      const gone = volumes.filter((v) => !linkedInStore(ctx, nodeName, rdName, v.volumeNumber));
      dataPlane(ctx).unlinkResource(nodeName, rdName, gone);
    });
  },
};

/** True when the store has the resource deployed (and active) on the node with that volume. */
function linkedInStore(ctx: EmulatorContext, nodeName: string, rdName: string, vlmNr: number): boolean {
  const rdKey = nameKey(rdName);
  const rsc = ctx.store.get<RscRec>('resources', [rdKey, nameKey(nodeName)]);
  return (
    rsc !== undefined &&
    !rsc.flags.includes('INACTIVE') &&
    rsc.volumes.some((v) => v.volumeNumber === vlmNr) &&
    ctx.store.get('vds', [rdKey, String(vlmNr)]) !== undefined
  );
}
