/**
 * Clone a volume or a snapshot into a new volume, possibly in another resource group and larger:
 * the checks, the choice among the three ways (clone-strategies.ts), growing to the asked size,
 * the replica count, and the undo. A clone carries an attempt id (`Aux/linstor-hv/attempt` with
 * `created-at`) while it is pending, as a create does, so two clones into one name leave exactly
 * one winner and a repeat resumes only its own attempt.
 */

import {
  nameKey,
  PROP_HV_ATTEMPT,
  PROP_HV_CREATED_AT,
  PROP_HV_PENDING,
  type Props,
  type ResourceDefinition,
  type ResourceWithVolumes,
  sameName,
} from '@linstor-hv/api';
import { type CallOptions, CloneFailedError } from '@linstor-hv/client';
import type { GroupPlacement } from '../capacity';
import { VolumeError, VolumeNotFoundError, VolumeValidationError } from '../errors';
import { wrapFailureAfterCleanup } from '../failure';
import { isOwnVolume, ownershipProps, snapshotNameFor } from '../naming';
import { collisionMessage, defaultAttemptId, pendingAttempt, pendingProps } from './attempts';
import {
  type BuildOutcome,
  type CloneJob,
  cloneByCopy,
  cloneByRestore,
  cloneWithApi,
} from './clone-strategies';
import {
  beforeChange,
  type CleanupStep,
  callOf,
  isDeleting,
  isDiskless,
  KIB,
  type ServiceCore,
  type SignalOptions,
  VOLUME_NUMBER,
} from './core';
import { describeSnapshot } from './snapshots';
import { removeTemporaryDefinition } from './temporary';
import type { CloneRequest, CreateResult } from './types';
import {
  checkExtraProps,
  diskfulNodes,
  finishedNodes,
  growDefinition,
  removeUnfinished,
  requireReplicas,
} from './volumes';

function diskfulPools(resources: readonly ResourceWithVolumes[]): string[] {
  const pools = new Set<string>();
  for (const r of resources) {
    if (isDiskless(r) || isDeleting(r)) continue;
    for (const v of r.volumes ?? []) if (v.storage_pool_name) pools.add(nameKey(v.storage_pool_name));
  }
  return [...pools];
}

/**
 * The source's size in KiB (of the snapshot when one is cloned), the snapshot's LINSTOR name, and
 * the snapshot's nodes (where a restore of it puts its diskful replicas).
 */
async function readSource(
  core: ServiceCore,
  request: CloneRequest,
  sourceName: string,
  targetName: string,
  what: string,
  call: CallOptions,
): Promise<{
  sourceKib: number;
  snapshotName?: string;
  snapshotNodes?: readonly string[];
  /** The target's definition as read with the source's (null: absent); undefined: not read. */
  target?: ResourceDefinition | null;
}> {
  if (request.snapshot === undefined) {
    // One request for both: the source's size and whether the target exists already.
    const [sourceDefinition, target] = await core.definitions([sourceName, targetName], call);
    if (!sourceDefinition)
      throw new VolumeNotFoundError(`${what}: the source volume does not exist.`, { volume: request.source });
    return { sourceKib: core.sizeKibOf(sourceDefinition) ?? 0, target: target ?? null };
  }
  // The snapshot alone answers for its volume (a missing volume has no snapshot either) and
  // carries the size, so a restore costs no read of the source definition.
  const snapshotName = snapshotNameFor(request.snapshot);
  const snapshot = await core.client.snapshots.getOrUndefined(sourceName, snapshotName, call);
  const info = snapshot ? describeSnapshot(snapshot) : undefined;
  if (!info?.successful) {
    throw new VolumeNotFoundError(`${what}: the source has no usable snapshot '${request.snapshot}'.`, {
      volume: request.source,
    });
  }
  let sourceKib: number;
  if (info.sizeBytes === undefined) {
    const sourceDefinition = await core.definition(sourceName, call);
    sourceKib = (sourceDefinition && core.sizeKibOf(sourceDefinition)) ?? 0;
  } else {
    sourceKib = info.sizeBytes / KIB;
  }
  return { sourceKib, snapshotName, snapshotNodes: info.nodes };
}

/**
 * Settles a target that is already there: a finished clone of this owner and size is the result
 * of a repeat; this attempt's unfinished one, or a dead attempt's, is removed to start over;
 * another owner's volume, or another attempt still building it, is refused.
 */
