/**
 * The `Aux/one/SNAPSHOT_SIZE/<id>` records on a disk's definition (see names.ts), written when our
 * snapshot actions take a snapshot and removed when they delete one, so `tm monitor` can send
 * SNAPSHOT_SIZE without reading the snapshot view.
 */

import { VolumeNotFoundError, type VolumeService } from '@linstor-hv/core';
import type { ActionContext } from './context';
import { snapshotIdOf, snapshotSizeProp } from './names';

/**
 * Records the size of snapshot `snapshotId` of `volume` (one read and one change of the
 * definition). A failure is logged, not thrown: the snapshot exists, only its size goes unreported.
 */
export async function recordSnapshotSize(
  ctx: ActionContext,
  service: VolumeService,
  volume: string,
  snapshotId: number,
  sizeBytes: number | undefined,
): Promise<void> {
  if (sizeBytes === undefined) return;
  try {
    await service.updateProps(
      volume,
      { set: { [snapshotSizeProp(snapshotId)]: String(sizeBytes) } },
      ctx.call(),
    );
  } catch (error) {
    ctx.log.info(
      `the size of snapshot ${snapshotId} of ${volume} was not recorded (${(error as Error).message}); tm monitor will not report it`,
    );
  }
}

/**
 * Removes the size records of the snapshots named `snapshotNames` (`OpenNebula-Snap-<id>`; other
 * names have none) from `volume`, in one read and one change; a volume already gone has none.
 */
export async function forgetSnapshotSizes(
  ctx: ActionContext,
  service: VolumeService,
  volume: string,
  snapshotNames: readonly string[],
): Promise<void> {
  const keys = [
    ...new Set(
      snapshotNames.flatMap((name) => {
        const id = snapshotIdOf(name);
        return id === undefined ? [] : [snapshotSizeProp(id)];
      }),
    ),
  ];
  if (keys.length === 0) return;
  try {
    await service.updateProps(volume, { remove: keys }, ctx.call());
  } catch (error) {
    if (error instanceof VolumeNotFoundError) return;
    throw error;
  }
}
