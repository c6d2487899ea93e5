import type { VolumeGroup, VolumeGroupModify } from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';

/** Volume groups of a resource group. */
export function volumeGroupsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-groups/{rg}/volume-groups`. */
    list: (group: string, call?: CallOptions) =>
      exchange.getList<VolumeGroup>(
        '/v1/resource-groups/{resource_group}/volume-groups',
        { resource_group: group },
        undefined,
        call,
      ),
    /** `GET /v1/resource-groups/{rg}/volume-groups/{nr}`. */
    get: (group: string, volumeNumber: number, call?: CallOptions) =>
      exchange.getObject<VolumeGroup>(
        '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
        { resource_group: group, volume_number: volumeNumber },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (group: string, volumeNumber: number, call?: CallOptions) =>
      orUndefined(api.get(group, volumeNumber, call)),
    /** `POST /v1/resource-groups/{rg}/volume-groups`. */
    create: (group: string, volumeGroup: VolumeGroup, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-groups/{resource_group}/volume-groups',
        { resource_group: group },
        volumeGroup,
        call,
      ),
    /** `PUT /v1/resource-groups/{rg}/volume-groups/{nr}`. */
    modify: (group: string, volumeNumber: number, modify: VolumeGroupModify, call?: CallOptions) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
        { resource_group: group, volume_number: volumeNumber },
        modify,
        call,
      ),
    /** `DELETE /v1/resource-groups/{rg}/volume-groups/{nr}`. */
    delete: (group: string, volumeNumber: number, call?: CallOptions) =>
      exchange.mutate(
        'DELETE',
        '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
        { resource_group: group, volume_number: volumeNumber },
        undefined,
        call,
      ),
  };
  return api;
}

/** The `volumeGroups` methods of a LinstorClient. */
export type VolumeGroupsApi = ReturnType<typeof volumeGroupsApi>;