async function settleExistingTarget(
  core: ServiceCore,
  request: CloneRequest,
  existing: ResourceDefinition,
  job: Omit<CloneJob, 'settleExisting'>,
): Promise<CreateResult | undefined> {
  const { targetName, targetKib, what, call } = job;
  if (!isOwnVolume(existing.props, core.ownership, request.name)) {
    throw new VolumeError('already-exists', collisionMessage(what, targetName, existing, request.name), {
      volume: request.name,
    });
  }
  if (existing.props?.[PROP_HV_PENDING] === undefined) {
    if (core.sizeKibOf(existing) !== targetKib) {
      throw new VolumeError(
        'already-exists',
        `${what}: '${request.name}' already exists with another size.`,
        {
          volume: request.name,
        },
      );
    }
    return {
      name: request.name,
      resourceName: targetName,
      sizeBytes: targetKib * KIB,
      diskfulNodes: await diskfulNodes(core, targetName, call),
      existed: true,
      warnings: [],
    };
  }
  const whose = pendingAttempt(existing.props, job.attempt);
  if (whose === 'live') {
    throw new VolumeError(
      'already-exists',
      `${what}: another attempt (started ${existing.props?.[PROP_HV_CREATED_AT]}) is cloning into it; it exists once that attempt finishes.`,
      { volume: request.name, outcome: 'failed' },
    );
  }
  // This attempt's unfinished clone, or a dead attempt's: start over.
  const stale = whose === 'dead' ? existing.props?.[PROP_HV_ATTEMPT] : job.attempt;
  await removeUnfinished(core, targetName, request.name, call, stale);
  return undefined;
}

/**
 * Builds the target by the first way the pools allow (`samePools`: the target group uses the
 * source's pools; see clone-strategies.ts); a finished clone found in its place (a restore's
 * refusal is its existence check) is the result of a repeat.
 */
async function buildTarget(job: CloneJob, samePools: boolean): Promise<CreateResult | undefined> {
  let outcome: BuildOutcome = 'unsupported';
  if (samePools && job.snapshotName === undefined) outcome = await cloneWithApi(job);
  if (samePools && outcome === 'unsupported') outcome = await cloneByRestore(job);
  if (outcome === 'unsupported') outcome = await cloneByCopy(job);
  return typeof outcome === 'object' ? outcome.existed : undefined;
}

/**
 * Grows the built target to the asked size, places the group's replica count, and drops the
 * pending mark (the clone's last step); returns the diskful nodes.
 */
async function finishTarget(job: CloneJob, placement: GroupPlacement): Promise<string[]> {
  const { core, targetName, targetKib, call } = job;
  const currentKib =
    job.made?.kib ?? (await core.client.volumeDefinitions.get(targetName, VOLUME_NUMBER, call)).size_kib;
  if (currentKib < targetKib) {
    // DRBD grows only when every replica is UpToDate; a fresh clone or restore may still sync.
    if (!job.made?.synced) {
      await core.client.wait.synced(targetName, { timeoutMs: core.deadlines.resizeMs, ...call });
    }
    await growDefinition(core, targetName, targetKib, call);
  }
  let nodes = job.made ? [...job.made.nodes].sort() : await diskfulNodes(core, targetName, call);
  if (nodes.length < placement.replicas) {
    await core.client.resources.autoplace(targetName, {}, beforeChange(call));
    nodes = await requireReplicas(core, job.what, targetName, placement.replicas, call);
  }
  await core.client.resourceDefinitions.modify(
    targetName,
    { delete_props: [PROP_HV_PENDING] },
    beforeChange(call),
  );
  return nodes;
}

/** Removes what a finished clone read from (its temporary snapshot and copies); a failure is a warning. */
async function removeTemporaries(job: CloneJob): Promise<string[]> {
  const { core, sourceName } = job;
  const steps: CleanupStep[] = job.temporaries.map(
    (temporary) => (undo) => removeTemporaryDefinition(core, temporary, undo),
  );
  const snapshot = job.temporarySnapshot;
  if (snapshot) steps.push((undo) => core.client.snapshots.delete(sourceName, snapshot, {}, undo));
  if (steps.length === 0) return [];
  const warnings = await core.cleanup(steps);
  return warnings ? [warnings.trim()] : [];
}

/**
 * Clones a volume (or one of its snapshots) into a new volume of at least the source's size, with
 * the target group's replica count, tagged with this owner. Fails leaving nothing behind; repeating
 * it after success returns `existed: true`. Of two clones into one name, exactly one wins; the
 * other fails with `already-exists` and leaves the winner's volume alone.
 */
