import type {
  CreateMultiSnapshotRequest,
  Snapshot,
  SnapshotModify,
  SnapshotRestore,
  SnapshotRollback,
} from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';
import { type ListPaging, paging } from './filters';

/** Filter of `GET /v1/view/snapshots`. */
export interface SnapshotViewFilter extends ListPaging {
  nodes?: readonly string[];
  resources?: readonly string[];
  snapshots?: readonly string[];
}

/** Snapshots, restore and rollback. */
export function snapshotsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-definitions/{rd}/snapshots`. */
    list: (resource: string, call?: CallOptions) =>
      exchange.getList<Snapshot>(
        '/v1/resource-definitions/{resource}/snapshots',
        { resource },
        undefined,
        call,
      ),
    /** `GET /v1/resource-definitions/{rd}/snapshots/{snap}`. */
    get: (resource: string, snapshot: string, call?: CallOptions) =>
      exchange.getObject<Snapshot>(
        '/v1/resource-definitions/{resource}/snapshots/{snapshot}',
        { resource, snapshot },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (resource: string, snapshot: string, call?: CallOptions) =>
      orUndefined(api.get(resource, snapshot, call)),
    /** `GET /v1/view/snapshots`: snapshots of all RDs in one call. */
    view: (filter?: SnapshotViewFilter, call?: CallOptions) =>
      exchange.getList<Snapshot>(
        '/v1/view/snapshots',
        {},
        {
          nodes: filter?.nodes,
          resources: filter?.resources,
          snapshots: filter?.snapshots,
          ...paging(filter),
        },
        call,
      ),
    /** `POST /v1/resource-definitions/{rd}/snapshots`; set props with `snapshot_definition_props`. */
    create: (resource: string, snapshot: Snapshot, call?: CallOptions) =>
      exchange.mutate('POST', '/v1/resource-definitions/{resource}/snapshots', { resource }, snapshot, call),
    /** `POST /v1/actions/snapshot/multi`: one consistent snapshot across several RDs. */
    createMulti: (request: CreateMultiSnapshotRequest, call?: CallOptions) =>
      exchange.mutate('POST', '/v1/actions/snapshot/multi', {}, request, call),
    /** `PUT /v1/resource-definitions/{rd}/snapshots/{snap}` (properties). */
    modify: (resource: string, snapshot: string, modify: SnapshotModify, call?: CallOptions) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/snapshots/{snapshot}',
        { resource, snapshot },
        modify,
        call,
      ),
    /**
     * `DELETE /v1/resource-definitions/{rd}/snapshots/{snap}`; `nodes` limits it to those nodes.
     * `deleteEmptyResourceDefinition` needs REST API 1.29.
     */
    delete: async (
      resource: string,
      snapshot: string,
      options: { nodes?: readonly string[]; deleteEmptyResourceDefinition?: boolean } = {},
      call?: CallOptions,
    ) => {
      if (options.deleteEmptyResourceDefinition !== undefined) {
        await exchange.requireApiVersion(
          '1.29.0',
          'Deleting a snapshot together with its empty resource definition',
          call,
        );
      }
      return exchange.mutate(
        'DELETE',
        '/v1/resource-definitions/{resource}/snapshots/{snapshot}',
        { resource, snapshot },
        undefined,
        call,
        { nodes: options.nodes, delete_empty_resource_definition: options.deleteEmptyResourceDefinition },
      );
    },
    /** `POST …/snapshot-restore-volume-definition/{snap}`: VDs of `to_resource` from the snapshot. */
    restoreVolumeDefinitions: (
      resource: string,
      snapshot: string,
      restore: SnapshotRestore,
      call?: CallOptions,
    ) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/snapshot-restore-volume-definition/{snapshot}',
        { resource, snapshot },
        restore,
        call,
      ),
    /** `POST …/snapshot-restore-resource/{snap}`: resources of `to_resource` from the snapshot. */
    restoreResources: (resource: string, snapshot: string, restore: SnapshotRestore, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/snapshot-restore-resource/{snapshot}',
        { resource, snapshot },
        restore,
        call,
      ),
    /** `POST …/snapshot-rollback/{snap}`: the RD's data returns to the snapshot (not while in use). */
    rollback: (resource: string, snapshot: string, rollback: SnapshotRollback = {}, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/snapshot-rollback/{snapshot}',
        { resource, snapshot },
        rollback,
        call,
      ),
  };
  return api;
}

/** The `snapshots` methods of a LinstorClient. */
export type SnapshotsApi = ReturnType<typeof snapshotsApi>;
