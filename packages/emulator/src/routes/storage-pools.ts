/**
 * Storage pools (linstor-api.md §2.3): the cluster view, per-node list/get, create (201), modify,
 * delete (refused while volumes or snapshots use the pool).
 */
import {
  CREATED,
  DELETED,
  FAIL_EXISTS_STOR_POOL,
  FAIL_IN_USE,
  FAIL_INVLD_PROVIDER,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_STOR_POOL,
  MODIFIED,
  nameKey,
  type PropsModify,
  type ProviderKind,
  type StoragePool,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { notConnected } from '../domain/deployment';
import { nameFilter, paginate, propsFilter, queryFlag, queryList } from '../domain/filters';
import { byName, checkPoolName, isOnline, newUuid, requireNode, requirePool } from '../domain/lookup';
import type { NodeRec, PoolRec, RscRec, SnapRec } from '../domain/model';
import { poolView, SUPPORTED_KINDS } from '../domain/pools';
import { applyPropsModify } from '../domain/props';
import { forgetThinUsage, rdKeysOfNode } from '../domain/storage';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type EmuRequest, type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

/** Size of a new diskful pool when the create body does not say (KiB, 100 GiB). */
const DEFAULT_POOL_KIB = 100 * 1024 * 1024;

function listPools(ctx: EmulatorContext, req: EmuRequest, nodes: NodeRec[]): Record<string, unknown>[] {
  // Without cached=true the controller asks the satellites: measure thin usage afresh.
  if (!queryFlag(req.query, 'cached')) forgetThinUsage();
  const pools = nameFilter(queryList(req.query, 'storage_pools'));
  const props = propsFilter(queryList(req.query, 'props'));
  const out: Record<string, unknown>[] = [];
  for (const node of nodes) {
    for (const pool of byName(ctx.store.list<PoolRec>('pools', [nameKey(node.name)]), (p) => p.name)) {
      if (pools && !pools.matches(pool.name)) continue;
      if (props && !props(pool.props)) continue;
      out.push(poolView(ctx, pool));
    }
  }
  return paginate(out, req.query);
}

function poolInUse(ctx: EmulatorContext, pool: PoolRec): boolean {
  const poolKey = nameKey(pool.name);
  for (const rdKey of rdKeysOfNode(ctx, pool.nodeName)) {
    const rsc = ctx.store.get<RscRec>('resources', [rdKey, nameKey(pool.nodeName)]);
    if (rsc?.volumes.some((v) => nameKey(v.poolName) === poolKey)) return true;
  }
  return ctx.store
    .list<SnapRec>('snapshots')
    .some((s) =>
      s.nodes.some((n) => nameKey(n.nodeName) === nameKey(pool.nodeName) && nameKey(n.poolName) === poolKey),
    );
}

const CRT_SP = MASK_CRT | MASK_STOR_POOL;
const MOD_SP = MASK_MOD | MASK_STOR_POOL;
const DEL_SP = MASK_DEL | MASK_STOR_POOL;

export const storagePoolRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/view/storage-pools',
    handler: (req, ctx) => {
      const filter = nameFilter(queryList(req.query, 'nodes'));
      const nodes = byName(ctx.store.list<NodeRec>('nodes'), (n) => n.name).filter(
        (n) => !filter || filter.matches(n.name),
      );
      return { status: 200, json: listPools(ctx, req, nodes) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/nodes/{node}/storage-pools',
    handler: (req, ctx) => {
      const node = requireNode(ctx, req.params.node);
      return { status: 200, json: listPools(ctx, req, [node]) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/nodes/{node}/storage-pools/{sp}',
    handler: (req, ctx) => {
      const node = requireNode(ctx, req.params.node);
      return { status: 200, json: poolView(ctx, requirePool(ctx, node.name, req.params.sp)) };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/nodes/{node}/storage-pools',
    body: REQUEST_SHAPES.StoragePool,
    handler: withObjectBody((body: StoragePool, req, ctx) => {
      const node = requireNode(ctx, req.params.node, CRT_SP);
      const name = checkPoolName(body.storage_pool_name, CRT_SP);
      const kind = String(body.provider_kind ?? '').toUpperCase();
      if (!SUPPORTED_KINDS.has(kind)) {
        throw new ApiCallError(
          entry(
            FAIL_INVLD_PROVIDER | CRT_SP,
            `The provider kind '${body.provider_kind ?? ''}' is not supported.`,
            {
              details: `Supported: ${[...SUPPORTED_KINDS].join(', ')}`,
            },
          ),
        );
      }
      if (ctx.store.get<PoolRec>('pools', [nameKey(node.name), nameKey(name)])) {
        throw new ApiCallError(
          entry(
            FAIL_EXISTS_STOR_POOL | CRT_SP,
            `A storage pool with the name '${name}' already exists on node '${node.name}'.`,
          ),
        );
      }
      const props = applyPropsModify({}, { override_props: body.props }, CRT_SP);
      // The emulator has no volume group to measure: a create body may state the size in total_capacity.
      const totalKib =
        kind === 'DISKLESS'
          ? undefined
          : typeof body.total_capacity === 'number' && body.total_capacity > 0
            ? body.total_capacity
            : DEFAULT_POOL_KIB;
      const pool: PoolRec = {
        name,
        nodeName: node.name,
        providerKind: kind as ProviderKind,
        props,
        totalKib,
        uuid: newUuid(),
      };
      ctx.store.put('pools', [nameKey(node.name), nameKey(name)], pool);
      const entries = [
        entry(CREATED | CRT_SP, `New storage pool '${name}' on node '${node.name}' registered.`, {
          details: `Storage pool '${name}' on node '${node.name}' UUID is: ${pool.uuid}`,
          objRefs: { Node: node.name, StorPool: name },
        }),
      ];
      if (!isOnline(ctx, node.name)) entries.push(notConnected(node.name, CRT_SP));
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}/storage-pools/{sp}',
    body: REQUEST_SHAPES.StoragePoolDefinitionModify,
    handler: withObjectBody((body: PropsModify, req, ctx) => {
      const node = requireNode(ctx, req.params.node, MOD_SP);
      const pool = requirePool(ctx, node.name, req.params.sp, MOD_SP);
      ctx.store.put('pools', [nameKey(node.name), nameKey(pool.name)], {
        ...pool,
        props: applyPropsModify(pool.props, body, MOD_SP),
      });
      return replyEntries(
        [entry(MODIFIED | MOD_SP, `Storage pool '${pool.name}' on node '${node.name}' modified.`)],
        200,
      );
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/nodes/{node}/storage-pools/{sp}',
    handler: (req, ctx) => {
      const node = requireNode(ctx, req.params.node, DEL_SP);
      const pool = ctx.store.get<PoolRec>('pools', [nameKey(node.name), nameKey(req.params.sp)]);
      if (!pool) {
        return replyEntries(
          [
            entry(
              WARN_NOT_FOUND | DEL_SP,
              `Storage pool '${req.params.sp}' on node '${node.name}' not found.`,
            ),
          ],
          200,
        );
      }
      if (poolInUse(ctx, pool)) {
        throw new ApiCallError(
          entry(
            FAIL_IN_USE | DEL_SP,
            `The specified storage pool '${pool.name}' on node '${node.name}' can not be deleted as volumes / snapshot-volumes are still using it.`,
            { correction: 'Delete the volumes / snapshot-volumes that are using the storage pool first.' },
          ),
        );
      }
      ctx.store.delete('pools', [nameKey(node.name), nameKey(pool.name)]);
      ctx.store.delete('poolUsage', [nameKey(node.name), nameKey(pool.name)]);
      return replyEntries(
        [
          entry(DELETED | DEL_SP, `Storage pool '${pool.name}' on node '${node.name}' deleted.`, {
            details: `Storage pool '${pool.name}' on node '${node.name}' UUID was: ${pool.uuid}`,
          }),
        ],
        200,
      );
    },
  }),
];
