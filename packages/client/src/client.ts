import type {
  ApiCallRc,
  AutoPlaceRequest,
  CloneStatus,
  ControllerPropsModify,
  ControllerVersion,
  CreateMultiSnapshotRequest,
  ErrorReport,
  KeyValueStore,
  Node,
  NodeModify,
  Props,
  PropsModify,
  QueryAllSizeInfoRequest,
  QueryAllSizeInfoResponse,
  QuerySizeInfoRequest,
  QuerySizeInfoResponse,
  Resource,
  ResourceConnection,
  ResourceCreate,
  ResourceDefinition,
  ResourceDefinitionCloneRequest,
  ResourceDefinitionCloneStarted,
  ResourceDefinitionCreate,
  ResourceDefinitionModify,
  ResourceDefinitionSyncStatus,
  ResourceGroup,
  ResourceGroupAdjust,
  ResourceGroupModify,
  ResourceGroupSpawn,
  ResourceMakeAvailable,
  ResourceModify,
  ResourceWithVolumes,
  Snapshot,
  SnapshotModify,
  SnapshotRestore,
  SnapshotRollback,
  StoragePool,
  ToggleDiskRequest,
  Volume,
  VolumeDefinition,
  VolumeDefinitionCreate,
  VolumeDefinitionModify,
  VolumeGroup,
  VolumeGroupModify,
} from '@linstor-hv/api';
import { sameName } from '@linstor-hv/api';
import { LinstorApiError, LinstorTransportError, UnsupportedApiVersionError } from './errors';
import { type PromotionEventOptions, readPromotionEvents } from './events';
import { parseLinstorJson } from './json';
import { type LinstorClientOptions, resolveOptions } from './options';
import { entriesOf, errorEntries, LinstorReply } from './reply';
import {
  type CallOptions,
  excerpt,
  type HttpMethod,
  type QueryParams,
  Transport,
  type TransportResponse,
} from './transport';
import { CLIENT_VERSION } from './version';
import { Waiters } from './waiters';

/** `limit`/`offset` paging of list calls (`limit` 0 or absent = everything). */
export interface ListPaging {
  limit?: number;
  offset?: number;
}

/**
 * A `props` filter: `["Aux/k=v", "Aux/flag"]` (value must match / key must exist), or a map
 * `{ "Aux/k": "v" }`. All entries must match.
 */
export type PropsFilter = readonly string[] | Readonly<Record<string, string>>;

/** Filter of `GET /v1/nodes`. */
export interface NodeListFilter extends ListPaging {
  nodes?: readonly string[];
  props?: PropsFilter;
}

/** Filter of the storage-pool lists. `cached: true` uses the controller's cached capacities. */
export interface StoragePoolListFilter extends ListPaging {
  nodes?: readonly string[];
  storagePools?: readonly string[];
  props?: PropsFilter;
  cached?: boolean;
}

/** Filter of `GET /v1/resource-groups`. */
export interface ResourceGroupListFilter extends ListPaging {
  resourceGroups?: readonly string[];
  props?: PropsFilter;
}

/** Filter of `GET /v1/resource-definitions`. */
export interface ResourceDefinitionListFilter extends ListPaging {
  resourceDefinitions?: readonly string[];
  props?: PropsFilter;
  /** Include each RD's volume definitions. */
  withVolumeDefinitions?: boolean;
}

/** Filter of `GET /v1/view/resources`. */
export interface ResourceViewFilter extends ListPaging {
  nodes?: readonly string[];
  resources?: readonly string[];
  storagePools?: readonly string[];
  props?: PropsFilter;
}

/** Filter of `GET /v1/view/snapshots`. */
export interface SnapshotViewFilter extends ListPaging {
  nodes?: readonly string[];
  resources?: readonly string[];
  snapshots?: readonly string[];
}

