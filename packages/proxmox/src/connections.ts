/**
 * Where a handler's LINSTOR client and volume service come from. A one-shot process makes them for
 * its single call and closes them; the bridge keeps one client per controller set (plus TLS files,
 * token and status-cache key, i.e. per controller set and resource group) and one volume service
 * per client, resource group, owner and node, alive between calls: keep-alive connections, the
 * controller that answered last, and the API version are then already known.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createLinstorClient, type LinstorClient, type RequestMetric } from '@linstor-hv/client';
import {
  LocalExecutor,
  type PlacementCache,
  SshExecutor,
  type SweepReport,
  sweepEach,
  sweepOrphans,
  VolumeService,
} from '@linstor-hv/core';
import { PROTOCOL_VERSION, type ProxmoxRequest } from './protocol';
import { StatusMemory } from './status-cache';

/** The platform name in linstor-hv's ownership tags. */
export const PLATFORM = 'proxmox';
/** linstor-proxmox's default resource group. */
export const DEFAULT_RESOURCE_GROUP = 'drbdgrp';

/** Short connect timeout: a dead controller must cost seconds, not PVE's lock budget. */
const CONNECT_TIMEOUT_MS = 2_000;
/** Longest single request; LINSTOR's own waits (resource ready) take up to 15 s. */
const REQUEST_TIMEOUT_MS = 20_000;
/** Deadline of the health probe that picks a controller. */
const PROBE_TIMEOUT_MS = 2_000;
/** Overall limit of one REST call of a resident client; each call's signal ends it sooner. */
const RESIDENT_CALL_LIMIT_MS = 60_000;
/** A resident client nobody used for this long is closed (its storage may be gone from storage.cfg). */
const IDLE_CLIENT_MS = 10 * 60_000;

/** The file next to the status cache that remembers the last good controller. */
export function controllerStateFile(statusCacheFile: string): string {
  const base = statusCacheFile.replace(/^.*\//, '').replace(/^status-/, 'controller-');
  return join(dirname(statusCacheFile), base);
}

/** The storage's resource group (`resourcegroup`, default linstor-proxmox's `drbdgrp`). */
export function resourceGroupOf(request: ProxmoxRequest): string {
  return request.scfg.resourcegroup ?? DEFAULT_RESOURCE_GROUP;
}

/** Counts the REST calls made on behalf of the call whose async context is current. */
const restCounter = new AsyncLocalStorage<{ restCalls: number }>();

function countRestCall(metric: RequestMetric): void {
  // Health probes pick a controller; they are not calls the method asked for.
  if (metric.route === '/health') return;
  const counter = restCounter.getStore();
  if (counter) counter.restCalls++;
}

/** Runs `work` and counts the REST calls it makes (through clients of this module). */
export async function countingRestCalls<T>(work: () => Promise<T>): Promise<{ value: T; restCalls: number }> {
  const counter = { restCalls: 0 };
  try {
    const value = await restCounter.run(counter, work);
    return { value, restCalls: counter.restCalls };
  } catch (error) {
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), {
      restCalls: counter.restCalls,
    });
  }
}

function clientFor(
  request: ProxmoxRequest,
  limits: { deadlineMs: number; requestTimeoutMs: number },
): LinstorClient {
  const { scfg, token } = request;
  const tls =
    scfg.apica || scfg.apicrt || scfg.apikey
      ? {
          ...(scfg.apica ? { caFile: scfg.apica } : {}),
          ...(scfg.apicrt ? { certFile: scfg.apicrt } : {}),
          ...(scfg.apikey ? { keyFile: scfg.apikey } : {}),
        }
      : undefined;
  return createLinstorClient({
    controllers: scfg.controller ?? 'localhost',
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    requestTimeoutMs: limits.requestTimeoutMs,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    deadlineMs: limits.deadlineMs,
    ...(tls ? { tls } : {}),
    ...(token ? { token } : {}),
    tokenFile: false,
    // Remembers the controller that answered last, so the next process (a one-shot call, or a
    // restarted bridge) does not probe a dead first entry again.
    stateFile: controllerStateFile(request.statusCacheFile),
    userAgent: `proxmox; protocol ${PROTOCOL_VERSION}`,
    metrics: countRestCall,
    env: {},
  });
}

function serviceFor(
  request: ProxmoxRequest,
  client: LinstorClient,
  cloneMs?: number,
  placementCache?: PlacementCache,
): VolumeService {
  const local = new LocalExecutor();
  const { node, peerAccess } = request;
  return new VolumeService({
    client,
    resourceGroup: resourceGroupOf(request),
    platform: PLATFORM,
    ownerId: request.storeid,
    deviceRoot: (n) => deviceRootOf(request, n),
    ...(cloneMs === undefined ? {} : { deadlines: { cloneMs } }),
    ...(placementCache ? { placementCache } : {}),
    // Copies that must run on another node (a rollback to an older snapshot restored there) go
    // over the root ssh that every PVE cluster has between its nodes.
    executorFor: (n) =>
      n === node || peerAccess === 'local'
        ? local
        : new SshExecutor({ host: n, user: 'root', options: { BatchMode: 'yes' } }),
  });
}

/** The device root of a node (the request's root with `{node}` replaced). */
export function deviceRootOf(request: ProxmoxRequest, node: string): string {
  return request.deviceRoot.replaceAll('{node}', node).replace(/\/+$/, '');
}

