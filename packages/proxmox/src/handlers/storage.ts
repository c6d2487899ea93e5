/** status, check_connection, get_identity. */

import { VolumeError } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import {
  type KnownPlacement,
  readKnownPlacement,
  type StatusFigures,
  writeStatusCache,
} from '../status-cache';

/**
 * The group's figures and pool capabilities from core's one capacity path (so an offline node
 * that core leaves out is left out here too), written to the status cache the Perl side reads. A
 * one-shot process takes the group's placement from that file when an earlier one read it
 * recently (see {@link readKnownPlacement}), and otherwise records the placement it read; the
 * bridge keeps its placement in memory and records none.
 */
async function refreshStatus(ctx: HandlerContext): Promise<StatusFigures> {
  const file = ctx.request.statusCacheFile;
  const oneShot = !ctx.statusMemory;
  const known = oneShot ? readKnownPlacement(file) : undefined;
  let capacity: Awaited<ReturnType<typeof ctx.service.capacity>>;
  let placement: KnownPlacement | undefined = known;
  try {
    capacity = await ctx.service.capacity(ctx.resourceGroup, {
      signal: ctx.signal,
      ...(known ? { placement: known } : {}),
    });
    if (oneShot && !known) {
      // Read for the capacity just now: the service's cache answers without a request.
      const read = await ctx.service.placement(ctx.resourceGroup, { signal: ctx.signal });
      placement = {
        replicas: read.replicas,
        storagePools: [...read.storagePools],
        nodes: [...read.nodes],
        readAt: new Date().toISOString(),
      };
    }
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
    ...(placement ? { placement } : {}),
  };
  await writeStatusCache(file, figures);
  return figures;
}

/** Seconds status figures may be reused (`statuscache`, linstor-proxmox's default 60). */
const DEFAULT_STATUS_CACHE_SECONDS = 60;

function statusMaxAgeMs(ctx: HandlerContext): number {
  const seconds = Number(ctx.request.scfg.statuscache ?? DEFAULT_STATUS_CACHE_SECONDS);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_STATUS_CACHE_SECONDS) * 1000;
}

/**
 * The figures to answer with. A one-shot process reads them (the Perl side read its file first). A
 * bridge answers from its memory while the figures are younger than `statuscache`, else reads them
 * (`check` first asks a controller's health); when that fails it answers with the last figures it
 * has and a warning, as the Perl side does with its file: the volumes keep working.
 */
async function currentStatus(
  ctx: HandlerContext,
  check: boolean,
): Promise<{ figures: StatusFigures; warnings?: string[] }> {
  const memory = ctx.statusMemory;
  const read = async () => {
    if (check) await ctx.service.checkController({ signal: ctx.signal });
    return refreshStatus(ctx);
  };
  if (!memory) return { figures: await read() };
  const key = ctx.request.statusCacheFile;
  const fresh = memory.fresh(key, statusMaxAgeMs(ctx));
  if (fresh) return { figures: fresh };
  try {
    return { figures: await memory.refresh(key, read) };
  } catch (error) {
    const last = memory.last(key);
    if (!last) throw error;
    const why = error instanceof Error ? error.message : String(error);
    const age = Math.floor(last.ageMs / 1000);
    // The Perl module's words for the same fallback to its file.
    const warning = check
      ? `LINSTOR controller unreachable, using figures from ${age} s ago: ${why}`
      : `showing status from ${age} s ago, refresh failed: ${why}`;
    return { figures: last.figures, warnings: [`storage '${ctx.request.storeid}': ${warning}`] };
  }
}

function reply(status: { figures: StatusFigures; warnings?: string[] }): Record<string, unknown> {
  const { total, avail, used } = status.figures;
  return { total, avail, used, ...(status.warnings ? { warnings: status.warnings } : {}) };
}

/** `status`: total, free and used bytes of the resource group (and a fresh cache file when read). */
export async function status(ctx: HandlerContext): Promise<Record<string, unknown>> {
  return reply(await currentStatus(ctx, false));
}

/**
 * `check_connection`: a controller answers its health check; the status cache is refreshed on the
 * way. A bridge whose figures are younger than `statuscache` says yes at once (they prove a
 * controller answered recently, the rule the Perl side applies to its file).
 */
export async function checkConnection(ctx: HandlerContext): Promise<Record<string, unknown>> {
  return reply(await currentStatus(ctx, true));
}

/** `get_identity`: the LINSTOR cluster (its `Cluster/LocalID`) and the resource group. */
export async function getIdentity(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const identity = await ctx.service.identity(ctx.resourceGroup, { signal: ctx.signal });
  return { identity: `linstor:${identity.cluster}:${identity.resourceGroup}` };
}
