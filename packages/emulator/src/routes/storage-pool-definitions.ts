/**
 * Storage pool definitions (linstor-server's rest/v1/StoragePoolDefinitions.java and
 * CtrlStorPoolDfnApiCallHandler): one per pool name in the cluster. Creating a storage pool on a
 * node creates its definition implicitly, and `DfltStorPool` and `DfltDisklessStorPool` exist from
 * the start, as the controller's initial database has them; an explicit create (201) adds one
 * without pools. A definition keeps its own props; it cannot be deleted while pools of its name
 * exist on nodes.
 */
import {
  CREATED,
  DELETED,
  FAIL_EXISTS_STOR_POOL_DFN,
  FAIL_IN_USE,
  FAIL_NOT_FOUND_STOR_POOL_DFN,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_STOR_POOL_DFN,
  MODIFIED,
  nameKey,
  type Props,
  type PropsModify,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { notFoundError } from '../domain/codes';
import { paginate } from '../domain/filters';
import { checkPoolName, newUuid } from '../domain/lookup';
import type { PoolRec } from '../domain/model';
import { DFLT_DISKLESS_POOL } from '../domain/pools';
import { applyPropsModify } from '../domain/props';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

interface SpdRec {
  name: string;
  props: Props;
  uuid: string;
}

const INITIAL_DEFINITIONS = ['DfltStorPool', DFLT_DISKLESS_POOL];

function describe(name: string): string {
  return `storage pool definition '${name}'`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Every definition: the stored ones, the initial ones and one per pool name in use. */
function allDefinitions(ctx: EmulatorContext): SpdRec[] {
  const byKey = new Map<string, SpdRec>();
  for (const name of INITIAL_DEFINITIONS) byKey.set(nameKey(name), { name, props: {}, uuid: '' });
  for (const pool of ctx.store.list<PoolRec>('pools')) {
    if (!byKey.has(nameKey(pool.name)))
      byKey.set(nameKey(pool.name), { name: pool.name, props: {}, uuid: '' });
  }
  for (const spd of ctx.store.list<SpdRec>('spds')) byKey.set(nameKey(spd.name), spd);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function findDefinition(ctx: EmulatorContext, name: string): SpdRec | undefined {
  return allDefinitions(ctx).find((d) => nameKey(d.name) === nameKey(name));
}

function view(spd: SpdRec): Record<string, unknown> {
  return { storage_pool_name: spd.name, props: spd.props };
}

function notFound(name: string, mask = 0n): ApiCallError {
  return notFoundError(FAIL_NOT_FOUND_STOR_POOL_DFN, 'storage pool definition', name, mask);
}

export const storagePoolDefinitionRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/storage-pool-definitions',
    handler: (req, ctx) => ({ status: 200, json: paginate(allDefinitions(ctx), req.query).map(view) }),
  }),
  route({
    method: 'GET',
    template: '/v1/storage-pool-definitions/{spd}',
    handler: (req, ctx) => {
      const spd = findDefinition(ctx, req.params.spd);
      if (!spd) throw notFound(req.params.spd);
      return { status: 200, json: view(spd) };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/storage-pool-definitions',
    handler: withObjectBody((body: { storage_pool_name?: unknown; props?: Props }, _req, ctx) => {
      const mask = MASK_CRT | MASK_STOR_POOL_DFN;
      const name = checkPoolName(body.storage_pool_name, mask);
      if (findDefinition(ctx, name)) {
        throw new ApiCallError(
          entry(FAIL_EXISTS_STOR_POOL_DFN | mask, `${capitalized(describe(name))} already exists.`),
        );
      }
      const spd: SpdRec = {
        name,
        props: applyPropsModify({}, { override_props: body.props }, mask),
        uuid: newUuid(),
      };
      ctx.store.put('spds', [nameKey(name)], spd);
      return replyEntries(
        [
          entry(CREATED | mask, `New ${describe(name)} registered.`, {
            details: `${capitalized(describe(name))} UUID is: ${spd.uuid}`,
          }),
        ],
        201,
      );
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/storage-pool-definitions/{spd}',
    handler: withObjectBody((body: PropsModify, req, ctx) => {
      const mask = MASK_MOD | MASK_STOR_POOL_DFN;
      const spd = findDefinition(ctx, req.params.spd);
      if (!spd) throw notFound(req.params.spd, mask);
      const next: SpdRec = {
        ...spd,
        uuid: spd.uuid || newUuid(),
        props: applyPropsModify(spd.props, body, mask),
      };
      ctx.store.put('spds', [nameKey(spd.name)], next);
      return replyEntries(
        [
          entry(MODIFIED | mask, `${capitalized(describe(spd.name))} modified.`, {
            details: `${capitalized(describe(spd.name))} UUID is: ${next.uuid}`,
          }),
        ],
        200,
      );
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/storage-pool-definitions/{spd}',
    handler: (req, ctx) => {
      const mask = MASK_DEL | MASK_STOR_POOL_DFN;
      const spd = findDefinition(ctx, req.params.spd);
      if (!spd) {
        return replyEntries(
          [entry(WARN_NOT_FOUND | mask, `Deletion of ${describe(req.params.spd)} had no effect.`)],
          200,
        );
      }
      const nodes = ctx.store
        .list<PoolRec>('pools')
        .filter((p) => nameKey(p.name) === nameKey(spd.name))
        .map((p) => p.nodeName);
      if (nodes.length > 0) {
        throw new ApiCallError(
          entry(
            FAIL_IN_USE | mask,
            `${capitalized(describe(spd.name))} has still storage pools on node(s): ${nodes.join(', ')}.`,
            { correction: 'Remove the storage pools first.' },
          ),
        );
      }
      ctx.store.delete('spds', [nameKey(spd.name)]);
      return replyEntries([entry(DELETED | mask, `${capitalized(describe(spd.name))} deleted.`)], 200);
    },
  }),
];
