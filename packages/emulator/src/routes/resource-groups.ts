/**
 * Resource groups and volume groups (linstor-api.md §2.4): list/get/create/modify/delete,
 * spawn (201), query-size-info, query-all-size-info, adjust (200).
 */

import {
  type ApiCallRc,
  FAIL_NOT_FOUND_VLM_GRP,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC_GRP,
  MASK_VLM_GRP,
  type QueryAllSizeInfoRequest,
  type QuerySizeInfoRequest,
  type ResourceGroup,
  type ResourceGroupAdjust,
  type ResourceGroupModify,
  type ResourceGroupSpawn,
  type VolumeGroup,
  type VolumeGroupModify,
} from '@linstor-hv/api';
import { nameFilter, paginate, propsFilter, queryList } from '../domain/filters';
import {
  adjustRg,
  createRg,
  createVg,
  deleteRg,
  deleteVg,
  modifyRg,
  modifyVg,
  querySizeInfo,
  spawn,
  vgsOf,
} from '../domain/groups';
import { byName, requireRg } from '../domain/lookup';
import type { RgRec, VgRec } from '../domain/model';
import { rgView, vgView } from '../domain/views';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type RouteDef, route } from '../http/route';
import { badRequestBody, objectBody, withObjectBody } from './body';

function vgNumber(raw: string | undefined, opObjMask: bigint, rgName: string): number {
  const nr = Number(raw);
  if (!Number.isInteger(nr) || nr < 0) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_VLM_GRP | opObjMask,
        `Volume group with number '${raw}' of resource group '${rgName}' not found.`,
      ),
    );
  }
  return nr;
}

function requireVg(rg: RgRec, vgs: VgRec[], raw: string | undefined, opObjMask: bigint): VgRec {
  const nr = vgNumber(raw, opObjMask, rg.name);
  const vg = vgs.find((v) => v.volumeNumber === nr);
  if (!vg) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_VLM_GRP | opObjMask,
        `Volume group with number '${nr}' of resource group '${rg.name}' not found.`,
      ),
    );
  }
  return vg;
}

const CRT_RG = MASK_CRT | MASK_RSC_GRP;
const MOD_RG = MASK_MOD | MASK_RSC_GRP;

export const resourceGroupRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/resource-groups',
    handler: (req, ctx) => {
      const names = nameFilter(queryList(req.query, 'resource_groups'));
      const props = propsFilter(queryList(req.query, 'props'));
      const rgs = byName(ctx.store.list<RgRec>('rgs'), (rg) => rg.name).filter(
        (rg) => (!names || names.matches(rg.name)) && (!props || props(rg.props)),
      );
      return { status: 200, json: paginate(rgs.map(rgView), req.query) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-groups/{rg}',
    handler: (req, ctx) => ({ status: 200, json: rgView(requireRg(ctx, req.params.rg)) }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-groups',
    body: REQUEST_SHAPES.ResourceGroup,
    parseErrorStatus: 400,
    handler: withObjectBody((body: ResourceGroup, _req, ctx) => {
      const entries: ApiCallRc[] = [];
      createRg(ctx, body, entries);
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-groups/{rg}',
    body: REQUEST_SHAPES.ResourceGroupModify,
    handler: withObjectBody((body: ResourceGroupModify, req, ctx) => {
      const entries: ApiCallRc[] = [];
      modifyRg(ctx, requireRg(ctx, req.params.rg, MOD_RG), body, entries);
      return replyEntries(entries, 200);
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/resource-groups/{rg}',
    handler: (req, ctx) => {
      const entries: ApiCallRc[] = [];
      deleteRg(ctx, req.params.rg, entries);
      return replyEntries(entries, 200);
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-groups/{rg}/volume-groups',
    handler: (req, ctx) => {
      const rg = requireRg(ctx, req.params.rg);
      return { status: 200, json: vgsOf(ctx, rg).map(vgView) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-groups/{rg}/volume-groups/{nr}',
    handler: (req, ctx) => {
      const rg = requireRg(ctx, req.params.rg);
      return { status: 200, json: vgView(requireVg(rg, vgsOf(ctx, rg), req.params.nr, 0n)) };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-groups/{rg}/volume-groups',
    body: REQUEST_SHAPES.VolumeGroup,
    parseErrorStatus: 400,
    handler: withObjectBody((body: VolumeGroup, req, ctx) => {
      const entries: ApiCallRc[] = [];
      createVg(ctx, requireRg(ctx, req.params.rg, MASK_CRT | MASK_VLM_GRP), body, entries);
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-groups/{rg}/volume-groups/{nr}',
    body: REQUEST_SHAPES.VolumeGroupModify,
    handler: (req, ctx) => {
      const body = objectBody<VolumeGroupModify>(req.body);
      const mask = MASK_MOD | MASK_VLM_GRP;
      if (!body) return badRequestBody();
      const rg = requireRg(ctx, req.params.rg, mask);
      const entries: ApiCallRc[] = [];
      modifyVg(ctx, requireVg(rg, vgsOf(ctx, rg), req.params.nr, mask), body, entries);
      return replyEntries(entries, 200);
    },
  }),
  route({
    method: 'DELETE',
    template: '/v1/resource-groups/{rg}/volume-groups/{nr}',
    handler: (req, ctx) => {
      const mask = MASK_DEL | MASK_VLM_GRP;
      const rg = requireRg(ctx, req.params.rg, mask);
      const entries: ApiCallRc[] = [];
      deleteVg(ctx, rg, vgNumber(req.params.nr, mask, rg.name), entries);
      return replyEntries(entries, 200);
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-groups/{rg}/spawn',
    body: REQUEST_SHAPES.ResourceGroupSpawn,
    handler: withObjectBody((body: ResourceGroupSpawn, req, ctx) => {
      const entries: ApiCallRc[] = [];
      spawn(ctx, requireRg(ctx, req.params.rg, CRT_RG), body, entries);
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-groups/{rg}/query-size-info',
    body: REQUEST_SHAPES.QuerySizeInfoRequest,
    handler: withObjectBody((body: QuerySizeInfoRequest, req, ctx) => {
      return { status: 200, json: querySizeInfo(ctx, requireRg(ctx, req.params.rg), body.select_filter) };
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/queries/resource-groups/query-all-size-info',
    body: REQUEST_SHAPES.QueryAllSizeInfoRequest,
    handler: withObjectBody((body: QueryAllSizeInfoRequest, _req, ctx) => {
      const result: Record<string, unknown> = {};
      for (const rg of ctx.store.list<RgRec>('rgs'))
        result[rg.name] = querySizeInfo(ctx, rg, body.select_filter);
      return { status: 200, json: { result } };
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-groups/{rg}/adjust',
    body: REQUEST_SHAPES.ResourceGroupAdjust,
    handler: withObjectBody((body: ResourceGroupAdjust, req, ctx) => {
      const entries: ApiCallRc[] = [];
      adjustRg(ctx, requireRg(ctx, req.params.rg, MOD_RG), body.select_filter, entries);
      return replyEntries(entries, 200);
    }),
  }),
];
