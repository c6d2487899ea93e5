/** activate_volume, deactivate_volume, volume_export, volume_import. */

import { CLEANUP_BUDGET_MS, VolumeError, VolumeInUseError } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import { booleanArg, integerArg, optionalStringArg, stringArg } from '../protocol';
import { checkSnapshotName, coreName, parseVolname, snapshotCoreName, type VolumeName } from '../volname';
import {
  causeText,
  existingLocalDevice,
  isControllerUnreachable,
  volumeProps,
  withNewPmName,
} from './common';
import { alreadyExists, createForPve } from './volumes';

/**
 * The volume a snapshot is read through (`snap_<resource>_<snapshot>`), restored from the snapshot
 * unless an earlier activation (or linstor-proxmox) left it. Returns core's name for it.
 */
export async function ensureSnapshotVolume(
  ctx: HandlerContext,
  volume: VolumeName,
  snapname: string,
): Promise<string> {
  const temporary = snapshotCoreName(volume.resource, snapname);
  try {
    await ctx.service.clone(
      { source: coreName(volume), snapshot: temporary, name: temporary },
      { signal: ctx.signal },
    );
  } catch (error) {
    if (!(error instanceof VolumeError && error.kind === 'already-exists')) throw error;
  }
  return temporary;
}

/**
 * Activates the current data of a volume on this node through core's attach: one request where
 * the node has a replica or attachment, two where it has none, three on a tie-breaker. A volume
 * open on another node is a live migration arriving here: dual-primary is allowed for that pair
 * only, and only with `allowtwoprimaries yes`. With the controller unreachable an existing local
 * device is used.
 */
async function activateCurrent(ctx: HandlerContext, volume: VolumeName): Promise<Record<string, unknown>> {
  const { node } = ctx;
  const migrate = ctx.flag('allowtwoprimaries', true);
  try {
    const attached = await ctx.service.attach(coreName(volume), node, {
      whenOpenElsewhere: migrate ? 'migrate' : 'refuse',
      signal: ctx.signal,
    });
    return { path: attached.devicePath };
  } catch (error) {
    if (error instanceof VolumeInUseError && !migrate && error.nodes.length === 1) {
      throw new VolumeError(
        'in-use',
        `volume '${volume.volname}' is in use on node '${error.nodes[0]}'; live migration needs 'allowtwoprimaries yes' on storage '${ctx.request.storeid}'`,
      );
    }
    if (!isControllerUnreachable(error)) throw error;
    const local = existingLocalDevice(ctx, volume);
    if (local === undefined) {
      throw new VolumeError(
        'unavailable',
        `Activating volume '${volume.volname}' on node '${node}' failed: ${causeText(error)}`,
        { cause: error, volume: volume.volname },
      );
    }
    return {
      path: local,
      warnings: [
        `the LINSTOR controller is unreachable, using the existing device ${local} of '${volume.volname}'`,
      ],
    };
  }
}

/** `activate_volume`: the device exists on this node afterwards (snapshots: through their temporary volume). */
export async function activateVolume(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const snapname = optionalStringArg(ctx.args, 'snapname');
  if (snapname === undefined) return activateCurrent(ctx, volume);
  const temporary = await ensureSnapshotVolume(ctx, volume, checkSnapshotName(snapname));
  const attached = await ctx.service.attach(temporary, ctx.node, { signal: ctx.signal });
  return { path: attached.devicePath };
}

/**
 * `deactivate_volume`: removes only the diskless attachment linstor-hv made here. On the source of
 * a live migration it ends the migration (dual-primary settings restored); on its target (the
 * migration failed) it undoes it. With the controller unreachable it warns and succeeds, as a
 * stopping guest must not fail on the storage.
 */
export async function deactivateVolume(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const snapname = optionalStringArg(ctx.args, 'snapname');
  const { node } = ctx;
  try {
    const name =
      snapname === undefined
        ? coreName(volume)
        : snapshotCoreName(volume.resource, checkSnapshotName(snapname));
    await ctx.service.deactivate(name, node, { signal: ctx.signal });
    return {};
  } catch (error) {
    if (error instanceof VolumeError && error.kind === 'not-found') return {};
    if (isControllerUnreachable(error)) {
      return {
        warnings: [`the LINSTOR controller is unreachable; '${volume.volname}' stays attached on '${node}'`],
      };
    }
    throw error;
  }
}

/** `volume_export`: makes the volume (or snapshot) readable here; the Perl side streams it with dd. */
export async function volumeExport(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const snapname = optionalStringArg(ctx.args, 'snapname');
  const name =
    snapname === undefined
      ? coreName(volume)
      : await ensureSnapshotVolume(ctx, volume, checkSnapshotName(snapname));
  const info = await ctx.service.info(name, { signal: ctx.signal });
  const attached = await ctx.service.attach(name, ctx.node, { signal: ctx.signal });
  return { path: attached.devicePath, size: info.sizeBytes, attached: attached.created };
}

/**
 * `volume_import`: creates the volume for a `raw+size` stream of `sizeBytes` and attaches it here;
 * the Perl side writes the data with dd. An existing name is an error, or (with `allowRename`) the
 * volume gets a fresh `pm-<8 hex>_<vmid>` name.
 */
export async function volumeImport(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const sizeBytes = integerArg(ctx.args, 'sizeBytes');
  const allowRename = booleanArg(ctx.args, 'allowRename');
  if (volume.isBase || volume.basename !== undefined) {
    throw new VolumeError(
      'not-supported',
      `importing '${volume.volname}' is not possible: import templates and linked clones as disks, then convert them`,
    );
  }
  if (sizeBytes <= 0 || sizeBytes % 1024 !== 0) {
    throw new VolumeError('invalid-argument', `invalid size ${sizeBytes}: a raw+size stream holds whole KiB`);
  }
  const sizeKib = sizeBytes / 1024;
  let volname = volume.volname;
  let name = coreName(volume);
  let existed: boolean;
  try {
    existed = (await createForPve(ctx, name, sizeKib, volumeProps(volume.vmid, volume.volname))).existed;
  } catch (error) {
    if (!(error instanceof VolumeError && error.kind === 'already-exists')) throw error;
    existed = true;
  }
  if (existed) {
    if (!allowRename) throw alreadyExists(volume.volname);
    const resource = await withNewPmName((candidate) =>
      createForPve(ctx, candidate, sizeKib, volumeProps(volume.vmid)),
    );
    name = resource;
    volname = `${resource}_${volume.vmid}`;
  }
  try {
    const attached = await ctx.service.attach(name, ctx.node, { signal: ctx.signal });
    return { volname, path: attached.devicePath, attached: attached.created };
  } catch (error) {
    // The undo has its own budget: the request's signal may be what ended the attach.
    await ctx.service.delete(name, { signal: AbortSignal.timeout(CLEANUP_BUDGET_MS) }).catch(() => undefined);
    throw error;
  }
}
