/**
 * What a handler works with: the parsed request, the LINSTOR client for the storage's controller
 * list, and the volume service bound to the storage's resource group and owner.
 */

import { dirname, join } from 'node:path';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import { LocalExecutor, SshExecutor, VolumeService } from '@linstor-hv/core';
import { PROTOCOL_VERSION, type ProxmoxRequest } from './protocol';

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
/** Time kept back from the request's deadline so a failed step can still be undone. */
const CLEANUP_RESERVE_MS = 5_000;

/** The parsed request plus the objects every handler needs, created on first use. */
export class HandlerContext {
  private clientInstance: LinstorClient | undefined;
  private serviceInstance: VolumeService | undefined;
  /** When the handler must be done (epoch ms); leaves time to answer before the Perl side gives up. */
  readonly deadline: number;
  /** Aborts the handler's work (the bridge fires it at the deadline or when the caller goes away). */
  readonly signal: AbortSignal = new AbortController().signal;

  constructor(
    readonly request: ProxmoxRequest,
    readonly args: Record<string, unknown> = request.args,
  ) {
    this.deadline = Date.now() + request.deadlineMs;
  }

  /** Milliseconds left until the deadline (at least 1). */
  remainingMs(): number {
    return Math.max(1, this.deadline - Date.now());
  }

  /** Milliseconds left minus the time kept back so a failed step can still be undone (at least 1). */
  remainingBeforeCleanupMs(): number {
    return Math.max(1, this.remainingMs() - CLEANUP_RESERVE_MS);
  }

  /** The storage's resource group (`resourcegroup`, default linstor-proxmox's `drbdgrp`). */
  get resourceGroup(): string {
    return this.request.scfg.resourcegroup ?? DEFAULT_RESOURCE_GROUP;
  }

  /** The LINSTOR node name of the calling PVE node. */
  get node(): string {
    return this.request.node;
  }

  /** A `yes`/`no` storage option with its default. */
  flag(option: 'preferlocal' | 'exactsize' | 'allowtwoprimaries', fallback: boolean): boolean {
    const value = this.request.scfg[option];
    if (value === undefined) return fallback;
    return /^(yes|1|true|on)$/i.test(value);
  }

  /** The LINSTOR client for the storage's controllers (created on first use). */
  get client(): LinstorClient {
    if (!this.clientInstance) {
      const { scfg, token } = this.request;
      const tls =
        scfg.apica || scfg.apicrt || scfg.apikey
          ? {
              ...(scfg.apica ? { caFile: scfg.apica } : {}),
              ...(scfg.apicrt ? { certFile: scfg.apicrt } : {}),
              ...(scfg.apikey ? { keyFile: scfg.apikey } : {}),
            }
          : undefined;
      this.clientInstance = createLinstorClient({
        controllers: scfg.controller ?? 'localhost',
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        requestTimeoutMs: Math.min(REQUEST_TIMEOUT_MS, this.remainingMs()),
        probeTimeoutMs: PROBE_TIMEOUT_MS,
        deadlineMs: this.remainingMs(),
        ...(tls ? { tls } : {}),
        ...(token ? { token } : {}),
        tokenFile: false,
        // Remembers the controller that answered last, so the next short-lived process does not
        // probe a dead first entry again.
        stateFile: controllerStateFile(this.request.statusCacheFile),
        userAgent: `proxmox; protocol ${PROTOCOL_VERSION}`,
        env: {},
      });
    }
    return this.clientInstance;
  }

  /** The volume service for this storage (created on first use). */
  get service(): VolumeService {
    if (!this.serviceInstance) {
      const local = new LocalExecutor();
      const { node, peerAccess } = this.request;
      this.serviceInstance = new VolumeService({
        client: this.client,
        resourceGroup: this.resourceGroup,
        platform: PLATFORM,
        ownerId: this.request.storeid,
        deviceRoot: (n) => this.deviceRoot(n),
        // A clone must finish (or fail and clean up) before PVE's lock alarm, not after ten minutes.
        deadlines: { cloneMs: Math.max(1_000, this.remainingBeforeCleanupMs()) },
        // Copies that must run on another node (a rollback to an older snapshot restored there) go
        // over the root ssh that every PVE cluster has between its nodes.
        executorFor: (n) =>
          n === node || peerAccess === 'local'
            ? local
            : new SshExecutor({ host: n, user: 'root', options: { BatchMode: 'yes' } }),
      });
    }
    return this.serviceInstance;
  }

  /** The device root of a node (the request's root with `{node}` replaced). */
  deviceRoot(node: string = this.request.node): string {
    return this.request.deviceRoot.replaceAll('{node}', node).replace(/\/+$/, '');
  }

  /** Releases the client's connections. */
  async close(): Promise<void> {
    await this.clientInstance?.close();
  }
}

/** The file next to the status cache that remembers the last good controller. */
export function controllerStateFile(statusCacheFile: string): string {
  const base = statusCacheFile.replace(/^.*\//, '').replace(/^status-/, 'controller-');
  return join(dirname(statusCacheFile), base);
}
