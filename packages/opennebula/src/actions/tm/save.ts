/**
 * `tm mvds` (a persistent disk returns to its image at the end of the VM's life) and `tm cpds`
 * (disk-saveas into the image `ds mkfs save_as` named, from the current data or from snapshot
 * `snap_id`, which addon-linstor ignored).
 */

import type { ActionContext } from '../../context';
import { detachFrom, vmDiskVolume } from '../../disks';
import { unlinkDisk } from '../../hosts';
import { oneTags, snapshotName } from '../../names';
import type { TmSaveRequest } from '../../requests/tm';

export async function tmMvds(ctx: ActionContext, request: TmSaveRequest): Promise<undefined> {
  const { disk, target } = request;
  const datastore = await ctx.onedatastore(request.dsId);
  const service = ctx.service(datastore);
  await unlinkDisk(ctx, disk.host, disk.path);
  if (!ctx.isFrontend(disk.host)) await detachFrom(ctx, service, target, disk.host);
  ctx.log.info(`${target} released from ${disk.host}`);
  return undefined;
}

export async function tmCpds(ctx: ActionContext, request: TmSaveRequest): Promise<undefined> {
  const { disk, target, snapshotId, vmId, dsId } = request;
  const [source, datastore] = await Promise.all([
    vmDiskVolume(ctx, vmId, disk.diskId, dsId),
    ctx.onedatastore(dsId),
  ]);
  const imageId = /^OpenNebula-Image-(\d+)$/.exec(target)?.[1];
  const result = await source.service.clone(
    {
      source: source.name,
      ...(snapshotId >= 0 ? { snapshot: snapshotName(snapshotId) } : {}),
      name: target,
      resourceGroup: datastore.resourceGroup,
      props: oneTags({ imageId: imageId === undefined ? undefined : Number(imageId), dsId }),
    },
    ctx.call(),
  );
  ctx.log.info(
    `${result.existed ? 'found' : 'saved'} ${source.name}${snapshotId >= 0 ? ` snapshot ${snapshotId}` : ''} as ${target}`,
  );
  return undefined;
}
