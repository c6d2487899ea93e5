/** Snapshots: take, list, delete, and roll back (natively to the newest, by copy to older ones). */

import {
  FAIL_EXISTS_SNAPSHOT_DFN,
  PROP_HV_NAME,
  type Props,
  type Snapshot,
  sameName,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { type CallOptions, LinstorApiError } from '@linstor-hv/client';
import type { ProgressCallback } from '../copy/progress';
import { RollbackBlockedError, VolumeError, VolumeNotFoundError } from '../errors';
import { wrapFailure, wrapFailureAfterCleanup } from '../failure';
import { isOwnedBy, isOwnVolume, ownershipProps, snapshotNameFor } from '../naming';
import { healMigration } from './attach';
import {
  beforeChange,
  callOf,
  isDeleting,
  isDiskless,
  KIB,
  type ServiceCore,
  type SignalOptions,
} from './core';
import { createOrAdopt } from './idempotent';
import { snapshotViewName } from './snapshot-view';
import {
  copyBetweenVolumes,
  removeTemporaryDefinition,
  restoreIntoTemporary,
  temporaryName,
} from './temporary';
import type { RollbackCheck, SnapshotInfo } from './types';

function snapshotProps(snapshot: Snapshot): Props {
  return snapshot.snapshot_definition_props ?? snapshot.props ?? {};
}

/** A LINSTOR snapshot as {@link SnapshotInfo}. */
export function describeSnapshot(snapshot: Snapshot): SnapshotInfo {
  const props = snapshotProps(snapshot);
  const times = (snapshot.snapshots ?? []).flatMap((s) =>
    s.create_timestamp !== undefined ? [s.create_timestamp] : [],
  );
  const kib = snapshot.volume_definitions?.find((vd) => (vd.volume_number ?? 0) === 0)?.size_kib;
  return {
    name: props[PROP_HV_NAME] ?? snapshot.name ?? '',
    snapshotName: snapshot.name ?? '',
    createdAt: times.length > 0 ? Math.min(...times) : undefined,
    sizeBytes: kib === undefined ? undefined : kib * KIB,
    nodes: snapshot.nodes ?? (snapshot.snapshots ?? []).flatMap((s) => (s.node_name ? [s.node_name] : [])),
    successful: (snapshot.flags ?? []).includes('SUCCESSFUL'),
    props,
  };
}

/** Snapshots of a definition, oldest first (one request). */
export async function listSnapshotsOf(
  core: ServiceCore,
  resourceName: string,
  call: CallOptions = {},
): Promise<SnapshotInfo[]> {
  const list = await core.client.snapshots.list(resourceName, call);
  return list
    .filter((s) => !(s.flags ?? []).includes('DELETE'))
    .map(describeSnapshot)
    .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.snapshotName.localeCompare(b.snapshotName));
}

/** The snapshots of a volume, oldest first; a volume that does not exist is a VolumeNotFoundError. */
async function snapshotsOfVolume(
  core: ServiceCore,
  volume: string,
  what: string,
  call: CallOptions,
): Promise<SnapshotInfo[]> {
  try {
    return await listSnapshotsOf(core, core.resourceName(volume), call);
  } catch (error) {
    if (error instanceof LinstorApiError && error.isNotFound()) {
      throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume });
    }
    throw error;
  }
}

/**
 * Takes a snapshot of a volume on all its diskful nodes, tagged with this owner and the platform's
 * snapshot name. Repeating it after a lost reply returns the snapshot that was taken.
 */
export async function createSnapshot(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  options: { props?: Props } & SignalOptions = {},
): Promise<SnapshotInfo & { existed: boolean }> {
  const call = callOf(options);
  const resourceName = core.resourceName(volume);
  const snapshotName = snapshotNameFor(snapshot);
  const what = `Taking snapshot '${snapshot}' of volume '${volume}' failed`;
  const props: Props = { ...options.props, ...ownershipProps(core.ownership, snapshot) };
  try {
    // Two requests: the create and the read of what it made. A stale migration record is not
    // healed here (that would cost a third); attach, detach, resize and rollback heal it.
    const adopted = await createOrAdopt<(SnapshotInfo & { existed: boolean }) | undefined, Snapshot>({
      create: async () => {
        await core.client.snapshots.create(
          resourceName,
          { name: snapshotName, snapshot_definition_props: props },
          beforeChange(call),
        );
        return undefined;
      },
      exists: FAIL_EXISTS_SNAPSHOT_DFN,
      read: () => core.client.snapshots.getOrUndefined(resourceName, snapshotName, call),
      adopt: async (found) => {
        const info = describeSnapshot(found);
        // Ours only when it carries this platform's and this owner's tags for this very name.
        if (!isOwnVolume(info.props, core.ownership, snapshot)) {
          throw new VolumeError(
            'already-exists',
            `${what}: volume '${volume}' already has a snapshot '${found.name ?? snapshotName}' that this owner did not take; choose another name.`,
            { volume },
          );
        }
        if (!info.successful) {
          await core.client.snapshots.delete(resourceName, snapshotName, {}, beforeChange(call));
          throw new VolumeError(
            'linstor',
            `${what}: an earlier attempt left an unfinished snapshot, which was removed; try again.`,
            { volume, outcome: 'undone' },
          );
        }
        return { ...info, existed: true };
      },
    });
    if (adopted) return adopted;
    const taken = await core.client.snapshots.get(resourceName, snapshotName, call);
    const info = describeSnapshot(taken);
    if (!info.successful) {
      const leftover = await core.cleanup([
        (undo) => core.client.snapshots.delete(resourceName, snapshotName, {}, undo),
      ]);
      throw new VolumeError(
        'linstor',
        `${what}: LINSTOR did not report the snapshot as successful.${leftover}`,
        { volume },
      );
    }
    return { ...info, existed: false };
  } catch (error) {
    throw wrapFailure(what, error, { volume });
  }
}

