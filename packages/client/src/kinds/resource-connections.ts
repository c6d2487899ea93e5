import type { PropsModify, ResourceConnection } from '@linstor-hv/api';
import { LinstorApiError } from '../errors';
import type { Exchange } from '../exchange';
import type { CallOptions } from '../transport/types';

/** Per node-pair settings of a resource (e.g. allow-two-primaries only during a migration). */
export function resourceConnectionsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-definitions/{rd}/resource-connections`. */
    list: (resource: string, call?: CallOptions) =>
      exchange.getList<ResourceConnection>(
        '/v1/resource-definitions/{resource}/resource-connections',
        { resource },
        undefined,
        call,
      ),
    /**
     * `GET …/resource-connections/{a}/{b}`; undefined when the controller knows no such pair. The
     * controller answers one object here, though the spec says a list (linstor-server
     * `controller/.../api/rest/v1/ResourceConnections.java`), and 404 for an unknown pair.
     */
    get: async (resource: string, nodeA: string, nodeB: string, call?: CallOptions) => {
      try {
        return await exchange.getObject<ResourceConnection>(
          '/v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
          { resource, node_a: nodeA, node_b: nodeB },
          undefined,
          call,
        );
      } catch (e) {
        if (e instanceof LinstorApiError && e.isNotFound()) return undefined;
        throw e;
      }
    },
    /** `PUT …/resource-connections/{a}/{b}` (properties such as DrbdOptions/Net/allow-two-primaries). */
    modify: (resource: string, nodeA: string, nodeB: string, modify: PropsModify, call?: CallOptions) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
        { resource, node_a: nodeA, node_b: nodeB },
        modify,
        call,
      ),
  };
  return api;
}

/** The `resourceConnections` methods of a LinstorClient. */
export type ResourceConnectionsApi = ReturnType<typeof resourceConnectionsApi>;
