/** The capacity verb: the group's placement and node list, then the cached pool view. */

import { computeCapacity, type GroupCapacity } from '../capacity';
import { wrapFailure } from '../failure';
import { callOf, type ServiceCore, type SignalOptions } from './core';

/**
 * How old a group's placement may be for a capacity figure. A platform polls capacity about once a
 * minute (PVE's `statuscache`), so the one-minute placement of the other verbs would be read again
 * on every poll; a changed group shows in the figures within this time, and a verb that changes the
 * group forgets the placement at once.
 */
const CAPACITY_PLACEMENT_MAX_AGE_MS = 10 * 60_000;

/**
 * Capacity of a resource group (the model is in the package README). The placement (cached, see
 * {@link CAPACITY_PLACEMENT_MAX_AGE_MS}) and the node list are read in parallel, then the cached
 * pool view restricted to the group's pools: none of them grows with the number of volumes, and a
 * long-running caller makes two requests per poll. The node list is needed because a cached pool
 * view still shows the last figures of a node that went offline.
 */
export async function groupCapacity(
  core: ServiceCore,
  group: string,
  options: SignalOptions = {},
): Promise<GroupCapacity> {
  const call = callOf(options);
  try {
    const [placement, nodes] = await Promise.all([
      core.placement(group, call, CAPACITY_PLACEMENT_MAX_AGE_MS),
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
