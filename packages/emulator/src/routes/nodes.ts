/**
 * Node endpoints (linstor-api.md §2.2): list with `nodes`/`props` filters and pagination, the
 * single-object GET, create (with its DfltDisklessStorPool), modify, delete (refused while the node
 * still has resources), plus the control routes that take a node offline and back online.
 * Changes are published on the `nodes` event stream (`/v1/events/nodes`) once they have committed,
 * so a change that rolls back never shows there.
 */
import { isIP } from 'node:net';
import {
  CREATED,
  DELETED,
  FAIL_EXISTS_NODE,
  FAIL_EXISTS_RSC,
  FAIL_INVLD_NET_ADDR,
  FAIL_INVLD_NODE_NAME,
  FAIL_INVLD_NODE_TYPE,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_NODE,
  MODIFIED,
  type NodeModify,
  type Node as NodeView,
  nameKey,
  nodeNameProblem,
  type Props,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { disklessPoolRecord, newNodeRecord } from '../cluster';
import type { EmulatorContext } from '../context';
import { withNodePromotionEvents } from '../domain/devices';
import { nameFilter, paginate, propsFilter, queryList } from '../domain/filters';
import { requireNode } from '../domain/lookup';
import type { NodeRec, PoolRec } from '../domain/model';
import { netInterfaceViews } from '../domain/net-interfaces';
import { applyPropsModify, validateProps } from '../domain/props';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

/** The stream `/v1/events/nodes` serves. */
export const NODES_STREAM = 'nodes';

const NODE_TYPES = ['SATELLITE', 'COMBINED', 'CONTROLLER', 'AUXILIARY'];
/** What a connected LINSTOR satellite on Linux with DRBD 9 and LVM/ZFS tools reports. */
const STORAGE_PROVIDERS = ['DISKLESS', 'LVM', 'LVM_THIN', 'ZFS', 'ZFS_THIN', 'FILE', 'FILE_THIN'];
const RESOURCE_LAYERS = ['DRBD', 'LUKS', 'NVME', 'WRITECACHE', 'CACHE', 'BCACHE', 'STORAGE'];

/** The wire form of a node; satellite-reported fields are left out while it is offline. */
export function nodeView(node: NodeRec): NodeView {
  const view: NodeView = {
    name: node.name,
    type: node.type,
    flags: node.flags,
    props: node.props,
    net_interfaces: netInterfaceViews(node),
    connection_status: node.online ? 'ONLINE' : 'OFFLINE',
    uuid: node.uuid,
  };
  if (node.online) {
    view.storage_providers = STORAGE_PROVIDERS as NodeView['storage_providers'];
    view.resource_layers = RESOURCE_LAYERS as NodeView['resource_layers'];
  }
  return view;
}

function listNodes(ctx: EmulatorContext, query: URLSearchParams): NodeRec[] {
  const names = nameFilter(queryList(query, 'nodes'));
  const props = propsFilter(queryList(query, 'props'));
  let nodes: NodeRec[];
  if (names && !names.hasRegex) {
    // Plain names: direct lookups, no scan.
    nodes = names.exactKeys.flatMap((k) => ctx.store.get<NodeRec>('nodes', [k]) ?? []);
  } else {
    nodes = ctx.store.list<NodeRec>('nodes');
    if (names) nodes = nodes.filter((n) => names.matches(n.name));
  }
  if (props) nodes = nodes.filter((n) => props(n.props));
  // The controller keeps nodes in a map sorted by (upper-cased) name and lists them in that order.
  nodes.sort((a, b) => (nameKey(a.name) < nameKey(b.name) ? -1 : nameKey(a.name) > nameKey(b.name) ? 1 : 0));
  return paginate(nodes, query);
}

interface NodeCreateBody {
  name?: unknown;
  type?: unknown;
  props?: Props;
  net_interfaces?: { name?: unknown; address?: unknown }[];
}

function createNode(ctx: EmulatorContext, body: NodeCreateBody) {
  const opMask = MASK_CRT | MASK_NODE;
  const name = typeof body.name === 'string' ? body.name : '';
  const nameIssue = nodeNameProblem(name);
  if (nameIssue)
    throw new ApiCallError(entry(FAIL_INVLD_NODE_NAME | opMask, `Invalid node name: ${nameIssue}`));
  const type = typeof body.type === 'string' ? body.type.toUpperCase() : '';
  if (!NODE_TYPES.includes(type)) {
    throw new ApiCallError(
      entry(FAIL_INVLD_NODE_TYPE | opMask, `Invalid node type '${String(body.type)}'.`, {
        correction: `Use one of ${NODE_TYPES.join(', ')}.`,
      }),
    );
  }
  const address = body.net_interfaces?.[0]?.address;
  if (typeof address !== 'string' || isIP(address) === 0) {
    throw new ApiCallError(
      entry(
        FAIL_INVLD_NET_ADDR | opMask,
        `Invalid network address '${String(address)}' for node '${name}'.`,
        {
          correction: 'Give the node one net interface with an IPv4 or IPv6 address.',
        },
      ),
    );
  }
  validateProps(body.props, opMask);
  const key = nameKey(name);
  const existing = ctx.store.get<NodeRec>('nodes', [key]);
  if (existing) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_NODE | opMask, `Creation of node '${name}' failed.`, {
        cause: `A node with the name '${existing.name}' already exists.`,
        objRefs: { Node: name },
      }),
    );
  }
  const rec = newNodeRecord(name, type, address, body.props);
  ctx.store.put('nodes', [key], rec);
  const pool = disklessPoolRecord(name);
  ctx.store.put<PoolRec>('pools', [key, nameKey(pool.name)], pool);
  ctx.store.afterCommit(() => ctx.publish(NODES_STREAM, 'node-create', { node: nodeView(rec) }));
  return replyEntries(
    [
      entry(opMask | CREATED, `New node '${name}' registered.`, {
        details: `Node '${name}' UUID is: ${rec.uuid}`,
        objRefs: { Node: name },
      }),
    ],
    201,
  );
}

