/**
 * Image snapshots (`ds snap_delete`, `snap_revert`, `snap_flatten`) of persistent images. They
 * share the `OpenNebula-Snap-<id>` names with the TM actions, as PERSISTENT_SNAPSHOTS needs.
 */

import type { ActionContext } from '../../context';
import { snapshotName } from '../../names';
import { OneError } from '../../protocol';
import type { DsSnapshotRequest } from '../../requests/ds';
import { forgetSnapshotSizes } from '../../snapshot-sizes';

export async function dsSnapDelete(ctx: ActionContext, request: DsSnapshotRequest): Promise<undefined> {
  const service = ctx.service(request.datastore);
  const { existed } = await service.deleteSnapshot(
    request.source,
    snapshotName(request.snapshotId),
    ctx.call(),
  );
  await forgetSnapshotSizes(ctx, service, request.source, [snapshotName(request.snapshotId)]);
  ctx.log.info(
    `${existed ? 'deleted' : 'already gone:'} snapshot ${request.snapshotId} of ${request.source}`,
  );
  return undefined;
}

/** Reverts to any snapshot: LINSTOR's rollback for the newest, restore and copy for an older one. */
export async function dsSnapRevert(ctx: ActionContext, request: DsSnapshotRequest): Promise<undefined> {
  const { method } = await ctx
    .service(request.datastore)
    .rollback(request.source, snapshotName(request.snapshotId), { allowCopy: true, ...ctx.call() });
  ctx.log.info(`reverted ${request.source} to snapshot ${request.snapshotId} (${method})`);
  return undefined;
}

/**
 * Leaves the image with the chosen snapshot's data and no snapshots. The data is put in place
 * first (a rollback, by copy for an older snapshot) and only then are the snapshots deleted, so a
 * failure at any point loses nothing and a repeat finishes the job (addon-linstor deleted the
 * image before copying the snapshot back).
 */
export async function dsSnapFlatten(ctx: ActionContext, request: DsSnapshotRequest): Promise<undefined> {
  const service = ctx.service(request.datastore);
  const target = snapshotName(request.snapshotId);
  const snapshots = await service.listSnapshots(request.source, ctx.call());
  if (snapshots.some((s) => s.snapshotName === target || s.name === target)) {
    await service.rollback(request.source, target, { allowCopy: true, ...ctx.call() });
  } else if (snapshots.length > 0) {
    throw new OneError(
      `${request.source} has no snapshot ${request.snapshotId} to flatten to; its snapshots are ${snapshots.map((s) => s.name).join(', ')}.`,
    );
  }
  for (const snapshot of snapshots) await service.deleteSnapshot(request.source, snapshot.name, ctx.call());
  await forgetSnapshotSizes(ctx, service, request.source, [
    ...snapshots.map((s) => s.name),
    ...snapshots.map((s) => s.snapshotName),
  ]);
  ctx.log.info(`flattened ${request.source} to snapshot ${request.snapshotId}`);
  return undefined;
}
