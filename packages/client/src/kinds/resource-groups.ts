import type {
  QueryAllSizeInfoRequest,
  QueryAllSizeInfoResponse,
  QuerySizeInfoRequest,
  QuerySizeInfoResponse,
  ResourceGroup,
  ResourceGroupAdjust,
  ResourceGroupModify,
  ResourceGroupSpawn,
} from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';
import { type ListPaging, type PropsFilter, paging, propsQuery } from './filters';

/** Filter of `GET /v1/resource-groups`. */
export interface ResourceGroupListFilter extends ListPaging {
  resourceGroups?: readonly string[];
  props?: PropsFilter;
}

/** Resource groups, spawning and capacity queries. */
export function resourceGroupsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-groups`. */
    list: (filter?: ResourceGroupListFilter, call?: CallOptions) =>
      exchange.getList<ResourceGroup>(
        '/v1/resource-groups',
        {},
        { resource_groups: filter?.resourceGroups, props: propsQuery(filter?.props), ...paging(filter) },
        call,
      ),
    /** `GET /v1/resource-groups/{rg}`. */
    get: (group: string, call?: CallOptions) =>
      exchange.getObject<ResourceGroup>(
        '/v1/resource-groups/{resource_group}',
        { resource_group: group },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (group: string, call?: CallOptions) => orUndefined(api.get(group, call)),
    /** `POST /v1/resource-groups`. The controller ignores `props` here: set them with `modify`. */
    create: (group: ResourceGroup, call?: CallOptions) =>
      exchange.mutate('POST', '/v1/resource-groups', {}, group, call),
    /** `PUT /v1/resource-groups/{rg}`. */
    modify: (group: string, modify: ResourceGroupModify, call?: CallOptions) =>
      exchange.mutate('PUT', '/v1/resource-groups/{resource_group}', { resource_group: group }, modify, call),
    /** `DELETE /v1/resource-groups/{rg}`. */
    delete: (group: string, call?: CallOptions) =>
      exchange.mutate(
        'DELETE',
        '/v1/resource-groups/{resource_group}',
        { resource_group: group },
        undefined,
        call,
      ),
    /** `POST /v1/resource-groups/{rg}/spawn`: RD + VDs (+ autoplace). Check `reply.infos` for INFO_NO_RSC_SPAWNED. */
    spawn: (group: string, spawn: ResourceGroupSpawn, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-groups/{resource_group}/spawn',
        { resource_group: group },
        spawn,
        call,
      ),
    /** `POST /v1/resource-groups/{rg}/query-size-info` (a read; safe to repeat). */
    querySizeInfo: (group: string, request: QuerySizeInfoRequest = {}, call?: CallOptions) =>
      exchange.query<QuerySizeInfoResponse>(
        '/v1/resource-groups/{resource_group}/query-size-info',
        { resource_group: group },
        request,
        call,
      ),
    /** `POST /v1/queries/resource-groups/query-all-size-info` (a read; safe to repeat). */
    queryAllSizeInfo: (request: QueryAllSizeInfoRequest = {}, call?: CallOptions) =>
      exchange.query<QueryAllSizeInfoResponse>(
        '/v1/queries/resource-groups/query-all-size-info',
        {},
        request,
        call,
      ),
    /** `POST /v1/resource-groups/{rg}/adjust`: re-run placement for all RDs of the group. */
    adjust: (group: string, adjust: ResourceGroupAdjust = {}, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-groups/{resource_group}/adjust',
        { resource_group: group },
        adjust,
        call,
      ),
  };
  return api;
}

/** The `resourceGroups` methods of a LinstorClient. */
export type ResourceGroupsApi = ReturnType<typeof resourceGroupsApi>;
