/**
 * Resources (linstor-api.md §2.7): create (array and single, 201), list per RD, get, the
 * `/v1/view/resources` status view, modify, delete (`keep_tiebreaker`), make-available,
 * toggle-disk (new and deprecated paths), autoplace (201), activate/deactivate, resource
 * connections and volumes. The verbs themselves live in domain/resources.ts.
 */
import {
  type ApiCallRc,
  type AutoPlaceRequest,
  FAIL_INVLD_REQUEST,
  FAIL_NOT_FOUND_RSC_CONN,
  FAIL_NOT_FOUND_VLM,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC,
  MASK_RSC_CONN,
  MASK_VLM,
  MODIFIED,
  nameKey,
  type PropsModify,
  type ResourceCreate,
  type ResourceMakeAvailable,
  type ResourceModify,
  sameName,
  type ToggleDiskRequest,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { autoplaceFromRequest } from '../domain/autoplacer';
import { notConnected } from '../domain/deployment';
import { withPromotionEvents } from '../domain/devices';
import { paginate, propsFilter, queryFlag, queryList } from '../domain/filters';
import { getRsc, isOnline, requireRd, requireRsc, rscsOf } from '../domain/lookup';
import type { RdRec } from '../domain/model';
import { applyPropsModify } from '../domain/props';
import { connView, modifyResourceConnection } from '../domain/resource-connections';
import {
  createResource,
  deleteResource,
  makeAvailable,
  parseToggleOp,
  selectResources,
  setActive,
  type ToggleOp,
  type ToggleOptions,
  toggleDisk,
} from '../domain/resources';
import { reconcileTieBreaker } from '../domain/tie-breaker';
import { rscView, rscViewsJson, rscVolumeViews } from '../domain/views';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type EmuReply, type EmuRequest, type RouteDef, route } from '../http/route';
import { badRequestBody, objectBody, withObjectBody } from './body';

const CRT_RSC = MASK_CRT | MASK_RSC;
const MOD_RSC = MASK_MOD | MASK_RSC;
const DEL_RSC = MASK_DEL | MASK_RSC;

/** The toggle-disk and migrate-disk routes: the resource at `{rd}/resources/{node}` changes its disk. */
function toggleRoute(
  ctx: EmulatorContext,
  req: EmuRequest<'rd' | 'node'>,
  op: ToggleOp,
  opts: ToggleOptions = {},
): EmuReply {
  const rd = requireRd(ctx, req.params.rd, MOD_RSC);
  const rsc = requireRsc(ctx, rd.name, req.params.node, MOD_RSC);
  const entries: ApiCallRc[] = [];
  withPromotionEvents(ctx, rd, () => toggleDisk(ctx, rd, rsc, op, opts, entries));
  return replyEntries(entries, 200);
}

/** The activate and deactivate routes. */
function activeRoute(ctx: EmulatorContext, req: EmuRequest<'rd' | 'node'>, active: boolean): EmuReply {
  const rd = requireRd(ctx, req.params.rd, MOD_RSC);
  const rsc = requireRsc(ctx, rd.name, req.params.node, MOD_RSC);
  const entries: ApiCallRc[] = [];
  setActive(ctx, rd, rsc, active, entries);
  return replyEntries(entries, 200);
}

const volumeNotFound = (rd: string, node: string, nr: string | undefined, mask: bigint) =>
  new ApiCallError(
    entry(
      FAIL_NOT_FOUND_VLM | mask,
      `Volume with number '${nr}' of resource '${rd}' on node '${node}' not found.`,
    ),
  );

