/** Create, delete, resize, info and list. */

import {
  AUX_NS,
  FAIL_EXISTS_RSC_DFN,
  INFO_NO_RSC_SPAWNED,
  nodeNameProblem,
  PROP_HV_ATTEMPT,
  PROP_HV_CREATED_AT,
  PROP_HV_MIGRATION,
  PROP_HV_PENDING,
  PROP_HV_TEMPORARY,
  type Props,
  type ResourceDefinition,
  sameName,
  WARN_NOT_CONNECTED,
  WARN_STLT_NOT_UPDATED,
} from '@linstor-hv/api';
import { type CallOptions, LinstorApiError, WaitTimeoutError } from '@linstor-hv/client';
import { VolumeError, VolumeNotFoundError, VolumeValidationError } from '../errors';
import { describeReason, linstorReasons, wrapFailure, wrapFailureAfterCleanup } from '../failure';
import { isOwnVolume, ownerFilter, ownershipProps } from '../naming';
import { healRecord } from './attach';
import { collisionMessage, defaultAttemptId, pendingAttempt, pendingProps } from './attempts';
import {
  beforeChange,
  callOf,
  isDeleting,
  isDiskless,
  KIB,
  migrationOf,
  type ServiceCore,
  type SignalOptions,
  sizeKibOf,
  VOLUME_NUMBER,
} from './core';
import { deleteDefinitionAndSnapshots } from './definitions';
import { CREATE_AGAIN, createOrAdopt } from './idempotent';
import { removeSnapshotViews } from './snapshot-view';
import { describeSnapshot, listSnapshotsOf } from './snapshots';
import type {
  CreateRequest,
  CreateResult,
  DeleteOptions,
  SizeSpec,
  VolumeInfo,
  VolumeSummary,
} from './types';

/** Refuses extra props that would overwrite linstor-hv's own bookkeeping. */
export function checkExtraProps(props: Props | undefined): void {
  for (const key of Object.keys(props ?? {})) {
    if (key === AUX_NS || key.startsWith(`${AUX_NS}/`)) {
      throw new VolumeValidationError(
        `The property '${key}' is reserved for linstor-hv's ownership tags; use another key.`,
      );
    }
  }
}

/** Diskful nodes (not being deleted) of a volume. */
export async function diskfulNodes(
  core: ServiceCore,
  resourceName: string,
  call: CallOptions = {},
): Promise<string[]> {
  const resources = await core.resources(resourceName, undefined, call);
  return resources
    .filter((r) => !isDiskless(r) && !isDeleting(r))
    .map((r) => r.node_name ?? '')
    .sort();
}

/**
 * Deletes a definition this service was still creating (it carries the pending mark and our
 * ownership); a finished or foreign volume is never touched.
 */
export async function removeUnfinished(
  core: ServiceCore,
  resourceName: string,
  platformName: string,
  call: CallOptions = {},
  /** Remove it only when this attempt made it (another attempt may still be building it). */
  attempt?: string,
): Promise<void> {
  const definition = await core.definition(resourceName, call);
  if (!definition || !isOwnVolume(definition.props, core.ownership, platformName)) return;
  if (definition.props?.[PROP_HV_PENDING] === undefined) return;
  if (attempt !== undefined && definition.props?.[PROP_HV_ATTEMPT] !== attempt) return;
  await deleteDefinitionAndSnapshots(core, resourceName, call);
}

/**
 * The diskful nodes of a volume that `attempt` of this owner finished (its pending mark removed),
 * or undefined when it is absent, unfinished, or another attempt's. Settles a verb whose last step
 * landed while its reply was lost.
 */
export async function finishedNodes(
  core: ServiceCore,
  resourceName: string,
  platformName: string,
  attempt: string,
  call: CallOptions = {},
): Promise<string[] | undefined> {
  const definition = await core.definition(resourceName, call);
  if (!definition || !isOwnVolume(definition.props, core.ownership, platformName)) return undefined;
  const props = definition.props ?? {};
  if (props[PROP_HV_PENDING] !== undefined || props[PROP_HV_ATTEMPT] !== attempt) return undefined;
  return diskfulNodes(core, resourceName, call);
}

