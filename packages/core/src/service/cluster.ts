/** Questions about the LINSTOR cluster itself: is a controller healthy, and which cluster is it. */

import { VolumeError, VolumeNotFoundError } from '../errors';
import { wrapFailure } from '../failure';
import { callOf, type ServiceCore, type SignalOptions } from './core';

/** Which LINSTOR cluster and resource group a service works on. */
export interface ClusterIdentity {
  /** The controller's `Cluster/LocalID`, else the group's uuid, else `unknown`. */
  readonly cluster: string;
  /** The resource group's name as LINSTOR spells it. */
  readonly resourceGroup: string;
}

/** Fails unless the controller the client uses answers its health check (one request). */
export async function checkController(core: ServiceCore, options: SignalOptions = {}): Promise<void> {
  let healthy: boolean;
  try {
    healthy = await core.client.health(callOf(options));
  } catch (error) {
    throw wrapFailure('Checking the LINSTOR controller failed', error);
  }
  if (!healthy) {
    throw new VolumeError(
      'unavailable',
      `The LINSTOR controller ${core.client.currentController} is not healthy.`,
    );
  }
}

/** The cluster's id and the group's name (two requests in parallel). */
export async function clusterIdentity(
  core: ServiceCore,
  group: string,
  options: SignalOptions = {},
): Promise<ClusterIdentity> {
  const call = callOf(options);
  const what = `Reading the identity of resource group '${group}' failed`;
  try {
    const [properties, found] = await Promise.all([
      core.client.controller.properties(call),
      core.client.resourceGroups.getOrUndefined(group, call),
    ]);
    if (!found) throw new VolumeNotFoundError(`LINSTOR has no resource group '${group}'.`);
    return {
      cluster: properties['Cluster/LocalID'] ?? found.uuid ?? 'unknown',
      resourceGroup: found.name ?? group,
    };
  } catch (error) {
    throw wrapFailure(what, error);
  }
}
