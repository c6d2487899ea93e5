/**
 * One Cinder backend as the bridge keeps it between calls: a LINSTOR client for its controllers,
 * a volume service per resource group, and short-lived memories of group shapes and node lookups,
 * so a steady stream of calls costs only the requests the operations themselves need. Backends
 * are keyed by their connection settings; every call carries its backend's settings, so a
 * restarted bridge needs no setup call.
 */

import { sameName } from '@linstor-hv/api';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import {
  type GroupShape,
  type HostExecutor,
  LocalExecutor,
  VolumeError,
  VolumeService,
} from '@linstor-hv/core';
import { CinderError } from './errors';
import { defaultGroupShape, groupNameOf, groupShapeOf, type V1Placement } from './extra-specs';
import { type BackendConfig, type Connector, callBudgetMs, type VolumeType } from './protocol';

/** The platform name in linstor-hv's ownership tags. */
export const PLATFORM = 'cinder';
/** How long a group known to match its type's specs, or a host's node, is trusted. */
const MEMORY_TTL_MS = 60_000;
const CONNECT_TIMEOUT_MS = 3_000;
/** How long delete and revert wait for a device that is still open somewhere. */
const NOT_IN_USE_MS = 3_000;
/**
 * Reads of a clone's status at most: with the clone's five other requests (the two definitions,
 * the source's replicas, the clone itself, the clone's replicas, the finish) and one more for a
 * diskless attachment of the source or a grow, a clone stays within 12 requests.
 */
export const CLONE_STATUS_POLLS = 6;

/**
 * The Cinder host cannot look into another node's `/dev`; for those nodes LINSTOR's report that
 * the resource is deployed is trusted, and commands are refused.
 */
class RemoteNodeExecutor implements HostExecutor {
  constructor(readonly node: string) {}
  get description(): string {
    return `node ${this.node} (not reachable from the Cinder host)`;
  }
  run(): never {
    throw new VolumeError(
      'not-supported',
      `Commands cannot run on node '${this.node}' from the Cinder host.`,
    );
  }
  async pathExists(): Promise<boolean> {
    return true;
  }
}

class Memory<T> {
  private readonly entries = new Map<string, { at: number; value: T }>();
  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry || Date.now() - entry.at > MEMORY_TTL_MS) return undefined;
    return entry.value;
  }
  set(key: string, value: T): void {
    this.entries.set(key, { at: Date.now(), value });
  }
  clear(): void {
    this.entries.clear();
  }
}

/** One backend's client, services and memories. */
export class Backend {
  readonly client: LinstorClient;
  private readonly services = new Map<string, VolumeService>();
  private readonly shapes = new Memory<string>();
  private readonly hosts = new Memory<string>();
  private readonly placements = new Memory<V1Placement>();
  private readonly local = new LocalExecutor();
  private cinderNodeName: string | undefined;

  constructor(readonly config: BackendConfig) {
    const tls =
      config.trustedCa || config.clientCert || config.clientKey
        ? {
            ...(config.trustedCa ? { caFile: config.trustedCa } : {}),
            ...(config.clientCert ? { certFile: config.clientCert } : {}),
            ...(config.clientKey ? { keyFile: config.clientKey } : {}),
          }
        : undefined;
    this.client = createLinstorClient({
      controllers: config.uris,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: config.timeoutS * 1000,
      ...(tls ? { tls } : {}),
      userAgent: 'cinder',
      env: {},
    });
  }

  /** The volume service of a resource group (created on first use). */
  service(group = this.config.defaultResourceGroup): VolumeService {
    const key = group.toLowerCase();
    let service = this.services.get(key);
    if (!service) {
      service = new VolumeService({
        client: this.client,
        resourceGroup: group,
        platform: PLATFORM,
        deviceRoot: (node) => this.deviceRoot(node),
        executorFor: (node) => this.executor(node),
        // Cinder deletes and reverts only detached volumes; a device still open is a real conflict.
        // A clone reads its status at most CLONE_STATUS_POLLS times, spread over the time the
        // driver gives a call (5 × linstor_timeout, at least a minute): a clone's REST calls are
        // bounded whatever the copy takes (issue 12: at most 12).
        deadlines: {
          notInUseMs: NOT_IN_USE_MS,
          cloneMs: callBudgetMs(this.config),
          clonePolls: CLONE_STATUS_POLLS,
        },
        ...(this.config.maxOverSubscriptionRatio !== undefined
          ? { overSubscriptionRatio: this.config.maxOverSubscriptionRatio }
          : {}),
      });
      this.services.set(key, service);
    }
    return service;
  }

  /** `/dev` of a node (`{node}` in the configured root stands for the node's name). */
  deviceRoot(node: string): string {
    return this.config.deviceRoot.replaceAll('{node}', node).replace(/\/+$/, '');
  }

  /**
   * Commands and device checks run here for the Cinder host's node; a root with `{node}` means
   * every emulated node lives on this machine. Other nodes cannot be reached.
   */
  private executor(node: string): HostExecutor {
    if (this.config.deviceRoot.includes('{node}')) return this.local;
    if (this.cinderNodeName !== undefined && node.toLowerCase() === this.cinderNodeName.toLowerCase()) {
      return this.local;
    }
    return new RemoteNodeExecutor(node);
  }

