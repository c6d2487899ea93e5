import type {
  CloneStatus,
  ResourceDefinition,
  ResourceDefinitionCloneRequest,
  ResourceDefinitionCloneStarted,
  ResourceDefinitionCreate,
  ResourceDefinitionModify,
  ResourceDefinitionSyncStatus,
} from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import { LinstorReply } from '../reply';
import type { CallOptions } from '../transport/types';
import { type ListPaging, type PropsFilter, paging, propsQuery } from './filters';

/** Filter of `GET /v1/resource-definitions`. */
export interface ResourceDefinitionListFilter extends ListPaging {
  resourceDefinitions?: readonly string[];
  props?: PropsFilter;
  /** Include each RD's volume definitions. */
  withVolumeDefinitions?: boolean;
}

/** Reply of a clone request: the entries plus where to poll the clone's status. */
export class CloneReply extends LinstorReply {
  constructor(
    reply: LinstorReply,
    /** Status URL path, `/v1/resource-definitions/{src}/clone/{clone}`. */
    readonly location: string,
    readonly sourceName: string,
    readonly cloneName: string,
  ) {
    super(reply.status, reply.entries, reply.controller, reply.attempts);
  }
}

/** Resource definitions, clones and sync status. */
export function resourceDefinitionsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-definitions`. */
    list: (filter?: ResourceDefinitionListFilter, call?: CallOptions) =>
      exchange.getList<ResourceDefinition>(
        '/v1/resource-definitions',
        {},
        {
          resource_definitions: filter?.resourceDefinitions,
          props: propsQuery(filter?.props),
          with_volume_definitions: filter?.withVolumeDefinitions,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/resource-definitions/{rd}` (without volume definitions). */
    get: (name: string, call?: CallOptions) =>
      exchange.getObject<ResourceDefinition>(
        '/v1/resource-definitions/{resource}',
        { resource: name },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (name: string, call?: CallOptions) => orUndefined(api.get(name, call)),
    /** `POST /v1/resource-definitions`. */
    create: (create: ResourceDefinitionCreate, call?: CallOptions) =>
      exchange.mutate('POST', '/v1/resource-definitions', {}, create, call),
    /** `PUT /v1/resource-definitions/{rd}` (props, `resource_group` to move it). */
    modify: (name: string, modify: ResourceDefinitionModify, call?: CallOptions) =>
      exchange.mutate('PUT', '/v1/resource-definitions/{resource}', { resource: name }, modify, call),
    /** `DELETE /v1/resource-definitions/{rd}`; a missing RD answers 200 with WARN_NOT_FOUND. */
    delete: (name: string, call?: CallOptions) =>
      exchange.mutate('DELETE', '/v1/resource-definitions/{resource}', { resource: name }, undefined, call),
    /** `POST /v1/resource-definitions/{rd}/clone`; poll with `cloneStatus` or `client.wait.cloneComplete`. */
    clone: async (
      source: string,
      request: ResourceDefinitionCloneRequest,
      call?: CallOptions,
    ): Promise<CloneReply> => {
      const sent = await exchange.send(
        'POST',
        '/v1/resource-definitions/{resource}/clone',
        { resource: source },
        { body: request, call },
      );
      const started = (sent.body ?? {}) as Partial<ResourceDefinitionCloneStarted>;
      const reply = new LinstorReply(sent.status, sent.entries, sent.controller, sent.attempts);
      return new CloneReply(
        reply,
        started.location ??
          `/v1/resource-definitions/${encodeURIComponent(source)}/clone/${encodeURIComponent(request.name)}`,
        started.source_name ?? source,
        started.clone_name ?? request.name,
      );
    },
    /** `GET /v1/resource-definitions/{src}/clone/{clone}`: CLONING, COMPLETE or FAILED. */
    cloneStatus: async (source: string, clone: string, call?: CallOptions): Promise<CloneStatus> => {
      const body = await exchange.getObject<{ status: CloneStatus }>(
        '/v1/resource-definitions/{resource}/clone/{clone}',
        { resource: source, clone },
        undefined,
        call,
      );
      return body.status;
    },
    /** `GET /v1/resource-definitions/{rd}/sync-status`. */
    syncStatus: (name: string, call?: CallOptions) =>
      exchange.getObject<ResourceDefinitionSyncStatus>(
        '/v1/resource-definitions/{resource}/sync-status',
        { resource: name },
        undefined,
        call,
      ),
    /**
     * `DELETE /v1/resource-definitions/{rd}/resources` (REST API 1.29): removes all resources at
     * once, optionally the RD too when nothing is left.
     */
    deleteAllResources: async (
      name: string,
      options: { deleteEmptyResourceDefinition?: boolean } = {},
      call?: CallOptions,
    ) => {
      await exchange.requireApiVersion(
        '1.29.0',
        'Deleting all resources of a resource definition at once',
        call,
      );
      return exchange.mutate(
        'DELETE',
        '/v1/resource-definitions/{resource}/resources',
        { resource: name },
        undefined,
        call,
        {
          delete_empty_resource_definition: options.deleteEmptyResourceDefinition,
        },
      );
    },
  };
  return api;
}

/** The `resourceDefinitions` methods of a LinstorClient. */
export type ResourceDefinitionsApi = ReturnType<typeof resourceDefinitionsApi>;
