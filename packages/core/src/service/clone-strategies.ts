/**
 * The three ways a clone builds its target, chosen by `cloneVolume` (clone.ts) from what the pools
 * allow:
 * 1. {@link cloneWithApi}: LINSTOR's clone API (volume sources whose pools the target group also
 *    uses): storage-side, asynchronous; a FAILED clone is reported and removed by the undo.
 * 2. {@link cloneByRestore}: snapshot → restore (snapshot sources, or when the controller or pools
 *    lack the clone API): a temporary snapshot for volume sources, removed afterwards.
 * 3. {@link cloneByCopy}: create + copy (the target group uses other pools, which neither the clone
 *    API nor a restore can reach): a fresh volume in the target group and a dd copy on a node that
 *    has both.
 * Each creates the target with the pending mark and this attempt's id; "exists" or a lost reply is
 * settled by reading the target and going on only when it is this attempt's.
 */

import { setTimeout as delay } from 'node:timers/promises';
import {
  FAIL_EXISTS_RSC_DFN,
  FAIL_INVLD_PROVIDER,
  FAIL_SNAPSHOTS_NOT_SUPPORTED,
  isThinProviderKind,
  PROP_HV_ATTEMPT,
  PROP_HV_MIGRATION,
  PROP_HV_PENDING,
  type Props,
  type ResourceDefinition,
} from '@linstor-hv/api';
import { type CallOptions, LinstorApiError, OutcomeUnknownError } from '@linstor-hv/client';
import { VolumeError } from '../errors';
import { beforeChange, isDeleting, isDiskless, isTieBreaker, KIB, type ServiceCore } from './core';
import { CREATE_AGAIN, type CreateOrAdoptSteps, createOrAdopt } from './idempotent';
import { describeSnapshot } from './snapshots';
import {
  chooseCopyNode,
  copyBetweenVolumes,
  removeTemporaryDefinition,
  restoreIntoTemporary,
  temporaryName,
  temporaryProps,
} from './temporary';
import type { CloneRequest, CreateResult } from './types';

/** The first pause while LINSTOR clones (LINSTOR's clients wait 1 s; thin pools finish sooner). */
const CLONE_FIRST_POLL_MS = 20;

/** What a strategy needs to know about the clone it builds. */
export interface CloneJob {
  readonly core: ServiceCore;
  readonly sourceName: string;
  /** The source snapshot's LINSTOR name; undefined when the source's current data is cloned. */
  readonly snapshotName: string | undefined;
  /** The snapshot's nodes, where a restore of it puts the diskful replicas. */
  readonly snapshotNodes: readonly string[] | undefined;
  readonly sourceKib: number;
  readonly targetName: string;
  readonly targetKib: number;
  readonly group: string;
  /** The target's props: the caller's, the ownership tags, the pending mark and the attempt. */
  readonly props: Props;
  readonly attempt: string;
  readonly onProgress: CloneRequest['onProgress'];
  /** "Cloning … into … failed", the start of every message. */
  readonly what: string;
  readonly call: CallOptions;
  /** Temporary volumes this clone made and has not removed yet (the undo removes them). */
  readonly temporaries: string[];
  /** The temporary snapshot of the source this clone took, until it is removed. */
  temporarySnapshot?: string;
  /**
   * Size and diskful nodes of the built target when the way that built it tells them; `synced`:
   * every diskful replica is known to be UpToDate (LINSTOR's COMPLETE clone status says so).
   */
  made?: { kib: number; nodes: readonly string[]; synced?: boolean };
  /**
   * Settles a target found where this clone wanted to create one (see `cloneVolume`): the result
   * of a repeat when it is this owner's finished clone; undefined when it was an unfinished
   * attempt of this one or a dead one, now removed; throws when it is another's.
   */
  settleExisting(existing: ResourceDefinition): Promise<CreateResult | undefined>;
}

/** What a way of building the target did; `existed`: a finished clone was found in its place. */
export type BuildOutcome = 'built' | 'unsupported' | { existed: CreateResult };

/** The refusals that mean "this controller or these pools cannot do that": try the next way. */
export function unsupported(error: unknown): boolean {
  return (
    error instanceof LinstorApiError &&
    (error.has(FAIL_INVLD_PROVIDER) || error.has(FAIL_SNAPSHOTS_NOT_SUPPORTED) || error.isUnknownRoute())
  );
}

