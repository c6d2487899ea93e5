/** Removing a resource definition, which LINSTOR refuses while it has snapshots. */

import { type Snapshot, WARN_NOT_FOUND } from '@linstor-hv/api';
import { type CallOptions, LinstorApiError } from '@linstor-hv/client';
import { beforeChange, type ServiceCore } from './core';

/**
 * Deletes every snapshot of a definition, then the definition (LINSTOR refuses to delete a
 * definition that has snapshots). `snapshots` are the ones the caller has just listed (saves a
 * request); otherwise they are listed here. A definition that is already gone is fine: returns
 * whether it existed.
 */
export async function deleteDefinitionAndSnapshots(
  core: ServiceCore,
  resourceName: string,
  call: CallOptions = {},
  snapshots?: readonly Snapshot[],
): Promise<boolean> {
  let listed = snapshots;
  if (listed === undefined) {
    try {
      listed = await core.client.snapshots.list(resourceName, call);
    } catch (error) {
      if (error instanceof LinstorApiError && error.isNotFound()) return false;
      throw error;
    }
  }
  for (const snapshot of listed) {
    if (snapshot.name)
      await core.client.snapshots.delete(resourceName, snapshot.name, {}, beforeChange(call));
  }
  const reply = await core.client.resourceDefinitions.delete(resourceName, beforeChange(call));
  return !reply.has(WARN_NOT_FOUND);
}
