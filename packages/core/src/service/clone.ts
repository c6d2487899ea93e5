/**
 * Clone a volume or a snapshot into a new volume, possibly in another resource group and larger.
 *
 * Three ways, chosen by what the pools allow:
 * 1. LINSTOR's clone API (volume sources whose pools the target group also uses): storage-side,
 *    asynchronous; a FAILED clone is removed and reported.
 * 2. Snapshot → restore → grow (snapshot sources, or when the controller or pools lack the clone
 *    API): a temporary snapshot for volume sources, removed afterwards.
 * 3. Create + copy (the target group uses other pools, which neither the clone API nor a restore
 *    can reach): a fresh volume in the target group and a dd copy on a node that has both.
 */

import {
  FAIL_EXISTS_RSC_DFN,
  FAIL_INVLD_PROVIDER,
  FAIL_SNAPSHOTS_NOT_SUPPORTED,
  isThinProviderKind,
  nameKey,
  PROP_HV_MIGRATION,
  PROP_HV_PENDING,
  type Props,
  type ResourceDefinition,
  type ResourceWithVolumes,
  sameName,
  WARN_NOT_CONNECTED,
  WARN_STLT_NOT_UPDATED,
} from '@linstor-hv/api';
import { type CallOptions, CloneFailedError, LinstorApiError, OutcomeUnknownError } from '@linstor-hv/client';
import { VolumeError, VolumeNotFoundError, VolumeValidationError } from '../errors';
import { wrapFailureAfterCleanup } from '../failure';
import { isOwnVolume, ownershipProps, snapshotNameFor } from '../naming';
import {
  beforeChange,
  type CleanupStep,
  callOf,
  isDeleting,
  isDiskless,
  isTieBreaker,
  KIB,
  type ServiceCore,
  type SignalOptions,
  VOLUME_NUMBER,
} from './core';
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
import {
  checkExtraProps,
  collisionMessage,
  diskfulNodes,
  removeUnfinished,
  requireReplicas,
} from './volumes';

/** The first pause while LINSTOR clones (LINSTOR's clients wait 1 s; thin pools finish sooner). */
const CLONE_FIRST_POLL_MS = 20;

function diskfulPools(resources: readonly ResourceWithVolumes[]): string[] {
  const pools = new Set<string>();
  for (const r of resources) {
    if (isDiskless(r) || isDeleting(r)) continue;
    for (const v of r.volumes ?? []) if (v.storage_pool_name) pools.add(nameKey(v.storage_pool_name));
  }
  return [...pools];
}

function unsupported(error: unknown): boolean {
  return (
    error instanceof LinstorApiError &&
    (error.has(FAIL_INVLD_PROVIDER) || error.has(FAIL_SNAPSHOTS_NOT_SUPPORTED) || error.isUnknownRoute())
  );
}

/** Clones with LINSTOR's clone API; false when the controller or pools do not support it. */
async function cloneWithApi(
  core: ServiceCore,
  source: string,
  target: string,
  group: string,
  props: Props,
  call: CallOptions,
): Promise<boolean> {
  const request = {
    name: target,
    resource_group: group,
    override_props: props,
    delete_props: [PROP_HV_MIGRATION],
  };
  try {
    await core.client.resourceDefinitions.clone(source, request, beforeChange(call));
  } catch (error) {
    if (unsupported(error)) return false;
    if (!(error instanceof OutcomeUnknownError)) throw error;
    // Reconcile the lost reply: the clone started if the target exists (with our pending mark).
    const found = await core.definition(target, call);
    if (!found) await core.client.resourceDefinitions.clone(source, request, beforeChange(call));
  }
  // A thin clone is done in milliseconds; start polling soon (the pause grows by half each poll).
  await core.client.wait.cloneComplete(source, target, {
    timeoutMs: core.deadlines.cloneMs,
    intervalMs: CLONE_FIRST_POLL_MS,
    ...call,
  });
  // The clone API puts a resource on every node of the source, its diskless attachments included;
  // a new volume is attached nowhere until the platform asks.
  for (const r of await core.resources(target, undefined, call)) {
    if (isDiskless(r) && !isTieBreaker(r) && r.node_name) {
      await core.client.resources.delete(target, r.node_name, { keepTiebreaker: true }, beforeChange(call));
    }
  }
  return true;
}