/**
 * The steps that settle creating the target. After a lost reply, this attempt's unfinished target
 * is this very create: the work goes on. Anything else found (or found after a refusal) is settled
 * by `job.settleExisting`: a finished clone is the result of a repeat, an unfinished one of this
 * attempt (an earlier call's) or of a dead one is removed and the create sent again, and another
 * attempt's or owner's volume is refused.
 */
function targetSteps(
  job: CloneJob,
): Omit<CreateOrAdoptSteps<CreateResult | undefined, ResourceDefinition>, 'create'> {
  return {
    exists: FAIL_EXISTS_RSC_DFN,
    read: () => job.core.definition(job.targetName, job.call),
    adopt: async (found, refusal) => {
      const props = found.props ?? {};
      const ours = props[PROP_HV_PENDING] !== undefined && props[PROP_HV_ATTEMPT] === job.attempt;
      if (ours && refusal instanceof OutcomeUnknownError) return undefined;
      return (await job.settleExisting(found)) ?? CREATE_AGAIN;
    },
  };
}

/** Creates the target with `create`, settled by {@link targetSteps}; a finished clone found is returned. */
function createTarget(job: CloneJob, create: () => Promise<unknown>): Promise<CreateResult | undefined> {
  return createOrAdopt({
    create: async () => {
      await create();
      return undefined;
    },
    ...targetSteps(job),
  });
}

/** Path 1: LINSTOR's clone API; `unsupported` when the controller or pools do not support it. */
export async function cloneWithApi(job: CloneJob): Promise<BuildOutcome> {
  const { core, sourceName, targetName, call } = job;
  const request = {
    name: targetName,
    resource_group: job.group,
    override_props: job.props,
    delete_props: [PROP_HV_MIGRATION],
  };
  try {
    const existed = await createTarget(job, () =>
      core.client.resourceDefinitions.clone(sourceName, request, beforeChange(call)),
    );
    if (existed) return { existed };
  } catch (error) {
    if (unsupported(error)) return 'unsupported';
    throw error;
  }
  // The satellites copy after the POST has returned, so a status read at once would only say
  // CLONING; a thin clone is done in milliseconds: the first read comes soon, the pauses grow.
  const started = Date.now();
  // An abort ends the pause; the wait's first step then throws the signal's reason.
  await delay(CLONE_FIRST_POLL_MS, undefined, { signal: call.signal }).catch(() => undefined);
  await core.client.wait.cloneComplete(sourceName, targetName, {
    timeoutMs: Math.max(1, core.deadlines.cloneMs - (Date.now() - started)),
    intervalMs: CLONE_FIRST_POLL_MS,
    ...(core.deadlines.clonePolls !== undefined ? { maxPolls: core.deadlines.clonePolls } : {}),
    ...call,
  });
  // The clone API puts a resource on every node of the source, its diskless attachments included;
  // a new volume is attached nowhere until the platform asks. The same read names the replicas,
  // and the clone has the source's volume definitions, so the finish needs no read of its own.
  const nodes: string[] = [];
  for (const r of await core.resources(targetName, undefined, call)) {
    if (isDiskless(r) && !isTieBreaker(r) && r.node_name) {
      await core.client.resources.delete(
        targetName,
        r.node_name,
        { keepTiebreaker: true },
        beforeChange(call),
      );
    } else if (!isDiskless(r) && !isDeleting(r) && r.node_name) {
      nodes.push(r.node_name);
    }
  }
  // COMPLETE means every diskful replica is UpToDate and connected (LINSTOR's clone status checks
  // the satellites' DRBD states), so a grow needs no wait for the sync.
  job.made = { kib: job.sourceKib, nodes, synced: true };
  return 'built';
}

/**
 * Takes the temporary snapshot a clone reads from (replacing a leftover of the same name); a lost
 * reply is settled by looking for the snapshot.
 */
async function takeTemporarySnapshot(job: CloneJob, name: string): Promise<void> {
  const { core, sourceName, call } = job;
  await core.client.snapshots.delete(sourceName, name, {}, beforeChange(call));
  await createOrAdopt({
    create: async () => {
      await core.client.snapshots.create(
        sourceName,
        { name, snapshot_definition_props: temporaryProps(core, `clone:${job.targetName}`) },
        beforeChange(call),
      );
    },
    read: async () => {
      const found = await core.client.snapshots.getOrUndefined(sourceName, name, call);
      return found && describeSnapshot(found).successful ? found : undefined;
    },
    adopt: () => undefined,
  });
}