/** Snapshots of a volume, oldest first. */
export async function listSnapshots(
  core: ServiceCore,
  volume: string,
  options: SignalOptions = {},
): Promise<SnapshotInfo[]> {
  const resourceName = core.resourceName(volume);
  try {
    return await listSnapshotsOf(core, resourceName, callOf(options));
  } catch (error) {
    throw wrapFailure(`Listing the snapshots of volume '${volume}' failed`, error, { volume });
  }
}

/** Deletes a snapshot (and its view, if any); one that is already gone succeeds with `existed: false`. */
export async function deleteSnapshot(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  options: SignalOptions = {},
): Promise<{ existed: boolean }> {
  const call = callOf(options);
  const resourceName = core.resourceName(volume);
  const snapshotName = snapshotNameFor(snapshot);
  try {
    // A view restored from the snapshot goes first (on ZFS it depends on the snapshot).
    const view = snapshotViewName(resourceName, snapshotName);
    if (await core.definition(view, call)) await removeTemporaryDefinition(core, view, call);
    const reply = await core.client.snapshots.delete(resourceName, snapshotName, {}, beforeChange(call));
    return { existed: !reply.has(WARN_NOT_FOUND) };
  } catch (error) {
    if (error instanceof LinstorApiError && error.isNotFound()) return { existed: false };
    throw wrapFailure(`Deleting snapshot '${snapshot}' of volume '${volume}' failed`, error, { volume });
  }
}

async function assess(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  allowCopy: boolean,
  what: string,
  call: CallOptions,
): Promise<RollbackCheck & { target: SnapshotInfo; resourceName: string; users: string[] }> {
  const resourceName = core.resourceName(volume);
  const snapshotName = snapshotNameFor(snapshot);
  const snapshots = await snapshotsOfVolume(core, volume, what, call);
  const index = snapshots.findIndex((s) => sameName(s.snapshotName, snapshotName));
  const target = snapshots[index];
  if (!target)
    throw new VolumeNotFoundError(`${what}: the volume has no snapshot '${snapshot}'.`, { volume });
  const resources = await core.resources(resourceName, undefined, call);
  const users = core.inUseOn(resources);
  const blockers = snapshots.slice(index + 1).map((s) => s.name);
  const base = { target, resourceName, blockers, users };
  if (!target.successful) {
    return { ...base, possible: false, method: undefined, reason: `snapshot '${snapshot}' is not complete` };
  }
  if (users.length > 0) {
    return {
      ...base,
      possible: false,
      method: undefined,
      reason: `the volume is in use on ${users.join(', ')}`,
    };
  }
  // LINSTOR rolls back every diskful replica; one that lacks the snapshot makes it fail (linstor-server#418).
  const missing = resources
    .filter((r) => !isDiskless(r) && !isDeleting(r))
    .map((r) => r.node_name ?? '')
    .filter((node) => !target.nodes.some((n) => sameName(n, node)));
  if (blockers.length === 0 && missing.length === 0) {
    return { ...base, possible: true, method: 'native', reason: undefined };
  }
  const why =
    blockers.length > 0
      ? `newer snapshots exist (${blockers.join(', ')})`
      : `the snapshot is missing on ${missing.join(', ')}`;
  if (allowCopy) {
    return {
      ...base,
      possible: true,
      method: 'copy',
      reason: `${why}: the data is copied back from a restored copy`,
    };
  }
  return {
    ...base,
    possible: false,
    method: undefined,
    reason: `LINSTOR can only roll back to the newest snapshot: ${why}`,
  };
}

/**
 * Whether a rollback of `volume` to `snapshot` will work, how, and which newer snapshots block a
 * native rollback. With `allowCopy` (default) older snapshots are possible by copy.
 */
export async function canRollback(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  options: { allowCopy?: boolean } & SignalOptions = {},
): Promise<RollbackCheck> {
  const what = `Checking the rollback of volume '${volume}' to snapshot '${snapshot}' failed`;
  try {
    const check = await assess(core, volume, snapshot, options.allowCopy ?? true, what, callOf(options));
    return { possible: check.possible, method: check.method, blockers: check.blockers, reason: check.reason };
  } catch (error) {
    throw wrapFailure(what, error, { volume });
  }
}