/** A handler's LINSTOR client and volume service, and what is left to do when the call ends. */
export interface Connections {
  client(): LinstorClient;
  service(): VolumeService;
  /** Called when the handler is done. */
  release(): Promise<void>;
  /** Status figures kept between calls (the bridge's); a one-shot process has none. */
  readonly statusMemory?: StatusMemory;
}

/**
 * For a one-shot process: a client whose limits follow the request's deadline, created on first
 * use and closed when the call ends.
 */
export function oneShotConnections(
  request: ProxmoxRequest,
  deadline: number,
  cleanupReserveMs: number,
): Connections {
  let client: LinstorClient | undefined;
  let service: VolumeService | undefined;
  const remaining = () => Math.max(1, deadline - Date.now());
  const getClient = () => {
    client ??= clientFor(request, {
      deadlineMs: remaining(),
      requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, remaining()),
    });
    return client;
  };
  return {
    client: getClient,
    service: () => {
      // A clone must finish (or fail and clean up) before PVE's lock alarm, not after ten minutes.
      service ??= serviceFor(request, getClient(), Math.max(1_000, remaining() - cleanupReserveMs));
      return service;
    },
    release: async () => {
      await client?.close();
    },
  };
}

function keyOf(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

interface PooledClient {
  client: LinstorClient;
  lastUsed: number;
  /** Calls using the client right now; it is never closed under them. */
  inUse: number;
  services: Map<string, VolumeService>;
  /** The storages (owner ids) that used the client: whose leftovers the orphan sweep looks for. */
  owners: Set<string>;
  /** Group placements read through the client, shared by its services (every node, every storage). */
  placements: PlacementCache;
}

/**
 * For the bridge: clients and services kept alive between calls. Each call's own deadline comes
 * from its signal; the client's limits only bound a single REST call.
 */
export class ConnectionPool {
  private readonly clients = new Map<string, PooledClient>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Status figures of every storage this bridge served, by status cache file. */
  readonly statusMemory = new StatusMemory();

  /** The connections of one call (nothing to release: the pool keeps them). */
  connectionsFor(request: ProxmoxRequest): Connections {
    let used: PooledClient | undefined;
    const pooled = () => {
      if (!used) {
        used = this.pooledClient(request);
        used.inUse++;
        used.owners.add(request.storeid);
      }
      return used;
    };
    return {
      client: () => pooled().client,
      service: () => {
        const entry = pooled();
        const key = keyOf([
          resourceGroupOf(request),
          request.storeid,
          request.node,
          request.deviceRoot,
          request.peerAccess,
        ]);
        let service = entry.services.get(key);
        if (!service) {
          service = serviceFor(request, entry.client, undefined, entry.placements);
          entry.services.set(key, service);
        }
        return service;
      },
      release: async () => {
        if (!used) return;
        used.inUse--;
        used.lastUsed = Date.now();
      },
      statusMemory: this.statusMemory,
    };
  }

  private pooledClient(request: ProxmoxRequest): PooledClient {
    const { scfg } = request;
    // The token is part of the key (hashed with the rest), so a changed token gets a new client.
    const key = keyOf([
      scfg.controller ?? 'localhost',
      scfg.apica,
      scfg.apicrt,
      scfg.apikey,
      request.token,
      request.statusCacheFile,
    ]);
    let entry = this.clients.get(key);
    if (!entry) {
      entry = {
        client: clientFor(request, {
          deadlineMs: RESIDENT_CALL_LIMIT_MS,
          requestTimeoutMs: REQUEST_TIMEOUT_MS,
        }),
        lastUsed: Date.now(),
        inUse: 0,
        services: new Map(),
        owners: new Set(),
        placements: new Map(),
      };
      this.clients.set(key, entry);
      this.sweeper ??= setInterval(() => void this.closeIdle(), IDLE_CLIENT_MS / 2).unref();
    }
    entry.lastUsed = Date.now();
    return entry;
  }

  /**
   * One orphan sweep (core's {@link sweepOrphans}) for every storage this bridge has served, on
   * that storage's controllers, as one report. A controller that fails does not stop the others;
   * its error is thrown after they ran.
   */
  async sweepOrphans(options: { graceMs: number; signal: AbortSignal }): Promise<SweepReport> {
    const entries = [...this.clients.values()];
    for (const entry of entries) entry.inUse++;
    try {
      return await sweepEach(
        entries.flatMap((entry) => [...entry.owners].map((ownerId) => ({ client: entry.client, ownerId }))),
        ({ client, ownerId }) => sweepOrphans(client, { ...options, platform: PLATFORM, ownerId }),
        options.signal,
      );
    } finally {
      for (const entry of entries) entry.inUse--;
    }
  }

  /** Closes clients nobody used for a while. */
  async closeIdle(now = Date.now()): Promise<void> {
    for (const [key, entry] of this.clients) {
      if (entry.inUse === 0 && now - entry.lastUsed > IDLE_CLIENT_MS) {
        this.clients.delete(key);
        await entry.client.close().catch(() => undefined);
      }
    }
  }

  /** Closes every client. */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    const entries = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(entries.map((e) => e.client.close().catch(() => undefined)));
  }
}
