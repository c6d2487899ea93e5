/**
 * `tm mkimage` and `tm mkswap`: a volatile disk `OpenNebula-Volatile-vm<vmid>-disk<diskid>` in the
 * system datastore's resource group, with a filesystem when the disk has FS (6.x; addon-linstor
 * never created it), a swap signature, or a qcow2 header; attached on the host and linked.
 */

import type { ActionContext } from '../../context';
import { attachAndLink, MIB, undoCreateOnFailure } from '../../disks';
import { oneTags, volatileDiskName } from '../../names';
import type { TmVolatileRequest } from '../../requests/tm';
import { checkFsType } from '../../vm';
import { formatDevice } from '../ds/mkfs';

export async function tmMkimage(ctx: ActionContext, request: TmVolatileRequest): Promise<undefined> {
  const { target, vmId, dsId } = request;
  const node = ctx.nodeOf(target.host);
  const [datastore, vm] = await Promise.all([ctx.onedatastore(dsId), ctx.onevm(vmId)]);
  const fsValue = vm.disks.find((d) => d.diskId === target.diskId)?.fs;
  const fs = fsValue === undefined ? undefined : checkFsType(fsValue);
  const service = ctx.service(datastore);
  const name = volatileDiskName(vmId, target.diskId);
  const created = await service.create(
    {
      name,
      sizeBytes: request.sizeMb * MIB,
      preferredNode: node,
      props: oneTags({ vmId, diskId: target.diskId, dsId }),
    },
    ctx.call(),
  );
  await undoCreateOnFailure(ctx, service, created, async () => {
    const attached = await attachAndLink(ctx, service, name, target.host, target.path);
    if (!created.existed && (request.format !== 'raw' || fs !== undefined)) {
      await formatDevice(ctx, target.host, attached.devicePath, request.format, request.sizeMb, fs);
    }
  });
  ctx.log.info(
    `volatile disk ${name} (${request.sizeMb} MB, ${request.format}${fs ? `, ${fs}` : ''}) linked on ${target.host}`,
  );
  return undefined;
}
