/** activate_volume, deactivate_volume, volume_export, volume_import. */

import { FAIL_EXISTS_RSC, PROP_HV_MIGRATION, type ResourceWithVolumes, sameName } from '@linstor-hv/api';
import { LinstorApiError, OutcomeUnknownError } from '@linstor-hv/client';
import { attachmentProps, VolumeError, VolumeNotFoundError, wrapFailure } from '@linstor-hv/core';
import { type HandlerContext, PLATFORM } from '../context';
import { booleanArg, integerArg, optionalStringArg, stringArg } from '../protocol';
import { checkSnapshotName, coreName, parseVolname, snapshotCoreName, type VolumeName } from '../volname';
import { existingLocalDevice, isControllerUnreachable, volumeProps, withNewPmName } from './common';
import { createForPve } from './volumes';

function isDeleting(resource: ResourceWithVolumes): boolean {
  return (resource.flags ?? []).includes('DELETE');
}

function isTieBreaker(resource: ResourceWithVolumes): boolean {
  return (resource.flags ?? []).includes('TIE_BREAKER');
}

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
    await ctx.service.clone({ source: coreName(volume), snapshot: temporary, name: temporary });
  } catch (error) {
    if (!(error instanceof VolumeError && error.kind === 'already-exists')) throw error;
  }
  return temporary;
}

/**
 * Activates the current data of a volume on this node. The usual case costs one request: the
 * resource view shows a replica or attachment here and nobody else using the volume. A volume open
 * on another node is a live migration arriving here: dual-primary is allowed for that pair only.
 */
async function activateCurrent(ctx: HandlerContext, volume: VolumeName): Promise<Record<string, unknown>> {
  const { node } = ctx;
  let resources: ResourceWithVolumes[];
  try {
    resources = (await ctx.client.resources.view({ resources: [volume.resource] })).filter(
      (r) => r.name !== undefined && sameName(r.name, volume.resource) && !isDeleting(r),
    );
  } catch (error) {
    const local = existingLocalDevice(ctx, volume.resource);
    if (local !== undefined && isControllerUnreachable(error)) {
      return {
        path: local,
        warnings: [
          `the LINSTOR controller is unreachable, using the existing device ${local} of '${volume.volname}'`,
        ],
      };
    }
    throw wrapFailure(`Activating volume '${volume.volname}' on node '${node}' failed`, error, {
      volume: volume.volname,
    });
  }
  if (resources.length === 0) {
    throw new VolumeNotFoundError(`Activating volume '${volume.volname}' failed: the volume does not exist.`);
  }
  const users = resources
    .filter((r) => r.state?.in_use === true && r.node_name !== undefined && !sameName(r.node_name, node))
    .map((r) => r.node_name!);
  if (users.length > 1) {
    throw new VolumeError('in-use', `volume '${volume.volname}' is in use on ${users.join(' and ')}`);
  }
  const source = users[0];
  if (source !== undefined) {
    if (!ctx.flag('allowtwoprimaries', true)) {
      throw new VolumeError(
        'in-use',
        `volume '${volume.volname}' is in use on node '${source}'; live migration needs 'allowtwoprimaries yes' on storage '${ctx.request.storeid}'`,
      );
    }
    const attached = await ctx.service.beginMigration(coreName(volume), source, node);
    return { path: attached.devicePath };
  }
  const here = resources.find((r) => r.node_name !== undefined && sameName(r.node_name, node));
  if (here && !isTieBreaker(here)) {
    const local = existingLocalDevice(ctx, volume.resource);
    if (local !== undefined) return { path: local };
  }
  if (resources.some((r) => !isDiskless(r))) {
    const path = here ? await adoptTieBreaker(ctx, volume) : await attachDisklessHere(ctx, volume);
    if (path !== undefined) return { path };
  }
  const attached = await ctx.service.attach(coreName(volume), node);
  return { path: attached.devicePath };
}

function isDiskless(resource: ResourceWithVolumes): boolean {
  const flags = resource.flags ?? [];
  return flags.includes('DISKLESS') || flags.includes('DRBD_DISKLESS');
}

/**
 * The second and last request of an activation on a node without a resource: a diskless
 * attachment tagged with this storage's ownership (exactly what core's attach creates, so core's
 * detach removes it again), then the wait for udev's by-res link. Undefined when another
 * activation raced us or the reply was lost: core's attach then reconciles from the state.
 */