/**
 * Takes the temporary snapshot a clone reads from (replacing a leftover of the same name); a lost
 * reply is reconciled by looking for the snapshot.
 */
async function takeTemporarySnapshot(
  core: ServiceCore,
  source: string,
  name: string,
  target: string,
  call: CallOptions,
): Promise<void> {
  await core.client.snapshots.delete(source, name, {}, beforeChange(call));
  try {
    await core.client.snapshots.create(
      source,
      { name, snapshot_definition_props: temporaryProps(core, `clone:${target}`) },
      beforeChange(call),
    );
  } catch (error) {
    if (!(error instanceof OutcomeUnknownError)) throw error;
    const found = await core.client.snapshots.getOrUndefined(source, name, call);
    if (!found || !describeSnapshot(found).successful) throw error;
  }
}

/** Creates `target` in `group` from a snapshot of `source` (restore keeps the snapshot's pools). */
async function restoreAsVolume(
  core: ServiceCore,
  source: string,
  snapshot: string,
  target: string,
  group: string,
  props: Props,
  call: CallOptions,
): Promise<void> {
  await core.client.resourceDefinitions.create(
    { resource_definition: { name: target, resource_group_name: group, props } },
    beforeChange(call),
  );
  await core.client.snapshots.restoreVolumeDefinitions(
    source,
    snapshot,
    { to_resource: target },
    beforeChange(call),
  );
  await core.client.snapshots.restoreResources(source, snapshot, { to_resource: target }, beforeChange(call));
}

