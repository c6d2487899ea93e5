/**
 * Temporary objects of multi-step verbs (a rollback's restore volume, a clone's source snapshot)
 * and the data copy between two volumes on one node. Temporary objects carry
 * `Aux/linstor-hv/temporary` and deterministic names, so a repeated verb finds and replaces what
 * a crashed attempt left, and the orphan audit finds anything left for good.
 */

import { createHash } from 'node:crypto';
import { PROP_HV_TEMPORARY, type Props } from '@linstor-hv/api';
import { LinstorApiError } from '@linstor-hv/client';
import { copyData } from '../copy/copy';
import type { ProgressCallback } from '../copy/progress';
import { VolumeError } from '../errors';
import { ownerTags } from '../naming';
import { ensureAttached, onNode, removeOwnAttachment } from './attach';
import { isDeleting, isDiskless, type ServiceCore } from './core';

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
export async function removeTemporaryDefinition(core: ServiceCore, name: string): Promise<void> {
  let snapshots: Awaited<ReturnType<typeof core.client.snapshots.list>> = [];
  try {
    snapshots = await core.client.snapshots.list(name);
  } catch (error) {
    if (error instanceof LinstorApiError && error.isNotFound()) return;
    throw error;
  }
  for (const snapshot of snapshots)
    if (snapshot.name) await core.client.snapshots.delete(name, snapshot.name);
  await core.client.resourceDefinitions.delete(name);
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
): Promise<void> {
  await removeTemporaryDefinition(core, name);
  await core.client.resourceDefinitions.create({
    resource_definition: {
      name,
      ...(options.group ? { resource_group_name: options.group } : {}),
      props: temporaryProps(core, purpose),
    },
  });
  await core.client.snapshots.restoreVolumeDefinitions(source, snapshot, { to_resource: name });
  await core.client.snapshots.restoreResources(source, snapshot, {
    to_resource: name,
    ...(options.nodes ? { nodes: [...options.nodes] } : {}),
  });
}

/** Picks the node for a copy: one where both volumes have a replica with data, else the source's first. */
export async function chooseCopyNode(core: ServiceCore, source: string, target: string): Promise<string> {
  const [sourceResources, targetResources] = await Promise.all([
    core.resources(source),
    core.resources(target),
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
  },
): Promise<void> {
  const { node } = options;
  // Attachments made only for the copy are marked temporary, so a crash mid-copy leaves something
  // the orphan audit can name.
  const mark = { [PROP_HV_TEMPORARY]: 'copy' };
  const source = await ensureAttached(core, options.source, node, mark);
  const target = await ensureAttached(core, options.target, node, mark);
  try {
    await copyData(
      { path: source.devicePath, format: 'raw' },
      { path: target.devicePath },
      {
        executor: core.executor(node),
        sourceBytes: options.bytes,
        targetBytes: options.targetBytes,
        targetIsZeroed: options.targetIsZeroed,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      },
    );
  } finally {
    const detach: (() => Promise<unknown>)[] = [];
    if (target.created) detach.push(() => removeOwnAttachment(core, options.target, node));
    if (source.created) detach.push(() => removeOwnAttachment(core, options.source, node));
    await core.cleanup(detach);
  }
}