async function attachDisklessHere(ctx: HandlerContext, volume: VolumeName): Promise<string | undefined> {
  try {
    await ctx.client.resources.createOnNode(volume.resource, ctx.node, {
      resource: {
        flags: ['DRBD_DISKLESS'],
        props: attachmentProps({ platform: PLATFORM, ownerId: ctx.request.storeid }),
      },
    });
  } catch (error) {
    if (
      (error instanceof LinstorApiError && error.has(FAIL_EXISTS_RSC)) ||
      error instanceof OutcomeUnknownError
    ) {
      return undefined;
    }
    throw wrapFailure(`Attaching volume '${volume.volname}' on node '${ctx.node}' failed`, error, {
      volume: volume.volname,
    });
  }
  return waitForLocalDevice(ctx, volume);
}

/**
 * A tie-breaker on this node becomes a wanted diskless attachment of this storage (LINSTOR would
 * otherwise remove it under a running guest when it is no longer needed as a tie-breaker): two
 * requests after the view, as core's attach does them.
 */
async function adoptTieBreaker(ctx: HandlerContext, volume: VolumeName): Promise<string | undefined> {
  const what = `Attaching volume '${volume.volname}' on node '${ctx.node}' failed`;
  try {
    await ctx.client.resources.makeAvailable(volume.resource, ctx.node, { diskful: false });
    await ctx.client.resources.modify(volume.resource, ctx.node, {
      override_props: attachmentProps({ platform: PLATFORM, ownerId: ctx.request.storeid }),
    });
  } catch (error) {
    if (error instanceof OutcomeUnknownError) return undefined;
    throw wrapFailure(what, error, { volume: volume.volname });
  }
  return waitForLocalDevice(ctx, volume);
}

/** How long udev may take to create the by-res link after LINSTOR reported the resource. */
const DEVICE_WAIT_MS = 15_000;

async function waitForLocalDevice(ctx: HandlerContext, volume: VolumeName): Promise<string> {
  const until = Date.now() + Math.min(DEVICE_WAIT_MS, ctx.remainingMs());
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    const local = existingLocalDevice(ctx, volume.resource);
    if (local !== undefined) return local;
    if (Date.now() >= until) {
      throw new VolumeError(
        'timeout',
        `Attaching volume '${volume.volname}' on node '${ctx.node}' failed: its device did not appear within ${DEVICE_WAIT_MS / 1000} s.`,
      );
    }
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** `activate_volume`: the device exists on this node afterwards (snapshots: through their temporary volume). */
export async function activateVolume(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const snapname = optionalStringArg(ctx.args, 'snapname');
  if (snapname === undefined) return activateCurrent(ctx, volume);
  const temporary = await ensureSnapshotVolume(ctx, volume, checkSnapshotName(snapname));
  const attached = await ctx.service.attach(temporary, ctx.node);
  return { path: attached.devicePath };
}

interface MigrationEnds {
  from: string;
  to: string;
}

function migrationRecord(props: Record<string, string> | undefined): MigrationEnds | undefined {
  const text = props?.[PROP_HV_MIGRATION];
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as Partial<MigrationEnds>;
    return typeof record.from === 'string' && typeof record.to === 'string'
      ? { from: record.from, to: record.to }
      : undefined;
  } catch {
    return undefined;
  }
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
    if (snapname !== undefined) {
      await ctx.service.detach(snapshotCoreName(volume.resource, checkSnapshotName(snapname)), node);
      return {};
    }
    const definition = await ctx.client.resourceDefinitions.getOrUndefined(volume.resource);
    if (!definition) return {};
    const record = migrationRecord(definition.props);
    if (record && sameName(record.from, node)) {
      await ctx.service.commitMigration(coreName(volume), record.from, record.to);
    } else if (record && sameName(record.to, node)) {
      await ctx.service.abortMigration(coreName(volume), record.from, record.to);
    } else {
      await ctx.service.detach(coreName(volume), node);
    }
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
  const info = await ctx.service.info(name);
  const attached = await ctx.service.attach(name, ctx.node);
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
    if (!allowRename) throw new VolumeError('already-exists', `volume '${volume.volname}' already exists`);
    const resource = await withNewPmName((candidate) =>
      createForPve(ctx, candidate, sizeKib, volumeProps(volume.vmid)),
    );
    name = resource;
    volname = `${resource}_${volume.vmid}`;
  }
  try {
    const attached = await ctx.service.attach(name, ctx.node);
    return { volname, path: attached.devicePath, attached: attached.created };
  } catch (error) {
    await ctx.service.delete(name).catch(() => undefined);
    throw error;
  }
}