/** Checks the replica count of a new volume; throws a placement error when LINSTOR placed too few. */
export async function requireReplicas(
  core: ServiceCore,
  what: string,
  resourceName: string,
  wanted: number,
  call: CallOptions = {},
): Promise<string[]> {
  const nodes = await diskfulNodes(core, resourceName, call);
  if (nodes.length < wanted) {
    throw new VolumeError(
      'placement',
      `${what}: LINSTOR placed ${nodes.length} diskful ${nodes.length === 1 ? 'replica' : 'replicas'} (${nodes.join(', ') || 'none'}) but the resource group asks for ${wanted}; add storage to the group's pools or lower its place count.`,
    );
  }
  return nodes;
}

/**
 * Places the replicas of a spawned definition: a diskful replica on the preferred node when it
 * can take one, then the group's autoplacer for the rest. Returns warnings in words.
 */
async function placeReplicas(
  core: ServiceCore,
  resourceName: string,
  preferredNode: string | undefined,
  call: CallOptions,
): Promise<string[]> {
  const warnings: string[] = [];
  if (preferredNode !== undefined) {
    try {
      await core.client.resources.makeAvailable(
        resourceName,
        preferredNode,
        { diskful: true },
        beforeChange(call),
      );
    } catch (error) {
      if (!(error instanceof LinstorApiError)) throw error;
      const why = linstorReasons(error.entries).map(describeReason).join(' ');
      warnings.push(`Node '${preferredNode}' could not take a diskful replica: ${why}`);
    }
  }
  await core.client.resources.autoplace(resourceName, {}, beforeChange(call));
  return warnings;
}

/**
 * Creates a volume of at least the given size with the group's replica count of diskful replicas,
 * or fails and leaves nothing behind. Safe to repeat: an earlier attempt of the same owner is
 * found by its ownership tags and finished (or, when it already finished, returned as `existed`).
 */
