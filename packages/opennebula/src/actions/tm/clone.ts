/**
 * `tm clone`: the VM's own copy `<SOURCE>-vm<vmid>-disk<diskid>` of a non-persistent image, in the
 * image datastore's resource group (CLONE_TARGET=SELF), grown to the disk's SIZE, attached on the
 * host and linked as `<vmdir>/disk.<n>`. A repeat finds its clone and only re-links.
 */

import type { ActionContext } from '../../context';
import { attachAndLink, cloneOrFind, MIB, undoCreateOnFailure } from '../../disks';
import { imageDiskName, oneTags } from '../../names';
import type { TmImageDiskRequest } from '../../requests/tm';
import { diskOf } from '../../vm';

export async function tmClone(ctx: ActionContext, request: TmImageDiskRequest): Promise<undefined> {
  const { source, target, vmId, dsId } = request;
  ctx.nodeOf(target.host); // an unmapped host is refused before anything is created
  const [datastore, vm] = await Promise.all([ctx.onedatastore(dsId), ctx.onevm(vmId)]);
  const disk = diskOf(vm, target.diskId);
  const service = ctx.service(datastore);
  const name = imageDiskName(source, vmId, target.diskId);
  const cloned = await cloneOrFind(ctx, service, {
    source,
    name,
    resourceGroup: datastore.resourceGroup,
    props: oneTags({ imageId: disk.imageId, vmId, diskId: target.diskId, dsId }),
  });
  await undoCreateOnFailure(ctx, service, cloned, async () => {
    if (disk.sizeMb !== undefined && disk.sizeMb * MIB > cloned.sizeBytes) {
      await service.resize(name, { sizeBytes: disk.sizeMb * MIB }, ctx.call());
    }
    await attachAndLink(ctx, service, name, target.host, target.path);
  });
  ctx.log.info(`${cloned.existed ? 'found' : 'cloned'} ${name} for VM ${vmId}, linked on ${target.host}`);
  return undefined;
}
