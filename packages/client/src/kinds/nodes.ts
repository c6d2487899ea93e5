import type { Node, NodeModify } from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';
import { type ListPaging, type PropsFilter, paging, propsQuery } from './filters';

/** Filter of `GET /v1/nodes`. */
export interface NodeListFilter extends ListPaging {
  nodes?: readonly string[];
  props?: PropsFilter;
}

/** Satellite and controller nodes. */
export function nodesApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/nodes`. */
    list: (filter?: NodeListFilter, call?: CallOptions) =>
      exchange.getList<Node>(
        '/v1/nodes',
        {},
        { nodes: filter?.nodes, props: propsQuery(filter?.props), ...paging(filter) },
        call,
      ),
    /** `GET /v1/nodes/{node}`; throws LinstorApiError (isNotFound) when absent. */
    get: (node: string, call?: CallOptions) =>
      exchange.getObject<Node>('/v1/nodes/{node}', { node }, undefined, call),
    /** Like `get`, but undefined when the node does not exist. */
    getOrUndefined: (node: string, call?: CallOptions) => orUndefined(api.get(node, call)),
    /** `POST /v1/nodes`. */
    create: (node: Node, call?: CallOptions) => exchange.mutate('POST', '/v1/nodes', {}, node, call),
    /** `PUT /v1/nodes/{node}`. */
    modify: (node: string, modify: NodeModify, call?: CallOptions) =>
      exchange.mutate('PUT', '/v1/nodes/{node}', { node }, modify, call),
    /** `DELETE /v1/nodes/{node}`. */
    delete: (node: string, call?: CallOptions) =>
      exchange.mutate('DELETE', '/v1/nodes/{node}', { node }, undefined, call),
  };
  return api;
}

/** The `nodes` methods of a LinstorClient. */
export type NodesApi = ReturnType<typeof nodesApi>;