export async function createVolume(
  core: ServiceCore,
  request: CreateRequest,
  options: SignalOptions = {},
): Promise<CreateResult> {
  const call = callOf(options);
  const kib = sizeKibOf(request);
  const resourceName = core.resourceName(request.name);
  const what = `Creating volume '${request.name}' failed`;
  if (request.preferredNode !== undefined) {
    const problem = nodeNameProblem(request.preferredNode);
    if (problem) throw new VolumeValidationError(`${what}: ${problem}.`, { volume: request.name });
  }
  checkExtraProps(request.props);
  const placement = await core.placement(core.group, call).catch((error: unknown) => {
    throw wrapFailure(what, error, { volume: request.name });
  });
  const attempt = request.attempt ?? defaultAttemptId(request.name, request.preferredNode);
  const props: Props = {
    ...request.props,
    ...ownershipProps(core.ownership, request.name),
    ...pendingProps('create', attempt),
    ...(request.temporary !== undefined ? { [PROP_HV_TEMPORARY]: request.temporary } : {}),
  };
  /**
   * Removes what this attempt made and fails with LINSTOR's words for `error`; but when the state
   * shows this attempt finished (its last step landed and only the reply was lost), it succeeded.
   */
  const undoAndFail = async (error: unknown): Promise<CreateResult> => {
    let finished: string[] | undefined;
    const leftover = await core.cleanup([
      async (undo) => {
        finished = await finishedNodes(core, resourceName, request.name, attempt, undo);
        if (!finished) await removeUnfinished(core, resourceName, request.name, undo, attempt);
      },
    ]);
    if (finished) {
      return {
        name: request.name,
        resourceName,
        sizeBytes: kib * KIB,
        diskfulNodes: finished,
        existed: false,
        warnings: [],
        attempt,
      };
    }
    throw wrapFailureAfterCleanup(what, error, leftover, { volume: request.name });
  };

  let spawned: { resumed: boolean } | { existed: CreateResult };
  try {
    spawned = await createOrAdopt<typeof spawned, ResourceDefinition>({
      create: async () => {
        const reply = await core.client.resourceGroups.spawn(
          core.group,
          {
            resource_definition_name: resourceName,
            volume_sizes: [kib],
            definitions_only: request.preferredNode !== undefined,
            resource_definition_props: props,
          },
          beforeChange(call),
        );
        if (request.preferredNode === undefined && reply.has(INFO_NO_RSC_SPAWNED)) {
          const leftover = await core.cleanup([
            (undo) => removeUnfinished(core, resourceName, request.name, undo, attempt),
          ]);
          throw new VolumeError(
            'placement',
            `${what}: LINSTOR created the definition but placed no replica (${reply.find(INFO_NO_RSC_SPAWNED)?.message ?? 'no resources spawned'}); check that resource group '${core.group}' has a place count and storage pools that can hold ${kib} KiB.${leftover}`,
            { volume: request.name },
          );
        }
        return { resumed: false };
      },
      exists: FAIL_EXISTS_RSC_DFN,
      // Absent after a lost reply: the spawn never took effect, so it is sent again; should the
      // first one still land, the next "exists" is settled here.
      read: () => core.definition(resourceName, call),
      adopt: async (existing) => {
        if (!isOwnVolume(existing.props, core.ownership, request.name)) {
          throw new VolumeError(
            'already-exists',
            collisionMessage(what, resourceName, existing, request.name),
            {
              volume: request.name,
            },
          );
        }
        if (existing.props?.[PROP_HV_PENDING] === undefined) {
          const existingKib = core.sizeKibOf(existing);
          if (existingKib !== kib) {
            throw new VolumeError(
              'already-exists',
              `${what}: it already exists with ${existingKib ?? 'no'} KiB instead of ${kib} KiB; delete it or resize it.`,
              { volume: request.name },
            );
          }
          return {
            existed: {
              name: request.name,
              resourceName,
              sizeBytes: kib * KIB,
              diskfulNodes: await diskfulNodes(core, resourceName, call),
              existed: true,
              warnings: [],
              attempt,
            },
          };
        }
        const whose = pendingAttempt(existing.props, attempt);
        if (whose === 'live') {
          throw new VolumeError(
            'already-exists',
            `${what}: another attempt (started ${existing.props?.[PROP_HV_CREATED_AT]}) is creating it; it exists once that attempt finishes.`,
            { volume: request.name, outcome: 'failed' },
          );
        }
        if (whose === 'dead' || core.sizeKibOf(existing) !== kib) {
          // A dead attempt, or our own with another size: start over.
          const stale = existing.props?.[PROP_HV_ATTEMPT];
          await removeUnfinished(core, resourceName, request.name, call, whose === 'dead' ? stale : attempt);
          return CREATE_AGAIN;
        }
        return { resumed: true }; // our own unfinished attempt: finish it below
      },
    });
  } catch (error) {
    if (error instanceof VolumeError) throw error;
    return undoAndFail(error);
  }
  if ('existed' in spawned) return spawned.existed;
  const { resumed } = spawned;

  try {
    // A resumed attempt may already have its replicas; placing again would add one too many. A
    // spawn without a preferred node placed them itself (it fails when it cannot).
    const placed = resumed ? await diskfulNodes(core, resourceName, call) : [];
    const spawnPlaced = !resumed && request.preferredNode === undefined;
    const warnings =
      spawnPlaced || placed.length >= placement.replicas
        ? []
        : await placeReplicas(core, resourceName, request.preferredNode, call);
    const nodes = await requireReplicas(core, what, resourceName, placement.replicas, call);
    await core.client.resourceDefinitions.modify(
      resourceName,
      { delete_props: [PROP_HV_PENDING] },
      beforeChange(call),
    );
    return {
      name: request.name,
      resourceName,
      sizeBytes: kib * KIB,
      diskfulNodes: nodes,
      existed: false,
      warnings,
      attempt,
    };
  } catch (error) {
    return undoAndFail(error);
  }
}

/**
 * Deletes a volume: waits until nobody has it open (within the deadline), removes its snapshot
 * views and snapshots, then the definition. Deleting a volume that is already gone succeeds with `existed: false`.
 */
