/**
 * Metrics: calls, failures and time per method, and the calls in flight, for `bridge.stats` and
 * for tests that must see the bridge did (or did not) run a method.
 */

import type { Policy } from './policy';

export interface MethodFigures {
  calls: number;
  failures: number;
  totalMs: number;
}

export interface BridgeStats {
  inFlight: number;
  methods: Record<string, MethodFigures>;
}

/** Counters kept by {@link withMetrics}. */
export class BridgeMetrics {
  private inFlight = 0;
  private readonly methods = new Map<string, MethodFigures>();

  /** A copy of the counters. */
  snapshot(): BridgeStats {
    return {
      inFlight: this.inFlight,
      methods: Object.fromEntries([...this.methods].map(([k, v]) => [k, { ...v }])),
    };
  }

  /** Policy: counts the call. */
  policy(): Policy {
    return (next) => async (invocation) => {
      const name = invocation.record.method;
      const figures = this.methods.get(name) ?? { calls: 0, failures: 0, totalMs: 0 };
      this.methods.set(name, figures);
      figures.calls++;
      this.inFlight++;
      try {
        return await next(invocation);
      } catch (error) {
        figures.failures++;
        throw error;
      } finally {
        this.inFlight--;
        figures.totalMs += performance.now() - invocation.record.startedAt;
      }
    };
  }
}
