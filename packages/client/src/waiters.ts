import {
  type CloneStatus,
  type ResourceDefinitionSyncStatus,
  type ResourceWithVolumes,
  sameName,
  type VolumeDefinition,
} from '@linstor-hv/api';
import { CloneFailedError, WaitTimeoutError } from './errors';
import type { ResourceViewFilter } from './kinds/resources';
import { sleep } from './timers';
import type { CallOptions } from './transport/types';

/** How long and how often a waiter polls. */
export interface WaitOptions {
  /** Give up after this many ms (default 60000). */
  timeoutMs?: number;
  /** First pause between polls in ms (default 250); it grows by half each poll up to `maxIntervalMs`. */
  intervalMs?: number;
  /** Longest pause between polls in ms (default 2000); not applied when `maxPolls` is set. */
  maxIntervalMs?: number;
  /**
   * At most this many checks, so the requests a wait makes are bounded whatever it takes: the
   * pauses grow from `intervalMs` by half each poll, or faster where needed for the last check to
   * fall at the deadline (a geometric schedule over the time left).
   */
  maxPolls?: number;
  signal?: AbortSignal;
}

/** One poll's verdict: done (with a value) or not yet (with a description of what was seen). */
type PollResult<T> = { done: true; value: T } | { done: false; state: string };

/** A poll's own request may take at least this long, even when the wait's deadline is closer. */
const MIN_POLL_REQUEST_MS = 2000;

/** How much each pause grows over the one before (unless a poll budget needs more). */
const GROWTH = 1.5;

/**
 * The growth of the pauses (at least {@link GROWTH}) with which `pauses` pauses starting at
 * `first` ms add up to at least `total` ms.
 */
export function growthToCover(first: number, total: number, pauses: number): number {
  const sum = (r: number) => first * ((r ** pauses - 1) / (r - 1));
  if (pauses <= 1 || sum(GROWTH) >= total) return GROWTH;
  let low = GROWTH;
  let high = GROWTH * 2;
  while (sum(high) < total) high *= 2;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (sum(mid) < total) low = mid;
    else high = mid;
  }
  return high;
}

/**
 * Polls `check` with growing pauses until it reports done or the deadline passes. `check` gets the
 * time its requests may take: what is left of the wait, but never less than 2 s, so the last poll
 * is not cut off mid-request.
 */
export async function pollUntil<T>(
  what: string,
  check: (remainingMs: number) => Promise<PollResult<T>>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const budget = options.maxPolls;
  const maxInterval = budget === undefined ? (options.maxIntervalMs ?? 2000) : Number.POSITIVE_INFINITY;
  let interval = Math.max(1, Math.min(options.intervalMs ?? 250, maxInterval));
  const deadline = Date.now() + timeoutMs;
  let lastState = 'nothing yet';
  for (let checks = 1; ; checks++) {
    if (options.signal?.aborted) throw options.signal.reason;
    const result = await check(Math.max(MIN_POLL_REQUEST_MS, deadline - Date.now()));
    if (result.done) return result.value;
    lastState = result.state;
    const remaining = deadline - Date.now();
    if (remaining <= 0 || (budget !== undefined && checks >= budget)) {
      throw new WaitTimeoutError(what, timeoutMs, lastState);
    }
    // With a budget, the pauses left (one per check left) must reach the deadline.
    const growth = budget === undefined ? GROWTH : growthToCover(interval, remaining, budget - checks);
    const pause = budget !== undefined && checks === budget - 1 ? remaining : Math.min(interval, remaining);
    await sleep(pause, options.signal);
    interval = Math.min(maxInterval, Math.ceil(interval * growth));
  }
}

/** True when an optional LINSTOR name from a reply denotes `name` (LINSTOR names are case-insensitive). */
const isNamed = (a: string | undefined, name: string) => a !== undefined && sameName(a, name);

/** Why a resource is not ready yet, or undefined when it is (every disk UpToDate or Diskless, peers connected). */
export function resourceNotReadyReason(resource: ResourceWithVolumes | undefined): string | undefined {
  if (!resource) return 'the resource does not exist on that node';
  const volumes = resource.volumes ?? [];
  if (volumes.length === 0) return 'the resource has no volumes yet';
  for (const volume of volumes) {
    const disk = volume.state?.disk_state;
    if (disk === undefined)
      return `volume ${volume.volume_number ?? '?'} reports no state (satellite not connected?)`;
    if (disk !== 'UpToDate' && disk !== 'Diskless') return `volume ${volume.volume_number ?? '?'} is ${disk}`;
  }
  const connections = resource.layer_object?.drbd?.connections ?? {};
  for (const [peer, connection] of Object.entries(connections)) {
    if (connection.connected !== true) return `not connected to ${peer} (${connection.message ?? 'unknown'})`;
  }
  const diskless = volumes.every((v) => v.state?.disk_state === 'Diskless');
  if (diskless && !Object.values(connections).some((c) => c.connected === true)) {
    return 'diskless and not connected to any peer with a disk';
  }
  return undefined;
}

/**
 * The reads the waiters poll with. A LinstorClient is one; declaring them here keeps the waiters
 * free of the client module (and lets a test hand in anything that answers these four reads).
 */
