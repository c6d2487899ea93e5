/**
 * Node connections (linstor-server's rest/v1/NodeConnections.java, CtrlNodeConnectionApiCallHandler):
 * properties between two nodes (e.g. `Paths/...` or DRBD net options for every resource between
 * them). A connection exists once properties were set on it; `PUT` creates it, and the list shows
 * each pair once with the names in order (`node_a` < `node_b`), optionally filtered by node.
 */
import {
  FAIL_NOT_FOUND_NODE,
  MASK_MOD,
  MASK_NODE_CONN,
  MODIFIED,
  nameKey,
  type Props,
  type PropsModify,
  sameName,
} from '@linstor-hv/api';
import { nameFilter, queryList } from '../domain/filters';
import { requireNode } from '../domain/lookup';
import type { NodeRec } from '../domain/model';
import { applyPropsModify } from '../domain/props';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

interface NodeConnRec {
  nodeA: string;
  nodeB: string;
  props: Props;
}

function ordered(a: NodeRec, b: NodeRec): [NodeRec, NodeRec] {
  return a.name < b.name ? [a, b] : [b, a];
}

export const nodeConnectionRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/node-connections',
    handler: (req, ctx) => {
      const a = nameFilter(queryList(req.query, 'node_a'));
      const b = nameFilter(queryList(req.query, 'node_b'));
      const json = ctx.store
        .list<NodeConnRec>('nodeConns')
        .filter(
          (c) =>
            (!a || a.matches(c.nodeA) || a.matches(c.nodeB)) &&
            (!b || b.matches(c.nodeA) || b.matches(c.nodeB)),
        )
        .sort((x, y) => x.nodeA.localeCompare(y.nodeA) || x.nodeB.localeCompare(y.nodeB))
        .map((c) => ({ node_a: c.nodeA, node_b: c.nodeB, props: c.props }));
      return { status: 200, json };
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/node-connections/{node_a}/{node_b}',
    handler: withObjectBody((body: PropsModify, req, ctx) => {
      const mask = MASK_MOD | MASK_NODE_CONN;
      const [first, second] = ordered(
        requireNode(ctx, req.params.node_a, mask),
        requireNode(ctx, req.params.node_b, mask),
      );
      if (sameName(first.name, second.name)) {
        throw new ApiCallError(
          entry(
            FAIL_NOT_FOUND_NODE | mask,
            `A node connection needs two different nodes, not '${first.name}' twice.`,
          ),
        );
      }
      const key = [nameKey(first.name), nameKey(second.name)];
      const current = ctx.store.get<NodeConnRec>('nodeConns', key);
      const props = applyPropsModify(current?.props ?? {}, body, mask);
      if (Object.keys(props).length === 0) ctx.store.delete('nodeConns', key);
      else ctx.store.put<NodeConnRec>('nodeConns', key, { nodeA: first.name, nodeB: second.name, props });
      const what = `Node connection between nodes '${first.name}' and '${second.name}'`;
      return replyEntries(
        [entry(MODIFIED | mask, `${what} modified.`, { objRefs: { Node1: first.name, Node2: second.name } })],
        200,
      );
    }),
  }),
];
