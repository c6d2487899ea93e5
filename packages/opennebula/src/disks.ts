/**
 * Steps several actions share: attach and detach of a resource on a host (serialised per host and
 * resource), choosing the host that imports data, and undoing a creation after a failed step.
 */

import {
  type AttachResult,
  type CloneRequest,
  type CreateResult,
  type DetachResult,
  VolumeError,
  type VolumeService,
} from '@linstor-hv/core';
import type { ActionContext } from './context';
import type { DatastoreSettings } from './datastore';
import { linkDisk } from './hosts';
import { diskOf, diskResource, type VmDisk, type VmView } from './vm';

export const MIB = 1024 * 1024;

/** Attaches `resource` on `host` (its LINSTOR node), serialised with other attach/detach of the pair. */
export function attachOn(
  ctx: ActionContext,
  service: VolumeService,
  resource: string,
  host: string,
): Promise<AttachResult> {
  const node = ctx.nodeOf(host);
  return ctx.locked(host, resource, () => service.attach(resource, node, ctx.call()));
}

/** Removes this owner's diskless attachment of `resource` on `host` (replicas stay). */
export function detachFrom(
  ctx: ActionContext,
  service: VolumeService,
  resource: string,
  host: string,
): Promise<DetachResult> {
  const node = ctx.nodeOf(host);
  return ctx.locked(host, resource, () => service.detach(resource, node, ctx.call()));
}

/** Attaches on the host and links `<vmdir>/disk.<n>` to the device. */
export async function attachAndLink(
  ctx: ActionContext,
  service: VolumeService,
  resource: string,
  host: string,
  path: string,
): Promise<AttachResult> {
  const attached = await attachOn(ctx, service, resource, host);
  await linkDisk(ctx, host, attached.devicePath, path);
  return attached;
}

/**
 * The host that imports data into a new volume: a diskful node of it that is in BRIDGE_LIST when
 * there is one (the operator's choice of hosts the front-end may stream to), else its first one.
 */
export function importHost(ctx: ActionContext, datastore: DatastoreSettings, created: CreateResult): string {
  const hosts = created.diskfulNodes.map((node) => ctx.hostOf(node));
  return hosts.find((h) => datastore.bridgeList.includes(h)) ?? hosts[0] ?? datastore.bridgeList[0] ?? '';
}

/** The node BRIDGE_LIST suggests for a new image (spread by image id), when the datastore lists hosts. */
export function preferredImportNode(
  ctx: ActionContext,
  datastore: DatastoreSettings,
  imageId: number,
): string | undefined {
  if (datastore.bridgeList.length === 0) return undefined;
  return ctx.nodeOf(datastore.bridgeList[imageId % datastore.bridgeList.length]!);
}

/**
 * Runs `work` on a volume just created; when it fails, deletes the volume again (unless it existed
 * before this call) and rethrows the original failure, with a note if the cleanup failed too.
 */
export async function undoCreateOnFailure<T>(
  ctx: ActionContext,
  service: VolumeService,
  created: { name: string; existed: boolean },
  work: () => Promise<T>,
  options: { alwaysDelete?: boolean } = {},
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!created.existed || options.alwaysDelete) {
      try {
        // The undo gets a budget of its own: the call's signal may be what failed the work.
        await service.delete(created.name, ctx.undoCall());
        ctx.log.info(`removed ${created.name} after the failure`);
      } catch (cleanup) {
        if (error instanceof Error) {
          error.message += ` Removing ${created.name} failed too (${(cleanup as Error).message}); delete it with linstor resource-definition delete ${created.name}.`;
        }
      }
    }
    throw error;
  }
}

/**
 * Clones, and treats an existing volume of that name as the result of an earlier attempt when it
 * is ours and carries the same `Aux/one/*` tags: a clone grown to the disk's size after an earlier
 * run differs in size from a fresh clone, which core's clone reports as a name collision.
 */
export async function cloneOrFind(
  ctx: ActionContext,
  service: VolumeService,
  request: CloneRequest,
): Promise<CreateResult> {
  try {
    return await service.clone(request, ctx.call());
  } catch (error) {
    if (!(error instanceof VolumeError) || error.kind !== 'already-exists') throw error;
    const info = await service.info(request.name, ctx.call());
    const same = Object.entries(request.props ?? {}).every(([key, value]) => info.props[key] === value);
    if (!info.owned || !same) throw error;
    return {
      name: request.name,
      resourceName: info.resourceName,
      sizeBytes: info.sizeBytes,
      diskfulNodes: info.replicas.filter((r) => r.diskful).map((r) => r.node),
      existed: true,
      warnings: [],
    };
  }
}

/** The volume behind a VM disk: its datastore's service, the resource name, and whether the VM owns it. */
export async function vmDiskVolume(
  ctx: ActionContext,
  vmId: number,
  diskId: number,
  dsId: number,
): Promise<{ service: VolumeService; name: string; ownedByVm: boolean; disk: VmDisk; vm: VmView }> {
  const [datastore, vm] = await Promise.all([ctx.onedatastore(dsId), ctx.onevm(vmId)]);
  const disk = diskOf(vm, diskId);
  const { name, ownedByVm } = diskResource(vmId, disk);
  return { service: ctx.service(datastore), name, ownedByVm, disk, vm };
}
