import { AllControllersFailedError, LinstorTransportError } from '../errors';
import { sleep } from '../timers';
import type { Controller } from './controller';

/** How one call is spread over the controllers. */
export interface FailoverPlan {
  /** For the final error message. */
  method: string;
  path: string;
  /** Every configured controller, in configured order. */
  controllers: readonly Controller[];
  /** The controllers in the order to try them (the preferred one first); read once per round. */
  candidates: () => Controller[];
  /** Extra rounds over all controllers after the first. */
  retries: number;
  /** First pause between rounds; doubled per round with jitter, at most 5 s. */
  backoffMs: number;
  /** Epoch ms after which no further attempt starts. */
  deadline: number;
  signal: AbortSignal | undefined;
}

/** Longest pause between two rounds. */
const MAX_BACKOFF_MS = 5000;

/**
 * Runs `attempt` on one controller after the other, in rounds with backoff, until one succeeds.
 * A LinstorTransportError moves on to the next controller; any other error ends the call at once, so `attempt` decides what must not be
 * repeated (a POST whose reply was lost throws OutcomeUnknownError). When every try failed, or the
 * deadline left no time for another, the call fails with AllControllersFailedError naming each
 * controller's last failure.
 */
export async function withFailover<T>(
  plan: FailoverPlan,
  attempt: (ctrl: Controller) => Promise<T>,
): Promise<T> {
  const { signal, deadline } = plan;
  const failures = new Map<Controller, LinstorTransportError>();
  /** Set when the deadline, not the number of rounds, ended the retries. */
  let outOfTime = false;
  rounds: for (let round = 0; round <= plan.retries; round++) {
    if (round > 0) {
      if (allPermanent(failures, plan.controllers)) break;
      const base = plan.backoffMs * 2 ** (round - 1);
      const delay = Math.min(MAX_BACKOFF_MS, base / 2 + Math.random() * base);
      if (Date.now() + delay >= deadline) {
        outOfTime = true;
        break;
      }
      await sleep(delay, signal);
    }
    for (const ctrl of plan.candidates()) {
      if (signal?.aborted) throw signal.reason;
      if (Date.now() >= deadline) {
        outOfTime = true;
        break rounds;
      }
      try {
        return await attempt(ctrl);
      } catch (e) {
        if (!(e instanceof LinstorTransportError)) throw e;
        failures.set(ctrl, e);
      }
    }
  }
  if (signal?.aborted) throw signal.reason;
  const ordered = plan.controllers.filter((c) => failures.has(c)).map((c) => failures.get(c)!);
  const untried = plan.controllers.filter((c) => !failures.has(c)).map((c) => c.origin);
  const deadlineExceeded = outOfTime || Date.now() >= deadline;
  throw new AllControllersFailedError(plan.method, plan.path, ordered, deadlineExceeded, untried);
}

/** Failures that another round cannot fix: a refused redirect or a token that must not go over HTTP. */
function allPermanent(
  failures: Map<Controller, LinstorTransportError>,
  controllers: readonly Controller[],
): boolean {
  return controllers.every((c) => {
    const kind = failures.get(c)?.kind;
    return kind === 'redirect' || kind === 'insecure';
  });
}
