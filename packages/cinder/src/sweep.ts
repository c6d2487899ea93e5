/**
 * The Cinder bridge's orphan sweep (`linstor-hv bridge --platform cinder --sweep-interval …`):
 * core's sweep of linstor-hv's leftovers, scoped to Cinder's objects, once per LINSTOR cluster the
 * bridge has served. A leftover is what a call that failed or was cut off left half-made: a volume
 * or clone still marked pending, a temporary volume or snapshot of a clone, an attachment made
 * for a copy. A volume Cinder knows is never one: every finished volume has lost its pending
 * mark, and a call still running is younger than the time the driver gives a call, which the
 * grace period therefore never undercuts.
 */

import { type SweepReport, sweepEach, sweepGraceAbove, sweepOrphans } from '@linstor-hv/core';
import { type BackendRegistry, PLATFORM } from './backend';
import { type BackendConfig, callBudgetMs } from './protocol';

/**
 * The grace period of a sweep of backends: the one asked for, but never less than the longest
 * call budget among them plus a margin, so an operation still running is never taken for a leftover.
 */
export function sweepGraceMs(graceMs: number, configs: readonly Pick<BackendConfig, 'timeoutS'>[]): number {
  return sweepGraceAbove(graceMs, Math.max(0, ...configs.map(callBudgetMs)));
}

/**
 * One sweep of Cinder's leftovers on every LINSTOR cluster the bridge has served (backends with
 * the same controllers are one cluster, swept once). A cluster that fails does not stop the others;
 * the first error is thrown after they ran.
 */
export async function sweepCinderOrphans(
  registry: BackendRegistry,
  options: { graceMs: number; signal: AbortSignal },
): Promise<SweepReport> {
  const clusters = new Map<string, ReturnType<BackendRegistry['list']>>();
  for (const backend of registry.list()) {
    const key = [...backend.config.uris]
      .map((u) => u.toLowerCase())
      .sort()
      .join('\n');
    clusters.set(key, [...(clusters.get(key) ?? []), backend]);
  }
  return sweepEach(
    [...clusters.values()].filter((backends) => backends.length > 0),
    (backends) =>
      sweepOrphans(backends[0]!.client, {
        platform: PLATFORM,
        graceMs: sweepGraceMs(
          options.graceMs,
          backends.map((b) => b.config),
        ),
        signal: options.signal,
      }),
    options.signal,
  );
}
