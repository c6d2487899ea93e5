/**
 * Taking a node out of service and back, after linstor-server's CtrlNodeLostApiCallHandler and
 * CtrlNodeApiCallHandler (`evacuateNode`, `restoreNode`, `reconnectNode`):
 *
 * - lost: only for a node that is not connected; its resources are removed without the usual
 *   guards (it will never answer again), its snapshots and pools go, then the node itself.
 * - evacuate: the node and its resources are flagged EVACUATE; every resource gets a replacement
 *   replica elsewhere (within `target`, never on `do_not_target`) unless enough other diskful
 *   replicas exist or it was diskless, and the evacuated copy is removed once the replacement is
 *   in sync. The emulated replicas share one data file, so they are in sync at once and the copy
 *   goes in the same call; a copy still opened by the hypervisor stays flagged until restore.
 * - restore: undoes evacuate (or an eviction): the flags go; with `delete_resources` the resources
 *   left there are deleted, except the last diskful replica of a definition.
 */
import {
  type ApiCallRc,
  DELETED,
  FAIL_EXISTS_NODE_CONN,
  MASK_DEL,
  MASK_ERROR,
  MASK_MOD,
  MASK_NODE,
  MASK_RSC,
  nameKey,
  sameName,
  WARN_NODE_EVICTED,
  WARN_NOT_FOUND,
  WARN_STLT_NOT_UPDATED,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { autoplaceRd } from './autoplacer';
import { mergeFilter } from './candidates';
import { WARN_NOT_EVACUATING } from './codes';
import { isInUse, rgOf, undeployResource } from './deployment';
import { isDiskless, requireNode, rscsOf } from './lookup';
import type { NodeRec, PoolRec, RdRec, RscRec, SnapRec } from './model';
import { deleteResource } from './resources';
import { deleteSnapshot } from './snapshots';
import { rdKeysOfNode } from './storage';
import { reconcileTieBreaker } from './tie-breaker';

/** The replica count a group asks for when its filter names none (the controller's default). */
const DEFAULT_REPLICA_COUNT = 2;

function resourcesOn(ctx: EmulatorContext, nodeName: string): { rd: RdRec; rsc: RscRec }[] {
  const out: { rd: RdRec; rsc: RscRec }[] = [];
  for (const rdKey of rdKeysOfNode(ctx, nodeName)) {
    const rd = ctx.store.get<RdRec>('rds', [rdKey]);
    const rsc = ctx.store.get<RscRec>('resources', [rdKey, nameKey(nodeName)]);
    if (rd && rsc) out.push({ rd, rsc });
  }
  return out.sort((a, b) => a.rd.name.localeCompare(b.rd.name));
}

function putNode(ctx: EmulatorContext, node: NodeRec): void {
  ctx.store.put('nodes', [nameKey(node.name)], node);
}

function putRsc(ctx: EmulatorContext, rsc: RscRec): void {
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], rsc);
}

function withFlags(
  flags: readonly string[],
  add: readonly string[],
  remove: readonly string[] = [],
): string[] {
  const next = flags.filter((f) => !remove.includes(f));
  for (const f of add) if (!next.includes(f)) next.push(f);
  return next;
}

/** `DELETE /v1/nodes/{node}/lost`. Returns the reply entries and the removed node (for the event). */
export function lostNode(ctx: EmulatorContext, nodeName: string): { entries: ApiCallRc[]; node?: NodeRec } {
  const mask = MASK_DEL | MASK_NODE;
  const node = ctx.store.get<NodeRec>('nodes', [nameKey(nodeName)]);
  if (!node) {
    return {
      entries: [
        entry(WARN_NOT_FOUND | mask, `Deletion of node '${nodeName}' had no effect.`, {
          cause: `Node '${nodeName}' does not exist.`,
        }),
      ],
    };
  }
  if (node.online) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_NODE_CONN | mask,
        `Node '${node.name}' still connected, please use the 'DeleteNode' api.`,
        { objRefs: { Node: node.name } },
      ),
    );
  }
  for (const { rsc } of resourcesOn(ctx, node.name)) undeployResource(ctx, rsc);
  for (const snap of ctx.store.list<SnapRec>('snapshots')) {
    if (snap.nodes.some((n) => sameName(n.nodeName, node.name))) {
      deleteSnapshot(ctx, snap.rdName, snap.name, [node.name]);
    }
  }
  const nodeKey = nameKey(node.name);
  for (const pool of ctx.store.list<PoolRec>('pools', [nodeKey])) {
    ctx.store.delete('pools', [nodeKey, nameKey(pool.name)]);
    ctx.store.delete('poolUsage', [nodeKey, nameKey(pool.name)]);
  }
  ctx.store.delete('nodes', [nodeKey]);
  return {
    node,
    entries: [
      entry(DELETED | mask, `Node '${node.name}' deleted.`, {
        details: `Node '${node.name}' UUID was: ${node.uuid}`,
        objRefs: { Node: node.name },
      }),
    ],
  };
}

