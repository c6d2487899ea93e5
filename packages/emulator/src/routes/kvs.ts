/**
 * Key-value store endpoints (linstor-api.md §2.12): named instances holding a flat props map with
 * any keys. `GET` of one instance answers a list (as the spec says); `PUT` creates the instance on
 * first use; deleting a missing instance is a 200 with WARN_NOT_FOUND.
 */
import {
  DELETED,
  FAIL_INVLD_KVS_NAME,
  KVS_NAME_RULE,
  MASK_DEL,
  MASK_KVS,
  MASK_MOD,
  MODIFIED,
  nameKey,
  nameProblem,
  type Props,
  type PropsModify,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import type { KvsRec } from '../domain/model';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

function kvsView(rec: KvsRec): { name: string; props: Props } {
  return { name: rec.name, props: rec.props };
}

/** KVS keys are free-form (no whitelist), but they must be non-empty strings with string values. */
function modifyKvs(ctx: EmulatorContext, name: string, body: PropsModify) {
  const opMask = MASK_MOD | MASK_KVS;
  const problem = nameProblem(name, KVS_NAME_RULE);
  if (problem) throw new ApiCallError(entry(FAIL_INVLD_KVS_NAME | opMask, problem));
  const key = nameKey(name);
  const rec = ctx.store.get<KvsRec>('kvs', [key]) ?? { name, props: {} };
  for (const [k, v] of Object.entries(body.override_props ?? {})) {
    if (k === '' || typeof v !== 'string') {
      throw new ApiCallError(
        entry(FAIL_INVLD_KVS_NAME | opMask, `Invalid property '${k}' for key-value store '${name}'.`),
      );
    }
    rec.props[k] = v;
  }
  for (const k of body.delete_props ?? []) delete rec.props[k];
  for (const ns of body.delete_namespaces ?? []) {
    const prefix = ns.endsWith('/') ? ns : `${ns}/`;
    for (const k of Object.keys(rec.props)) if (k.startsWith(prefix)) delete rec.props[k];
  }
  ctx.store.put('kvs', [key], rec);
  return replyEntries(
    [entry(opMask | MODIFIED, `Key-value store '${rec.name}' modified.`, { objRefs: { KvsName: rec.name } })],
    200,
  );
}

export const kvsRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/key-value-store',
    handler: (_req, ctx) => ({ status: 200, json: ctx.store.list<KvsRec>('kvs').map(kvsView) }),
  }),
  route({
    method: 'GET',
    template: '/v1/key-value-store/{instance}',
    handler: (req, ctx) => {
      const rec = ctx.store.get<KvsRec>('kvs', [nameKey(req.params.instance)]);
      return { status: 200, json: rec ? [kvsView(rec)] : [] };
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/key-value-store/{instance}',
    body: REQUEST_SHAPES.KeyValueStoreModify,
    handler: withObjectBody((body: PropsModify, req, ctx) => modifyKvs(ctx, req.params.instance, body)),
  }),
  route({
    method: 'DELETE',
    template: '/v1/key-value-store/{instance}',
    handler: (req, ctx) => {
      const opMask = MASK_DEL | MASK_KVS;
      const name = req.params.instance;
      const rec = ctx.store.get<KvsRec>('kvs', [nameKey(name)]);
      if (!rec)
        return replyEntries([entry(WARN_NOT_FOUND | opMask, `Key-value store '${name}' not found.`)], 200);
      ctx.store.delete('kvs', [nameKey(name)]);
      return replyEntries(
        [
          entry(opMask | DELETED, `Key-value store '${rec.name}' deleted.`, {
            objRefs: { KvsName: rec.name },
          }),
        ],
        200,
      );
    },
  }),
];
