/** The capacity verb: the group's placement and node list, then the cached pool view. */

import { computeCapacity, type GroupCapacity, type GroupPlacement } from '../capacity';
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
 * How a capacity read learns which nodes are offline. `node-list` (default): from the node list,
 * read beside the group's placement, then the pool view of the group's pools (three requests).
 * `pool-view`: from the pool view alone, read together with the placement (two requests, for
 * pollers with a request budget such as OpenNebula's monitor); the controller marks every pool of
 * a node it cannot reach with "No active connection to satellite" or leaves its figures out.
 */
export interface CapacityOptions extends SignalOptions {
  readonly liveness?: 'node-list' | 'pool-view';
  /**
   * The group's placement when the caller already knows it (kept from an earlier read of
   * {@link ServiceCore.placement}, no older than the caller's own limit): the group is not read.
   */
  readonly placement?: GroupPlacement;
}

function ratioOf(core: ServiceCore): { overSubscriptionRatio?: number } {
  return core.overSubscriptionRatio !== undefined
    ? { overSubscriptionRatio: core.overSubscriptionRatio }
    : {};
}

/**
 * Capacity of a resource group (the model is in the package README). The node list is read beside
 * the placement (cached, see {@link CAPACITY_PLACEMENT_MAX_AGE_MS}) and beside the cached pool
 * view restricted to the group's pools, which needs the placement: none of them grows with the
 * number of volumes, and a long-running caller makes two requests per poll in one round trip. The
 * node list is needed because a cached pool view still shows the last figures of a node that went
 * offline.
 */
export async function groupCapacity(
  core: ServiceCore,
  group: string,
  options: CapacityOptions = {},
): Promise<GroupCapacity> {
  const call = callOf(options);
  try {
    if (options.liveness === 'pool-view') {
      const [placement, pools] = await Promise.all([
        options.placement ?? core.placement(group, call, CAPACITY_PLACEMENT_MAX_AGE_MS),
        core.client.storagePools.list({ cached: true }, call),
      ]);
      return computeCapacity(pools, placement, ratioOf(core));
    }
    // The node list does not depend on the placement: it runs beside the placement read and then
    // beside the pool view, so a known placement costs one round trip for both requests.
    const nodesRead = core.client.nodes.list(undefined, call);
    nodesRead.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
    const placement = options.placement ?? (await core.placement(group, call, CAPACITY_PLACEMENT_MAX_AGE_MS));
    const [nodes, pools] = await Promise.all([
      nodesRead,
      core.client.storagePools.list(
        {
          cached: true,
          ...(placement.storagePools.length > 0 ? { storagePools: placement.storagePools } : {}),
        },
        call,
      ),
    ]);
    return computeCapacity(pools, placement, { nodes, ...ratioOf(core) });
  } catch (error) {
    throw wrapFailure(`Reading the capacity of resource group '${group}' failed`, error);
  }
}