export interface WaiterReads {
  resourceDefinitions: {
    cloneStatus(source: string, clone: string, call?: CallOptions): Promise<CloneStatus>;
    syncStatus(name: string, call?: CallOptions): Promise<ResourceDefinitionSyncStatus>;
  };
  resources: {
    view(filter?: ResourceViewFilter, call?: CallOptions): Promise<ResourceWithVolumes[]>;
  };
  volumeDefinitions: {
    get(resource: string, volumeNumber: number, call?: CallOptions): Promise<VolumeDefinition>;
  };
}

/** Polling helpers bound to a client (there are no push events for these states). */
export class Waiters {
  constructor(private readonly client: WaiterReads) {}

  /** Waits until the clone of `source` into `clone` is COMPLETE; throws CloneFailedError on FAILED. */
  cloneComplete(source: string, clone: string, options?: WaitOptions): Promise<void> {
    return pollUntil(
      `the clone of '${source}' into '${clone}' to complete`,
      async (remainingMs) => {
        const status = await this.client.resourceDefinitions.cloneStatus(source, clone, {
          signal: options?.signal,
          deadlineMs: remainingMs,
        });
        if (status === 'FAILED') throw new CloneFailedError(source, clone);
        return status === 'COMPLETE' ? { done: true, value: undefined } : { done: false, state: status };
      },
      options,
    );
  }

  /**
   * Waits until resource `resource` on `node` is usable: every volume UpToDate (or Diskless for a
   * diskless resource) and all DRBD peers connected. Returns the resource as last seen.
   */
  resourceReady(resource: string, node: string, options?: WaitOptions): Promise<ResourceWithVolumes> {
    return pollUntil(
      `resource '${resource}' to become ready on node '${node}'`,
      async (remainingMs) => {
        const list = await this.client.resources.view(
          { resources: [resource], nodes: [node] },
          { signal: options?.signal, deadlineMs: remainingMs },
        );
        const found = list.find((r) => isNamed(r.name, resource) && isNamed(r.node_name, node));
        const reason = resourceNotReadyReason(found);
        return reason === undefined && found
          ? { done: true, value: found }
          : { done: false, state: reason ?? '' };
      },
      options,
    );
  }

  /**
   * Waits until no node has `resource` open (`state.in_use` false or unknown everywhere), e.g. before
   * a delete or rollback. A node that reports no state (offline satellite) does not block.
   */
  notInUse(resource: string, options?: WaitOptions): Promise<void> {
    return pollUntil(
      `resource '${resource}' to be no longer in use`,
      async (remainingMs) => {
        const list = await this.client.resources.view(
          { resources: [resource] },
          { signal: options?.signal, deadlineMs: remainingMs },
        );
        const users = list.filter((r) => isNamed(r.name, resource) && r.state?.in_use === true);
        return users.length === 0
          ? { done: true, value: undefined }
          : { done: false, state: `in use on ${users.map((r) => r.node_name).join(', ')}` };
      },
      options,
    );
  }

  /**
   * Waits until a resize of volume `volumeNumber` to at least `sizeKib` is done: the volume
   * definition no longer carries RESIZE and every deployed volume offers at least `sizeKib`.
   */
  resizeDone(resource: string, volumeNumber: number, sizeKib: number, options?: WaitOptions): Promise<void> {
    return pollUntil(
      `volume ${volumeNumber} of '${resource}' to reach ${sizeKib} KiB`,
      async (remainingMs) => {
        const call = { signal: options?.signal, deadlineMs: remainingMs };
        const definition = await this.client.volumeDefinitions.get(resource, volumeNumber, call);
        if (definition.flags?.includes('RESIZE'))
          return { done: false, state: 'volume definition still RESIZE' };
        if (definition.size_kib < sizeKib) {
          return { done: false, state: `volume definition is ${definition.size_kib} KiB` };
        }
        const list = await this.client.resources.view({ resources: [resource] }, call);
        for (const r of list) {
          if (!isNamed(r.name, resource)) continue;
          const volume = r.volumes?.find((v) => v.volume_number === volumeNumber);
          if (!volume) continue;
          if (volume.flags?.includes('RESIZE') || volume.flags?.includes('DRBD_RESIZE')) {
            return { done: false, state: `volume on ${r.node_name} still resizing` };
          }
          if (volume.usable_size_kib !== undefined && volume.usable_size_kib < sizeKib) {
            return { done: false, state: `volume on ${r.node_name} offers ${volume.usable_size_kib} KiB` };
          }
        }
        return { done: true, value: undefined };
      },
      options,
    );
  }

  /** Waits until every replica of `resource` is in sync (`sync-status` reports synced_on_all). */
  synced(resource: string, options?: WaitOptions): Promise<void> {
    return pollUntil(
      `resource '${resource}' to be in sync on all nodes`,
      async (remainingMs) => {
        const status = await this.client.resourceDefinitions.syncStatus(resource, {
          signal: options?.signal,
          deadlineMs: remainingMs,
        });
        return status.synced_on_all
          ? { done: true, value: undefined }
          : { done: false, state: 'not synced on all nodes' };
      },
      options,
    );
  }
}