export const resourceRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/view/resources',
    handler: (req, ctx) => {
      const selected = paginate(selectResources(ctx, req.query), req.query);
      return { status: 200, json: rscViewsJson(ctx, selected, { withVolumes: true }) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      const rscs = paginate(rscsOf(ctx, rd.name), req.query);
      return {
        status: 200,
        json: rscViewsJson(
          ctx,
          rscs.map((rsc) => ({ rd, rsc })),
        ),
      };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      return { status: 200, json: rscView(ctx, rd, requireRsc(ctx, rd.name, req.params.node)) };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources',
    body: { list: REQUEST_SHAPES.ResourceCreate },
    handler: (req, ctx) => {
      if (!Array.isArray(req.body)) {
        throw new ApiCallError(
          entry(FAIL_INVLD_REQUEST | CRT_RSC, 'The request body must be a JSON array of ResourceCreate.'),
        );
      }
      const items = req.body as ResourceCreate[];
      const rd = requireRd(ctx, req.params.rd, CRT_RSC);
      const entries: ApiCallRc[] = [];
      withPromotionEvents(ctx, rd, () => {
        for (const item of items) {
          const nodeName = item?.resource?.node_name;
          if (!nodeName)
            throw new ApiCallError(entry(FAIL_INVLD_REQUEST | CRT_RSC, 'resource.node_name is required.'));
          createResource(ctx, rd, item, nodeName, entries);
        }
        reconcileTieBreaker(ctx, rd, entries);
      });
      return replyEntries(entries, 201);
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    body: REQUEST_SHAPES.ResourceCreate,
    handler: withObjectBody((body: ResourceCreate, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, CRT_RSC);
      const entries: ApiCallRc[] = [];
      withPromotionEvents(ctx, rd, () => {
        createResource(ctx, rd, body, req.params.node, entries);
        reconcileTieBreaker(ctx, rd, entries);
      });
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    body: REQUEST_SHAPES.ResourceModify,
    handler: withObjectBody((body: ResourceModify, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, MOD_RSC);
      const rsc = requireRsc(ctx, rd.name, req.params.node, MOD_RSC);
      ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], {
        ...rsc,
        props: applyPropsModify(rsc.props, body, MOD_RSC),
      });
      const entries = [
        entry(MODIFIED | MOD_RSC, `Resource '${rd.name}' on node '${rsc.nodeName}' modified.`, {
          details: `Resource '${rd.name}' on node '${rsc.nodeName}' UUID is: ${rsc.uuid}`,
          objRefs: { RscDfn: rd.name, Node: rsc.nodeName },
        }),
      ];
      if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_RSC));
      return replyEntries(entries, 200);
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, DEL_RSC);
      const rsc = getRsc(ctx, rd.name, req.params.node);
      if (!rsc) {
        return replyEntries(
          [
            entry(WARN_NOT_FOUND | DEL_RSC, `Resource '${rd.name}' on node '${req.params.node}' not found.`, {
              objRefs: { RscDfn: rd.name, Node: req.params.node },
            }),
          ],
          200,
        );
      }
      const entries: ApiCallRc[] = [];
      const keepTiebreaker = queryFlag(req.query, 'keep_tiebreaker');
      withPromotionEvents(ctx, rd, () => deleteResource(ctx, rsc, { keepTiebreaker }, entries));
      return replyEntries(entries, 200);
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}/make-available',
    body: REQUEST_SHAPES.ResourceMakeAvailable,
    handler: withObjectBody((body: ResourceMakeAvailable, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, CRT_RSC);
      const entries: ApiCallRc[] = [];
      withPromotionEvents(ctx, rd, () => makeAvailable(ctx, rd, req.params.node, body, entries));
      return replyEntries(entries, 200);
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/autoplace',
    body: REQUEST_SHAPES.AutoPlaceRequest,
    handler: withObjectBody((body: AutoPlaceRequest, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, CRT_RSC);
      const entries: ApiCallRc[] = [];
      withPromotionEvents(ctx, rd, () => autoplaceFromRequest(ctx, rd, body, entries));
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk',
    body: REQUEST_SHAPES.ToggleDiskRequest,
    handler: (req, ctx) => {
      const body = objectBody<ToggleDiskRequest>(req.body);
      if (!body) return badRequestBody();
      return toggleRoute(ctx, req, parseToggleOp(body.operation), {
        poolName: body.storage_pool || undefined,
        migrateFrom: body.migrate_from || undefined,
      });
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskless',
    handler: (req, ctx) => toggleRoute(ctx, req, 'INTO_DRBD_DISKLESS'),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskless/{pool}',
    handler: (req, ctx) => toggleRoute(ctx, req, 'INTO_DRBD_DISKLESS'),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskful',
    handler: (req, ctx) => toggleRoute(ctx, req, 'INTO_DRBD_DISKFUL'),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskful/{pool}',
    handler: (req, ctx) => toggleRoute(ctx, req, 'INTO_DRBD_DISKFUL', { poolName: req.params.pool }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/migrate-disk/{from}',
    handler: (req, ctx) => toggleRoute(ctx, req, 'INTO_DRBD_DISKFUL', { migrateFrom: req.params.from }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/migrate-disk/{from}/{pool}',
    handler: (req, ctx) =>
      toggleRoute(ctx, req, 'INTO_DRBD_DISKFUL', { poolName: req.params.pool, migrateFrom: req.params.from }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}/activate',
    handler: (req, ctx) => activeRoute(ctx, req, true),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}/deactivate',
    handler: (req, ctx) => activeRoute(ctx, req, false),
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resource-connections',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      const rscs = rscsOf(ctx, rd.name);
      const out: Record<string, unknown>[] = [];
      for (let i = 0; i < rscs.length; i++) {
        for (let j = i + 1; j < rscs.length; j++) out.push(connView(ctx, rd, rscs[i]!, rscs[j]!));
      }
      return { status: 200, json: out };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resource-connections/{a}/{b}',
    handler: (req, ctx) => {
      // One object, not the list the spec names: linstor-server
      // `controller/.../api/rest/v1/ResourceConnections.java` answers `resList.get(0)` for a pair.
      const rd = ctx.store.get<RdRec>('rds', [nameKey(req.params.rd)]);
      const a = rd && getRsc(ctx, rd.name, req.params.a);
      const b = rd && getRsc(ctx, rd.name, req.params.b);
      if (!rd || !a || !b || sameName(a.nodeName, b.nodeName)) {
        throw new ApiCallError(
          entry(
            FAIL_NOT_FOUND_RSC_CONN,
            `Resource connection between '${req.params.a}' and '${req.params.b}' not found.`,
          ),
        );
      }
      // The controller keys a connection by its node pair in name order, whichever way it is asked.
      const [first, second] = nameKey(a.nodeName) < nameKey(b.nodeName) ? [a, b] : [b, a];
      return { status: 200, json: connView(ctx, rd, first, second) };
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resource-connections/{a}/{b}',
    body: REQUEST_SHAPES.ResourceConnectionModify,
    handler: (req, ctx) => {
      const mask = MASK_MOD | MASK_RSC_CONN;
      const body = objectBody<PropsModify>(req.body);
      if (!body) return badRequestBody();
      const rd = requireRd(ctx, req.params.rd, mask);
      const a = requireRsc(ctx, rd.name, req.params.a, mask);
      const b = requireRsc(ctx, rd.name, req.params.b, mask);
      withPromotionEvents(ctx, rd, () => modifyResourceConnection(ctx, rd, a, b, body, mask));
      const entries = [
        entry(
          MODIFIED | mask,
          `Resource connection between '${a.nodeName}' and '${b.nodeName}' of '${rd.name}' modified.`,
          {
            objRefs: { RscDfn: rd.name, SourceNode: a.nodeName, TargetNode: b.nodeName },
          },
        ),
      ];
      for (const n of [a.nodeName, b.nodeName]) if (!isOnline(ctx, n)) entries.push(notConnected(n, mask));
      return replyEntries(entries, 200);
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources/{node}/volumes',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      const rsc = requireRsc(ctx, rd.name, req.params.node);
      const props = propsFilter(queryList(req.query, 'props'));
      const views = rscVolumeViews(ctx, rd, rsc).filter(
        (v) => !props || props((v.props as Record<string, string>) ?? {}),
      );
      return { status: 200, json: paginate(views, req.query) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources/{node}/volumes/{nr}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      const rsc = requireRsc(ctx, rd.name, req.params.node);
      const view = rscVolumeViews(ctx, rd, rsc).find((v) => String(v.volume_number) === req.params.nr);
      if (!view) throw volumeNotFound(rd.name, rsc.nodeName, req.params.nr, 0n);
      return { status: 200, json: view };
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/volumes/{nr}',
    body: REQUEST_SHAPES.VolumeModify,
    handler: (req, ctx) => {
      const mask = MASK_MOD | MASK_VLM;
      const body = objectBody<PropsModify>(req.body);
      if (!body) return badRequestBody();
      const rd = requireRd(ctx, req.params.rd, mask);
      const rsc = requireRsc(ctx, rd.name, req.params.node, mask);
      const vol = rsc.volumes.find((v) => String(v.volumeNumber) === req.params.nr);
      if (!vol) throw volumeNotFound(rd.name, rsc.nodeName, req.params.nr, mask);
      const volumes = rsc.volumes.map((v) =>
        v === vol ? { ...v, props: applyPropsModify(v.props, body, mask) } : v,
      );
      ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], { ...rsc, volumes });
      const entries = [
        entry(
          MODIFIED | mask,
          `Volume with number '${vol.volumeNumber}' of resource '${rd.name}' on node '${rsc.nodeName}' modified.`,
          { objRefs: { RscDfn: rd.name, Node: rsc.nodeName, VlmNr: String(vol.volumeNumber) } },
        ),
      ];
      if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, mask));
      return replyEntries(entries, 200);
    },
  }),
];