/** `PUT /v1/nodes/{node}/reconnect`: evicted nodes are not reconnected (WARN_NODE_EVICTED). */
export function reconnectNode(ctx: EmulatorContext, nodeName: string): ApiCallRc[] {
  const mask = MASK_MOD | MASK_NODE;
  const node = requireNode(ctx, nodeName, mask);
  if (node.flags.includes('EVICTED')) {
    return [
      entry(
        WARN_NODE_EVICTED | mask,
        `Nodes [${node.name}] are evicted and will not be reconnected. Use node restore <node-name> to reconnect.`,
      ),
    ];
  }
  return [entry(mask, `Nodes [${node.name}] will be reconnected.`)];
}

export interface EvacuateRequest {
  target?: readonly string[];
  doNotTarget?: readonly string[];
}

function evacuationTargets(ctx: EmulatorContext, source: NodeRec, req: EvacuateRequest): string[] {
  const allowed = req.target?.length ? new Set(req.target.map(nameKey)) : undefined;
  const prohibited = new Set((req.doNotTarget ?? []).map(nameKey));
  return ctx.store
    .list<NodeRec>('nodes')
    .filter((n) => !sameName(n.name, source.name))
    .filter((n) => (!allowed || allowed.has(nameKey(n.name))) && !prohibited.has(nameKey(n.name)))
    .map((n) => n.name);
}

/** Removes the evacuated copy (unless it is in use) and lets the tie-breaker rules settle. */
function dropEvacuatedCopy(ctx: EmulatorContext, rd: RdRec, rsc: RscRec, entries: ApiCallRc[]): void {
  if (isInUse(ctx, rsc.rdName, rsc.nodeName)) return;
  const mask = MASK_DEL | MASK_RSC;
  undeployResource(ctx, rsc);
  entries.push(
    entry(DELETED | mask, `Resource '${rsc.rdName}' on node '${rsc.nodeName}' deleted.`, {
      details: `Resource '${rsc.rdName}' on node '${rsc.nodeName}' UUID was: ${rsc.uuid}`,
      objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName },
    }),
  );
  reconcileTieBreaker(ctx, rd, entries, MASK_DEL);
}

function evacuateResource(
  ctx: EmulatorContext,
  source: NodeRec,
  rd: RdRec,
  rsc: RscRec,
  targets: string[],
  entries: ApiCallRc[],
): void {
  const usesDrbd = rd.layerStack.length === 0 || rd.layerStack.some((l) => l.toUpperCase() === 'DRBD');
  if (!usesDrbd) {
    entries.push(
      entry(
        WARN_NOT_EVACUATING | MASK_MOD | MASK_NODE,
        `Resource '${rd.name}' cannot be evacuated as it is not a DRBD resource`,
      ),
    );
    return;
  }
  const rg = rgOf(ctx, rd);
  const expected = rg.selectFilter.place_count ?? DEFAULT_REPLICA_COUNT;
  const peers = rscsOf(ctx, rd.name).filter(
    (r) => !sameName(r.nodeName, source.name) && !isDiskless(r) && !r.flags.includes('DELETE'),
  );
  if (isDiskless(rsc) || peers.length >= expected) {
    dropEvacuatedCopy(ctx, rd, rsc, entries);
    return;
  }
  const noPool = entry(
    WARN_NOT_EVACUATING | MASK_MOD | MASK_NODE,
    `Resource '${rd.name}' cannot be evacuated as no available storage pool was found`,
  );
  // An empty node list means "no restriction" to the autoplacer, so no allowed target is decided here.
  if (targets.length === 0) {
    entries.push(noPool);
    return;
  }
  const filter = mergeFilter(rg.selectFilter, {
    additional_place_count: 1,
    node_name_list: targets,
    diskless_on_remaining: false,
  });
  const placed: ApiCallRc[] = [];
  try {
    autoplaceRd(ctx, rd, { filter, opMask: MASK_MOD }, placed);
  } catch (e) {
    if (!(e instanceof ApiCallError)) throw e;
    entries.push(noPool);
    return;
  }
  entries.push(...placed);
  const current = ctx.store.get<RscRec>('resources', [nameKey(rd.name), nameKey(source.name)]);
  if (current) dropEvacuatedCopy(ctx, rd, current, entries);
}

