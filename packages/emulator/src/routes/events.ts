/**
 * `GET /v1/events/nodes` (linstor-api.md §2.11): a server-sent-event stream of node changes
 * (`node-create`, `node-delete` with `{node}`, `node-modified` with `{old_node, new_node}`).
 */
import { type RouteDef, route } from '../http/route';
import { NODES_STREAM } from './nodes';

export const eventRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/events/nodes',
    handler: (_req, ctx) => ({
      status: 200,
      sse: (send, signal) => {
        const unsubscribe = ctx.subscribe(NODES_STREAM, send);
        signal.addEventListener('abort', unsubscribe, { once: true });
      },
    }),
  }),
];
