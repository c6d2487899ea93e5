/**
 * The domain's access to E3's data plane (dataplane/data-plane.ts): one DataPlane per data
 * directory, and the thin-pool usage figure the capacity code needs. Thin usage sums the real
 * allocated sizes of the pool's volumes; it is cached for a short time, as the controller caches
 * the free space its satellites report, so that placing thousands of volumes stays cheap.
 */

import { statSync, truncateSync } from 'node:fs';
import { nameKey } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { DataPlane, type DeviceVolume } from '../dataplane/data-plane';
import type { RouteDef } from '../http/route';
import type { RscRec } from './model';

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
 * many resources existed then (fewer now means deletes or a reset: measure again).
 */
const thinUsage = new Map<string, { at: number; resources: number; kib: Map<string, number> }>();

/**
 * Measures what every diskful volume really occupies, summed per node and pool. Each volume file
 * is measured once even though all its replicas share it (DRBD keeps them identical).
 */
function measureUsage(ctx: EmulatorContext): Map<string, number> {
  const plane = dataPlane(ctx);
  const perFile = new Map<string, number>();
  const usage = new Map<string, number>();
  for (const rsc of ctx.store.list<RscRec>('resources')) {
    if (rsc.flags.includes('DISKLESS')) continue;
    for (const v of rsc.volumes) {
      const fileKey = `${nameKey(rsc.rdName)}/${v.volumeNumber}`;
      let kib = perFile.get(fileKey);
      if (kib === undefined) {
        kib = plane.allocatedKib(rsc.rdName, v.volumeNumber);
        perFile.set(fileKey, kib);
      }
      const poolKey = `${nameKey(rsc.nodeName)}\u0000${nameKey(v.poolName)}`;
      usage.set(poolKey, (usage.get(poolKey) ?? 0) + kib);
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
  let cached = thinUsage.get(ctx.dataDir);
  if (!cached || now - cached.at > maxAgeMs || resources < cached.resources) {
    cached = { at: now, resources, kib: measureUsage(ctx) };
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
 * File changes of the running request, so that a request that fails after touching files leaves
 * none behind (the store rolls its records back; these undo the files to match). Deletions of
 * data are deferred until the request succeeded, because they cannot be undone.
 */
interface FileTxn {
  undo: (() => void)[];
  deferred: (() => void)[];
}

let currentFileTxn: FileTxn | undefined;

/**
 * Runs `fn` (a route handler's body) with file changes tracked: on a throw (or a rejected
 * promise) the changes are undone in reverse order; on success the deferred deletions run.
 */
export function withFileUndo<T>(fn: () => T): T {
  const outer = currentFileTxn;
  if (outer) return fn(); // already tracked by an enclosing request
  const txn: FileTxn = { undo: [], deferred: [] };
  currentFileTxn = txn;
  const fail = (e: unknown): never => {
    for (const undo of txn.undo.reverse()) {
      try {
        undo();
      } catch {
        // best effort: the startup reconcile removes what is left
      }
    }
    throw e;
  };
  const succeed = () => {
    for (const run of txn.deferred) run();
  };
  try {
    const result = fn();
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          succeed();
          return value;
        },
        (e) => fail(e),
      ) as T;
    }
    succeed();
    return result;
  } catch (e) {
    return fail(e);
  } finally {
    currentFileTxn = outer;
  }
}

function recordUndo(undo: () => void): void {
  currentFileTxn?.undo.push(undo);
}

function deferDeletion(run: () => void): void {
  if (currentFileTxn) currentFileTxn.deferred.push(run);
  else run();
}

/** Data-plane file operations that take part in withFileUndo. */
export const files = {
  /** Creates a volume's data file (kept when it exists already: replicas share it). */
  createVolume(ctx: EmulatorContext, rdName: string, vlmNr: number, sizeKib: number): void {
    const plane = dataPlane(ctx);
    const existed = plane.hasVolume(rdName, vlmNr);
    plane.createVolume(rdName, vlmNr, sizeKib);
    if (!existed) recordUndo(() => plane.deleteVolume(rdName, vlmNr));
  },
  /** Grows a volume's data file. */
  resizeVolume(ctx: EmulatorContext, rdName: string, vlmNr: number, sizeKib: number): void {
    const plane = dataPlane(ctx);
    const path = plane.volumePath(rdName, vlmNr);
    const before = statSync(path).size;
    plane.resizeVolume(rdName, vlmNr, sizeKib);
    recordUndo(() => truncateSync(path, before));
  },
  /**
   * Deletes a volume's data file once the request succeeded, unless by then the volume is in use
   * again (its VD exists and the RD has resources).
   */
  deleteVolume(ctx: EmulatorContext, rdName: string, vlmNr: number): void {
    deferDeletion(() => {
      const rdKey = nameKey(rdName);
      const needed =
        ctx.store.get('vds', [rdKey, String(vlmNr)]) !== undefined &&
        ctx.store.count('resources', [rdKey]) > 0;
      if (!needed) dataPlane(ctx).deleteVolume(rdName, vlmNr);
    });
  },
  /** Deletes every data file of an RD once the request succeeded, unless the RD exists again. */
  deleteVolumes(ctx: EmulatorContext, rdName: string): void {
    deferDeletion(() => {
      if (ctx.store.get('rds', [nameKey(rdName)]) === undefined) dataPlane(ctx).deleteVolumes(rdName);
    });
  },
  /** Creates a node's device links for the given volumes. */
  link(ctx: EmulatorContext, nodeName: string, rdName: string, volumes: readonly DeviceVolume[]): void {
    const plane = dataPlane(ctx);
    plane.linkResource(nodeName, rdName, volumes);
    recordUndo(() => plane.unlinkResource(nodeName, rdName, volumes));
  },
  /** Removes a node's device links for the given volumes. */
  unlink(ctx: EmulatorContext, nodeName: string, rdName: string, volumes: readonly DeviceVolume[]): void {
    const plane = dataPlane(ctx);
    plane.unlinkResource(nodeName, rdName, volumes);
    recordUndo(() => plane.linkResource(nodeName, rdName, volumes));
  },
};

/** Wraps the non-GET handlers of a route list in withFileUndo. */
export function withFileUndoRoutes(routes: RouteDef[]): RouteDef[] {
  return routes.map((route) =>
    route.method === 'GET'
      ? route
      : { ...route, handler: (req, ctx) => withFileUndo(() => route.handler(req, ctx)) },
  );
}