/** `PUT /v1/nodes/{node}/evacuate`. Returns the entries and the node after the change (for the event). */
export function evacuateNode(
  ctx: EmulatorContext,
  nodeName: string,
  req: EvacuateRequest,
): { entries: ApiCallRc[]; node: NodeRec } {
  const node = requireNode(ctx, nodeName, MASK_MOD | MASK_NODE);
  const flagged: NodeRec = { ...node, flags: withFlags(node.flags, ['EVACUATE']) };
  putNode(ctx, flagged);
  const affected = resourcesOn(ctx, node.name);
  for (const { rsc } of affected) {
    putRsc(ctx, {
      ...rsc,
      flags: withFlags(rsc.flags, ['EVACUATE']),
      props: { ...rsc.props, MigrateFrom: node.name },
    });
  }
  const targets = evacuationTargets(ctx, node, req);
  const entries: ApiCallRc[] = [];
  for (const { rd } of affected) {
    const rsc = ctx.store.get<RscRec>('resources', [nameKey(rd.name), nameKey(node.name)]);
    if (rsc) evacuateResource(ctx, flagged, rd, rsc, targets, entries);
  }
  return { entries, node: flagged };
}

export interface RestoreRequest {
  deleteResources: boolean;
  deleteSnapshots: boolean;
}

/** `PUT /v1/nodes/{node}/restore`. Returns the entries and the node after the change (for the event). */
export function restoreNode(
  ctx: EmulatorContext,
  nodeName: string,
  req: RestoreRequest,
): { entries: ApiCallRc[]; node: NodeRec } {
  const mask = MASK_MOD | MASK_NODE;
  const node = requireNode(ctx, nodeName, mask);
  if (!node.flags.includes('EVACUATE') && !node.flags.includes('EVICTED')) {
    throw new ApiCallError(entry(MASK_ERROR | mask, `Node '${node.name}' is neither evicted nor evacuated.`));
  }
  const restored: NodeRec = { ...node, flags: withFlags(node.flags, [], ['EVACUATE', 'EVICTED']) };
  putNode(ctx, restored);
  const entries: ApiCallRc[] = [];
  for (const { rd, rsc } of resourcesOn(ctx, node.name)) {
    if (!req.deleteResources) {
      putRsc(ctx, { ...rsc, flags: withFlags(rsc.flags, [], ['EVACUATE', 'EVICTED']) });
      continue;
    }
    const otherDiskful = rscsOf(ctx, rd.name).some(
      (r) => !sameName(r.nodeName, node.name) && !isDiskless(r) && !r.flags.includes('DELETE'),
    );
    if (!otherDiskful) {
      entries.push(
        entry(
          WARN_STLT_NOT_UPDATED,
          `Not deleting resource ${rd.name} since it is the last non-deleting diskful resource of this resource-definition`,
        ),
      );
      putRsc(ctx, { ...rsc, flags: withFlags(rsc.flags, [], ['EVACUATE', 'EVICTED']) });
      continue;
    }
    deleteResource(ctx, rsc, {}, entries);
  }
  if (req.deleteSnapshots) {
    for (const snap of ctx.store.list<SnapRec>('snapshots')) {
      if (snap.nodes.some((n) => sameName(n.nodeName, node.name))) {
        entries.push(...deleteSnapshot(ctx, snap.rdName, snap.name, [node.name]).entries);
      }
    }
  }
  entries.push(entry(MASK_NODE, `Successfully restored node ${node.name}`));
  return { entries, node: restored };
}
