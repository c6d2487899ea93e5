/**
 * Lifecycle: a graceful stop. The bridge stops accepting (a restarted bridge, or the caller's
 * one-shot fallback, takes new calls), refuses new requests on open connections with -32002,
 * lets the calls in flight finish within a bound, then aborts what is left (the methods undo or
 * finish) and closes. SIGTERM and SIGINT start it; a second signal does not cut it short, because
 * cutting it short is what SIGKILL is for.
 */

import { type LogSink, logEvent } from './logging';

/** What a graceful stop needs from the server. */
export interface Drainable {
  /** Closes the listening socket (and removes its file when the bridge made it). */
  stopAccepting(): Promise<void>;
  /** The calls still running (their replies, and methods that outlived their reply). */
  running(): Promise<unknown>[];
  /** Aborts the signals of every running call. */
  abortAll(): void;
  /** Ends every connection. */
  closeConnections(): void;
}

function settledWithin(promises: Promise<unknown>[], ms: number): Promise<boolean> {
  if (promises.length === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void Promise.allSettled(promises).then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops `target` gracefully: finish within `graceMs`, then abort and give `undoGraceMs` to wind down. */
export async function stopGracefully(
  target: Drainable,
  limits: { graceMs: number; undoGraceMs: number },
  log: LogSink,
): Promise<void> {
  await target.stopAccepting();
  const running = target.running().length;
  logEvent(log, 'stopping', { inFlight: running, graceMs: limits.graceMs });
  // Calls may start while we wait (requests read just before the stop); wait for those too.
  let finished = await settledWithin(target.running(), limits.graceMs);
  if (!finished) {
    const left = target.running().length;
    logEvent(log, 'aborting', { inFlight: left });
    target.abortAll();
    finished = await settledWithin(target.running(), limits.undoGraceMs);
  }
  target.closeConnections();
  logEvent(log, 'stopped', { clean: finished, abandoned: finished ? 0 : target.running().length });
}

/** Calls `stop` on the first SIGTERM or SIGINT; returns a function that removes the handlers. */
export function onTerminationSignals(stop: (signal: NodeJS.Signals) => void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
}
