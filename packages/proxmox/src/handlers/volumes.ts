/** alloc_image, free_image, list_images, volume_resize, volume_size_info, rename_volume. */

import { PROP_EXACT_SIZE, PROP_PM_VMID, type Props, sameName } from '@linstor-hv/api';
import { defaultAttemptId, VolumeError, type VolumeSummary } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import { integerArg, optionalIntegerArg, optionalStringArg, stringArg } from '../protocol';
import { coreName, parseVolname, pmVolname, type VolumeName } from '../volname';
import { MIN_VOLUME_KIB, PROP_PVE_VOLNAME, requireOwner, volumeProps, withNewPmName } from './common';

/** Creates one volume for a PVE name on behalf of `alloc_image`/`volume_import`. */
export async function createForPve(
  ctx: HandlerContext,
  name: string,
  sizeKib: number,
  props: Props,
): Promise<{ existed: boolean; warnings: readonly string[] }> {
  const extra: Props = { ...props };
  if (ctx.flag('exactsize', false)) extra[PROP_EXACT_SIZE] = 'True';
  const result = await ctx.service.create(
    {
      name,
      sizeKib: Math.max(sizeKib, MIN_VOLUME_KIB),
      ...(ctx.flag('preferlocal', true) ? { preferredNode: ctx.node } : {}),
      // Always the calling node's own attempt: with `preferlocal no` core's default would be the
      // same on every node, and two nodes creating one name at once would each resume the other's.
      attempt: defaultAttemptId(name, ctx.node),
      props: extra,
    },
    { signal: ctx.signal },
  );
  return { existed: result.existed, warnings: result.warnings };
}

/** `alloc_image`: a new volume of `sizeKib` KiB for guest `vmid`, named as asked or `pm-<8 hex>_<vmid>`. */
export async function allocImage(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const vmid = integerArg(ctx.args, 'vmid');
  const sizeKib = integerArg(ctx.args, 'sizeKib');
  if (sizeKib <= 0)
    throw new VolumeError('invalid-argument', `invalid size '${sizeKib}': expected KiB greater than 0`);
  const wanted = optionalStringArg(ctx.args, 'name');
  if (wanted === undefined) {
    let warnings: readonly string[] = [];
    const resource = await withNewPmName(async (candidate) => {
      const created = await createForPve(ctx, candidate, sizeKib, volumeProps(vmid));
      warnings = created.warnings;
      return created;
    });
    return { volname: pmVolname(resource, vmid), warnings };
  }
  const volume = parseVolname(wanted);
  requireOwner(volume, vmid);
  if (volume.isBase || volume.basename !== undefined) {
    throw new VolumeError(
      'invalid-argument',
      `illegal name '${wanted}' - templates are made with create_base`,
    );
  }
  try {
    const created = await createForPve(ctx, coreName(volume), sizeKib, volumeProps(vmid, wanted));
    if (created.existed) throw alreadyExists(wanted);
    return { volname: wanted, warnings: created.warnings };
  } catch (error) {
    // A node that restarts a VM whose cloud-init disk lives elsewhere asks for it again; the disk
    // that exists is the one it wants (linstor-proxmox behaves the same).
    if (
      /^vm-\d+-cloudinit$/.test(wanted) &&
      error instanceof VolumeError &&
      error.kind === 'already-exists'
    ) {
      return { volname: wanted };
    }
    throw error;
  }
}

/** The refusal of a volume name that is taken. */
export function alreadyExists(volname: string): VolumeError {
  return new VolumeError('already-exists', `volume '${volname}' already exists`);
}

/**
 * `free_image`: the volumes snapshots were read through (`snap_<resource>_<snapshot>`, left by
 * backups and clones), the snapshots, then the volume itself; core finds them with the one
 * snapshot list it reads anyway.
 */
export async function freeImage(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const readThrough = `SNAP_${volume.resource.toUpperCase()}_`;
  await ctx.service.delete(coreName(volume), {
    deadlineMs: ctx.remainingBeforeCleanupMs(),
    alsoDelete: (snapshots) =>
      snapshots.map((s) => s.name).filter((name) => name.toUpperCase().startsWith(readThrough)),
    signal: ctx.signal,
  });
  return {};
}