/**
 * Clones a volume (or one of its snapshots) into a new volume of at least the source's size, with
 * the target group's replica count, tagged with this owner. Fails leaving nothing behind; repeating
 * it after success returns `existed: true`.
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

  const temporaries: string[] = [];
  let temporarySnapshot: string | undefined;
  let started = false;
  try {
    let sourceKib: number;
    let snapshotName: string | undefined;
    /** Where a restore of the snapshot puts its diskful replicas (the snapshot's nodes). */
    let snapshotNodes: readonly string[] | undefined;
    if (request.snapshot === undefined) {
      const sourceDefinition = await core.definition(sourceName, call);
      if (!sourceDefinition)
        throw new VolumeNotFoundError(`${what}: the source volume does not exist.`, {
          volume: request.source,
        });
      sourceKib = core.sizeKibOf(sourceDefinition) ?? 0;
    } else {
      // The snapshot alone answers for its volume (a missing volume has no snapshot either) and
      // carries the size, so a restore costs no read of the source definition.
      snapshotName = snapshotNameFor(request.snapshot);
      const snapshot = await core.client.snapshots.getOrUndefined(sourceName, snapshotName, call);
      const info = snapshot ? describeSnapshot(snapshot) : undefined;
      if (!info?.successful) {
        throw new VolumeNotFoundError(`${what}: the source has no usable snapshot '${request.snapshot}'.`, {
          volume: request.source,
        });
      }
      if (info.sizeBytes === undefined) {
        const sourceDefinition = await core.definition(sourceName, call);
        sourceKib = (sourceDefinition && core.sizeKibOf(sourceDefinition)) ?? 0;
      } else {
        sourceKib = info.sizeBytes / KIB;
      }
      snapshotNodes = info.nodes;
    }
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
      [PROP_HV_PENDING]: 'clone',
    };

    /**
     * A target that exists already: this owner's finished clone is the answer (a repeat), its
     * unfinished one is removed to start over, anything else is a collision.
     */
    const settleExisting = async (existing: ResourceDefinition): Promise<CreateResult | undefined> => {
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
      await removeUnfinished(core, targetName, request.name, call); // an interrupted attempt: start over
      return undefined;
    };

    // A group without a pool list takes any pool; only a list needs the source's pools read.
    const targetPools = placement.storagePools.map(nameKey);
    const samePools =
      targetPools.length === 0 ||
      diskfulPools(await core.resources(sourceName, undefined, call)).every((p) => targetPools.includes(p));

    // A restore of a named snapshot creates the definition first, and LINSTOR refuses one that
    // exists: that refusal is the existence check (one read less on every restore).
    const restoresSnapshot = snapshotName !== undefined && samePools;
    if (!restoresSnapshot) {
      const existing = await core.definition(targetName, call);
      const settled = existing && (await settleExisting(existing));
      if (settled) return settled;
    }

    started = true;
    let done = false;
    /** Size and diskful nodes of the target when the path that made it tells them. */
    let madeKib: number | undefined;
    let madeNodes: readonly string[] | undefined;
    if (snapshotName === undefined && samePools) {
      done = await cloneWithApi(core, sourceName, targetName, group, props, call);
    }
    if (!done && samePools) {
      let restoreFrom = snapshotName;
      if (restoreFrom === undefined) {
        temporarySnapshot = temporaryName('cs', sourceName, targetName);
        try {
          await takeTemporarySnapshot(core, sourceName, temporarySnapshot, targetName, call);
          restoreFrom = temporarySnapshot;
        } catch (error) {
          if (!unsupported(error)) throw error;
          temporarySnapshot = undefined; // thick pools: fall through to create + copy
        }
      }
      if (restoreFrom !== undefined) {
        try {
          await restoreAsVolume(core, sourceName, restoreFrom, targetName, group, props, call);
        } catch (error) {
          if (!(restoresSnapshot && error instanceof LinstorApiError && error.has(FAIL_EXISTS_RSC_DFN))) {
            throw error;
          }
          started = false; // the definition that exists is not this attempt's
          const existing = await core.definition(targetName, call);
          const settled = existing && (await settleExisting(existing));
          if (settled) return settled;
          started = true;
          await restoreAsVolume(core, sourceName, restoreFrom, targetName, group, props, call);
        }
        done = true;
        if (restoreFrom === snapshotName) {
          madeKib = sourceKib;
          madeNodes = snapshotNodes;
        }
      }
    }
    if (!done) {
      await copyIntoNewVolume(core, {
        sourceName,
        snapshotName,
        sourceKib,
        targetName,
        targetKib,
        group,
        props,
        temporaries,
        onProgress: request.onProgress,
        what,
        call,
      });
    }

    const currentKib =
      madeKib ?? (await core.client.volumeDefinitions.get(targetName, VOLUME_NUMBER, call)).size_kib;
    if (currentKib < targetKib) {
      // DRBD grows only when every replica is UpToDate; a fresh clone or restore may still sync.
      await core.client.wait.synced(targetName, { timeoutMs: core.deadlines.resizeMs, ...call });
      const reply = await core.client.volumeDefinitions.modify(
        targetName,
        VOLUME_NUMBER,
        { size_kib: targetKib },
        beforeChange(call),
      );
      // As in resizeVolume: LINSTOR answers once the satellites grew; only one it could not reach
      // grows later, and then the resize is waited for.
      if (reply.has(WARN_NOT_CONNECTED) || reply.has(WARN_STLT_NOT_UPDATED)) {
        await core.client.wait.resizeDone(targetName, VOLUME_NUMBER, targetKib, {
          timeoutMs: core.deadlines.resizeMs,
          ...call,
        });
      }
    }
    let nodes = madeNodes !== undefined ? [...madeNodes].sort() : await diskfulNodes(core, targetName, call);
    if (nodes.length < placement.replicas) {
      await core.client.resources.autoplace(targetName, {}, beforeChange(call));
      nodes = await requireReplicas(core, what, targetName, placement.replicas, call);
    }
    await core.client.resourceDefinitions.modify(
      targetName,
      { delete_props: [PROP_HV_PENDING] },
      beforeChange(call),
    );
    const warnings = temporarySnapshot
      ? await core.cleanup([
          (undo) => core.client.snapshots.delete(sourceName, temporarySnapshot as string, {}, undo),
        ])
      : '';
    return {
      name: request.name,
      resourceName: targetName,
      sizeBytes: targetKib * KIB,
      diskfulNodes: nodes,
      existed: false,
      warnings: warnings ? [warnings.trim()] : [],
    };
  } catch (error) {
    const steps: CleanupStep[] = [];
    if (started) steps.push((undo) => removeUnfinished(core, targetName, request.name, undo));
    for (const temporary of temporaries) {
      steps.push((undo) => removeTemporaryDefinition(core, temporary, undo));
    }
    if (temporarySnapshot) {
      const snapshot = temporarySnapshot;
      steps.push((undo) => core.client.snapshots.delete(sourceName, snapshot, {}, undo));
    }
    const leftover = await core.cleanup(steps);
    if (error instanceof CloneFailedError) {
      throw new VolumeError(
        'linstor',
        `${what}: LINSTOR reported the clone as FAILED (a node went offline or the copy did not complete); the partial clone was removed.${leftover}`,
        { cause: error, volume: request.name },
      );
    }
    throw wrapFailureAfterCleanup(what, error, leftover, { volume: request.name });
  }
}

