/**
 * Releasing a volume on a node when the platform is done with it there (Proxmox's
 * deactivate_volume): a live migration recorded for that node ends (committed on its source,
 * aborted on its target), otherwise only this owner's diskless attachment goes.
 */

import { PROP_HV_MIGRATION, sameName } from '@linstor-hv/api';
import { wrapFailure } from '../failure';
import { abortMigration, commitMigration, healRecord, removeOwnAttachment } from './attach';
import { callOf, definitionPropInView, migrationOf, type ServiceCore, type SignalOptions } from './core';
import type { DetachResult } from './types';

/** What {@link deactivateVolume} did. */
export interface DeactivateResult {
  /**
   * `detached`: this owner's diskless attachment was removed; `kept`: nothing was removed (see
   * `kept`); `migration-committed` / `migration-aborted`: the node was the source / target of a
   * recorded live migration, which was finished accordingly.
   */
  readonly action: 'detached' | 'kept' | 'migration-committed' | 'migration-aborted';
  /** Why nothing was removed, when `action` is `kept`. */
  readonly kept?: DetachResult['kept'];
}

/**
 * Releases a volume on `node`. One resource view serves the common cases: it shows the node's
 * resource and, through the resources' effective props, the definition's migration record. So a
 * node with a replica costs that one request, a diskless attachment one more (its delete). A
 * controller whose view lacks effective props costs a read of the definition.
 */
export async function deactivateVolume(
  core: ServiceCore,
  name: string,
  node: string,
  options: SignalOptions = {},
): Promise<DeactivateResult> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  try {
    const resources = await core.resources(resourceName, undefined, call);
    if (resources.length === 0) return { action: 'kept', kept: 'absent' };
    const inView = definitionPropInView(resources, PROP_HV_MIGRATION);
    const text =
      inView !== undefined
        ? inView
        : ((await core.definition(resourceName, call))?.props?.[PROP_HV_MIGRATION] ?? null);
    const record = text === null ? undefined : migrationOf({ [PROP_HV_MIGRATION]: text });
    if (record && sameName(record.from, node)) {
      await commitMigration(core, name, record.from, record.to, options);
      return { action: 'migration-committed' };
    }
    if (record && sameName(record.to, node)) {
      await abortMigration(core, name, record.from, record.to, options);
      return { action: 'migration-aborted' };
    }
    if (text !== null) await healRecord(core, resourceName, text, resources, call);
    const detached = await removeOwnAttachment(core, resourceName, node, call, resources);
    return detached.removed ? { action: 'detached' } : { action: 'kept', kept: detached.kept ?? 'absent' };
  } catch (error) {
    throw wrapFailure(`Releasing volume '${name}' on node '${node}' failed`, error, { volume: name });
  }
}
