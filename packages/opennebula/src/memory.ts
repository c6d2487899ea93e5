/**
 * What a resident bridge keeps between OpenNebula calls (a one-shot call starts with an empty one):
 * resource groups' placements per controller list, so a warm monitor reads only the views; and
 * which LINSTOR clusters and owners it has served, for its periodic orphan sweep.
 */

import { createLinstorClient, type LinstorClient, type RequestMetric } from '@linstor-hv/client';
import { type PlacementCache, type SweepReport, sweepEach, sweepOrphans } from '@linstor-hv/core';

/** The platform name in linstor-hv's ownership tags. */
export const PLATFORM = 'opennebula';
/** A dead controller must cost seconds, not the action's whole budget. */
const CONNECT_TIMEOUT_MS = 3_000;
const PROBE_TIMEOUT_MS = 3_000;

/** A LINSTOR client for the controllers of a datastore (`LINSTOR_CONTROLLERS`). */
export function createOneClient(
  controllers: string,
  extra: { metrics?: (metric: RequestMetric) => void; signal?: AbortSignal } = {},
): LinstorClient {
  return createLinstorClient({
    controllers,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    userAgent: 'linstor-hv opennebula',
    ...(extra.metrics ? { metrics: extra.metrics } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
}

export class BridgeMemory {
  private readonly placements = new Map<string, PlacementCache>();
  /** Owner ids served, by controller list. */
  private readonly owners = new Map<string, Set<string>>();
  /** The sweep's own clients (a call's clients close with the call). */
  private readonly sweepClients = new Map<string, LinstorClient>();

  /** The placement cache of one controller list (core re-reads after ten minutes for capacity). */
  placementsOf(controllers: string): PlacementCache {
    let cache = this.placements.get(controllers);
    if (!cache) {
      cache = new Map();
      this.placements.set(controllers, cache);
    }
    return cache;
  }

  /** Records that a call used this controller list for this owner (the sweep's scope). */
  noteServed(controllers: string, ownerId: string): void {
    const owners = this.owners.get(controllers) ?? new Set();
    owners.add(ownerId);
    this.owners.set(controllers, owners);
  }

  /**
   * Core's orphan sweep, for OpenNebula's objects of each owner on each cluster served: what an
   * action that failed or was cut off left half-made (a volume still marked pending, a temporary
   * volume or snapshot of a revert, flatten or restore, an attachment made for a copy), once older
   * than the grace period and open nowhere. Images and VM disks are never leftovers: every
   * finished volume has lost its pending mark and is not temporary.
   */
  sweepOrphans(options: { graceMs: number; signal: AbortSignal; now?: number }): Promise<SweepReport> {
    const targets = [...this.owners].flatMap(([controllers, owners]) =>
      [...owners].map((ownerId) => ({ controllers, ownerId })),
    );
    return sweepEach(
      targets,
      ({ controllers, ownerId }) => {
        let client = this.sweepClients.get(controllers);
        if (!client) {
          client = createOneClient(controllers);
          this.sweepClients.set(controllers, client);
        }
        return sweepOrphans(client, { ...options, platform: PLATFORM, ownerId });
      },
      options.signal,
    );
  }

  /** Closes the sweep's clients. */
  async close(): Promise<void> {
    const clients = [...this.sweepClients.values()];
    this.sweepClients.clear();
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
}
