/**
 * LINSTOR names of OpenNebula objects, exactly as addon-linstor writes them, so images and VM
 * disks it created keep working after the switch; and the `Aux/one/*` tags every definition gets.
 */

import type { Props } from '@linstor-hv/api';

/** The image of image id `imageId`. */
export function imageName(imageId: number): string {
  return `OpenNebula-Image-${imageId}`;
}

/** A non-persistent VM disk: the VM's own clone of the image. */
export function imageDiskName(source: string, vmId: number, diskId: number): string {
  return `${source}-vm${vmId}-disk${diskId}`;
}

/** A volatile disk (mkimage, mkswap). */
export function volatileDiskName(vmId: number, diskId: number): string {
  return `OpenNebula-Volatile-vm${vmId}-disk${diskId}`;
}

/** A disk or image snapshot (shared by TM and DS actions, as PERSISTENT_SNAPSHOTS needs). */
export function snapshotName(snapshotId: number): string {
  return `OpenNebula-Snap-${snapshotId}`;
}

export const PROP_ONE_IMAGE_ID = 'Aux/one/IMAGE_ID';
export const PROP_ONE_VM_ID = 'Aux/one/VM_ID';
export const PROP_ONE_DISK_ID = 'Aux/one/DISK_ID';
export const PROP_ONE_DS_ID = 'Aux/one/DS_ID';
/** On a `tm restore` staging volume: the disk's resource definition it holds a backup for. */
export const PROP_ONE_RESTORE_OF = 'Aux/one/RESTORE_OF';

/**
 * On a disk's definition, one key per snapshot our snap_create took: the volume's size in bytes
 * when the snapshot was taken (LINSTOR measures no space per snapshot). `tm monitor` reads them
 * from the resource view it fetches anyway and sends them as SNAPSHOT_SIZE; the snapshot deletes
 * remove them. Named like OpenNebula's attribute, as the other `Aux/one/*` tags are.
 */
export const PROP_ONE_SNAPSHOT_SIZE_PREFIX = 'Aux/one/SNAPSHOT_SIZE/';

/** The {@link PROP_ONE_SNAPSHOT_SIZE_PREFIX} key of snapshot `snapshotId`. */
export function snapshotSizeProp(snapshotId: number): string {
  return `${PROP_ONE_SNAPSHOT_SIZE_PREFIX}${snapshotId}`;
}

/** The snapshot id of an `OpenNebula-Snap-<id>` name, or undefined for any other name. */
export function snapshotIdOf(name: string): number | undefined {
  const match = /^OpenNebula-Snap-(\d+)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** The `Aux/one/*` tags of a definition (only the ids that apply). */
export function oneTags(ids: {
  imageId?: number | undefined;
  vmId?: number;
  diskId?: number;
  dsId: number;
}): Props {
  const props: Props = { [PROP_ONE_DS_ID]: String(ids.dsId) };
  if (ids.imageId !== undefined) props[PROP_ONE_IMAGE_ID] = String(ids.imageId);
  if (ids.vmId !== undefined) props[PROP_ONE_VM_ID] = String(ids.vmId);
  if (ids.diskId !== undefined) props[PROP_ONE_DISK_ID] = String(ids.diskId);
  return props;
}