/**
 * Path 2: the target restored from a snapshot of the source (restore keeps the snapshot's pools):
 * the given snapshot, or a temporary one of the source's current data. `unsupported` when the
 * source's pools take no snapshots (thick pools), so only a copy can clone it.
 */
export async function cloneByRestore(job: CloneJob): Promise<BuildOutcome> {
  const { core, sourceName, targetName, call } = job;
  let snapshot = job.snapshotName;
  if (snapshot === undefined) {
    job.temporarySnapshot = temporaryName('cs', sourceName, targetName);
    try {
      await takeTemporarySnapshot(job, job.temporarySnapshot);
      snapshot = job.temporarySnapshot;
    } catch (error) {
      if (!unsupported(error)) throw error;
      job.temporarySnapshot = undefined; // thick pools: the caller falls through to create + copy
      return 'unsupported';
    }
  }
  const existed = await createTarget(job, () =>
    core.client.resourceDefinitions.create(
      { resource_definition: { name: targetName, resource_group_name: job.group, props: job.props } },
      beforeChange(call),
    ),
  );
  if (existed) return { existed };
  const to = { to_resource: targetName };
  await core.client.snapshots.restoreVolumeDefinitions(sourceName, snapshot, to, beforeChange(call));
  await core.client.snapshots.restoreResources(sourceName, snapshot, to, beforeChange(call));
  if (snapshot === job.snapshotName && job.snapshotNodes) {
    job.made = { kib: job.sourceKib, nodes: job.snapshotNodes };
  }
  return 'built';
}

/**
 * Path 3: a new volume in the target group (spawned with the pending mark) and a data copy from
 * the source, read from a restored snapshot so a running guest cannot tear the copy.
 */
export async function cloneByCopy(job: CloneJob): Promise<BuildOutcome> {
  const { core, sourceName, targetName, call } = job;
  let readFrom = sourceName;
  let snapshot = job.snapshotName;
  let ownSnapshot: string | undefined;
  if (snapshot === undefined) {
    const temporary = temporaryName('cs', sourceName, targetName);
    ownSnapshot = temporary; // removed in `finally`, also when its creation's reply is lost
    try {
      await takeTemporarySnapshot(job, temporary);
      snapshot = temporary;
    } catch (error) {
      if (!unsupported(error)) throw error;
      const users = core.inUseOn(await core.resources(sourceName, undefined, call));
      if (users.length > 0) {
        throw new VolumeError(
          'in-use',
          `${job.what}: the source's pools take no snapshots, so it can only be copied while no guest uses it (in use on ${users.join(', ')}).`,
        );
      }
    }
  }
  try {
    if (snapshot !== undefined) {
      const restored = temporaryName('cr', sourceName, snapshot, targetName);
      job.temporaries.push(restored);
      await restoreIntoTemporary(core, sourceName, snapshot, restored, `clone:${targetName}`, {}, call);
      readFrom = restored;
    }
    const existed = await createTarget(job, () =>
      core.client.resourceGroups.spawn(
        job.group,
        {
          resource_definition_name: targetName,
          volume_sizes: [job.targetKib],
          resource_definition_props: job.props,
        },
        beforeChange(call),
      ),
    );
    if (existed) return { existed };
    const targetResources = await core.resources(targetName, undefined, call);
    const zeroed = targetResources
      .filter((r) => !isDiskless(r))
      .every((r) => (r.volumes ?? []).every((v) => isThinProviderKind(v.provider_kind)));
    const node = await chooseCopyNode(core, readFrom, targetName, call);
    await copyBetweenVolumes(core, {
      source: readFrom,
      target: targetName,
      node,
      bytes: job.sourceKib * KIB,
      targetBytes: job.targetKib * KIB,
      targetIsZeroed: zeroed,
      onProgress: job.onProgress,
      call,
    });
    if (readFrom !== sourceName) {
      await removeTemporaryDefinition(core, readFrom, call);
      job.temporaries.splice(job.temporaries.indexOf(readFrom), 1);
    }
    return 'built';
  } finally {
    if (ownSnapshot) {
      await core.cleanup([(undo) => core.client.snapshots.delete(sourceName, ownSnapshot, {}, undo)]);
    }
  }
}
