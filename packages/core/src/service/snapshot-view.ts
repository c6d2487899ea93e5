/**
 * Snapshot views: a snapshot made readable on a node (Proxmox backs up containers this way, and
 * OpenNebula exports from a snapshot) by restoring it into a temporary volume and attaching that.
 * The view carries `Aux/linstor-hv/temporary=snapshot-view:<volume>`, so deleting the volume
 * removes its views and the orphan audit names a forgotten one.
 */

import { PROP_HV_TEMPORARY } from '@linstor-hv/api';
import type { CallOptions } from '@linstor-hv/client';
import { VolumeNotFoundError } from '../errors';
import { wrapFailure, wrapFailureAfterCleanup } from '../failure';
import { snapshotNameFor } from '../naming';
import { ensureAttached } from './attach';
import { callOf, type ServiceCore, type SignalOptions } from './core';
import { removeTemporaryDefinition, restoreIntoTemporary, temporaryName } from './temporary';
import type { AttachResult } from './types';

/** The `Aux/linstor-hv/temporary` value of the snapshot views of a volume. */
function snapshotViewPurpose(resourceName: string): string {
  return `snapshot-view:${resourceName}`;
}

/** The LINSTOR name of the view of one snapshot (deterministic, so every call finds the same). */
export function snapshotViewName(resourceName: string, snapshotName: string): string {
  return temporaryName('sv', resourceName, snapshotName);
}

/**
 * Makes a snapshot readable on `node`: restores it into a temporary volume (once; later calls
 * reuse it) and attaches that there. Returns the device path and the view's LINSTOR name.
 */
export async function attachSnapshot(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  node: string,
  options: SignalOptions = {},
): Promise<AttachResult & { resourceName: string }> {
  const call = callOf(options);
  const resourceName = core.resourceName(volume);
  const snapshotName = snapshotNameFor(snapshot);
  const view = snapshotViewName(resourceName, snapshotName);
  const what = `Attaching snapshot '${snapshot}' of volume '${volume}' on node '${node}' failed`;
  try {
    const complete =
      (await core.definition(view, call)) !== undefined &&
      (await core.resources(view, undefined, call)).length > 0;
    if (!complete) {
      const found = await core.client.snapshots.getOrUndefined(resourceName, snapshotName, call);
      if (!found || !(found.flags ?? []).includes('SUCCESSFUL')) {
        throw new VolumeNotFoundError(`${what}: the volume has no usable snapshot '${snapshot}'.`, {
          volume,
        });
      }
      try {
        const purpose = snapshotViewPurpose(resourceName);
        await restoreIntoTemporary(core, resourceName, snapshotName, view, purpose, {}, call);
      } catch (error) {
        const leftover = await core.cleanup([(undo) => removeTemporaryDefinition(core, view, undo)]);
        throw wrapFailureAfterCleanup(what, error, leftover, { volume });
      }
    }
    try {
      const attached = await ensureAttached(core, view, node, {}, undefined, call);
      return { ...attached, resourceName: view };
    } catch (error) {
      // A view restored by this call goes again; one that existed before may be in use elsewhere.
      const leftover = complete
        ? ''
        : await core.cleanup([(undo) => removeTemporaryDefinition(core, view, undo)]);
      throw wrapFailureAfterCleanup(what, error, leftover, { volume });
    }
  } catch (error) {
    throw wrapFailure(what, error, { volume });
  }
}

/** Removes the view of a snapshot (wherever it is attached); one that is gone succeeds. */
export async function detachSnapshot(
  core: ServiceCore,
  volume: string,
  snapshot: string,
  options: SignalOptions = {},
): Promise<{ existed: boolean }> {
  const call = callOf(options);
  const resourceName = core.resourceName(volume);
  const view = snapshotViewName(resourceName, snapshotNameFor(snapshot));
  try {
    const existed = (await core.definition(view, call)) !== undefined;
    if (existed) await removeTemporaryDefinition(core, view, call);
    return { existed };
  } catch (error) {
    throw wrapFailure(`Detaching snapshot '${snapshot}' of volume '${volume}' failed`, error, { volume });
  }
}

/**
 * Removes the views of the given snapshots of a volume: their names are derived, so one lookup by
 * name finds them, whatever the number of volumes (then one delete per view).
 */
export async function removeSnapshotViews(
  core: ServiceCore,
  resourceName: string,
  snapshotNames: readonly string[],
  call: CallOptions = {},
): Promise<void> {
  if (snapshotNames.length === 0) return;
  const views = await core.client.resourceDefinitions.list(
    { resourceDefinitions: snapshotNames.map((snapshot) => snapshotViewName(resourceName, snapshot)) },
    call,
  );
  for (const view of views) {
    if (view.name && view.props?.[PROP_HV_TEMPORARY] === snapshotViewPurpose(resourceName)) {
      await removeTemporaryDefinition(core, view.name, call);
    }
  }
}