export async function deleteVolume(
  core: ServiceCore,
  name: string,
  options: DeleteOptions = {},
): Promise<{ existed: boolean }> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Deleting volume '${name}'`;
  const listSnapshots = async () => {
    try {
      return await core.client.snapshots.list(resourceName, call);
    } catch (error) {
      if (error instanceof LinstorApiError && error.isNotFound()) return undefined;
      throw error;
    }
  };
  let definition: ResourceDefinition | undefined;
  try {
    definition = await core.definition(resourceName, call);
  } catch (error) {
    throw wrapFailure(`${what} failed`, error, { volume: name });
  }
  if (!definition) return { existed: false };
  const foreign = core.foreignOwner(definition.props);
  if (foreign !== undefined) {
    throw new VolumeError('blocked', `${what} is refused: it belongs to ${foreign}, not to this owner.`, {
      volume: name,
    });
  }
  // Who has it open and which snapshots it has are independent reads: one round trip.
  let resources: Awaited<ReturnType<typeof core.resources>>;
  let snapshots: Awaited<ReturnType<typeof listSnapshots>>;
  try {
    [resources, snapshots] = await Promise.all([
      core.resources(resourceName, undefined, call),
      listSnapshots(),
    ]);
  } catch (error) {
    throw wrapFailure(`${what} failed`, error, { volume: name });
  }
  try {
    if (core.inUseOn(resources).length > 0) {
      await core.client.wait.notInUse(resourceName, {
        timeoutMs: options.deadlineMs ?? core.deadlines.notInUseMs,
        ...call,
      });
      // Snapshots may have changed while the guest let go: read them again.
      snapshots = await listSnapshots();
    }
  } catch (error) {
    if (error instanceof WaitTimeoutError) {
      throw new VolumeError(
        'in-use',
        `${what} failed: it is still ${error.lastState} after ${Math.round(error.timeoutMs / 1000)} s; stop the guest that uses it and try again.`,
        { cause: error, volume: name },
      );
    }
    throw wrapFailure(`${what} failed`, error, { volume: name });
  }
  try {
    if (snapshots === undefined) return { existed: false };
    // Volumes the platform restored from these snapshots go first (on ZFS they depend on them).
    for (const dependent of options.alsoDelete?.(snapshots.map(describeSnapshot)) ?? []) {
      await deleteVolume(core, dependent, { ...options, alsoDelete: undefined });
    }
    await removeSnapshotViews(
      core,
      resourceName,
      snapshots.flatMap((snapshot) => (snapshot.name ? [snapshot.name] : [])),
      call,
    );
    return { existed: await deleteDefinitionAndSnapshots(core, resourceName, call, snapshots) };
  } catch (error) {
    throw wrapFailure(`${what} failed`, error, { volume: name });
  }
}

/**
 * Grows the volume definition of `resourceName` to `kib`. LINSTOR answers once the satellites have
 * grown their volumes; only a satellite it could not reach (it says so in the reply) grows later,
 * and then the resize is waited for.
 */
export async function growDefinition(
  core: ServiceCore,
  resourceName: string,
  kib: number,
  call: CallOptions,
): Promise<void> {
  const reply = await core.client.volumeDefinitions.modify(
    resourceName,
    VOLUME_NUMBER,
    { size_kib: kib },
    beforeChange(call),
  );
  if (reply.has(WARN_NOT_CONNECTED) || reply.has(WARN_STLT_NOT_UPDATED)) {
    await core.client.wait.resizeDone(resourceName, VOLUME_NUMBER, kib, {
      timeoutMs: core.deadlines.resizeMs,
      ...call,
    });
  }
}
/** Grows a volume to exactly the given size (KiB; bytes rounded up). Shrinking is refused. */
export async function resizeVolume(
  core: ServiceCore,
  name: string,
  size: SizeSpec,
  options: SignalOptions = {},
): Promise<{ sizeBytes: number; changed: boolean }> {
  const call = callOf(options);
  const kib = sizeKibOf(size, 'new size');
  const resourceName = core.resourceName(name);
  const what = `Resizing volume '${name}'`;
  try {
    // Two requests: the definition (size, owner, migration record) and the change.
    const definition = await core.definition(resourceName, call);
    const currentKib = definition && core.sizeKibOf(definition);
    if (!definition || currentKib === undefined)
      throw new VolumeNotFoundError(`${what} failed: the volume does not exist.`, { volume: name });
    const record = definition.props?.[PROP_HV_MIGRATION];
    if (record !== undefined) await healRecord(core, resourceName, record, undefined, call);
    if (kib < currentKib) {
      throw new VolumeValidationError(
        `${what} to ${kib} KiB is refused: it has ${currentKib} KiB and volumes can only grow.`,
        { volume: name },
      );
    }
    if (kib === currentKib) return { sizeBytes: kib * KIB, changed: false };
    await growDefinition(core, resourceName, kib, call);
    return { sizeBytes: kib * KIB, changed: true };
  } catch (error) {
    throw wrapFailure(`${what} failed`, error, { volume: name });
  }
}

/** Everything about one volume: size, replicas with disk state, in-use nodes, allocation, snapshots. */
export async function volumeInfo(
  core: ServiceCore,
  name: string,
  options: SignalOptions = {},
): Promise<VolumeInfo> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Reading volume '${name}'`;
  try {
    const [definition, resources, snapshots] = await Promise.all([
      core.definition(resourceName, call),
      core.resources(resourceName, undefined, call),
      listSnapshotsOf(core, resourceName, call).catch((error: unknown) => {
        if (error instanceof LinstorApiError && error.isNotFound()) return [];
        throw error;
      }),
    ]);
    if (!definition)
      throw new VolumeNotFoundError(`${what} failed: the volume does not exist.`, { volume: name });
    const replicas = core.replicas(resources);
    const allocations = replicas.flatMap((r) =>
      r.diskful && r.allocatedBytes !== undefined ? [r.allocatedBytes] : [],
    );
    return {
      name: core.platformName(definition.props, resourceName),
      resourceName: definition.name ?? resourceName,
      resourceGroup: definition.resource_group_name,
      sizeBytes: (core.sizeKibOf(definition) ?? 0) * KIB,
      replicas,
      inUseOn: core.inUseOn(resources),
      allocatedBytes: allocations.length > 0 ? Math.max(...allocations) : undefined,
      snapshots,
      props: definition.props ?? {},
      owned: isOwnVolume(definition.props, core.ownership, core.platformName(definition.props, resourceName)),
      migration: migrationOf(definition.props),
    };
  } catch (error) {
    throw wrapFailure(`${what} failed`, error, { volume: name });
  }
}