export async function cloneVolume(
  core: ServiceCore,
  request: CloneRequest,
  options: SignalOptions = {},
): Promise<CreateResult> {
  const call = callOf(options);
  const sourceName = core.resourceName(request.source);
  const targetName = core.resourceName(request.name);
  const group = request.resourceGroup ?? core.group;
  const from = request.snapshot
    ? `snapshot '${request.snapshot}' of volume '${request.source}'`
    : `volume '${request.source}'`;
  const what = `Cloning ${from} into '${request.name}' failed`;
  checkExtraProps(request.props);
  if (sameName(sourceName, targetName)) {
    throw new VolumeValidationError(`${what}: a clone needs a name of its own.`, { volume: request.name });
  }
  const attempt = request.attempt ?? defaultAttemptId(request.name, request.source, request.snapshot);

  let job: CloneJob | undefined;
  let started = false;
  try {
    const { sourceKib, snapshotName, snapshotNodes, target } = await readSource(
      core,
      request,
      sourceName,
      targetName,
      what,
      call,
    );
    const targetKib = request.sizeBytes !== undefined ? Math.ceil(request.sizeBytes / KIB) : sourceKib;
    if (!Number.isInteger(targetKib) || targetKib < sourceKib) {
      throw new VolumeValidationError(
        `${what}: the clone must be at least as large as its source (${sourceKib * KIB} bytes).`,
        { volume: request.name },
      );
    }
    const placement = await core.placement(group, call);
    const props: Props = {
      ...request.props,
      ...ownershipProps(core.ownership, request.name),
      ...pendingProps('clone', attempt),
    };
    const base = {
      core,
      sourceName,
      snapshotName,
      snapshotNodes,
      sourceKib,
      targetName,
      targetKib,
      group,
      props,
      attempt,
      onProgress: request.onProgress,
      what,
      call,
      temporaries: [],
    };
    job = { ...base, settleExisting: (existing) => settleExistingTarget(core, request, existing, base) };
    // A group without a pool list takes any pool; only a list needs the source's pools read.
    const targetPools = placement.storagePools.map(nameKey);
    const samePools =
      targetPools.length === 0 ||
      diskfulPools(await core.resources(sourceName, undefined, call)).every((p) => targetPools.includes(p));
    // A restore of a named snapshot creates the definition first, and LINSTOR refuses one that
    // exists: that refusal is the existence check (one read less on every restore).
    if (!(snapshotName !== undefined && samePools)) {
      const existing = target === undefined ? await core.definition(targetName, call) : (target ?? undefined);
      const repeated = existing && (await job.settleExisting(existing));
      if (repeated) return repeated;
    }
    started = true;
    const repeated = await buildTarget(job, samePools);
    if (repeated) return { ...repeated, warnings: await removeTemporaries(job) };
    const nodes = await finishTarget(job, placement);
    return {
      name: request.name,
      resourceName: targetName,
      sizeBytes: targetKib * KIB,
      diskfulNodes: nodes,
      existed: false,
      warnings: await removeTemporaries(job),
      attempt,
    };
  } catch (error) {
    if (!job) throw wrapFailureAfterCleanup(what, error, '', { volume: request.name });
    return undoClone(job, request, started, error);
  }
}

/**
 * The undo of a failed clone: this attempt's target (unless the state shows the clone finished,
 * its last reply lost: then it succeeded), the temporary volumes and the temporary snapshot.
 */
async function undoClone(
  job: CloneJob,
  request: CloneRequest,
  started: boolean,
  error: unknown,
): Promise<CreateResult> {
  const { core, sourceName, targetName } = job;
  let finished: string[] | undefined;
  const steps: CleanupStep[] = [];
  if (started) {
    steps.push(async (undo) => {
      finished = await finishedNodes(core, targetName, request.name, job.attempt, undo);
      if (!finished) await removeUnfinished(core, targetName, request.name, undo, job.attempt);
    });
  }
  for (const temporary of job.temporaries) {
    steps.push((undo) => removeTemporaryDefinition(core, temporary, undo));
  }
  const snapshot = job.temporarySnapshot;
  if (snapshot) steps.push((undo) => core.client.snapshots.delete(sourceName, snapshot, {}, undo));
  const leftover = await core.cleanup(steps);
  if (finished) {
    return {
      name: request.name,
      resourceName: targetName,
      sizeBytes: job.targetKib * KIB,
      diskfulNodes: finished,
      existed: false,
      warnings: leftover ? [leftover.trim()] : [],
      attempt: job.attempt,
    };
  }
  if (error instanceof CloneFailedError) {
    throw new VolumeError(
      'linstor',
      `${job.what}: LINSTOR reported the clone as FAILED (a node went offline or the copy did not complete); the partial clone was removed.${leftover}`,
      { cause: error, volume: request.name },
    );
  }
  throw wrapFailureAfterCleanup(job.what, error, leftover, { volume: request.name });
}
