/** status, check_connection, get_identity. */

import { sameName } from '@linstor-hv/api';
import { computeCapacity, placementOf, VolumeError } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import { type StatusFigures, writeStatusCache } from '../status-cache';

/** Pool kinds that cannot take snapshots (LINSTOR refuses them on thick LVM). */
const NO_SNAPSHOT_KINDS = new Set(['LVM', 'FILE', 'DISKLESS']);
const THIN_KINDS = new Set(['LVM_THIN', 'ZFS_THIN', 'FILE_THIN']);

function matches(name: string | undefined, wanted: readonly string[]): boolean {
  if (wanted.length === 0) return true;
  return name !== undefined && wanted.some((w) => sameName(w, name));
}

/**
 * The group's figures and pool capabilities from two requests (the group, then the cached pool
 * view), using core's capacity model; written to the status cache the Perl side reads.
 */
async function refreshStatus(ctx: HandlerContext): Promise<StatusFigures> {
  const group = await ctx.client.resourceGroups.getOrUndefined(ctx.resourceGroup, { signal: ctx.signal });
  if (!group) {
    throw new VolumeError(
      'not-found',
      `LINSTOR has no resource group '${ctx.resourceGroup}'; create it or fix 'resourcegroup' of storage '${ctx.request.storeid}'`,
    );
  }
  const placement = placementOf(group);
  const pools = await ctx.client.storagePools.list(
    {
      cached: true,
      ...(placement.storagePools.length > 0 ? { storagePools: placement.storagePools } : {}),
    },
    { signal: ctx.signal },
  );
  const capacity = computeCapacity(pools, placement);
  const usable = pools.filter(
    (p) =>
      p.provider_kind !== 'DISKLESS' &&
      matches(p.storage_pool_name, placement.storagePools) &&
      matches(p.node_name, placement.nodes),
  );
  const figures: StatusFigures = {
    total: capacity.totalBytes,
    avail: capacity.freeBytes,
    used: capacity.usedBytes,
    capabilities: {
      snapshots:
        usable.length > 0 &&
        usable.every((p) => p.supports_snapshots ?? !NO_SNAPSHOT_KINDS.has(p.provider_kind)),
      thin: usable.length > 0 && usable.every((p) => THIN_KINDS.has(p.provider_kind)),
    },
    fetchedAt: new Date().toISOString(),
  };
  await writeStatusCache(ctx.request.statusCacheFile, figures);
  return figures;
}

/** `status`: total, free and used bytes of the resource group (and a fresh cache file). */
export async function status(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const figures = await refreshStatus(ctx);
  return { total: figures.total, avail: figures.avail, used: figures.used };
}

/** `check_connection`: a controller answers its health check; the status cache is refreshed on the way. */
export async function checkConnection(ctx: HandlerContext): Promise<Record<string, unknown>> {
  if (!(await ctx.client.health({ signal: ctx.signal }))) {
    throw new VolumeError('linstor', `the LINSTOR controller ${ctx.client.currentController} is not healthy`);
  }
  const figures = await refreshStatus(ctx);
  return { total: figures.total, avail: figures.avail, used: figures.used };
}

/** `get_identity`: the LINSTOR cluster (its `Cluster/LocalID`) and the resource group. */
export async function getIdentity(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const [properties, group] = await Promise.all([
    ctx.client.controller.properties({ signal: ctx.signal }),
    ctx.client.resourceGroups.getOrUndefined(ctx.resourceGroup, { signal: ctx.signal }),
  ]);
  if (!group) throw new VolumeError('not-found', `LINSTOR has no resource group '${ctx.resourceGroup}'`);
  const cluster = properties['Cluster/LocalID'] ?? group.uuid ?? 'unknown';
  return { identity: `linstor:${cluster}:${group.name ?? ctx.resourceGroup}` };
}