function modifyNode(ctx: EmulatorContext, nodeName: string, body: NodeModify) {
  const opMask = MASK_MOD | MASK_NODE;
  const node = requireNode(ctx, nodeName, opMask);
  const before = nodeView(node);
  if (body.node_type !== undefined) {
    const type = String(body.node_type).toUpperCase();
    if (!NODE_TYPES.includes(type)) {
      throw new ApiCallError(entry(FAIL_INVLD_NODE_TYPE | opMask, `Invalid node type '${body.node_type}'.`));
    }
    node.type = type;
  }
  node.props = applyPropsModify(node.props, body, opMask);
  ctx.store.put('nodes', [nameKey(node.name)], node);
  ctx.store.afterCommit(() =>
    ctx.publish(NODES_STREAM, 'node-modified', { old_node: before, new_node: nodeView(node) }),
  );
  return replyEntries(
    [
      entry(opMask | MODIFIED, `Node '${node.name}' modified.`, {
        details: `Node '${node.name}' UUID is: ${node.uuid}`,
        objRefs: { Node: node.name },
      }),
    ],
    200,
  );
}

function deleteNode(ctx: EmulatorContext, nodeName: string) {
  const opMask = MASK_DEL | MASK_NODE;
  const key = nameKey(nodeName);
  const node = ctx.store.get<NodeRec>('nodes', [key]);
  if (!node) {
    return replyEntries([entry(WARN_NOT_FOUND | opMask, `Node '${nodeName}' not found.`)], 200);
  }
  const resources = ctx.store.count('rscByNode', [key]);
  if (resources > 0) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_RSC | opMask, `Deletion of node '${node.name}' failed.`, {
        cause: `Node '${node.name}' still has ${resources} resource(s) deployed.`,
        correction: 'Delete or move the resources of this node first.',
        objRefs: { Node: node.name },
      }),
    );
  }
  for (const pool of ctx.store.list<PoolRec>('pools', [key])) {
    ctx.store.delete('pools', [key, nameKey(pool.name)]);
    ctx.store.delete('poolUsage', [key, nameKey(pool.name)]);
  }
  ctx.store.delete('nodes', [key]);
  ctx.store.afterCommit(() => ctx.publish(NODES_STREAM, 'node-delete', { node: nodeView(node) }));
  return replyEntries(
    [
      entry(opMask | DELETED, `Node '${node.name}' deleted.`, {
        details: `Node '${node.name}' UUID was: ${node.uuid}`,
        objRefs: { Node: node.name },
      }),
    ],
    200,
  );
}

function setOnline(ctx: EmulatorContext, nodeName: string, online: boolean) {
  const node = ctx.store.get<NodeRec>('nodes', [nameKey(nodeName)]);
  if (!node) return { status: 404, json: { error: `node '${nodeName}' does not exist` } };
  // A node going away or coming back changes whether its resources (and their peers) may promote.
  withNodePromotionEvents(ctx, node.name, () => {
    node.online = online;
    ctx.store.put('nodes', [nameKey(node.name)], node);
  });
  return { status: 200, json: { node: node.name, online } };
}

export const nodeRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/nodes',
    handler: (req, ctx) => ({ status: 200, json: listNodes(ctx, req.query).map(nodeView) }),
  }),
  route({
    method: 'GET',
    template: '/v1/nodes/{node}',
    handler: (req, ctx) => ({ status: 200, json: nodeView(requireNode(ctx, req.params.node)) }),
  }),
  route({
    method: 'POST',
    template: '/v1/nodes',
    body: REQUEST_SHAPES.Node,
    handler: withObjectBody((body: NodeCreateBody, _req, ctx) => createNode(ctx, body)),
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}',
    body: REQUEST_SHAPES.NodeModify,
    handler: withObjectBody((body: NodeModify, req, ctx) => modifyNode(ctx, req.params.node, body)),
  }),
  route({
    method: 'DELETE',
    template: '/v1/nodes/{node}',
    handler: (req, ctx) => deleteNode(ctx, req.params.node),
  }),
  route({
    method: 'POST',
    template: '/emulator/nodes/{node}/offline',
    handler: (req, ctx) => setOnline(ctx, req.params.node, false),
  }),
  route({
    method: 'POST',
    template: '/emulator/nodes/{node}/online',
    handler: (req, ctx) => setOnline(ctx, req.params.node, true),
  }),
];
