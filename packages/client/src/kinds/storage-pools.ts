import type { PropsModify, StoragePool } from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';
import { type ListPaging, type PropsFilter, paging, propsQuery } from './filters';

/** Filter of the storage-pool lists. `cached: true` uses the controller's cached capacities. */
export interface StoragePoolListFilter extends ListPaging {
  nodes?: readonly string[];
  storagePools?: readonly string[];
  props?: PropsFilter;
  cached?: boolean;
}

/** Storage pools per node and the cluster-wide view. */
export function storagePoolsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/view/storage-pools`: pools of all nodes (`cached: true` for cheap capacity). */
    list: (filter?: StoragePoolListFilter, call?: CallOptions) =>
      exchange.getList<StoragePool>(
        '/v1/view/storage-pools',
        {},
        {
          nodes: filter?.nodes,
          storage_pools: filter?.storagePools,
          props: propsQuery(filter?.props),
          cached: filter?.cached,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/nodes/{node}/storage-pools`. */
    listOnNode: (node: string, filter?: Omit<StoragePoolListFilter, 'nodes'>, call?: CallOptions) =>
      exchange.getList<StoragePool>(
        '/v1/nodes/{node}/storage-pools',
        { node },
        {
          storage_pools: filter?.storagePools,
          props: propsQuery(filter?.props),
          cached: filter?.cached,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/nodes/{node}/storage-pools/{pool}`. */
    get: (node: string, pool: string, call?: CallOptions) =>
      exchange.getObject<StoragePool>(
        '/v1/nodes/{node}/storage-pools/{pool}',
        { node, pool },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (node: string, pool: string, call?: CallOptions) =>
      orUndefined(api.get(node, pool, call)),
    /** `POST /v1/nodes/{node}/storage-pools`. */
    create: (node: string, pool: StoragePool, call?: CallOptions) =>
      exchange.mutate('POST', '/v1/nodes/{node}/storage-pools', { node }, pool, call),
    /** `PUT /v1/nodes/{node}/storage-pools/{pool}` (properties). */
    modify: (node: string, pool: string, modify: PropsModify, call?: CallOptions) =>
      exchange.mutate('PUT', '/v1/nodes/{node}/storage-pools/{pool}', { node, pool }, modify, call),
    /** `DELETE /v1/nodes/{node}/storage-pools/{pool}`. */
    delete: (node: string, pool: string, call?: CallOptions) =>
      exchange.mutate('DELETE', '/v1/nodes/{node}/storage-pools/{pool}', { node, pool }, undefined, call),
  };
  return api;
}

/** The `storagePools` methods of a LinstorClient. */
export type StoragePoolsApi = ReturnType<typeof storagePoolsApi>;
