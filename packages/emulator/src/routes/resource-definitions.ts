/**
 * Resource definitions and volume definitions (linstor-api.md §2.5, §2.6): list/get/create (201)/
 * modify/delete of RDs, `sync-status`, and list/get/create (200, as the server answers)/modify/
 * delete of VDs.
 */
import {
  type ApiCallRc,
  FAIL_NOT_FOUND_VLM_DFN,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC_DFN,
  MASK_VLM_DFN,
  type ResourceDefinitionCreate,
  type ResourceDefinitionModify,
  type VolumeDefinitionCreate,
  type VolumeDefinitionModify,
} from '@linstor-hv/api';
import { createRd, createVd, deleteRd, deleteVd, modifyRd, modifyVd } from '../domain/definitions';
import { paginate, queryFlag, queryList } from '../domain/filters';
import { isDiskless, isOnline, rdsByFilters, requireRd, requireVd, rscsOf, vdsOf } from '../domain/lookup';
import type { RdRec } from '../domain/model';
import { rdView, vdViews } from '../domain/views';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

function vlmNr(raw: string | undefined, rd: RdRec, opObjMask: bigint): number {
  const nr = Number(raw);
  if (!Number.isInteger(nr) || nr < 0) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_VLM_DFN | opObjMask,
        `Volume definition with number '${raw}' of resource definition '${rd.name}' not found.`,
      ),
    );
  }
  return nr;
}

const MOD_RD = MASK_MOD | MASK_RSC_DFN;
const CRT_VD = MASK_CRT | MASK_VLM_DFN;
const MOD_VD = MASK_MOD | MASK_VLM_DFN;
const DEL_VD = MASK_DEL | MASK_VLM_DFN;

export const resourceDefinitionRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/resource-definitions',
    handler: (req, ctx) => {
      const withVds = queryFlag(req.query, 'with_volume_definitions');
      const rds = rdsByFilters(
        ctx,
        queryList(req.query, 'resource_definitions'),
        queryList(req.query, 'props'),
      );
      return { status: 200, json: paginate(rds, req.query).map((rd) => rdView(ctx, rd, withVds)) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}',
    handler: (req, ctx) => ({ status: 200, json: rdView(ctx, requireRd(ctx, req.params.rd)) }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions',
    body: REQUEST_SHAPES.ResourceDefinitionCreate,
    parseErrorStatus: 400,
    handler: withObjectBody((body: ResourceDefinitionCreate, _req, ctx) => {
      const entries: ApiCallRc[] = [];
      createRd(ctx, body, entries);
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}',
    body: REQUEST_SHAPES.ResourceDefinitionModify,
    handler: withObjectBody((body: ResourceDefinitionModify, req, ctx) => {
      const entries: ApiCallRc[] = [];
      modifyRd(ctx, requireRd(ctx, req.params.rd, MOD_RD), body, entries);
      return replyEntries(entries, 200);
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/resource-definitions/{rd}',
    handler: (req, ctx) => {
      const entries: ApiCallRc[] = [];
      deleteRd(ctx, req.params.rd, entries);
      return replyEntries(entries, 200);
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/sync-status',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      // Replicas are in sync when every diskful replica's node is online (the emulator syncs at once).
      const synced = rscsOf(ctx, rd.name)
        .filter((r) => !isDiskless(r))
        .every((r) => isOnline(ctx, r.nodeName));
      return { status: 200, json: { synced_on_all: synced } };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/volume-definitions',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      return { status: 200, json: vdViews(ctx, rd, vdsOf(ctx, rd.name)) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/volume-definitions/{nr}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd);
      return { status: 200, json: vdViews(ctx, rd, [requireVd(ctx, rd, vlmNr(req.params.nr, rd, 0n))])[0] };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/volume-definitions',
    body: REQUEST_SHAPES.VolumeDefinitionCreate,
    handler: withObjectBody((body: VolumeDefinitionCreate, req, ctx) => {
      const entries: ApiCallRc[] = [];
      createVd(ctx, requireRd(ctx, req.params.rd, CRT_VD), body, entries);
      return replyEntries(entries, 200);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/volume-definitions/{nr}',
    body: REQUEST_SHAPES.VolumeDefinitionModify,
    handler: withObjectBody((body: VolumeDefinitionModify, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, MOD_VD);
      const vd = requireVd(ctx, rd, vlmNr(req.params.nr, rd, MOD_VD), MOD_VD);
      const entries: ApiCallRc[] = [];
      modifyVd(ctx, rd, vd, body, entries);
      return replyEntries(entries, 200);
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/resource-definitions/{rd}/volume-definitions/{nr}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd, DEL_VD);
      const entries: ApiCallRc[] = [];
      deleteVd(ctx, rd, vlmNr(req.params.nr, rd, DEL_VD), entries);
      return replyEntries(entries, 200);
    },
  }),
];
