import type {
  AutoPlaceRequest,
  PropsModify,
  Resource,
  ResourceCreate,
  ResourceMakeAvailable,
  ResourceModify,
  ResourceWithVolumes,
  ToggleDiskRequest,
  Volume,
} from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';
import { type ListPaging, type PropsFilter, paging, propsQuery } from './filters';

/** Filter of `GET /v1/view/resources`. */
export interface ResourceViewFilter extends ListPaging {
  nodes?: readonly string[];
  resources?: readonly string[];
  storagePools?: readonly string[];
  props?: PropsFilter;
}

/** Resources (an RD placed on nodes), their volumes and placement actions. */
export function resourcesApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-definitions/{rd}/resources` (no volumes). */
    list: (resource: string, filter?: ListPaging, call?: CallOptions) =>
      exchange.getList<Resource>(
        '/v1/resource-definitions/{resource}/resources',
        { resource },
        paging(filter),
        call,
      ),
    /** `GET /v1/resource-definitions/{rd}/resources/{node}`. */
    get: (resource: string, node: string, call?: CallOptions) =>
      exchange.getObject<Resource>(
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (resource: string, node: string, call?: CallOptions) =>
      orUndefined(api.get(resource, node, call)),
    /** `GET /v1/view/resources`: resources with volumes and live state (the main status call). */
    view: (filter?: ResourceViewFilter, call?: CallOptions) =>
      exchange.getList<ResourceWithVolumes>(
        '/v1/view/resources',
        {},
        {
          nodes: filter?.nodes,
          resources: filter?.resources,
          storage_pools: filter?.storagePools,
          props: propsQuery(filter?.props),
          ...paging(filter),
        },
        call,
      ),
    /** `POST /v1/resource-definitions/{rd}/resources` with several ResourceCreate. */
    create: (resource: string, creates: readonly ResourceCreate[], call?: CallOptions) =>
      exchange.mutate('POST', '/v1/resource-definitions/{resource}/resources', { resource }, creates, call),
    /** `POST /v1/resource-definitions/{rd}/resources/{node}`. */
    createOnNode: (resource: string, node: string, create: ResourceCreate = {}, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        { ...create, resource: { ...create.resource, node_name: node } },
        call,
      ),
    /** `PUT /v1/resource-definitions/{rd}/resources/{node}`. */
    modify: (resource: string, node: string, modify: ResourceModify, call?: CallOptions) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        modify,
        call,
      ),
    /** `DELETE …/resources/{node}`; `keepTiebreaker` keeps a tie-breaker the deletion would create. */
    delete: (
      resource: string,
      node: string,
      options: { keepTiebreaker?: boolean } = {},
      call?: CallOptions,
    ) =>
      exchange.mutate(
        'DELETE',
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        undefined,
        call,
        { keep_tiebreaker: options.keepTiebreaker },
      ),
    /** `POST …/resources/{node}/make-available`: attach (diskless) or make diskful on a node. */
    makeAvailable: (
      resource: string,
      node: string,
      request: ResourceMakeAvailable = {},
      call?: CallOptions,
    ) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}/make-available',
        { resource, node },
        request,
        call,
      ),
    /** `PUT …/resources/{node}/toggle-disk` (API 1.28 form). */
    toggleDisk: (resource: string, node: string, request: ToggleDiskRequest, call?: CallOptions) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resources/{node}/toggle-disk',
        { resource, node },
        request,
        call,
      ),
    /** `POST /v1/resource-definitions/{rd}/autoplace`; an empty filter uses the resource group's. */
    autoplace: (resource: string, request: Partial<AutoPlaceRequest> = {}, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/autoplace',
        { resource },
        { ...request, select_filter: request.select_filter ?? {} },
        call,
      ),
    /** `POST …/resources/{node}/activate`. */
    activate: (resource: string, node: string, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}/activate',
        { resource, node },
        undefined,
        call,
      ),
    /** `POST …/resources/{node}/deactivate`. */
    deactivate: (resource: string, node: string, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}/deactivate',
        { resource, node },
        undefined,
        call,
      ),
    /** `GET …/resources/{node}/volumes`. */
    volumes: (resource: string, node: string, call?: CallOptions) =>
      exchange.getList<Volume>(
        '/v1/resource-definitions/{resource}/resources/{node}/volumes',
        { resource, node },
        undefined,
        call,
      ),
    /** `GET …/resources/{node}/volumes/{nr}`. */
    volume: (resource: string, node: string, volumeNumber: number, call?: CallOptions) =>
      exchange.getObject<Volume>(
        '/v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
        { resource, node, volume_number: volumeNumber },
        undefined,
        call,
      ),
    /** `PUT …/resources/{node}/volumes/{nr}` (properties). */
    modifyVolume: (
      resource: string,
      node: string,
      volumeNumber: number,
      modify: PropsModify,
      call?: CallOptions,
    ) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
        { resource, node, volume_number: volumeNumber },
        modify,
        call,
      ),
  };
  return api;
}

/** The `resources` methods of a LinstorClient. */
export type ResourcesApi = ReturnType<typeof resourcesApi>;
