/** `tm resize`: grows the disk's volume to SIZE MB (before `virsh blockresize` on a running VM). */

import type { ActionContext } from '../../context';
import { MIB, vmDiskVolume } from '../../disks';
import type { TmResizeRequest } from '../../requests/tm';

export async function tmResize(ctx: ActionContext, request: TmResizeRequest): Promise<undefined> {
  const { service, name } = await vmDiskVolume(ctx, request.vmId, request.disk.diskId, request.dsId);
  const { changed } = await service.resize(name, { sizeBytes: request.sizeMb * MIB }, ctx.call());
  ctx.log.info(`${name} ${changed ? 'grown' : 'already'} at ${request.sizeMb} MB`);
  return undefined;
}
