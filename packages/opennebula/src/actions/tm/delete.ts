/**
 * `tm delete`: a disk's link is removed, its diskless attachment on the host detached, and the
 * volume deleted when it belongs to the VM (its clone, a volatile disk); a persistent image or a
 * CDROM stays. For the VM directory, the directory goes. Everything already gone counts as done.
 */

import type { ActionContext } from '../../context';
import { detachFrom } from '../../disks';
import { removeVmDir, unlinkDisk } from '../../hosts';
import type { TmDeleteRequest } from '../../requests/tm';
import { diskOf, diskResource } from '../../vm';

export async function tmDelete(ctx: ActionContext, request: TmDeleteRequest): Promise<undefined> {
  const { target, vmId, dsId } = request;
  if (target.diskId === undefined) {
    await removeVmDir(ctx, target.host, target.path);
    return undefined;
  }
  const [datastore, vm] = await Promise.all([ctx.onedatastore(dsId), ctx.onevm(vmId)]);
  const { name, ownedByVm } = diskResource(vmId, diskOf(vm, target.diskId));
  const service = ctx.service(datastore);
  await unlinkDisk(ctx, target.host, target.path);
  if (!ctx.isFrontend(target.host)) await detachFrom(ctx, service, name, target.host);
  if (ownedByVm) {
    const { existed } = await service.delete(name, ctx.call());
    ctx.log.info(existed ? `deleted ${name}` : `${name} was already gone`);
  }
  return undefined;
}
