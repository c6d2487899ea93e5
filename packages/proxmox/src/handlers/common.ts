/** What several handlers share: Proxmox-specific properties, names of new volumes, error tests. */

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { PROP_PM_VMID, type Props } from '@linstor-hv/api';
import { VolumeError } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import { coreName, pmVolname, type VolumeName } from '../volname';

/**
 * The full PVE volume name of a template or linked clone (its resource name cannot say it). Outside
 * `Aux/linstor-hv/`, which core keeps for its ownership tags.
 */
export const PROP_PVE_VOLNAME = 'Aux/pve/volname';

/**
 * The smallest volume: PVE allocates EFI vars disks of ~528 KiB and TPM state of 4 MiB; vma restores
 * tolerate a disk larger than the original, and 3 MiB is the size linstor-proxmox settled on.
 */
export const MIN_VOLUME_KIB = 3 * 1024;

/** A PVE handler: the request's context in, the reply's `result` out. */
export type Handler = (ctx: HandlerContext) => Promise<Record<string, unknown>>;

/** A fresh linstor-proxmox style resource name, `pm-<8 hex>`. */
export function newPmResource(): string {
  return `pm-${randomBytes(4).toString('hex')}`;
}

/** Tries of a random name before giving up; a collision among 2^32 names is rare, twenty in a row is broken. */
const NAME_TRIES = 20;

/**
 * Creates something under a fresh `pm-<8 hex>` name, trying another name when LINSTOR already has
 * one of that name. Returns the resource name used.
 */
export async function withNewPmName(
  make: (resource: string) => Promise<{ existed: boolean }>,
): Promise<string> {
  for (let i = 0; i < NAME_TRIES; i++) {
    const resource = newPmResource();
    try {
      const result = await make(resource);
      if (!result.existed) return resource;
    } catch (error) {
      if (!(error instanceof VolumeError && error.kind === 'already-exists')) throw error;
    }
  }
  throw new VolumeError(
    'already-exists',
    `no free volume name found after ${NAME_TRIES} random names; LINSTOR refused each one as taken`,
  );
}

/** Properties of a new volume: the owner linstor-proxmox reads, and the full PVE name when needed. */
export function volumeProps(vmid: number, volname?: string): Props {
  const props: Props = { [PROP_PM_VMID]: String(vmid) };
  if (volname?.includes('/') || volname?.startsWith('base-')) props[PROP_PVE_VOLNAME] = volname;
  return props;
}

/** The PVE name of a new linstor-proxmox style volume, with its template prefix for linked clones. */
export function newVolname(resource: string, vmid: number, basename?: string): string {
  const own = pmVolname(resource, vmid);
  return basename === undefined ? own : `${basename}/${own}`;
}

/** True when no LINSTOR controller could be reached (as opposed to a controller refusing). */
export function isControllerUnreachable(error: unknown): boolean {
  return error instanceof VolumeError && error.kind === 'unavailable';
}

/** The words of the failure behind a core error (its cause's message), for a message of our own. */
export function causeText(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? cause.message : String(cause);
  return `${text.replace(/\.$/, '')}.`;
}

/** The local device of a volume (core's by-res path on this node), when it exists. */
export function existingLocalDevice(ctx: HandlerContext, volume: VolumeName): string | undefined {
  const path = ctx.service.devicePath(coreName(volume), ctx.node);
  return existsSync(path) ? path : undefined;
}

/** Checks that the owner in a volume name matches the VM id PVE passed. */
export function requireOwner(volume: VolumeName, vmid: number): void {
  if (volume.vmid !== vmid) {
    throw new VolumeError('invalid-argument', `illegal name '${volume.volname}' - should be 'vm-${vmid}-*'`);
  }
}
