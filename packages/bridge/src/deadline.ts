/**
 * Deadlines: the call's signal aborts when its deadline passes or the caller disconnects (or a
 * shutdown gives up waiting). The method then undoes or finishes what it started; the bridge waits
 * for that, up to a grace period, and the reply says which: a result when it finished anyway,
 * -32001 with `data.outcome` otherwise. The bridge never answers while the method still works
 * unless the grace period is over, and then it says the outcome is unknown.
 */

import { BridgeError, declaredOutcome } from './errors';
import type { CallRecord, Policy } from './policy';
import { RPC_CODES } from './types';

/** Why a call's outer signal aborted: the server aborts it with one of these. */
export class CallAbort extends Error {
  override name = 'CallAbort';
  constructor(readonly why: 'disconnect' | 'shutdown') {
    super(why === 'disconnect' ? 'the caller disconnected' : 'the bridge is shutting down');
  }
}

const GRACE_OVER = Symbol('grace over');

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Waits for `work`; once `signal` aborts, waits at most `graceMs` more. */
function settleWithinGrace<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const startGrace = () => {
      timer = setTimeout(() => reject(GRACE_OVER), graceMs);
    };
    if (signal.aborted) startGrace();
    else signal.addEventListener('abort', startGrace, { once: true });
    work.then(resolve, reject).finally(() => {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', startGrace);
    });
  });
}

function abortedError(record: CallRecord, budgetMs: number, error: unknown): BridgeError {
  const why =
    record.aborted === 'disconnect'
      ? 'the caller disconnected'
      : record.aborted === 'shutdown'
        ? 'the bridge shut down'
        : `it did not finish within ${seconds(budgetMs)}`;
  if (error === GRACE_OVER) {
    return new BridgeError(
      RPC_CODES.DEADLINE_EXCEEDED,
      'BRIDGE_DEADLINE_EXCEEDED',
      `${record.method} was stopped because ${why}, and it did not wind down in time: its outcome is unknown`,
      'unknown',
      'timeout',
    );
  }
  const detail = error instanceof Error && error.message ? `: ${error.message}` : '';
  const stopped = new BridgeError(
    RPC_CODES.DEADLINE_EXCEEDED,
    typeof (error as { code?: unknown })?.code === 'string'
      ? (error as { code: string }).code
      : 'BRIDGE_DEADLINE_EXCEEDED',
    `${record.method} was stopped because ${why}${detail}`,
    declaredOutcome(error) ?? 'unknown',
    'timeout',
  );
  const data = error as { retCodes?: unknown; errorReportIds?: unknown };
  return Object.assign(stopped, { retCodes: data?.retCodes, errorReportIds: data?.errorReportIds });
}

/** Policy: aborts the call's signal at its deadline or when the outer signal aborts. */
export function withDeadline(undoGraceMs: number): Policy {
  return (next) => async (invocation) => {
    const { call, record } = invocation;
    const controller = new AbortController();
    const budgetMs = Math.max(0, call.deadline - Date.now());
    const onOuterAbort = () => {
      const reason: unknown = call.signal.reason;
      record.aborted ??= reason instanceof CallAbort ? reason.why : 'disconnect';
      controller.abort(reason);
    };
    if (call.signal.aborted) onOuterAbort();
    else call.signal.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => {
      record.aborted ??= 'deadline';
      controller.abort(
        new BridgeError(
          RPC_CODES.DEADLINE_EXCEEDED,
          'BRIDGE_DEADLINE_EXCEEDED',
          `${record.method} reached its deadline of ${seconds(budgetMs)}`,
          'unknown',
          'timeout',
        ),
      );
    }, budgetMs);
    try {
      const work = next({ ...invocation, call: { ...call, signal: controller.signal } });
      const result = await settleWithinGrace(work, controller.signal, undoGraceMs);
      if (record.aborted) record.outcome = 'completed';
      return result;
    } catch (error) {
      if (!controller.signal.aborted) throw error;
      throw abortedError(record, budgetMs, error);
    } finally {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onOuterAbort);
    }
  };
}
