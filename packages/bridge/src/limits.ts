/** The bridge's limits, with defaults a hypervisor node can live with. */

export interface BridgeLimits {
  /** Longest request line in bytes (without its newline); longer ones get -32600. */
  maxRequestBytes: number;
  /** Calls running at once over all connections; more wait their turn (within their deadline). */
  maxInFlight: number;
  /** Open connections; more are refused by the kernel's backlog and then closed. */
  maxConnections: number;
  /** Deadline of a request that names none. */
  defaultDeadlineMs: number;
  /** Longest deadline a request may ask for. */
  maxDeadlineMs: number;
  /**
   * After a call's signal aborts, how long the method may take to undo or finish before the
   * reply says the outcome is unknown.
   */
  undoGraceMs: number;
  /** On SIGTERM, how long calls in flight may take to finish before they are aborted. */
  shutdownGraceMs: number;
}

export const DEFAULT_LIMITS: Readonly<BridgeLimits> = {
  maxRequestBytes: 1024 * 1024,
  maxInFlight: 64,
  maxConnections: 512,
  defaultDeadlineMs: 60_000,
  maxDeadlineMs: 3_600_000,
  undoGraceMs: 10_000,
  shutdownGraceMs: 30_000,
};

/** The defaults with `overrides` applied; refuses values that are not positive whole numbers. */
export function resolveLimits(overrides: Partial<BridgeLimits> = {}): BridgeLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`bridge limit ${key} must be a positive whole number, not ${String(value)}`);
    }
  }
  return limits;
}
