/** The capacity verb: the group's placement and node list, then the cached pool view. */

import { computeCapacity, type GroupCapacity } from '../capacity';
import { wrapFailure } from '../failure';
import { callOf, type ServiceCore, type SignalOptions } from './core';

/**
 * Capacity of a resource group (the model is in the package README). The placement (cached for a
 * minute) and the node list are read in parallel, then the cached pool view restricted to the
 * group's pools: none of them grows with the number of volumes. The node list is needed because a
 * cached pool view still shows the last figures of a node that went offline.
 */
export async function groupCapacity(
  core: ServiceCore,
  group: string,
  options: SignalOptions = {},
): Promise<GroupCapacity> {
  const call = callOf(options);
  try {
    const [placement, nodes] = await Promise.all([
      core.placement(group, call),
      core.client.nodes.list(undefined, call),
    ]);
    const pools = await core.client.storagePools.list(
      {
        cached: true,
        ...(placement.storagePools.length > 0 ? { storagePools: placement.storagePools } : {}),
      },
      call,
    );
    return computeCapacity(pools, placement, {
      nodes,
      ...(core.overSubscriptionRatio !== undefined
        ? { overSubscriptionRatio: core.overSubscriptionRatio }
        : {}),
    });
  } catch (error) {
    throw wrapFailure(`Reading the capacity of resource group '${group}' failed`, error);
  }
}
