/**
 * A platform's whole footprint in one poll: the capacity of the group new volumes go to and what
 * the platform's volumes provision, from two requests that do not grow with the cluster's other
 * resources (the uncached pool view and the owner-filtered definition list).
 */

import { PROP_HV_PENDING, PROP_HV_PLATFORM, type ResourceDefinition } from '@linstor-hv/api';
import { computeCapacity, type GroupCapacity } from '../capacity';
import { wrapFailure } from '../failure';
import { isOwnedBy, ownerFilter } from '../naming';
import { callOf, KIB, type ServiceCore, type SignalOptions } from './core';

/** Capacity of a group plus what this owner's volumes provision. */
export interface OwnerUsage {
  readonly capacity: GroupCapacity;
  /** Sum of the sizes of this owner's volumes (every group). */
  readonly provisionedBytes: number;
  /** How many volumes this owner has (every group). */
  readonly volumes: number;
}

/** Options of {@link ownerUsage}. */
export interface UsageOptions extends SignalOptions {
  /**
   * Untagged definitions that count as this owner's too (volumes an official plugin made before,
   * told by name); definitions of other linstor-hv owners never count.
   */
  readonly alsoCount?: ((definition: ResourceDefinition) => boolean) | undefined;
}

/**
 * Capacity of `group` and the provisioned size of this owner's volumes. The pool view is read
 * uncached so an offline satellite shows up as such (its pools carry a not-connected report)
 * without a third request for the node list.
 */
export async function ownerUsage(
  core: ServiceCore,
  group = core.group,
  options: UsageOptions = {},
): Promise<OwnerUsage> {
  const call = callOf(options);
  const { alsoCount } = options;
  try {
    const placement = await core.placement(group, call);
    const [pools, definitions] = await Promise.all([
      core.client.storagePools.list(
        {
          ...(placement.storagePools.length > 0 ? { storagePools: placement.storagePools } : {}),
        },
        call,
      ),
      // Untagged volumes can only be told by name, so `alsoCount` reads every definition (still
      // one request; the server cannot filter by name pattern).
      core.client.resourceDefinitions.list({
        ...(alsoCount ? {} : { props: ownerFilter(core.ownership) }),
        withVolumeDefinitions: true,
      }),
    ]);
    let provisionedKib = 0;
    let volumes = 0;
    for (const definition of definitions) {
      if (definition.props?.[PROP_HV_PENDING] !== undefined || (definition.flags ?? []).includes('DELETE'))
        continue;
      if (alsoCount && !isOwnedBy(definition.props, core.ownership)) {
        if (definition.props?.[PROP_HV_PLATFORM] !== undefined || !alsoCount(definition)) continue;
      }
      volumes++;
      provisionedKib += core.sizeKibOf(definition) ?? 0;
    }
    const capacity = computeCapacity(pools, placement, {
      ...(core.overSubscriptionRatio !== undefined
        ? { overSubscriptionRatio: core.overSubscriptionRatio }
        : {}),
    });
    return { capacity, provisionedBytes: provisionedKib * KIB, volumes };
  } catch (error) {
    throw wrapFailure(`Reading the usage of resource group '${group}' failed`, error);
  }
}
