/**
 * The parts of a VM document (`onevm show -x`, or the base64 template pre/post/failmigrate get on
 * stdin) the TM actions need: its disks and which LINSTOR resource each one lives on.
 */

import { imageDiskName, volatileDiskName } from './names';
import { checkResourceName, OneProtocolError, parseId, shown } from './protocol';
import { child, childrenNamed, textAt, type XmlElement } from './xml';

/** One `DISK` of a VM template. */
export interface VmDisk {
  readonly diskId: number;
  /** The image SOURCE (undefined for volatile disks). */
  readonly source: string | undefined;
  readonly imageId: number | undefined;
  readonly persistent: boolean;
  /** `CLONE=NO` (e.g. a CDROM): the image itself is used, read-only. */
  readonly cloned: boolean;
  readonly readonly: boolean;
  readonly tmMad: string | undefined;
  readonly datastoreId: number | undefined;
  /** MB */
  readonly sizeMb: number | undefined;
  /** Volatile filesystem type (`DISK/FS`, 6.0+). */
  readonly fs: string | undefined;
  readonly type: string | undefined;
}

/** A VM as the TM actions see it. */
export interface VmView {
  readonly id: number;
  readonly deployId: string | undefined;
  readonly disks: readonly VmDisk[];
}

function yes(value: string | undefined): boolean {
  return /^(yes|1|true)$/i.test(value ?? '');
}

function optionalId(value: string | undefined, what: string): number | undefined {
  return value === undefined ? undefined : parseId(value, what);
}

/** Reads a `<VM>` document. */
export function vmView(vm: XmlElement): VmView {
  if (vm.name !== 'VM') throw new OneProtocolError(`The VM document's root is <${vm.name}>, not <VM>.`);
  const id = parseId(textAt(vm, 'ID'), 'VM ID');
  const disks = childrenNamed(child(vm, 'TEMPLATE'), 'DISK').map((disk): VmDisk => {
    const source = textAt(disk, 'SOURCE');
    const diskId = parseId(textAt(disk, 'DISK_ID'), 'DISK_ID');
    const size = textAt(disk, 'SIZE');
    return {
      diskId,
      source,
      imageId: optionalId(textAt(disk, 'IMAGE_ID'), 'IMAGE_ID'),
      persistent: yes(textAt(disk, 'PERSISTENT')),
      cloned:
        textAt(disk, 'CLONE') === undefined ? !yes(textAt(disk, 'PERSISTENT')) : yes(textAt(disk, 'CLONE')),
      readonly: yes(textAt(disk, 'READONLY')),
      tmMad: textAt(disk, 'TM_MAD'),
      datastoreId: optionalId(textAt(disk, 'DATASTORE_ID'), 'DATASTORE_ID'),
      sizeMb: size === undefined ? undefined : parseId(size, 'disk SIZE'),
      fs: textAt(disk, 'FS'),
      type: textAt(disk, 'TYPE'),
    };
  });
  return { id, deployId: textAt(vm, 'DEPLOY_ID'), disks };
}

/** The disk with this id; refused when the VM has none. */
export function diskOf(vm: VmView, diskId: number): VmDisk {
  const disk = vm.disks.find((d) => d.diskId === diskId);
  if (!disk) throw new OneProtocolError(`VM ${vm.id} has no disk ${diskId}.`);
  return disk;
}

/**
 * The LINSTOR resource of a VM disk, by the rule addon-linstor uses, so existing VMs keep their
 * disks: no SOURCE → the volatile disk; persistent or not cloned (CDROM) → the image itself; else
 * the VM's clone `<SOURCE>-vm<vmid>-disk<diskid>`.
 */
export function diskResource(vmId: number, disk: VmDisk): { name: string; ownedByVm: boolean } {
  if (disk.source === undefined) return { name: volatileDiskName(vmId, disk.diskId), ownedByVm: true };
  const source = checkResourceName(disk.source, `SOURCE of disk ${disk.diskId}`);
  if (disk.persistent || !disk.cloned) return { name: source, ownedByVm: false };
  return { name: imageDiskName(source, vmId, disk.diskId), ownedByVm: true };
}

/** Throws when a disk's FS is not a plain filesystem name. */
export function checkFsType(fs: string): string {
  if (!/^[a-z0-9]{2,16}$/.test(fs))
    throw new OneProtocolError(`The filesystem type '${shown(fs)}' is not a filesystem name.`);
  return fs;
}
