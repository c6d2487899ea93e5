/**
 * `tm mv`: cold migration, stop/undeploy and resume. A disk stays in LINSTOR throughout: it is
 * attached and linked on the new host and detached from the old one; when one side is the
 * front-end (stop/undeploy, resume) only the LINSTOR side is touched, so no image is ever copied
 * to the front-end (addon-linstor issue #19). The VM directory's own files (context ISO) are
 * copied with tar from host to host.
 */

import type { ActionContext } from '../../context';
import { attachAndLink, detachFrom, vmDiskVolume } from '../../disks';
import { copyVmDir, removeVmDir, unlinkDisk } from '../../hosts';
import type { TmMvRequest } from '../../requests/tm';

export async function tmMv(ctx: ActionContext, request: TmMvRequest): Promise<undefined> {
  const { from, to, vmId, dsId } = request;
  if (from.host === to.host && from.path === to.path) return undefined;
  if (from.diskId === undefined || to.diskId === undefined) {
    await copyVmDir(ctx, from.host, from.path, to.host, to.path);
    await removeVmDir(ctx, from.host, from.path);
    return undefined;
  }
  const { service, name } = await vmDiskVolume(ctx, vmId, to.diskId, dsId);
  if (!ctx.isFrontend(to.host)) await attachAndLink(ctx, service, name, to.host, to.path);
  if (!ctx.isFrontend(from.host)) {
    await unlinkDisk(ctx, from.host, from.path);
    if (from.host !== to.host) await detachFrom(ctx, service, name, from.host);
  }
  ctx.log.info(`moved ${name} from ${from.host} to ${to.host}`);
  return undefined;
}
