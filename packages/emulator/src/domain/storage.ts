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

/** How long measured thin usage is reused (ms). */
export const THIN_USAGE_MAX_AGE_MS = 1000;

/** Measured usage per data directory: KiB per `nodeKey\0poolKey`, and when it was measured. */
const thinUsage = new Map<string, { at: number; kib: Map<string, number> }>();

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
  let cached = thinUsage.get(ctx.dataDir);
  if (!cached || now - cached.at > maxAgeMs) {
    cached = { at: now, kib: measureUsage(ctx) };
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
