/**
 * How a call travels through the bridge: a handler takes an invocation (params, the call's signal
 * and deadline, and the record its log line is made from) and policies wrap handlers, the way an
 * interceptor wraps a dispatcher. The innermost handler calls the method.
 */

import type { BridgeCall, BridgeMethod, Outcome, RpcId } from './types';

/** What is known about one call; the logging policy turns it into the call's log line. */
export interface CallRecord {
  readonly id: RpcId;
  readonly method: string;
  /** `performance.now()` when the request was read. */
  readonly startedAt: number;
  /** Figures the method reported (e.g. `restCalls`). */
  readonly figures: Record<string, number>;
  /** Set by the deadline policy when the call's signal aborted, and why. */
  aborted?: 'deadline' | 'disconnect' | 'shutdown';
  /** What became of the call, once known. */
  outcome?: Outcome;
  /** The method's own promise: it may outlive the reply when a method ignores its signal. */
  work?: Promise<unknown>;
}

export interface Invocation {
  readonly params: unknown;
  readonly call: BridgeCall;
  readonly record: CallRecord;
}

export type Handler = (invocation: Invocation) => Promise<unknown>;
export type Policy = (next: Handler) => Handler;

/** The innermost handler: calls the method with its params and call. */
export function invokeMethod(method: BridgeMethod): Handler {
  return (invocation) => {
    const work = method(invocation.params, invocation.call);
    invocation.record.work = work;
    return work;
  };
}

/** `policies[0]` wraps `policies[1]` … wraps `handler`. */
export function wrap(handler: Handler, policies: readonly Policy[]): Handler {
  return policies.reduceRight((inner, policy) => policy(inner), handler);
}
