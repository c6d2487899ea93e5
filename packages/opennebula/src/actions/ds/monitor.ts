/**
 * `ds monitor` (image datastore) and the capacity part of `tm monitor` (system datastore): the
 * resource group's capacity in MiB by core's model (replicas counted, offline nodes left out),
 * printed as the `USED_MB`/`TOTAL_MB`/`FREE_MB` lines oned parses. Two LINSTOR requests whatever
 * the size of the cluster: the group's placement and the pool view, which also tells which nodes
 * are offline; one (the pool view) when the placement is known from the last ten minutes (a
 * bridge's memory, or the file an earlier one-shot monitor recorded).
 */

import type { GroupPlacement } from '@linstor-hv/core';
import type { ActionContext } from '../../context';
import type { DatastoreSettings } from '../../datastore';
import { MIB } from '../../disks';
import { readPlacementFile, writePlacementFile } from '../../placement-file';
import type { DsMonitorRequest } from '../../requests/ds';

/**
 * The group's placement for a one-shot call: the one an earlier one-shot monitor recorded within
 * ten minutes, else read now and recorded. A bridge keeps placements in memory (undefined here).
 */
async function oneShotPlacement(
  ctx: ActionContext,
  datastore: DatastoreSettings,
): Promise<GroupPlacement | undefined> {
  if (!ctx.oneShot) return undefined;
  const { lockDir } = ctx.config;
  const known = await readPlacementFile(lockDir, datastore.controllers, datastore.resourceGroup);
  if (known) return known;
  const placement = await ctx.service(datastore).placement(datastore.resourceGroup, ctx.call());
  await writePlacementFile(lockDir, datastore.controllers, datastore.resourceGroup, placement);
  return placement;
}

/** The three capacity lines of a datastore. */
export async function capacityLines(ctx: ActionContext, datastore: DatastoreSettings): Promise<string> {
  const placement = await oneShotPlacement(ctx, datastore);
  const capacity = await ctx.service(datastore).capacity(undefined, {
    liveness: 'pool-view',
    ...(placement ? { placement } : {}),
    ...ctx.call(),
  });
  const total = Math.floor(capacity.totalBytes / MIB);
  const free = Math.floor(capacity.freeBytes / MIB);
  if (capacity.offlineNodes.length > 0) {
    const nodes = capacity.offlineNodes.join(', ');
    ctx.log.info(
      `LINSTOR cannot reach node(s) ${nodes}: their storage pools are left out of TOTAL_MB and FREE_MB until they are back online`,
    );
  }
  return `USED_MB=${total - free}\nTOTAL_MB=${total}\nFREE_MB=${free}\n`;
}

export function dsMonitor(ctx: ActionContext, request: DsMonitorRequest): Promise<string> {
  return capacityLines(ctx, request.datastore);
}
