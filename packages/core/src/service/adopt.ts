/**
 * Taking over a volume that something else created (Cinder's manage_existing) and letting go of
 * one (unmanage): the ownership tags are written or removed, nothing else changes.
 */

import { AUX_NS, PROP_HV_NAME, PROP_HV_OWNER, PROP_HV_PLATFORM, type Props } from '@linstor-hv/api';
import { VolumeError, VolumeNotFoundError } from '../errors';
import { wrapFailure } from '../failure';
import { ownershipProps } from '../naming';
import { beforeChange, callOf, KIB, type ServiceCore, type SignalOptions } from './core';
import { checkExtraProps } from './volumes';

/** A volume as {@link adoptVolume} found it. */
export interface AdoptedVolume {
  readonly resourceName: string;
  readonly sizeBytes: number;
  readonly resourceGroup: string | undefined;
}

/**
 * Tags an existing resource definition as this owner's volume `name` (plus `props`). Refuses one
 * that another linstor-hv owner tagged, and one that is a temporary object of linstor-hv.
 */
export async function adoptVolume(
  core: ServiceCore,
  name: string,
  options: { props?: Props; dryRun?: boolean } & SignalOptions = {},
): Promise<AdoptedVolume> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Taking over volume '${name}' failed`;
  checkExtraProps(options.props);
  try {
    const definition = await core.definition(resourceName, call);
    if (!definition) {
      throw new VolumeNotFoundError(`${what}: LINSTOR has no resource definition '${resourceName}'.`, {
        volume: name,
      });
    }
    const foreign = core.foreignOwner(definition.props);
    if (foreign !== undefined) {
      throw new VolumeError('already-exists', `${what}: it belongs to ${foreign}; unmanage it there first.`, {
        volume: name,
      });
    }
    const kib = core.sizeKibOf(definition);
    if (kib === undefined) {
      throw new VolumeError('invalid-argument', `${what}: '${resourceName}' has no volume 0.`, {
        volume: name,
      });
    }
    if (!options.dryRun) {
      await core.client.resourceDefinitions.modify(
        resourceName,
        {
          override_props: { ...options.props, ...ownershipProps(core.ownership, name) },
        },
        beforeChange(call),
      );
    }
    return {
      resourceName: definition.name ?? resourceName,
      sizeBytes: kib * KIB,
      resourceGroup: definition.resource_group_name,
    };
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}

/**
 * Removes this owner's tags (and the listed extra properties) from a volume, which stays in
 * LINSTOR untouched. A volume that is gone or not tagged by this owner is left alone.
 */
export async function releaseVolume(
  core: ServiceCore,
  name: string,
  options: { deleteProps?: readonly string[] } & SignalOptions = {},
): Promise<{ released: boolean }> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  try {
    const definition = await core.definition(resourceName, call);
    if (!definition || core.foreignOwner(definition.props) !== undefined) return { released: false };
    const ours = Object.keys(definition.props ?? {}).filter(
      (key) => key === PROP_HV_PLATFORM || key === PROP_HV_OWNER || key === PROP_HV_NAME,
    );
    const extra = (options.deleteProps ?? []).filter((key) => definition.props?.[key] !== undefined);
    if (ours.length + extra.length === 0) return { released: false };
    await core.client.resourceDefinitions.modify(
      resourceName,
      {
        delete_props: [...ours, ...extra.filter((key) => !key.startsWith(`${AUX_NS}/`))],
      },
      beforeChange(call),
    );
    return { released: true };
  } catch (error) {
    throw wrapFailure(`Releasing volume '${name}' failed`, error, { volume: name });
  }
}
