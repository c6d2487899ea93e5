/**
 * What a handler works with: the parsed request, the call's signal and deadline, the LINSTOR client
 * for the storage's controller list and the volume service bound to the storage's resource group
 * and owner. Where the client and service come from (made for this call, or kept by the bridge) is
 * the caller's choice, see connections.ts.
 */

import type { LinstorClient } from '@linstor-hv/client';
import type { VolumeService } from '@linstor-hv/core';
import { type Connections, deviceRootOf, oneShotConnections, resourceGroupOf } from './connections';
import type { ProxmoxRequest } from './protocol';
import type { StatusMemory } from './status-cache';

export { controllerStateFile, DEFAULT_RESOURCE_GROUP, PLATFORM } from './connections';

/** Time kept back from the request's deadline so a failed step can still be undone. */
const CLEANUP_RESERVE_MS = 5_000;

export interface CallScope {
  /** Aborts when the deadline passes or the caller goes away; handlers hand it to core. */
  signal: AbortSignal;
  /** When the handler must be done (epoch ms). */
  deadline: number;
  /** Default: a client and service made for this call alone. */
  connections?: Connections;
}

/** The parsed request plus the objects every handler needs, created on first use. */
export class HandlerContext {
  /** When the handler must be done (epoch ms); leaves time to answer before the Perl side gives up. */
  readonly deadline: number;
  /** Aborts the handler's work (at the deadline, or when the caller goes away). */
  readonly signal: AbortSignal;
  private readonly connections: Connections;

  constructor(
    readonly request: ProxmoxRequest,
    scope: CallScope,
    readonly args: Record<string, unknown> = request.args,
  ) {
    this.deadline = scope.deadline;
    this.signal = scope.signal;
    this.connections = scope.connections ?? oneShotConnections(request, scope.deadline, CLEANUP_RESERVE_MS);
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
    return resourceGroupOf(this.request);
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

  /** The LINSTOR client for the storage's controllers. */
  get client(): LinstorClient {
    return this.connections.client();
  }

  /** The volume service for this storage. */
  get service(): VolumeService {
    return this.connections.service();
  }

  /** Status figures kept between calls, when a bridge runs the call. */
  get statusMemory(): StatusMemory | undefined {
    return this.connections.statusMemory;
  }

  /** The device root of a node (the request's root with `{node}` replaced). */
  deviceRoot(node: string = this.request.node): string {
    return deviceRootOf(this.request, node);
  }

  /** Ends the call: a one-shot client is closed, a pooled one stays. */
  async close(): Promise<void> {
    await this.connections.release();
  }
}
