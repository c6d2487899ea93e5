/**
 * PVE volume names of a `drbd:` storage and the LINSTOR resources behind them. The Perl plugin
 * computes the same mapping (it must find the device path without asking anyone); both follow
 * these rules:
 *
 * - `pm-<8 hex>_<vmid>`: linstor-proxmox's scheme; the resource is `pm-<8 hex>`, the owner is kept
 *   in `Aux/pm/vmid`.
 * - `vm-<vmid>-<name>`: the resource is the volume name when LINSTOR accepts it, otherwise core's
 *   deterministic short form (readable prefix + hash).
 * - `base-<vmid>-<name>` and `base-pm-<8 hex>_<vmid>`: a template. LINSTOR cannot rename, so a
 *   template keeps the resource of the disk it was made from (`vm-<vmid>-<name>` / `pm-<8 hex>`).
 * - `<template>/<volume>`: a linked clone of `<template>`; the resource is that of `<volume>`.
 */

import { resourceNameFor } from '@linstor-hv/core';
import { ProtocolError } from './protocol';

/** A parsed volume name. */
export interface VolumeName {
  /** The full PVE volume name (with the template part of a linked clone). */
  readonly volname: string;
  /** The volume's own name (without the template part). */
  readonly name: string;
  /** The LINSTOR resource definition. */
  readonly resource: string;
  /** The guest that owns the volume. */
  readonly vmid: number;
  readonly isBase: boolean;
  /** The template a linked clone was made from, and its owner. */
  readonly basename?: string;
  readonly basevmid?: number;
}

/** PVE's VM ids: 100 to 999999999. */
const VMID = '[1-9][0-9]{2,8}';
const NAME_TAIL = '[A-Za-z0-9][A-Za-z0-9_.+-]{0,119}';
const PM_NAME = new RegExp(`^(pm-[0-9a-f]{8})_(${VMID})$`);
const PM_BASE_NAME = new RegExp(`^base-(pm-[0-9a-f]{8})_(${VMID})$`);
const BASE_NAME = new RegExp(`^base-(${VMID})-(${NAME_TAIL})$`);
const VM_NAME = new RegExp(`^vm-(${VMID})-(${NAME_TAIL})$`);
const SNAPSHOT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Thrown for names that are not volumes of this storage. */
export class VolumeNameError extends ProtocolError {
  override name = 'VolumeNameError';
}

interface OwnName {
  resource: string;
  vmid: number;
  isBase: boolean;
}

function parseOwnName(name: string): OwnName | undefined {
  let m = PM_NAME.exec(name);
  if (m) return { resource: m[1]!, vmid: Number(m[2]), isBase: false };
  m = PM_BASE_NAME.exec(name);
  if (m) return { resource: m[1]!, vmid: Number(m[2]), isBase: true };
  m = BASE_NAME.exec(name);
  if (m) return { resource: resourceNameFor(`vm-${m[1]}-${m[2]}`), vmid: Number(m[1]), isBase: true };
  m = VM_NAME.exec(name);
  if (m) return { resource: resourceNameFor(name), vmid: Number(m[1]), isBase: false };
  return undefined;
}

/** Parses a PVE volume name of this storage; throws with the reason a user can act on. */
export function parseVolname(volname: string): VolumeName {
  const m = /^(?:([^/]+)\/)?([^/]+)$/.exec(volname);
  const own = m ? parseOwnName(m[2]!) : undefined;
  if (!m || !own) {
    throw new VolumeNameError(
      `invalid volume name '${volname}': expected 'vm-<vmid>-<name>', 'base-<vmid>-<name>' or 'pm-<8 hex digits>_<vmid>'`,
    );
  }
  const name = m[2]!;
  const baseName = m[1];
  if (baseName === undefined) return { volname, name, ...own };
  const base = parseOwnName(baseName);
  if (!base?.isBase || own.isBase) {
    throw new VolumeNameError(`invalid volume name '${volname}': '${baseName}' is not a template volume`);
  }
  return { volname, name, ...own, basename: baseName, basevmid: base.vmid };
}

/** Checks a PVE snapshot name (PVE allows letters, digits, '_' and '-', starting with a letter). */
export function checkSnapshotName(snapname: string): string {
  if (!SNAPSHOT_NAME.test(snapname)) throw new VolumeNameError(`invalid snapshot name '${snapname}'`);
  return snapname;
}

/**
 * The temporary resource a snapshot is made readable through (`snap_<resource>_<snapshot>`, the
 * name linstor-proxmox used, mapped when it is longer than LINSTOR allows).
 */
export function snapshotResourceName(resource: string, snapname: string): string {
  return resourceNameFor(`snap_${resource}_${snapname}`);
}

/** The template name of a volume (`vm-100-disk-0` → `base-100-disk-0`, `pm-x_100` → `base-pm-x_100`). */
export function baseNameOf(volume: VolumeName): string {
  if (volume.name.startsWith('pm-')) return `base-${volume.name}`;
  return volume.name.replace(/^vm-/, 'base-');
}

/** The PVE volume name of a linstor-proxmox style resource `pm-<8 hex>` owned by `vmid`. */
export function pmVolname(resource: string, vmid: number): string {
  return `${resource}_${vmid}`;
}

/**
 * The name core knows a volume by: the name whose LINSTOR mapping is the volume's resource
 * (`pm-<8 hex>` for linstor-proxmox names, `vm-<vmid>-<name>` for templates made from such a disk).
 */
export function coreName(volume: VolumeName): string {
  const own = volume.name;
  if (/^(base-)?pm-[0-9a-f]{8}_/.test(own)) return volume.resource;
  return own.replace(/^base-/, 'vm-');
}

/**
 * Core's name for the LINSTOR snapshot behind PVE snapshot `snapname`: `snap_<resource>_<snap>`,
 * the name linstor-proxmox gave its snapshots, so snapshots it took keep working. The temporary
 * volume a snapshot is read through has the same name.
 */
export function snapshotCoreName(resource: string, snapname: string): string {
  return `snap_${resource}_${snapname}`;
}

/** The PVE snapshot name of a core snapshot name of `resource`, or undefined for other snapshots. */
export function pveSnapshotName(resource: string, snapshot: string): string | undefined {
  const prefix = `snap_${resource}_`;
  if (
    snapshot.length <= prefix.length ||
    snapshot.slice(0, prefix.length).toUpperCase() !== prefix.toUpperCase()
  ) {
    return undefined;
  }
  const name = snapshot.slice(prefix.length);
  return SNAPSHOT_NAME.test(name) ? name : undefined;
}

/** The snapshot a template's linked clones are made from. */
export function baseSnapshotName(resource: string): string {
  return `base_${resource}`;
}
