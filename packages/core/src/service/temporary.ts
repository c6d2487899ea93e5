/**
 * Temporary objects of multi-step verbs (a rollback's restore volume, a clone's source snapshot)
 * and the data copy between two volumes on one node. Temporary objects carry
 * `Aux/linstor-hv/temporary` and deterministic names, so a repeated verb finds and replaces what
 * a crashed attempt left, and the orphan audit finds anything left for good.
 */

import { createHash } from 'node:crypto';
import { PROP_HV_TEMPORARY, type Props } from '@linstor-hv/api';
import type { CallOptions } from '@linstor-hv/client';
import { copyData } from '../copy/copy';
import type { ProgressCallback } from '../copy/progress';
import { VolumeError } from '../errors';
import { ownerTags } from '../naming';
import { ensureAttached, onNode, removeOwnAttachment } from './attach';
import { beforeChange, type CleanupStep, isDeleting, isDiskless, type ServiceCore } from './core';
import { deleteDefinitionAndSnapshots } from './definitions';

/** Prefix of every temporary resource definition and snapshot linstor-hv creates. */
export const TEMPORARY_PREFIX = 'lhv-tmp-';

/** A deterministic valid LINSTOR name for a temporary object serving `purpose` of `parts`. */
export function temporaryName(purpose: string, ...parts: string[]): string {
  const digest = createHash('sha256')
    .update([purpose, ...parts].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
  return `${TEMPORARY_PREFIX}${purpose}-${digest}`;
}

/** The props of a temporary object: this owner's tags plus what it is for. */
export function temporaryProps(core: ServiceCore, purpose: string): Props {
  return { ...ownerTags(core.ownership), [PROP_HV_TEMPORARY]: purpose };
}

/** Deletes a temporary resource definition (with any snapshots); already gone is fine. */
export async function removeTemporaryDefinition(
  core: ServiceCore,
  name: string,
  call: CallOptions = {},
): Promise<void> {
  await deleteDefinitionAndSnapshots(core, name, call);
}

/**
 * Restores `snapshot` of `source` into a new temporary definition `name` (deleting a leftover of
 * the same name first), in the source's group and pools, on `nodes` (default: all the snapshot's).
 */
export async function restoreIntoTemporary(
  core: ServiceCore,
  source: string,
  snapshot: string,
  name: string,
  purpose: string,
  options: { group?: string; nodes?: readonly string[] } = {},
  call: CallOptions = {},
): Promise<void> {
  await removeTemporaryDefinition(core, name, call);
  await core.client.resourceDefinitions.create(
    {
      resource_definition: {
        name,
        ...(options.group ? { resource_group_name: options.group } : {}),
        props: temporaryProps(core, purpose),
      },
    },
    beforeChange(call),
  );
  await core.client.snapshots.restoreVolumeDefinitions(
    source,
    snapshot,
    { to_resource: name },
    beforeChange(call),
  );
  await core.client.snapshots.restoreResources(
    source,
    snapshot,
    { to_resource: name, ...(options.nodes ? { nodes: [...options.nodes] } : {}) },
    beforeChange(call),
  );
}

/** Picks the node for a copy: one where both volumes have a replica with data, else the source's first. */
export async function chooseCopyNode(
  core: ServiceCore,
  source: string,
  target: string,
  call: CallOptions = {},
): Promise<string> {
  const [sourceResources, targetResources] = await Promise.all([
    core.resources(source, undefined, call),
    core.resources(target, undefined, call),
  ]);
  const sourceDiskful = sourceResources.filter((r) => !isDiskless(r) && !isDeleting(r));
  const both = sourceDiskful.find((r) => {
    const peer = onNode(targetResources, r.node_name ?? '');
    return peer !== undefined && !isDiskless(peer);
  });
  const chosen = both ?? sourceDiskful[0] ?? sourceResources[0];
  if (!chosen?.node_name) {
    throw new VolumeError('placement', `The volume '${source}' has no replica to copy data from.`);
  }
  return chosen.node_name;
}

/**
 * Copies `bytes` of volume data from `source` to `target` on `node`, attaching either diskless
 * there for the copy when it has no replica (and removing that attachment afterwards).
 */
export async function copyBetweenVolumes(
  core: ServiceCore,
  options: {
    source: string;
    target: string;
    node: string;
    bytes: number;
    targetBytes: number;
    targetIsZeroed: boolean;
    onProgress?: ProgressCallback | undefined;
    call?: CallOptions;
  },
): Promise<void> {
  const { node } = options;
  const call = options.call ?? {};
  // Attachments made only for the copy are marked temporary, so a crash mid-copy leaves something
  // the orphan audit can name.
  const mark = { [PROP_HV_TEMPORARY]: 'copy' };
  const source = await ensureAttached(core, options.source, node, mark, undefined, call);
  let target: Awaited<ReturnType<typeof ensureAttached>> | undefined;
  try {
    target = await ensureAttached(core, options.target, node, mark, undefined, call);
    await copyData(
      { path: source.devicePath, format: 'raw' },
      { path: target.devicePath },
      {
        executor: core.executor(node),
        sourceBytes: options.bytes,
        targetBytes: options.targetBytes,
        targetIsZeroed: options.targetIsZeroed,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      },
    );
  } finally {
    const detach: CleanupStep[] = [];
    if (target?.created) detach.push((undo) => removeOwnAttachment(core, options.target, node, undo));
    if (source.created) detach.push((undo) => removeOwnAttachment(core, options.source, node, undo));
    await core.cleanup(detach);
  }
}
