/** status, check_connection, get_identity. */

import { VolumeError } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import { type StatusFigures, writeStatusCache } from '../status-cache';

/**
 * The group's figures and pool capabilities from core's one capacity path (so an offline node
 * that core leaves out is left out here too), written to the status cache the Perl side reads.
 */
async function refreshStatus(ctx: HandlerContext): Promise<StatusFigures> {
  let capacity: Awaited<ReturnType<typeof ctx.service.capacity>>;
  try {
    capacity = await ctx.service.capacity(ctx.resourceGroup, { signal: ctx.signal });
  } catch (error) {
    if (error instanceof VolumeError && error.kind === 'not-found') {
      throw new VolumeError(
        'not-found',
        `LINSTOR has no resource group '${ctx.resourceGroup}'; create it or fix 'resourcegroup' of storage '${ctx.request.storeid}'`,
        { cause: error },
      );
    }
    throw error;
  }
  const figures: StatusFigures = {
    total: capacity.totalBytes,
    avail: capacity.freeBytes,
    used: capacity.usedBytes,
    capabilities: { snapshots: capacity.snapshots, thin: capacity.provisioning === 'thin' },
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
  await ctx.service.checkController({ signal: ctx.signal });
  const figures = await refreshStatus(ctx);
  return { total: figures.total, avail: figures.avail, used: figures.used };
}

/** `get_identity`: the LINSTOR cluster (its `Cluster/LocalID`) and the resource group. */
export async function getIdentity(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const identity = await ctx.service.identity(ctx.resourceGroup, { signal: ctx.signal });
  return { identity: `linstor:${identity.cluster}:${identity.resourceGroup}` };
}
