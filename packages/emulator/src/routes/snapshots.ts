/**
 * Snapshot endpoints (linstor-api.md §2.8): create (201), multi-snapshot (201), list per RD, single
 * GET, `/v1/view/snapshots`, modify, delete (`?nodes=`), restore of volume definitions and of
 * resources, and rollback (200).
 */
import {
  type CreateMultiSnapshotRequest,
  FAIL_NOT_FOUND_SNAPSHOT,
  type Snapshot,
  type SnapshotModify,
  type SnapshotRestore,
  type SnapshotRollback,
} from '@linstor-hv/api';
import { paginate, queryList } from '../domain/filters';
import { requireRd } from '../domain/lookup';
import { restoreResources, restoreVolumeDefinitions } from '../domain/restore';
import {
  createSnapshots,
  deleteSnapshot,
  getSnapshot,
  modifySnapshot,
  rollbackSnapshot,
  snapshotsOf,
  snapshotView,
  viewSnapshots,
} from '../domain/snapshots';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type RouteDef, route } from '../http/route';
import { badRequestBody, objectBody, withObjectBody } from './body';

const RD_SNAPSHOTS = '/v1/resource-definitions/{rd}/snapshots';

export const snapshotRoutes: RouteDef[] = [
  route({
    method: 'POST',
    template: RD_SNAPSHOTS,
    body: REQUEST_SHAPES.Snapshot,
    handler: withObjectBody(async (body: Snapshot, req, ctx) => {
      const entries = await createSnapshots(ctx, [
        {
          rdName: req.params.rd ?? '',
          name: body.name,
          nodes: body.nodes,
          props: body.snapshot_definition_props ?? body.props,
        },
      ]);
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/actions/snapshot/multi',
    body: REQUEST_SHAPES.CreateMultiSnapshotRequest,
    handler: async (req, ctx) => {
      const body = objectBody<CreateMultiSnapshotRequest>(req.body);
      if (!body || (body.snapshots !== undefined && !Array.isArray(body.snapshots))) {
        return badRequestBody();
      }
      const entries = await createSnapshots(
        ctx,
        (body.snapshots ?? []).map((s) => ({
          rdName: s.resource_name ?? '',
          name: s.name,
          nodes: s.nodes,
          props: s.snapshot_definition_props ?? s.props,
        })),
      );
      return replyEntries(entries, 201);
    },
  }),
  route({
    method: 'GET',
    template: RD_SNAPSHOTS,
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd ?? '');
      return {
        status: 200,
        json: paginate(snapshotsOf(ctx, rd.name), req.query).map((s) => snapshotView(s)),
      };
    },
  }),
  route({
    method: 'GET',
    template: `${RD_SNAPSHOTS}/{snap}`,
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd ?? '');
      const snapName = req.params.snap ?? '';
      const snap = getSnapshot(ctx, rd.name, snapName);
      if (!snap) {
        throw new ApiCallError(
          entry(FAIL_NOT_FOUND_SNAPSHOT, `Snapshot '${snapName}' of resource '${rd.name}' not found.`),
        );
      }
      return { status: 200, json: snapshotView(snap) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/view/snapshots',
    handler: (req, ctx) => {
      const list = viewSnapshots(ctx, {
        resources: queryList(req.query, 'resources'),
        snapshots: queryList(req.query, 'snapshots'),
        nodes: queryList(req.query, 'nodes'),
      });
      return { status: 200, json: paginate(list, req.query) };
    },
  }),
  route({
    method: 'PUT',
    template: `${RD_SNAPSHOTS}/{snap}`,
    body: REQUEST_SHAPES.SnapshotModify,
    handler: withObjectBody((body: SnapshotModify, req, ctx) => {
      return replyEntries(modifySnapshot(ctx, req.params.rd ?? '', req.params.snap ?? '', body), 200);
    }),
  }),
  route({
    method: 'DELETE',
    template: `${RD_SNAPSHOTS}/{snap}`,
    handler: (req, ctx) => {
      const deletion = deleteSnapshot(
        ctx,
        req.params.rd ?? '',
        req.params.snap ?? '',
        queryList(req.query, 'nodes'),
      );
      return replyEntries(deletion.entries, 200);
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/snapshot-restore-volume-definition/{snap}',
    body: REQUEST_SHAPES.SnapshotRestore,
    handler: withObjectBody((body: SnapshotRestore, req, ctx) => {
      return replyEntries(
        restoreVolumeDefinitions(ctx, req.params.rd ?? '', req.params.snap ?? '', body),
        200,
      );
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/snapshot-restore-resource/{snap}',
    body: REQUEST_SHAPES.SnapshotRestore,
    handler: withObjectBody(async (body: SnapshotRestore, req, ctx) => {
      return replyEntries(await restoreResources(ctx, req.params.rd ?? '', req.params.snap ?? '', body), 200);
    }),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/snapshot-rollback/{snap}',
    handler: withObjectBody(async (body: SnapshotRollback, req, ctx) => {
      const strategy =
        typeof body.zfs_rollback_strategy === 'string' ? body.zfs_rollback_strategy : undefined;
      return replyEntries(
        await rollbackSnapshot(ctx, req.params.rd ?? '', req.params.snap ?? '', strategy),
        200,
      );
    }),
  }),
];
