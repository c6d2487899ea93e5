/**
 * Resource groups shaped by a platform (Cinder's volume types become groups): make a group match a
 * wanted shape in as few requests as possible, and move a volume into another group.
 */

import {
  type AutoSelectFilter,
  FAIL_EXISTS_RSC_GRP,
  FAIL_EXISTS_VLM_GRP,
  type Props,
  type ResourceGroup,
} from '@linstor-hv/api';
import type { CallOptions } from '@linstor-hv/client';
import { VolumeError, VolumeNotFoundError, VolumeValidationError } from '../errors';
import { wrapFailure } from '../failure';
import { beforeChange, callOf, type ServiceCore, type SignalOptions } from './core';
import { createOrAdopt } from './idempotent';
import { checkExtraProps } from './volumes';

/** What a platform wants a resource group to be; fields left out are not touched. */
export interface GroupShape {
  readonly description?: string;
  /** Select-filter fields to set (each compared on its own; unset fields are left as they are). */
  readonly selectFilter?: AutoSelectFilter;
  /** Properties to set on the group. */
  readonly props?: Props;
  /** Only create the group when absent; an existing group is left as it is (e.g. LINSTOR's `DfltRscGrp`). */
  readonly keepExisting?: boolean;
}

/** What {@link ensureGroup} did. */
export interface EnsureGroupResult {
  readonly created: boolean;
  /** Fields that differed and were changed (select-filter keys, `props:<key>`, `description`). */
  readonly changed: readonly string[];
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => String(v).toLowerCase() === String(b[i]).toLowerCase());
  }
  return a === b;
}

/** The select-filter fields of `wanted` that `current` does not already have. */
function filterChanges(current: AutoSelectFilter | undefined, wanted: AutoSelectFilter): AutoSelectFilter {
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wanted)) {
    if (value === undefined) continue;
    if (!sameValue((current as Record<string, unknown> | undefined)?.[key], value)) changes[key] = value;
  }
  return changes as AutoSelectFilter;
}

/**
 * Makes resource group `name` match `shape`: creates it (with volume group 0) when absent, else
 * changes only the fields that differ, in one request. Costs one read when nothing differs. Safe
 * to run concurrently: a create that loses a race re-reads and reconciles.
 */
export async function ensureGroup(
  core: ServiceCore,
  name: string,
  shape: GroupShape,
  options: SignalOptions = {},
): Promise<EnsureGroupResult> {
  const call = callOf(options);
  const what = `Preparing resource group '${name}' failed`;
  checkExtraProps(shape.props);
  try {
    let current = await core.client.resourceGroups.getOrUndefined(name, call);
    if (!current) {
      const created = await createGroup(core, name, shape, call);
      if (created) return { created: true, changed: [] };
      current = await core.client.resourceGroups.getOrUndefined(name, call);
      if (!current)
        throw new VolumeError('linstor', `${what}: it vanished while it was being created; try again.`);
    }
    if (shape.keepExisting) return { created: false, changed: [] };
    return { created: false, changed: await reconcileGroup(core, current, shape, call) };
  } catch (error) {
    throw wrapFailure(what, error);
  }
}

/** Creates the group with its volume group; false when another caller created it first. */
async function createGroup(
  core: ServiceCore,
  name: string,
  shape: GroupShape,
  call: CallOptions,
): Promise<boolean> {
  const group: ResourceGroup = {
    name,
    ...(shape.description !== undefined ? { description: shape.description } : {}),
    ...(shape.selectFilter ? { select_filter: shape.selectFilter } : {}),
  };
  // Exists, or the reply was lost and it is there: the caller reads it and shapes it as it finds it.
  const created = await createOrAdopt({
    create: async () => {
      await core.client.resourceGroups.create(group, beforeChange(call));
      return true;
    },
    exists: FAIL_EXISTS_RSC_GRP,
    read: () => core.client.resourceGroups.getOrUndefined(name, call),
    adopt: () => false,
  });
  if (!created) return false;
  // The controller ignores props on create; they are set with the volume group in place.
  if (shape.props && Object.keys(shape.props).length > 0) {
    await core.client.resourceGroups.modify(name, { override_props: shape.props }, beforeChange(call));
  }
  await createOrAdopt({
    create: async () => {
      await core.client.volumeGroups.create(name, { volume_number: 0 }, beforeChange(call));
    },
    exists: FAIL_EXISTS_VLM_GRP,
    read: () => core.client.volumeGroups.getOrUndefined(name, 0, call),
    adopt: () => undefined,
  });
  core.forgetPlacement(name);
  return true;
}

async function reconcileGroup(
  core: ServiceCore,
  current: ResourceGroup,
  shape: GroupShape,
  call: CallOptions,
): Promise<string[]> {
  const filter = filterChanges(current.select_filter, shape.selectFilter ?? {});
  const props: Props = {};
  for (const [key, value] of Object.entries(shape.props ?? {})) {
    if (current.props?.[key] !== value) props[key] = value;
  }
  const description = shape.description !== undefined && shape.description !== current.description;
  const changed = [
    ...Object.keys(filter),
    ...Object.keys(props).map((key) => `props:${key}`),
    ...(description ? ['description'] : []),
  ];
  if (changed.length === 0) return [];
  await core.client.resourceGroups.modify(
    current.name,
    {
      ...(Object.keys(filter).length > 0 ? { select_filter: filter } : {}),
      ...(Object.keys(props).length > 0 ? { override_props: props } : {}),
      ...(description ? { description: shape.description } : {}),
    },
    beforeChange(call),
  );
  core.forgetPlacement(current.name);
  return changed;
}

/**
 * Moves a volume into another resource group (its replicas stay where they are; the group's rules
 * apply to later placements). Moving into the group it is in changes nothing.
 */
export async function moveToGroup(
  core: ServiceCore,
  name: string,
  group: string,
  options: SignalOptions = {},
): Promise<{ moved: boolean }> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Moving volume '${name}' into resource group '${group}' failed`;
  try {
    const definition = await core.definition(resourceName, call);
    if (!definition) throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
    const foreign = core.foreignOwner(definition.props);
    if (foreign !== undefined) {
      throw new VolumeValidationError(`${what}: the volume belongs to ${foreign}, not to this owner.`, {
        volume: name,
      });
    }
    if ((definition.resource_group_name ?? '').toLowerCase() === group.toLowerCase()) return { moved: false };
    await core.client.resourceDefinitions.modify(resourceName, { resource_group: group }, beforeChange(call));
    return { moved: true };
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}
