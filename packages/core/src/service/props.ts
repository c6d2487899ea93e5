/** Platform properties on a volume (e.g. Proxmox's owner `Aux/pm/vmid`), changed in one request. */

import { type Props, sameName } from '@linstor-hv/api';
import { VolumeError, VolumeNotFoundError } from '../errors';
import { wrapFailure } from '../failure';
import { beforeChange, callOf, type ServiceCore, type SignalOptions } from './core';
import { checkExtraProps } from './volumes';

/** What {@link updateVolumeProps} changes, and what the volume must be for the change to apply. */
export interface PropsUpdate {
  /** Keys to set. */
  readonly set?: Props;
  /** Keys to remove (keys that are not set are ignored). */
  readonly remove?: readonly string[];
  /** The volume must be in this resource group (default: any group). */
  readonly resourceGroup?: string;
}

/**
 * Sets and removes properties of a volume's resource definition: one read (the volume must exist,
 * not belong to another owner, and be in `resourceGroup` when given) and one change. linstor-hv's
 * own keys (`Aux/linstor-hv/…`) are refused. Returns the properties as they are afterwards.
 */
export async function updateVolumeProps(
  core: ServiceCore,
  name: string,
  update: PropsUpdate,
  options: SignalOptions = {},
): Promise<Props> {
  const call = callOf(options);
  const what = `Changing the properties of volume '${name}' failed`;
  checkExtraProps(update.set);
  checkExtraProps(Object.fromEntries((update.remove ?? []).map((key) => [key, ''])));
  const resourceName = core.resourceName(name);
  try {
    const definition = await core.definition(resourceName, call);
    if (!definition) throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
    const group = definition.resource_group_name;
    if (
      update.resourceGroup !== undefined &&
      !(group !== undefined && sameName(group, update.resourceGroup))
    ) {
      throw new VolumeNotFoundError(
        `${what}: the volume is not in resource group '${update.resourceGroup}'.`,
        {
          volume: name,
        },
      );
    }
    const foreign = core.foreignOwner(definition.props);
    if (foreign !== undefined) {
      throw new VolumeError('blocked', `${what}: it belongs to ${foreign}, not to this owner.`, {
        volume: name,
      });
    }
    const props = definition.props ?? {};
    const remove = (update.remove ?? []).filter((key) => props[key] !== undefined);
    await core.client.resourceDefinitions.modify(
      resourceName,
      {
        ...(update.set ? { override_props: { ...update.set } } : {}),
        ...(remove.length > 0 ? { delete_props: remove } : {}),
      },
      beforeChange(call),
    );
    const after: Props = { ...props, ...update.set };
    for (const key of remove) delete after[key];
    return after;
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}