/** Filter of `GET /v1/error-reports`. */
export interface ErrorReportFilter extends ListPaging {
  node?: string;
  /** Epoch milliseconds. */
  since?: number;
  /** Epoch milliseconds. */
  to?: number;
  withContent?: boolean;
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

/** A raw reply of {@link LinstorClient.request}. */
export interface RawReply<T = unknown> {
  status: number;
  /** The parsed JSON body (ret_codes as bigint), or undefined for an empty body. */
  body: T;
  /** ApiCallRc entries found in the body (a list, or a clone reply's `messages`). */
  entries: ApiCallRc[];
  controller: string;
  attempts: number;
}

/** Options of {@link LinstorClient.request}. */
export interface RawRequestOptions extends CallOptions {
  query?: QueryParams;
  body?: unknown;
  /** Route template for metrics. */
  route?: string;
  /** Whether the request may be re-sent after a lost reply (default: not for POST/PATCH). */
  idempotent?: boolean;
  /** Throw LinstorApiError for statuses ≥ 400 and error entries (default true). */
  throwOnError?: boolean;
}

const ROUTE_PARAM = /\{([a-z_]+)\}/gi;

/** Fills a route template; every value is percent-encoded, `{key}` keeps its `/` separators. */
function buildPath(route: string, params: Record<string, string | number>): string {
  return route.replace(ROUTE_PARAM, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing route parameter ${name} for ${route}`);
    const text = String(value);
    if (text === '') throw new TypeError(`The ${name} given for ${route} is empty.`);
    return name === 'key' ? text.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(text);
  });
}

function propsQuery(props: PropsFilter | undefined): string[] | undefined {
  if (props === undefined) return undefined;
  if (Array.isArray(props)) return [...(props as readonly string[])];
  return Object.entries(props as Record<string, string>).map(([k, v]) => `${k}=${v}`);
}

function paging(p: ListPaging | undefined): QueryParams {
  return { limit: p?.limit, offset: p?.offset };
}

/** The reply body as one JSON object; anything else (a list, null, nothing) is a protocol error. */
function expectObject<T>(body: unknown, res: TransportResponse, method: HttpMethod, path: string): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new LinstorTransportError(
      res.controller,
      'protocol',
      `${method} ${path} did not answer with an object`,
      true,
    );
  }
  return body as T;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Typed client for the LINSTOR REST API v1. Create it with {@link createLinstorClient}; call
 * {@link LinstorClient.close} when done so keep-alive connections do not hold the process open.
 */
export class LinstorClient {
  private readonly transport: Transport;
  /** The version of the controller that answered it; refetched after a failover to another one. */
  private versionCache: { controller: string | undefined; version: Promise<ControllerVersion> } | undefined;

  constructor(options: LinstorClientOptions = {}) {
    this.transport = new Transport(resolveOptions(options, CLIENT_VERSION));
  }

  /** Origin of the controller the next call tries first. */
  get currentController(): string {
    return this.transport.currentController;
  }

  /** All configured controllers, as origins. */
  get controllers(): string[] {
    return this.transport.controllerOrigins;
  }

  /** Closes the keep-alive connections. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  // ------------------------------------------------------------------ plumbing

  private exchange(
    method: HttpMethod,
    route: string,
    params: Record<string, string | number>,
    opts: { query?: QueryParams; body?: unknown; call?: CallOptions; idempotent?: boolean } = {},
  ): Promise<{ res: TransportResponse; body: unknown; entries: ApiCallRc[]; path: string }> {
    return this.sendAndInterpret(method, buildPath(route, params), route, opts);
  }

  /** Sends, parses the lossless JSON and turns error statuses and error entries into LinstorApiError. */
  private async sendAndInterpret(
    method: HttpMethod,
    path: string,
    route: string,
    opts: { query?: QueryParams; body?: unknown; call?: CallOptions; idempotent?: boolean },
  ): Promise<{ res: TransportResponse; body: unknown; entries: ApiCallRc[]; path: string }> {
    const res = await this.transport.send({
      method,
      path,
      route,
      query: opts.query,
      body: opts.body,
      idempotent: opts.idempotent,
      ...opts.call,
    });
    let body: unknown;
    let notJson = false;
    if (res.text.trim() !== '') {
      try {
        body = parseLinstorJson(res.text);
      } catch {
        notJson = true;
      }
    }
    const entries = entriesOf(body);
    if (res.status >= 400 || errorEntries(entries).length > 0) {
      throw new LinstorApiError(
        res.status,
        method,
        path,
        entries,
        res.controller,
        entries.length === 0 ? excerpt(res.text) || undefined : undefined,
      );
    }
    if (notJson) {
      throw new LinstorTransportError(
        res.controller,
        'protocol',
        `${method} ${path} answered HTTP ${res.status} with a body that is not JSON: ${excerpt(res.text)}`,
        true,
      );
    }
    return { res, body, entries, path };
  }

  /** GET returning a JSON array. */
  private async getList<T>(
    route: string,
    params: Record<string, string | number>,
    query: QueryParams | undefined,
    call: CallOptions | undefined,
  ): Promise<T[]> {
    const { res, body, path } = await this.exchange('GET', route, params, { query, call });
    if (body === undefined) return [];
    if (!Array.isArray(body)) {
      throw new LinstorTransportError(
        res.controller,
        'protocol',
        `GET ${path} did not answer with a list`,
        true,
      );
    }
    return body as T[];
  }

  /** GET returning one JSON object. */
  private async getObject<T>(
    route: string,
    params: Record<string, string | number>,
    query: QueryParams | undefined,
    call: CallOptions | undefined,
  ): Promise<T> {
    const { res, body, path } = await this.exchange('GET', route, params, { query, call });
    return expectObject<T>(body, res, 'GET', path);
  }

  /** A mutating call; returns every entry of the reply. */
  private async mutate(
    method: HttpMethod,
    route: string,
    params: Record<string, string | number>,
    body: unknown,
    call: CallOptions | undefined,
    query?: QueryParams,
  ): Promise<LinstorReply> {
    const { res, entries } = await this.exchange(method, route, params, { body, call, query });
    return new LinstorReply(res.status, entries, res.controller, res.attempts);
  }

  /** A POST that answers with a data object (query-size-info and friends); safe to repeat. */
  private async query<T>(
    route: string,
    params: Record<string, string | number>,
    body: unknown,
    call: CallOptions | undefined,
  ): Promise<T> {
    const {
      res,
      body: data,
      path,
    } = await this.exchange('POST', route, params, { body, call, idempotent: true });
    return expectObject<T>(data, res, 'POST', path);
  }

  /** Turns a not-found error into undefined. */
  private async orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
    try {
      return await promise;
    } catch (e) {
      if (e instanceof LinstorApiError && e.isNotFound()) return undefined;
      throw e;
    }
  }

  /**
   * Sends any request (for endpoints without a typed method). Bodies and replies are lossless JSON;
   * by default statuses ≥ 400 and error entries throw {@link LinstorApiError}.
   */
  async request<T = unknown>(
    method: HttpMethod,
    path: string,
    options: RawRequestOptions = {},
  ): Promise<RawReply<T>> {
    const { query, body, route, idempotent, throwOnError = true, ...call } = options;
    if (!path.startsWith('/')) throw new Error(`request path must start with '/': ${path}`);
    if (throwOnError) {
      const {
        res,
        body: data,
        entries,
      } = await this.sendAndInterpret(method, path, route ?? path, {
        query,
        body,
        call,
        idempotent,
      });
      return {
        status: res.status,
        body: data as T,
        entries,
        controller: res.controller,
        attempts: res.attempts,
      };
    }
    const res = await this.transport.send({ method, path, query, body, route, idempotent, ...call });
    let data: unknown;
    try {
      data = res.text.trim() === '' ? undefined : parseLinstorJson(res.text);
    } catch {
      data = res.text;
    }
    return {
      status: res.status,
      body: data as T,
      entries: entriesOf(data),
      controller: res.controller,
      attempts: res.attempts,
    };
  }

  /**
   * True when `GET /health` of the first usable controller answers 200 (false for its 500 "not
   * ready"); throws AllControllersFailedError when no controller can be reached at all.
   */
  async health(call?: CallOptions): Promise<boolean> {
    const reply = await this.request('GET', '/health', { ...call, throwOnError: false, route: '/health' });
    return reply.status === 200;
  }

  // ------------------------------------------------------------------ version gating

  /** The controller's REST API version (`rest_api_version`), fetched once per controller. */
  async apiVersion(call?: CallOptions): Promise<string> {
    const version = await this.cachedVersion(call);
    return version.rest_api_version ?? '1.0.0';
  }

  private cachedVersion(call?: CallOptions): Promise<ControllerVersion> {
    const cached = this.versionCache;
    // During a rolling upgrade controllers differ, so a version is only reused for the one that sent it.
    if (cached && (cached.controller === undefined || cached.controller === this.currentController)) {
      return cached.version;
    }
    const entry: { controller: string | undefined; version: Promise<ControllerVersion> } = {
      controller: undefined,
      version: this.controller.version(call),
    };
    entry.version.then(
      () => {
        entry.controller = this.currentController;
      },
      () => {
        if (this.versionCache === entry) this.versionCache = undefined;
      },
    );
    this.versionCache = entry;
    return entry.version;
  }

  /**
   * Throws {@link UnsupportedApiVersionError} unless the controller offers REST API `minimum` or
   * newer. Used by every method that needs a newer API than 1.28.
   */
  async requireApiVersion(minimum: string, feature = 'This operation', call?: CallOptions): Promise<void> {
    const actual = await this.apiVersion(call);
    if (compareVersions(actual, minimum) < 0) throw new UnsupportedApiVersionError(feature, minimum, actual);
  }

  // ------------------------------------------------------------------ controller

  /** Controller version and its properties. */
  readonly controller = {
    /** `GET /v1/controller/version`. */
    version: (call?: CallOptions) =>
      this.getObject<ControllerVersion>('/v1/controller/version', {}, undefined, call),
    /** `GET /v1/controller/properties`: the flat property map. */
    properties: (call?: CallOptions) =>
      this.getObject<Props>('/v1/controller/properties', {}, undefined, call),
    /** `POST /v1/controller/properties` (LINSTOR uses POST here, not PUT). */
    setProperties: (modify: ControllerPropsModify, call?: CallOptions) =>
      this.mutate('POST', '/v1/controller/properties', {}, modify, call),
    /** `DELETE /v1/controller/properties/{key}`; `key` may contain `/`. */
    deleteProperty: (key: string, call?: CallOptions) =>
      this.mutate('DELETE', '/v1/controller/properties/{key}', { key }, undefined, call),
  };

  // ------------------------------------------------------------------ nodes

  /** Satellite and controller nodes. */
  readonly nodes = {
    /** `GET /v1/nodes`. */
    list: (filter?: NodeListFilter, call?: CallOptions) =>
      this.getList<Node>(
        '/v1/nodes',
        {},
        { nodes: filter?.nodes, props: propsQuery(filter?.props), ...paging(filter) },
        call,
      ),
    /** `GET /v1/nodes/{node}`; throws LinstorApiError (isNotFound) when absent. */
    get: (node: string, call?: CallOptions) =>
      this.getObject<Node>('/v1/nodes/{node}', { node }, undefined, call),
    /** Like `get`, but undefined when the node does not exist. */
    getOrUndefined: (node: string, call?: CallOptions) => this.orUndefined(this.nodes.get(node, call)),
    /** `POST /v1/nodes`. */
    create: (node: Node, call?: CallOptions) => this.mutate('POST', '/v1/nodes', {}, node, call),
    /** `PUT /v1/nodes/{node}`. */
    modify: (node: string, modify: NodeModify, call?: CallOptions) =>
      this.mutate('PUT', '/v1/nodes/{node}', { node }, modify, call),
    /** `DELETE /v1/nodes/{node}`. */
    delete: (node: string, call?: CallOptions) =>
      this.mutate('DELETE', '/v1/nodes/{node}', { node }, undefined, call),
  };

  // ------------------------------------------------------------------ storage pools

  /** Storage pools per node and the cluster-wide view. */
  readonly storagePools = {
    /** `GET /v1/view/storage-pools`: pools of all nodes (`cached: true` for cheap capacity). */
    list: (filter?: StoragePoolListFilter, call?: CallOptions) =>
      this.getList<StoragePool>(
        '/v1/view/storage-pools',
        {},
        {
          nodes: filter?.nodes,
          storage_pools: filter?.storagePools,
          props: propsQuery(filter?.props),
          cached: filter?.cached,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/nodes/{node}/storage-pools`. */
    listOnNode: (node: string, filter?: Omit<StoragePoolListFilter, 'nodes'>, call?: CallOptions) =>
      this.getList<StoragePool>(
        '/v1/nodes/{node}/storage-pools',
        { node },
        {
          storage_pools: filter?.storagePools,
          props: propsQuery(filter?.props),
          cached: filter?.cached,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/nodes/{node}/storage-pools/{pool}`. */
    get: (node: string, pool: string, call?: CallOptions) =>
      this.getObject<StoragePool>('/v1/nodes/{node}/storage-pools/{pool}', { node, pool }, undefined, call),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (node: string, pool: string, call?: CallOptions) =>
      this.orUndefined(this.storagePools.get(node, pool, call)),
    /** `POST /v1/nodes/{node}/storage-pools`. */
    create: (node: string, pool: StoragePool, call?: CallOptions) =>
      this.mutate('POST', '/v1/nodes/{node}/storage-pools', { node }, pool, call),
    /** `PUT /v1/nodes/{node}/storage-pools/{pool}` (properties). */
    modify: (node: string, pool: string, modify: PropsModify, call?: CallOptions) =>
      this.mutate('PUT', '/v1/nodes/{node}/storage-pools/{pool}', { node, pool }, modify, call),
    /** `DELETE /v1/nodes/{node}/storage-pools/{pool}`. */
    delete: (node: string, pool: string, call?: CallOptions) =>
      this.mutate('DELETE', '/v1/nodes/{node}/storage-pools/{pool}', { node, pool }, undefined, call),
  };

  // ------------------------------------------------------------------ resource groups

  /** Resource groups, spawning and capacity queries. */
  readonly resourceGroups = {
    /** `GET /v1/resource-groups`. */
    list: (filter?: ResourceGroupListFilter, call?: CallOptions) =>
      this.getList<ResourceGroup>(
        '/v1/resource-groups',
        {},
        { resource_groups: filter?.resourceGroups, props: propsQuery(filter?.props), ...paging(filter) },
        call,
      ),
    /** `GET /v1/resource-groups/{rg}`. */
    get: (group: string, call?: CallOptions) =>
      this.getObject<ResourceGroup>(
        '/v1/resource-groups/{resource_group}',
        { resource_group: group },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (group: string, call?: CallOptions) =>
      this.orUndefined(this.resourceGroups.get(group, call)),
    /** `POST /v1/resource-groups`. The controller ignores `props` here: set them with `modify`. */
    create: (group: ResourceGroup, call?: CallOptions) =>
      this.mutate('POST', '/v1/resource-groups', {}, group, call),
    /** `PUT /v1/resource-groups/{rg}`. */
    modify: (group: string, modify: ResourceGroupModify, call?: CallOptions) =>
      this.mutate('PUT', '/v1/resource-groups/{resource_group}', { resource_group: group }, modify, call),
    /** `DELETE /v1/resource-groups/{rg}`. */
    delete: (group: string, call?: CallOptions) =>
      this.mutate(
        'DELETE',
        '/v1/resource-groups/{resource_group}',
        { resource_group: group },
        undefined,
        call,
      ),
    /** `POST /v1/resource-groups/{rg}/spawn`: RD + VDs (+ autoplace). Check `reply.infos` for INFO_NO_RSC_SPAWNED. */
    spawn: (group: string, spawn: ResourceGroupSpawn, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-groups/{resource_group}/spawn',
        { resource_group: group },
        spawn,
        call,
      ),
    /** `POST /v1/resource-groups/{rg}/query-size-info` (a read; safe to repeat). */
    querySizeInfo: (group: string, request: QuerySizeInfoRequest = {}, call?: CallOptions) =>
      this.query<QuerySizeInfoResponse>(
        '/v1/resource-groups/{resource_group}/query-size-info',
        { resource_group: group },
        request,
        call,
      ),
    /** `POST /v1/queries/resource-groups/query-all-size-info` (a read; safe to repeat). */
    queryAllSizeInfo: (request: QueryAllSizeInfoRequest = {}, call?: CallOptions) =>
      this.query<QueryAllSizeInfoResponse>(
        '/v1/queries/resource-groups/query-all-size-info',
        {},
        request,
        call,
      ),
    /** `POST /v1/resource-groups/{rg}/adjust`: re-run placement for all RDs of the group. */
    adjust: (group: string, adjust: ResourceGroupAdjust = {}, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-groups/{resource_group}/adjust',
        { resource_group: group },
        adjust,
        call,
      ),
  };

  // ------------------------------------------------------------------ volume groups

  /** Volume groups of a resource group. */
  readonly volumeGroups = {
    /** `GET /v1/resource-groups/{rg}/volume-groups`. */
    list: (group: string, call?: CallOptions) =>
      this.getList<VolumeGroup>(
        '/v1/resource-groups/{resource_group}/volume-groups',
        { resource_group: group },
        undefined,
        call,
      ),
    /** `GET /v1/resource-groups/{rg}/volume-groups/{nr}`. */
    get: (group: string, volumeNumber: number, call?: CallOptions) =>
      this.getObject<VolumeGroup>(
        '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
        { resource_group: group, volume_number: volumeNumber },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (group: string, volumeNumber: number, call?: CallOptions) =>
      this.orUndefined(this.volumeGroups.get(group, volumeNumber, call)),
    /** `POST /v1/resource-groups/{rg}/volume-groups`. */
    create: (group: string, volumeGroup: VolumeGroup, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-groups/{resource_group}/volume-groups',
        { resource_group: group },
        volumeGroup,
        call,
      ),
    /** `PUT /v1/resource-groups/{rg}/volume-groups/{nr}`. */
    modify: (group: string, volumeNumber: number, modify: VolumeGroupModify, call?: CallOptions) =>
      this.mutate(
        'PUT',
        '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
        { resource_group: group, volume_number: volumeNumber },
        modify,
        call,
      ),
    /** `DELETE /v1/resource-groups/{rg}/volume-groups/{nr}`. */
    delete: (group: string, volumeNumber: number, call?: CallOptions) =>
      this.mutate(
        'DELETE',
        '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
        { resource_group: group, volume_number: volumeNumber },
        undefined,
        call,
      ),
  };

  // ------------------------------------------------------------------ resource definitions

  /** Resource definitions, clones and sync status. */
  readonly resourceDefinitions = {
    /** `GET /v1/resource-definitions`. */
    list: (filter?: ResourceDefinitionListFilter, call?: CallOptions) =>
      this.getList<ResourceDefinition>(
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
      this.getObject<ResourceDefinition>(
        '/v1/resource-definitions/{resource}',
        { resource: name },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (name: string, call?: CallOptions) =>
      this.orUndefined(this.resourceDefinitions.get(name, call)),
    /** `POST /v1/resource-definitions`. */
    create: (create: ResourceDefinitionCreate, call?: CallOptions) =>
      this.mutate('POST', '/v1/resource-definitions', {}, create, call),
    /** `PUT /v1/resource-definitions/{rd}` (props, `resource_group` to move it). */
    modify: (name: string, modify: ResourceDefinitionModify, call?: CallOptions) =>
      this.mutate('PUT', '/v1/resource-definitions/{resource}', { resource: name }, modify, call),
    /** `DELETE /v1/resource-definitions/{rd}`; a missing RD answers 200 with WARN_NOT_FOUND. */
    delete: (name: string, call?: CallOptions) =>
      this.mutate('DELETE', '/v1/resource-definitions/{resource}', { resource: name }, undefined, call),
    /** `POST /v1/resource-definitions/{rd}/clone`; poll with `cloneStatus` or `client.wait.cloneComplete`. */
    clone: async (
      source: string,
      request: ResourceDefinitionCloneRequest,
      call?: CallOptions,
    ): Promise<CloneReply> => {
      const { res, body, entries } = await this.exchange(
        'POST',
        '/v1/resource-definitions/{resource}/clone',
        { resource: source },
        { body: request, call },
      );
      const started = (body ?? {}) as Partial<ResourceDefinitionCloneStarted>;
      const reply = new LinstorReply(res.status, entries, res.controller, res.attempts);
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
      const body = await this.getObject<{ status: CloneStatus }>(
        '/v1/resource-definitions/{resource}/clone/{clone}',
        { resource: source, clone },
        undefined,
        call,
      );
      return body.status;
    },
    /** `GET /v1/resource-definitions/{rd}/sync-status`. */
    syncStatus: (name: string, call?: CallOptions) =>
      this.getObject<ResourceDefinitionSyncStatus>(
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
      await this.requireApiVersion('1.29.0', 'Deleting all resources of a resource definition at once', call);
      return this.mutate(
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

  // ------------------------------------------------------------------ volume definitions

  /** Volume definitions (sizes) of a resource definition. */
  readonly volumeDefinitions = {
    /** `GET /v1/resource-definitions/{rd}/volume-definitions`. */
    list: (resource: string, call?: CallOptions) =>
      this.getList<VolumeDefinition>(
        '/v1/resource-definitions/{resource}/volume-definitions',
        { resource },
        undefined,
        call,
      ),
    /** `GET /v1/resource-definitions/{rd}/volume-definitions/{nr}`. */
    get: (resource: string, volumeNumber: number, call?: CallOptions) =>
      this.getObject<VolumeDefinition>(
        '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
        { resource, volume_number: volumeNumber },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (resource: string, volumeNumber: number, call?: CallOptions) =>
      this.orUndefined(this.volumeDefinitions.get(resource, volumeNumber, call)),
    /** `POST /v1/resource-definitions/{rd}/volume-definitions` (the controller answers 200). */
    create: (resource: string, create: VolumeDefinitionCreate, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/volume-definitions',
        { resource },
        create,
        call,
      ),
    /** `PUT …/volume-definitions/{nr}`; `size_kib` grows the volume (shrinking is refused by DRBD). */
    modify: (resource: string, volumeNumber: number, modify: VolumeDefinitionModify, call?: CallOptions) =>
      this.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
        { resource, volume_number: volumeNumber },
        modify,
        call,
      ),
    /** `DELETE …/volume-definitions/{nr}`. */
    delete: (resource: string, volumeNumber: number, call?: CallOptions) =>
      this.mutate(
        'DELETE',
        '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
        { resource, volume_number: volumeNumber },
        undefined,
        call,
      ),
  };

  // ------------------------------------------------------------------ resources

  /** Resources (an RD placed on nodes), their volumes and placement actions. */
  readonly resources = {
    /** `GET /v1/resource-definitions/{rd}/resources` (no volumes). */
    list: (resource: string, filter?: ListPaging, call?: CallOptions) =>
      this.getList<Resource>(
        '/v1/resource-definitions/{resource}/resources',
        { resource },
        paging(filter),
        call,
      ),
    /** `GET /v1/resource-definitions/{rd}/resources/{node}`. */
    get: (resource: string, node: string, call?: CallOptions) =>
      this.getObject<Resource>(
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (resource: string, node: string, call?: CallOptions) =>
      this.orUndefined(this.resources.get(resource, node, call)),
    /** `GET /v1/view/resources`: resources with volumes and live state (the main status call). */
    view: (filter?: ResourceViewFilter, call?: CallOptions) =>
      this.getList<ResourceWithVolumes>(
        '/v1/view/resources',
        {},
        {
          nodes: filter?.nodes,
          resources: filter?.resources,
          storage_pools: filter?.storagePools,
          props: propsQuery(filter?.props),
          ...paging(filter),
        },
        call,
      ),
    /** `POST /v1/resource-definitions/{rd}/resources` with several ResourceCreate. */
    create: (resource: string, creates: readonly ResourceCreate[], call?: CallOptions) =>
      this.mutate('POST', '/v1/resource-definitions/{resource}/resources', { resource }, creates, call),
    /** `POST /v1/resource-definitions/{rd}/resources/{node}`. */
    createOnNode: (resource: string, node: string, create: ResourceCreate = {}, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        { ...create, resource: { ...create.resource, node_name: node } },
        call,
      ),
    /** `PUT /v1/resource-definitions/{rd}/resources/{node}`. */
    modify: (resource: string, node: string, modify: ResourceModify, call?: CallOptions) =>
      this.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        modify,
        call,
      ),
    /** `DELETE …/resources/{node}`; `keepTiebreaker` keeps a tie-breaker the deletion would create. */
    delete: (
      resource: string,
      node: string,
      options: { keepTiebreaker?: boolean } = {},
      call?: CallOptions,
    ) =>
      this.mutate(
        'DELETE',
        '/v1/resource-definitions/{resource}/resources/{node}',
        { resource, node },
        undefined,
        call,
        { keep_tiebreaker: options.keepTiebreaker },
      ),
    /** `POST …/resources/{node}/make-available`: attach (diskless) or make diskful on a node. */
    makeAvailable: (
      resource: string,
      node: string,
      request: ResourceMakeAvailable = {},
      call?: CallOptions,
    ) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}/make-available',
        { resource, node },
        request,
        call,
      ),
    /** `PUT …/resources/{node}/toggle-disk` (API 1.28 form). */
    toggleDisk: (resource: string, node: string, request: ToggleDiskRequest, call?: CallOptions) =>
      this.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resources/{node}/toggle-disk',
        { resource, node },
        request,
        call,
      ),
    /** `POST /v1/resource-definitions/{rd}/autoplace`; an empty filter uses the resource group's. */
    autoplace: (resource: string, request: Partial<AutoPlaceRequest> = {}, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/autoplace',
        { resource },
        { ...request, select_filter: request.select_filter ?? {} },
        call,
      ),
    /** `POST …/resources/{node}/activate`. */
    activate: (resource: string, node: string, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}/activate',
        { resource, node },
        undefined,
        call,
      ),
    /** `POST …/resources/{node}/deactivate`. */
    deactivate: (resource: string, node: string, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/resources/{node}/deactivate',
        { resource, node },
        undefined,
        call,
      ),
    /** `GET …/resources/{node}/volumes`. */
    volumes: (resource: string, node: string, call?: CallOptions) =>
      this.getList<Volume>(
        '/v1/resource-definitions/{resource}/resources/{node}/volumes',
        { resource, node },
        undefined,
        call,
      ),
    /** `GET …/resources/{node}/volumes/{nr}`. */
    volume: (resource: string, node: string, volumeNumber: number, call?: CallOptions) =>
      this.getObject<Volume>(
        '/v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
        { resource, node, volume_number: volumeNumber },
        undefined,
        call,
      ),
    /** `PUT …/resources/{node}/volumes/{nr}` (properties). */
    modifyVolume: (
      resource: string,
      node: string,
      volumeNumber: number,
      modify: PropsModify,
      call?: CallOptions,
    ) =>
      this.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
        { resource, node, volume_number: volumeNumber },
        modify,
        call,
      ),
  };

  // ------------------------------------------------------------------ resource connections

  /** Per node-pair settings of a resource (e.g. allow-two-primaries only during a migration). */
  readonly resourceConnections = {
    /** `GET /v1/resource-definitions/{rd}/resource-connections`. */
    list: (resource: string, call?: CallOptions) =>
      this.getList<ResourceConnection>(
        '/v1/resource-definitions/{resource}/resource-connections',
        { resource },
        undefined,
        call,
      ),
    /** `GET …/resource-connections/{a}/{b}`; undefined when the controller lists none for the pair. */
    get: async (resource: string, nodeA: string, nodeB: string, call?: CallOptions) => {
      const list = await this.getList<ResourceConnection>(
        '/v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
        { resource, node_a: nodeA, node_b: nodeB },
        undefined,
        call,
      );
      return list[0];
    },
    /** `PUT …/resource-connections/{a}/{b}` (properties such as DrbdOptions/Net/allow-two-primaries). */
    modify: (resource: string, nodeA: string, nodeB: string, modify: PropsModify, call?: CallOptions) =>
      this.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
        { resource, node_a: nodeA, node_b: nodeB },
        modify,
        call,
      ),
  };

  // ------------------------------------------------------------------ snapshots

  /** Snapshots, restore and rollback. */
  readonly snapshots = {
    /** `GET /v1/resource-definitions/{rd}/snapshots`. */
    list: (resource: string, call?: CallOptions) =>
      this.getList<Snapshot>('/v1/resource-definitions/{resource}/snapshots', { resource }, undefined, call),
    /** `GET /v1/resource-definitions/{rd}/snapshots/{snap}`. */
    get: (resource: string, snapshot: string, call?: CallOptions) =>
      this.getObject<Snapshot>(
        '/v1/resource-definitions/{resource}/snapshots/{snapshot}',
        { resource, snapshot },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (resource: string, snapshot: string, call?: CallOptions) =>
      this.orUndefined(this.snapshots.get(resource, snapshot, call)),
    /** `GET /v1/view/snapshots`: snapshots of all RDs in one call. */
    view: (filter?: SnapshotViewFilter, call?: CallOptions) =>
      this.getList<Snapshot>(
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
      this.mutate('POST', '/v1/resource-definitions/{resource}/snapshots', { resource }, snapshot, call),
    /** `POST /v1/actions/snapshot/multi`: one consistent snapshot across several RDs. */
    createMulti: (request: CreateMultiSnapshotRequest, call?: CallOptions) =>
      this.mutate('POST', '/v1/actions/snapshot/multi', {}, request, call),
    /** `PUT /v1/resource-definitions/{rd}/snapshots/{snap}` (properties). */
    modify: (resource: string, snapshot: string, modify: SnapshotModify, call?: CallOptions) =>
      this.mutate(
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
        await this.requireApiVersion(
          '1.29.0',
          'Deleting a snapshot together with its empty resource definition',
          call,
        );
      }
      return this.mutate(
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
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/snapshot-restore-volume-definition/{snapshot}',
        { resource, snapshot },
        restore,
        call,
      ),
    /** `POST …/snapshot-restore-resource/{snap}`: resources of `to_resource` from the snapshot. */
    restoreResources: (resource: string, snapshot: string, restore: SnapshotRestore, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/snapshot-restore-resource/{snapshot}',
        { resource, snapshot },
        restore,
        call,
      ),
    /** `POST …/snapshot-rollback/{snap}`: the RD's data returns to the snapshot (not while in use). */
    rollback: (resource: string, snapshot: string, rollback: SnapshotRollback = {}, call?: CallOptions) =>
      this.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/snapshot-rollback/{snapshot}',
        { resource, snapshot },
        rollback,
        call,
      ),
  };

  // ------------------------------------------------------------------ key-value store

  /** The controller's key-value store: plugin metadata without touching storage objects. */
  readonly keyValueStore = {
    /** `GET /v1/key-value-store`: all instances. */
    list: (call?: CallOptions) => this.getList<KeyValueStore>('/v1/key-value-store', {}, undefined, call),
    /** `GET /v1/key-value-store/{instance}`: its properties ({} when the instance has none). */
    get: async (instance: string, call?: CallOptions): Promise<Props> => {
      const list = await this.getList<KeyValueStore>(
        '/v1/key-value-store/{instance}',
        { instance },
        undefined,
        call,
      );
      const match = list.find((k) => k.name !== undefined && sameName(k.name, instance)) ?? list[0];
      return match?.props ?? {};
    },
    /** `PUT /v1/key-value-store/{instance}`. */
    modify: (instance: string, modify: PropsModify, call?: CallOptions) =>
      this.mutate('PUT', '/v1/key-value-store/{instance}', { instance }, modify, call),
    /** `DELETE /v1/key-value-store/{instance}`. */
    delete: (instance: string, call?: CallOptions) =>
      this.mutate('DELETE', '/v1/key-value-store/{instance}', { instance }, undefined, call),
  };

  // ------------------------------------------------------------------ error reports

  /** Error reports referenced by `error_report_ids`. */
  readonly errorReports = {
    /** `GET /v1/error-reports`. */
    list: (filter?: ErrorReportFilter, call?: CallOptions) =>
      this.getList<ErrorReport>(
        '/v1/error-reports',
        {},
        {
          node: filter?.node,
          since: filter?.since,
          to: filter?.to,
          withContent: filter?.withContent,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/error-reports/{id}` (with its text); undefined when the controller has no such report. */
    get: async (id: string, call?: CallOptions): Promise<ErrorReport | undefined> => {
      const list = await this.orUndefined(
        this.getList<ErrorReport>('/v1/error-reports/{id}', { id }, { withContent: true }, call),
      );
      return list?.[0];
    },
  };

  // ------------------------------------------------------------------ events

  /** Server-sent event streams. */
  readonly events = {
    /**
     * `GET /v1/events/drbd/promotion` as an async iterator of may-promote changes. With the default
     * `lastEventId: 'current'` the controller first sends the current state of every resource. Stop
     * with `options.signal` or by leaving the `for await` loop.
     */
    promotion: (options: PromotionEventOptions = {}) => readPromotionEvents(this.transport, options),
  };

  // ------------------------------------------------------------------ waiters

  /** Polling waiters with deadlines and backoff. */
  readonly wait: Waiters = new Waiters(this);
}

/** Creates a LINSTOR REST client. See {@link LinstorClientOptions} for every setting. */
export function createLinstorClient(options: LinstorClientOptions = {}): LinstorClient {
  return new LinstorClient(options);
}