/**
 * Path 3: a new volume in the target group (spawned with the pending mark) and a data copy from
 * the source, read from a restored snapshot so a running guest cannot tear the copy.
 */
async function copyIntoNewVolume(
  core: ServiceCore,
  options: {
    sourceName: string;
    snapshotName: string | undefined;
    sourceKib: number;
    targetName: string;
    targetKib: number;
    group: string;
    props: Props;
    temporaries: string[];
    onProgress: CloneRequest['onProgress'];
    what: string;
    call: CallOptions;
  },
): Promise<void> {
  const { sourceName, targetName, call } = options;
  let readFrom = sourceName;
  let snapshot = options.snapshotName;
  let ownSnapshot: string | undefined;
  if (snapshot === undefined) {
    const temporary = temporaryName('cs', sourceName, targetName);
    ownSnapshot = temporary; // removed in `finally`, also when its creation's reply is lost
    try {
      await takeTemporarySnapshot(core, sourceName, temporary, targetName, call);
      snapshot = temporary;
    } catch (error) {
      if (!unsupported(error)) throw error;
      const users = core.inUseOn(await core.resources(sourceName, undefined, call));
      if (users.length > 0) {
        throw new VolumeError(
          'in-use',
          `${options.what}: the source's pools take no snapshots, so it can only be copied while no guest uses it (in use on ${users.join(', ')}).`,
        );
      }
    }
  }
  try {
    if (snapshot !== undefined) {
      const restored = temporaryName('cr', sourceName, snapshot, targetName);
      options.temporaries.push(restored);
      await restoreIntoTemporary(core, sourceName, snapshot, restored, `clone:${targetName}`, {}, call);
      readFrom = restored;
    }
    try {
      await core.client.resourceGroups.spawn(
        options.group,
        {
          resource_definition_name: targetName,
          volume_sizes: [options.targetKib],
          resource_definition_props: options.props,
        },
        beforeChange(call),
      );
    } catch (error) {
      if (
        !(
          error instanceof OutcomeUnknownError ||
          (error instanceof LinstorApiError && error.has(FAIL_EXISTS_RSC_DFN))
        )
      ) {
        throw error;
      }
      const found = await core.definition(targetName, call);
      if (!found || found.props?.[PROP_HV_PENDING] === undefined) throw error;
    }
    const targetResources = await core.resources(targetName, undefined, call);
    const zeroed = targetResources
      .filter((r) => !isDiskless(r))
      .every((r) => (r.volumes ?? []).every((v) => isThinProviderKind(v.provider_kind)));
    const node = await chooseCopyNode(core, readFrom, targetName, call);
    await copyBetweenVolumes(core, {
      source: readFrom,
      target: targetName,
      node,
      bytes: options.sourceKib * KIB,
      targetBytes: options.targetKib * KIB,
      targetIsZeroed: zeroed,
      onProgress: options.onProgress,
      call,
    });
    if (readFrom !== sourceName) {
      await removeTemporaryDefinition(core, readFrom, call);
      options.temporaries.splice(options.temporaries.indexOf(readFrom), 1);
    }
  } finally {
    if (ownSnapshot) {
      await core.cleanup([(undo) => core.client.snapshots.delete(sourceName, ownSnapshot, {}, undo)]);
    }
  }
}
