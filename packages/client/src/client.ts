import type { ApiCallRc } from '@linstor-hv/api';
import { LinstorArgumentError } from './errors';
import { type PromotionEventOptions, readPromotionEvents } from './events';
import { type ControllerApi, controllerApi } from './kinds/controller';
import { type ErrorReportsApi, errorReportsApi } from './kinds/error-reports';
import { type KeyValueStoreApi, keyValueStoreApi } from './kinds/key-value-store';
import { type NodesApi, nodesApi } from './kinds/nodes';
import { type ResourceConnectionsApi, resourceConnectionsApi } from './kinds/resource-connections';
import { type ResourceDefinitionsApi, resourceDefinitionsApi } from './kinds/resource-definitions';
import { type ResourceGroupsApi, resourceGroupsApi } from './kinds/resource-groups';
import { type ResourcesApi, resourcesApi } from './kinds/resources';
import { type SnapshotsApi, snapshotsApi } from './kinds/snapshots';
import { type StoragePoolsApi, storagePoolsApi } from './kinds/storage-pools';
import { type VolumeDefinitionsApi, volumeDefinitionsApi } from './kinds/volume-definitions';
import { type VolumeGroupsApi, volumeGroupsApi } from './kinds/volume-groups';
import { type LinstorClientOptions, resolveOptions } from './options';
import { readBody } from './parse-reply';
import { RestExchange } from './rest-exchange';
import { Transport } from './transport/transport';
import type { CallOptions, HttpMethod, QueryParams } from './transport/types';
import { CLIENT_VERSION } from './version';
import { Waiters } from './waiters';

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

/**
 * Typed client for the LINSTOR REST API v1. Create it with {@link createLinstorClient}; call
 * {@link LinstorClient.close} when done so keep-alive connections do not hold the process open.
 * Each method group is one object kind (`kinds/*.ts`) written against the narrow `Exchange` seam.
 */
export class LinstorClient {
  private readonly transport: Transport;
  private readonly rest: RestExchange;

  /** Controller version and its properties. */
  readonly controller: ControllerApi;
  /** Satellite and controller nodes. */
  readonly nodes: NodesApi;
  /** Storage pools per node and the cluster-wide view. */
  readonly storagePools: StoragePoolsApi;
  /** Resource groups, spawning and capacity queries. */
  readonly resourceGroups: ResourceGroupsApi;
  /** Volume groups of a resource group. */
  readonly volumeGroups: VolumeGroupsApi;
  /** Resource definitions, clones and sync status. */
  readonly resourceDefinitions: ResourceDefinitionsApi;
  /** Volume definitions (sizes) of a resource definition. */
  readonly volumeDefinitions: VolumeDefinitionsApi;
  /** Resources (an RD placed on nodes), their volumes and placement actions. */
  readonly resources: ResourcesApi;
  /** Per node-pair settings of a resource (e.g. allow-two-primaries only during a migration). */
  readonly resourceConnections: ResourceConnectionsApi;
  /** Snapshots, restore and rollback. */
  readonly snapshots: SnapshotsApi;
  /** The controller's key-value store: plugin metadata without touching storage objects. */
  readonly keyValueStore: KeyValueStoreApi;
  /** Error reports referenced by `error_report_ids`. */
  readonly errorReports: ErrorReportsApi;
  /** Server-sent event streams. */
  readonly events: {
    /**
     * `GET /v1/events/drbd/promotion` as an async iterator of may-promote changes. With the default
     * `lastEventId: 'current'` the controller first sends the current state of every resource. Stop
     * with `options.signal` or by leaving the `for await` loop.
     */
    promotion: (options?: PromotionEventOptions) => ReturnType<typeof readPromotionEvents>;
  };
  /** Polling waiters with deadlines and backoff. */
  readonly wait: Waiters;

  constructor(options: LinstorClientOptions = {}) {
    this.transport = new Transport(resolveOptions(options, CLIENT_VERSION));
    const rest = new RestExchange(this.transport);
    this.rest = rest;
    this.controller = controllerApi(rest);
    this.nodes = nodesApi(rest);
    this.storagePools = storagePoolsApi(rest);
    this.resourceGroups = resourceGroupsApi(rest);
    this.volumeGroups = volumeGroupsApi(rest);
    this.resourceDefinitions = resourceDefinitionsApi(rest);
    this.volumeDefinitions = volumeDefinitionsApi(rest);
    this.resources = resourcesApi(rest);
    this.resourceConnections = resourceConnectionsApi(rest);
    this.snapshots = snapshotsApi(rest);
    this.keyValueStore = keyValueStoreApi(rest);
    this.errorReports = errorReportsApi(rest);
    this.events = {
      promotion: (promotionOptions: PromotionEventOptions = {}) =>
        readPromotionEvents(this.transport, promotionOptions),
    };
    this.wait = new Waiters(this);
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
    if (!path.startsWith('/')) {
      throw new LinstorArgumentError(`The request path must start with '/', not '${path}'.`);
    }
    if (throwOnError) {
      const reply = await this.rest.sendPath(method, path, route ?? path, { query, body, call, idempotent });
      return {
        status: reply.status,
        body: reply.body as T,
        entries: reply.entries,
        controller: reply.controller,
        attempts: reply.attempts,
      };
    }
    const res = await this.transport.send({ method, path, query, body, route, idempotent, ...call });
    const read = readBody(res.text);
    return {
      status: res.status,
      body: read.body as T,
      entries: read.entries,
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

  /** The controller's REST API version (`rest_api_version`), fetched once per controller. */
  apiVersion(call?: CallOptions): Promise<string> {
    return this.rest.apiVersion(call);
  }

  /**
   * Throws {@link UnsupportedApiVersionError} unless the controller offers REST API `minimum` or
   * newer. Used by every method that needs a newer API than 1.28.
   */
  requireApiVersion(minimum: string, feature = 'This operation', call?: CallOptions): Promise<void> {
    return this.rest.requireApiVersion(minimum, feature, call);
  }
}

/** Creates a LINSTOR REST client. See {@link LinstorClientOptions} for every setting. */
export function createLinstorClient(options: LinstorClientOptions = {}): LinstorClient {
  return new LinstorClient(options);
}
