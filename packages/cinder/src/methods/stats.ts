/**
 * Backend statistics for Cinder's scheduler, from two requests: the capacity of the group untyped
 * volumes go to (its pools only, replica-aware, thin and thick told apart) and what Cinder's own
 * volumes provision.
 */

import type { BackendRegistry } from '../backend';
import { isCinderVolumeDefinition } from '../names';
import { method } from './common';

const GIB = 1024 ** 3;

function gib(bytes: number): number {
  return Math.round((bytes / GIB) * 100) / 100;
}

/** The stats method. */
export function statsMethods(registry: BackendRegistry) {
  return {
    get_volume_stats: method(registry, async ({ backend, config, signal }) => {
      // v1's CV_<id> and v2's volume-<id> carry no linstor-hv tags until Cinder touches them.
      const service = await backend.serviceForType(undefined, signal);
      const usage = await service.usage(undefined, { signal, alsoCount: isCinderVolumeDefinition });
      const { capacity } = usage;
      const thin = capacity.provisioning === 'thin' || capacity.provisioning === 'mixed';
      const thick = capacity.provisioning === 'thick' || capacity.provisioning === 'mixed';
      return {
        total_capacity_gb: gib(capacity.totalBytes),
        free_capacity_gb: gib(capacity.freeBytes),
        provisioned_capacity_gb: gib(usage.provisionedBytes),
        total_volumes: usage.volumes,
        thin_provisioning_support: thin,
        thick_provisioning_support: thick,
        max_over_subscription_ratio: thin ? capacity.overSubscriptionRatio : 1,
        reserved_percentage: config.reservedPercentage,
        location_info: [...config.uris].sort().join(','),
        replicas: capacity.replicas,
        offline_nodes: capacity.offlineNodes,
        resource_group: service.resourceGroup,
      };
    }),
  };
}
