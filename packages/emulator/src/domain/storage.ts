/**
 * The domain's access to E3's data plane (dataplane/data-plane.ts): one DataPlane per data
 * directory, and the thin-pool usage figure the capacity code needs. Thin usage sums the real
 * allocated sizes of the pool's volumes; it is cached for a short time, as the controller caches
 * the free space its satellites report, so that placing thousands of volumes stays cheap.
 */
import { nameKey } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { DataPlane } from '../dataplane/data-plane';
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

/** How long a thin pool's measured usage is reused (ms). */
export const THIN_USAGE_MAX_AGE_MS = 1000;

const thinUsage = new Map<string, { at: number; kib: number }>();

/**
 * KiB really allocated by the volumes placed in a pool on a node (a measured sum over the data
 * files; reused for up to `maxAgeMs`, 0 forces a fresh measurement).
 */
export function poolAllocatedKib(
  ctx: EmulatorContext,
  nodeName: string,
  poolName: string,
  maxAgeMs = THIN_USAGE_MAX_AGE_MS,
): number {
  const cacheKey = `${ctx.dataDir}\u0000${nameKey(nodeName)}\u0000${nameKey(poolName)}`;
  const now = Date.now();
  const cached = thinUsage.get(cacheKey);
  if (cached && now - cached.at <= maxAgeMs) return cached.kib;
  const plane = dataPlane(ctx);
  const poolKey = nameKey(poolName);
  let kib = 0;
  for (const rdKey of rdKeysOfNode(ctx, nodeName)) {
    const rsc = ctx.store.get<RscRec>('resources', [rdKey, nameKey(nodeName)]);
    if (!rsc || rsc.flags.includes('DISKLESS')) continue;
    for (const v of rsc.volumes) {
      if (nameKey(v.poolName) === poolKey) kib += plane.allocatedKib(rsc.rdName, v.volumeNumber);
    }
  }
  thinUsage.set(cacheKey, { at: now, kib });
  return kib;
}

/** Forgets measured thin usage (after writes the caller wants to see at once, or a reset). */
export function forgetThinUsage(): void {
  thinUsage.clear();
}

/** The name keys of the resource definitions deployed on a node (via the rscByNode index). */
export function rdKeysOfNode(ctx: EmulatorContext, nodeName: string): string[] {
  return ctx.store.list<{ rdKey: string }>('rscByNode', [nameKey(nodeName)]).map((r) => r.rdKey);
}
