/**
 * volume_snapshot, volume_snapshot_delete, volume_rollback_is_possible, volume_snapshot_rollback,
 * volume_snapshot_info, create_base, clone_image.
 */

import { VolumeError } from '@linstor-hv/core';
import type { HandlerContext } from '../context';
import { integerArg, optionalStringArg, stringArg } from '../protocol';
import {
  baseNameOf,
  baseSnapshotName,
  checkSnapshotName,
  coreName,
  parseVolname,
  pveSnapshotName,
  snapshotCoreName,
} from '../volname';
import { newVolname, PROP_PVE_VOLNAME, volumeProps, withNewPmName } from './common';

function volumeAndSnapshot(ctx: HandlerContext) {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const snapname = checkSnapshotName(stringArg(ctx.args, 'snapname'));
  return { volume, snapname, snapshot: snapshotCoreName(volume.resource, snapname) };
}

/** `volume_snapshot`: a LINSTOR snapshot on every diskful replica. */
export async function volumeSnapshot(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const { volume, snapshot } = volumeAndSnapshot(ctx);
  await ctx.service.createSnapshot(coreName(volume), snapshot, { signal: ctx.signal });
  return {};
}

/** `volume_snapshot_delete`: the volume the snapshot was read through (backups, clones), then the snapshot. */
export async function volumeSnapshotDelete(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const { volume, snapshot } = volumeAndSnapshot(ctx);
  await ctx.service.delete(snapshot, { deadlineMs: ctx.remainingBeforeCleanupMs(), signal: ctx.signal });
  await ctx.service.deleteSnapshot(coreName(volume), snapshot, { signal: ctx.signal });
  return {};
}

/** `volume_rollback_is_possible`: whether it works and which newer snapshots would block it. */
export async function volumeRollbackIsPossible(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const { volume, snapname, snapshot } = volumeAndSnapshot(ctx);
  const check = await ctx.service.canRollback(coreName(volume), snapshot, { signal: ctx.signal });
  const blockers = check.blockers.flatMap((b) => {
    const name = pveSnapshotName(volume.resource, b);
    return name === undefined ? [] : [name];
  });
  return {
    possible: check.possible,
    blockers,
    ...(check.possible
      ? {}
      : { reason: `can't rollback '${volume.volname}' to '${snapname}': ${check.reason ?? 'not possible'}` }),
  };
}

/** `volume_snapshot_rollback`: LINSTOR's rollback to the newest snapshot, a restore-and-copy to older ones. */
export async function volumeSnapshotRollback(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const { volume, snapshot } = volumeAndSnapshot(ctx);
  const result = await ctx.service.rollback(coreName(volume), snapshot, { signal: ctx.signal });
  return { method: result.method };
}

/** `volume_snapshot_info`: the PVE snapshots of a volume with LINSTOR's identity and time. */
export async function volumeSnapshotInfo(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const snapshots = await ctx.service.listSnapshots(coreName(volume), { signal: ctx.signal });
  return {
    snapshots: snapshots.flatMap((s) => {
      const name = pveSnapshotName(volume.resource, s.name);
      if (name === undefined) return [];
      return [
        {
          name,
          id: `${s.snapshotName}.${s.createdAt ?? 0}`,
          timestamp: Math.floor((s.createdAt ?? 0) / 1000),
        },
      ];
    }),
  };
}

/**
 * `create_base`: turns a disk into a template. LINSTOR cannot rename, so the template keeps its
 * resource; its PVE name is recorded, and the base snapshot linked clones are restored from is taken.
 */
export async function createBase(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  if (volume.isBase || volume.basename !== undefined) {
    throw new VolumeError('invalid-argument', `create_base not possible with '${volume.volname}'`);
  }
  const name = coreName(volume);
  const info = await ctx.service.info(name, { signal: ctx.signal });
  if (info.inUseOn.length > 0) {
    throw new VolumeError(
      'in-use',
      `volume '${volume.volname}' is in use on ${info.inUseOn.join(', ')}; stop the guest first`,
    );
  }
  await ctx.service.createSnapshot(name, baseSnapshotName(volume.resource), { signal: ctx.signal });
  const base = baseNameOf(volume);
  await ctx.service.updateProps(name, { set: { [PROP_PVE_VOLNAME]: base } }, { signal: ctx.signal });
  return { volname: base };
}

/**
 * `clone_image`: a linked clone of a template (restored from its base snapshot, named
 * `<template>/pm-<8 hex>_<vmid>`), or a new volume from a snapshot of a disk.
 */
export async function cloneImage(ctx: HandlerContext): Promise<Record<string, unknown>> {
  const volume = parseVolname(stringArg(ctx.args, 'volname'));
  const vmid = integerArg(ctx.args, 'vmid');
  const snapname = optionalStringArg(ctx.args, 'snapname');
  let snapshot: string;
  let basename: string | undefined;
  if (snapname !== undefined) {
    snapshot = snapshotCoreName(volume.resource, checkSnapshotName(snapname));
  } else if (volume.isBase) {
    snapshot = baseSnapshotName(volume.resource);
    basename = volume.name;
  } else {
    throw new VolumeError(
      'invalid-argument',
      `linked clones need a template or a snapshot; '${volume.volname}' is neither (convert the guest to a template first)`,
    );
  }
  let warnings: readonly string[] = [];
  const resource = await withNewPmName(async (candidate) => {
    const created = await ctx.service.clone(
      {
        source: coreName(volume),
        snapshot,
        name: candidate,
        props: volumeProps(vmid, newVolname(candidate, vmid, basename)),
      },
      { signal: ctx.signal },
    );
    warnings = created.warnings;
    return created;
  });
  return { volname: newVolname(resource, vmid, basename), warnings };
}