/** The PVE volume name of a listed resource definition, or undefined when it is not a PVE volume. */
export function pveVolname(summary: VolumeSummary): string | undefined {
  const owner = Number(summary.props[PROP_PM_VMID]);
  const stored = summary.props[PROP_PVE_VOLNAME];
  let volname: string;
  if (stored !== undefined) {
    // linstor-proxmox's rename rewrites only Aux/pm/vmid: the owner there wins for pm- names.
    volname = Number.isSafeInteger(owner) ? stored.replace(/(pm-[0-9a-f]{8})_\d+$/, `$1_${owner}`) : stored;
  } else if (/^pm-[0-9a-f]{8}$/.test(summary.resourceName)) {
    if (!Number.isSafeInteger(owner) || owner <= 0) return undefined;
    volname = pmVolname(summary.resourceName, owner);
  } else {
    volname = summary.name;
  }
  let parsed: VolumeName;
  try {
    parsed = parseVolname(volname);
  } catch {
    return undefined;
  }
  return sameName(parsed.resource, summary.resourceName) ? volname : undefined;
}

/** `list_images`: the storage's volumes (of one guest), from one filtered request. */
export async function listImages(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const vmid = optionalIntegerArg(ctx.args, 'vmid');
  const summaries = await ctx.service.list({
    props: [vmid === undefined ? PROP_PM_VMID : `${PROP_PM_VMID}=${vmid}`],
    signal: ctx.signal,
  });
  const images: { volname: string; size: number }[] = [];
  for (const summary of summaries) {
    const volname = pveVolname(summary);
    if (volname === undefined || summary.sizeBytes === undefined) continue;
    if (vmid !== undefined && parseVolname(volname).vmid !== vmid) continue;
    images.push({ volname, size: summary.sizeBytes });
  }
  return { images };
}

/** `volume_resize`: grows the volume to exactly `sizeBytes` (PVE pads to whole KiB). */
export async function volumeResize(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const sizeBytes = integerArg(ctx.args, 'sizeBytes');
  await ctx.service.resize(coreName(volume), { sizeBytes }, { signal: ctx.signal });
  return {};
}

/**
 * `volume_size_info`: the volume's size from its LINSTOR definition (one request); no device needed
 * on this node.
 */
export async function volumeSizeInfo(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const size = await ctx.service.size(coreName(volume), { signal: ctx.signal });
  return { size: size.sizeBytes };
}

/**
 * `rename_volume`: reassigns a disk to another guest. LINSTOR cannot rename a resource definition,
 * so only names that do not contain the owner can move: linstor-proxmox's `pm-<8 hex>_<vmid>`.
 */
export async function renameVolume(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const targetVmid = integerArg(ctx.args, 'targetVmid');
  const targetVolname = optionalStringArg(ctx.args, 'targetVolname');
  if (!/^pm-[0-9a-f]{8}_/.test(volume.name) || volume.basename !== undefined) {
    throw new VolumeError(
      'not-supported',
      `renaming '${volume.volname}' is not possible: LINSTOR cannot rename volumes, only 'pm-<8 hex digits>_<vmid>' volumes can change their owner`,
    );
  }
  const renamed = pmVolname(volume.resource, targetVmid);
  if (targetVolname !== undefined && targetVolname !== renamed) {
    throw new VolumeError(
      'not-supported',
      `renaming '${volume.volname}' to '${targetVolname}' is not possible: it can only become '${renamed}'`,
    );
  }
  // Only Aux/pm/vmid says who owns a pm- volume; a stored full PVE name would contradict it.
  await ctx.service.updateProps(
    coreName(volume),
    {
      set: { [PROP_PM_VMID]: String(targetVmid) },
      remove: [PROP_PVE_VOLNAME],
      resourceGroup: ctx.resourceGroup,
    },
    { signal: ctx.signal },
  );
  return { volname: renamed };
}