/**
 * Rolls a volume back to a snapshot: LINSTOR's rollback for the newest snapshot; for an older one
 * (when `allowCopy`, the default) the snapshot is restored into a temporary volume, its data copied
 * over the volume on a node that has both, and the temporary volume removed. Newer snapshots stay.
 */
export async function rollback(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  options: { allowCopy?: boolean; onProgress?: ProgressCallback } & SignalOptions = {},
): Promise<{ method: 'native' | 'copy' }> {
  const call = callOf(options);
  const what = `Rolling volume '${volume}' back to snapshot '${snapshot}' failed`;
  try {
    if (await rollbackToNewest(core, volume, snapshot, what, call)) return { method: 'native' };
    const definition = await healMigration(core, core.resourceName(volume), call);
    const foreign = core.foreignOwner(definition?.props);
    if (foreign !== undefined) {
      throw new VolumeError('blocked', `${what}: the volume belongs to ${foreign}, not to this owner.`, {
        volume,
      });
    }
    const check = await assess(core, volume, snapshot, options.allowCopy ?? true, what, call);
    if (!check.possible) {
      if (check.users.length > 0) {
        throw new VolumeError('in-use', `${what}: ${check.reason}; stop the guest first.`, { volume });
      }
      throw new RollbackBlockedError(`${what}: ${check.reason}.`, check.blockers, { volume });
    }
    const { resourceName, target } = check;
    if (check.method === 'native') {
      await nativeRollback(core, resourceName, target.snapshotName, call);
      return { method: 'native' };
    }
    const temporary = temporaryName('rb', resourceName, target.snapshotName);
    const volumeKib = await core.client.volumeDefinitions.get(resourceName, 0, call);
    const node = await chooseRestoreNode(core, resourceName, target.nodes, call);
    try {
      await restoreIntoTemporary(
        core,
        resourceName,
        target.snapshotName,
        temporary,
        `rollback:${resourceName}`,
        { nodes: [node] },
        call,
      );
      await copyBetweenVolumes(core, {
        source: temporary,
        target: resourceName,
        node,
        bytes: target.sizeBytes ?? volumeKib.size_kib * KIB,
        targetBytes: volumeKib.size_kib * KIB,
        targetIsZeroed: false,
        onProgress: options.onProgress,
        call,
      });
    } catch (error) {
      const leftover = await core.cleanup([(undo) => removeTemporaryDefinition(core, temporary, undo)]);
      throw wrapFailureAfterCleanup(what, error, leftover, { volume });
    }
    const leftover = await core.cleanup([(undo) => removeTemporaryDefinition(core, temporary, undo)]);
    if (leftover) {
      throw new VolumeError(
        'linstor',
        `Rolling volume '${volume}' back to snapshot '${snapshot}' finished, but its temporary copy '${temporary}' could not be removed.${leftover}`,
        { volume },
      );
    }
    return { method: 'copy' };
  } catch (error) {
    throw wrapFailure(what, error, { volume });
  }
}

/** LINSTOR's rollback; a lost reply is answered by rolling back again (same result while nothing writes). */
async function nativeRollback(
  core: ServiceCore,
  resourceName: string,
  snapshotName: string,
  call: CallOptions,
): Promise<void> {
  await createOrAdopt({
    create: async () => {
      await core.client.snapshots.rollback(resourceName, snapshotName, {}, beforeChange(call));
    },
    // No state tells a rollback that landed from one that did not, and a second one does no harm.
    read: async () => undefined,
    adopt: () => undefined,
  });
}

/**
 * The common case in two requests, the snapshot list and LINSTOR's rollback: the snapshot is the
 * newest, complete, and carries this owner's tags (so this owner took it, and may roll back to
 * it). LINSTOR itself refuses while the volume is open or a replica lacks the snapshot; then, as
 * when the snapshot is not ours or not the newest, false sends the caller to the full check, which
 * names the reason or rolls back by copy.
 */
async function rollbackToNewest(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  what: string,
  call: CallOptions,
): Promise<boolean> {
  const resourceName = core.resourceName(volume);
  const snapshotName = snapshotNameFor(snapshot);
  const snapshots = await snapshotsOfVolume(core, volume, what, call);
  const newest = snapshots[snapshots.length - 1];
  if (!newest?.successful || !sameName(newest.snapshotName, snapshotName)) return false;
  if (!isOwnedBy(newest.props, core.ownership)) return false;
  try {
    await nativeRollback(core, resourceName, newest.snapshotName, call);
    return true;
  } catch (error) {
    if (error instanceof LinstorApiError) return false;
    throw error;
  }
}

/** A node that has the snapshot and, preferably, a replica of the volume with data. */
async function chooseRestoreNode(
  core: ServiceCore,
  resourceName: string,
  snapshotNodes: readonly string[],
  call: CallOptions,
): Promise<string> {
  const resources = await core.resources(resourceName, undefined, call);
  const diskful = resources.filter((r) => !isDiskless(r) && !isDeleting(r)).map((r) => r.node_name ?? '');
  const node = snapshotNodes.find((n) => diskful.some((d) => sameName(d, n))) ?? snapshotNodes[0];
  if (node === undefined)
    throw new VolumeError('linstor', `The snapshot of '${resourceName}' is on no node.`);
  return node;
}