  /**
   * The volume service for a volume type's group, with the group made to match the type's
   * `linstor:*` specs (checked at most once a minute per shape; untyped volumes use the default
   * group, created with the backend's defaults only when absent).
   */
  async serviceForType(type: VolumeType | undefined, signal?: AbortSignal): Promise<VolumeService> {
    const group = groupNameOf(type, this.config);
    // Checked first: a bad extra spec is refused before any request.
    if (type) groupShapeOf(type, this.config);
    const v1 = await this.v1Placement(signal);
    const shape: GroupShape = type ? groupShapeOf(type, this.config, v1) : defaultGroupShape(this.config, v1);
    const service = this.service(group);
    const key = `${group.toLowerCase()}\n${JSON.stringify(shape)}`;
    if (this.shapes.get(key) === undefined) {
      await service.ensureGroup(group, shape, { signal });
      this.shapes.set(key, group);
    }
    return service;
  }

  /**
   * Where the v1 options put diskful replicas: `linstor_autoplace_count` = 0 means one on every
   * node with the storage pool (as v1 created them node by node), and `linstor_controller_diskless`
   * keeps them off the Cinder host's node. Read from one pool listing, trusted for a minute.
   */
  async v1Placement(signal?: AbortSignal): Promise<V1Placement | undefined> {
    const { autoplaceCount, controllerDiskless } = this.config;
    if (autoplaceCount !== 0 && !controllerDiskless) {
      return autoplaceCount === undefined ? undefined : { placeCount: autoplaceCount };
    }
    const known = this.placements.get('v1');
    if (known) return known;
    const pool = this.config.defaultStoragePool;
    const pools = await this.client.storagePools.list(pool === undefined ? {} : { storagePools: [pool] }, {
      signal,
    });
    let nodes = [
      ...new Set(
        pools
          .filter(
            (p) =>
              p.provider_kind !== 'DISKLESS' &&
              (pool === undefined || sameName(p.storage_pool_name ?? '', pool)),
          )
          .map((p) => p.node_name ?? ''),
      ),
    ].filter((n) => n !== '');
    if (controllerDiskless) {
      const own = await this.cinderNode(signal).catch((error: unknown) => {
        // A Cinder host that is no LINSTOR node holds no replica anyway.
        if (error instanceof CinderError || (error instanceof VolumeError && error.kind === 'not-found'))
          return undefined;
        throw error;
      });
      if (own !== undefined) nodes = nodes.filter((n) => !sameName(n, own));
    }
    if (nodes.length === 0) {
      const what = pool === undefined ? 'a storage pool with a disk' : `the storage pool '${pool}'`;
      const v1 = this.config.v1VolumeGroup;
      throw new CinderError(
        'CINDER_NO_STORAGE_POOL',
        'placement',
        `No LINSTOR node${controllerDiskless ? ' other than the Cinder host' : ''} has ${what}, so backend '${this.config.name}' has nowhere to place volumes; create it${v1 === undefined ? '' : ` (the v1 driver used LVM volume group '${v1}' for it: linstor storage-pool create lvm <node> ${pool ?? 'DfltStorPool'} ${v1})`} or set linstor_default_storage_pool_name.`,
      );
    }
    nodes.sort();
    const placement = {
      placeCount: autoplaceCount === 0 ? nodes.length : (autoplaceCount ?? nodes.length),
      nodes,
    };
    this.placements.set('v1', placement);
    return placement;
  }

  /** The LINSTOR node of a connector (by `linstor_connector_host_property`, name, NodeUname, address). */
  async nodeOf(connector: Connector, signal?: AbortSignal): Promise<string> {
    return this.lookup([connector.host], connector.ip, signal);
  }

  /** The LINSTOR node of the Cinder host itself (image copies, iSCSI export). */
  async cinderNode(signal?: AbortSignal): Promise<string> {
    if (this.config.cinderHosts.length === 0 && this.config.cinderIp === undefined) {
      throw new CinderError(
        'CINDER_NODE_NOT_FOUND',
        'not-found',
        'The Cinder host has no name to look up in LINSTOR; set linstor_hostname_file.',
      );
    }
    this.cinderNodeName = await this.lookup(this.config.cinderHosts, this.config.cinderIp, signal);
    return this.cinderNodeName;
  }

  private async lookup(
    names: readonly string[],
    ip: string | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    const key = `${names.join('\n')}\n${ip ?? ''}`;
    const known = this.hosts.get(key);
    if (known !== undefined) return known;
    const node = await this.service().findNode(
      { names, ip, property: this.config.connectorHostProperty },
      { signal },
    );
    this.hosts.set(key, node);
    return node;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** Backends by their settings; the bridge keeps one registry for its lifetime. */
export class BackendRegistry {
  private readonly backends = new Map<string, Backend>();

  /** The backend for these settings (one per distinct configuration). */
  get(config: BackendConfig): Backend {
    const key = JSON.stringify(config);
    let backend = this.backends.get(key);
    if (!backend) {
      backend = new Backend(config);
      this.backends.set(key, backend);
    }
    return backend;
  }

  /** Every backend made so far (the bridge's orphan sweep visits their clusters). */
  list(): Backend[] {
    return [...this.backends.values()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => b.close()));
    this.backends.clear();
  }
}
