/**
 * VM disk snapshots: `OpenNebula-Snap-<id>` on the disk's own volume (its clone, the persistent
 * image, or a volatile disk), the same names the DS snapshot actions use. `snap_create_live`
 * freezes the guest's filesystems (`virsh domfsfreeze`, which needs the guest agent) around the
 * snapshot and always thaws them again; without an agent the snapshot is crash-consistent. Each
 * snapshot's size is recorded on the disk's definition for `tm monitor` (snapshot-sizes.ts).
 */

import type { ActionContext } from '../../context';
import { vmDiskVolume } from '../../disks';
import { oneTags, snapshotName } from '../../names';
import { OneError } from '../../protocol';
import type { TmSnapshotRequest } from '../../requests/tm';
import { forgetSnapshotSizes, recordSnapshotSize } from '../../snapshot-sizes';

const VIRSH = ['virsh', '-c', 'qemu:///system'];

export async function tmSnapCreate(ctx: ActionContext, request: TmSnapshotRequest): Promise<undefined> {
  const { service, name, disk } = await vmDiskVolume(ctx, request.vmId, request.disk.diskId, request.dsId);
  const taken = await service.createSnapshot(name, snapshotName(request.snapshotId), {
    props: oneTags({ imageId: disk.imageId, vmId: request.vmId, diskId: disk.diskId, dsId: request.dsId }),
    ...ctx.call(),
  });
  await recordSnapshotSize(ctx, service, name, request.snapshotId, taken.sizeBytes);
  ctx.log.info(`snapshot ${request.snapshotId} of ${name}`);
  return undefined;
}

export async function tmSnapCreateLive(ctx: ActionContext, request: TmSnapshotRequest): Promise<undefined> {
  const { vm } = await vmDiskVolume(ctx, request.vmId, request.disk.diskId, request.dsId);
  const host = request.disk.host;
  const domain = vm.deployId ?? `one-${request.vmId}`;
  if (!/^[A-Za-z0-9_.-]+$/.test(domain))
    throw new OneError(`The VM's DEPLOY_ID '${domain}' is not a libvirt domain name.`);
  const executor = ctx.executor(host);
  let frozen = false;
  try {
    await executor.run([...VIRSH, 'domfsfreeze', domain], ctx.runOptions({ timeoutMs: 30_000 }));
    frozen = true;
  } catch (error) {
    ctx.log.info(
      `could not freeze the filesystems of ${domain} (${(error as Error).message}); the snapshot is crash-consistent`,
    );
  }
  try {
    await tmSnapCreate(ctx, request);
  } finally {
    if (frozen) await executor.run([...VIRSH, 'domfsthaw', domain], ctx.runOptions({ timeoutMs: 30_000 }));
  }
  return undefined;
}

export async function tmSnapDelete(ctx: ActionContext, request: TmSnapshotRequest): Promise<undefined> {
  const { service, name } = await vmDiskVolume(ctx, request.vmId, request.disk.diskId, request.dsId);
  await service.deleteSnapshot(name, snapshotName(request.snapshotId), ctx.call());
  await forgetSnapshotSizes(ctx, service, name, [snapshotName(request.snapshotId)]);
  return undefined;
}

/** Reverts to any snapshot (an older one by restore and copy; LINSTOR rolls back only to the newest). */
export async function tmSnapRevert(ctx: ActionContext, request: TmSnapshotRequest): Promise<undefined> {
  const { service, name } = await vmDiskVolume(ctx, request.vmId, request.disk.diskId, request.dsId);
  const { method } = await service.rollback(name, snapshotName(request.snapshotId), {
    allowCopy: true,
    ...ctx.call(),
  });
  ctx.log.info(`reverted ${name} to snapshot ${request.snapshotId} (${method})`);
  return undefined;
}