/**
 * The volumes this owner created in the service's group, from one filtered request. `props`
 * replaces the ownership filter (e.g. `['Aux/pm/vmid']` to adopt volumes of the official plugin);
 * `allGroups` drops the group restriction.
 */
export async function listVolumes(
  core: ServiceCore,
  options: { props?: readonly string[]; allGroups?: boolean } & SignalOptions = {},
): Promise<VolumeSummary[]> {
  try {
    const definitions = await core.client.resourceDefinitions.list(
      { props: options.props ?? ownerFilter(core.ownership), withVolumeDefinitions: true },
      callOf(options),
    );
    return definitions
      .filter((rd) => options.allGroups || sameName(rd.resource_group_name ?? '', core.group))
      .filter((rd) => rd.props?.[PROP_HV_PENDING] === undefined && !(rd.flags ?? []).includes('DELETE'))
      .map((rd) => {
        const kib = core.sizeKibOf(rd);
        return {
          name: core.platformName(rd.props, rd.name ?? ''),
          resourceName: rd.name ?? '',
          resourceGroup: rd.resource_group_name,
          sizeBytes: kib === undefined ? undefined : kib * KIB,
          props: rd.props ?? {},
        };
      })
      .sort((a, b) => a.resourceName.localeCompare(b.resourceName));
  } catch (error) {
    throw wrapFailure('Listing volumes failed', error);
  }
}
