/** What every Cinder method shares: the parsed call, the backend, and lookups by candidate names. */

import { VolumeError } from '@linstor-hv/core';
import type { Backend, BackendRegistry } from '../backend';
import { type BackendConfig, Fields, parseBackend } from '../protocol';

/** What the bridge hands every method (the contract in TEAM.md: signal and deadline). */
export interface CinderCall {
  readonly signal: AbortSignal;
  readonly deadline: number;
}

/** A method of the table: the call's params in, a JSON result out. */
export type CinderMethod = (params: unknown, call: CinderCall) => Promise<unknown>;

/** A method body: the parsed params and the backend they name. */
export type MethodBody<T> = (request: {
  params: Fields;
  backend: Backend;
  config: BackendConfig;
  /** Aborts the work between its steps (the bridge fires it at the call's deadline). */
  signal: AbortSignal;
}) => Promise<T>;

/** Turns a body into a table method: params parsed, backend found (or made) in the registry. */
export function method<T>(registry: BackendRegistry, body: MethodBody<T>): CinderMethod {
  return async (raw, call) => {
    const params = Fields.of(raw, '');
    const config = parseBackend(params);
    return body({ params, backend: registry.get(config), config, signal: call.signal });
  };
}

/** True for core's "that volume or snapshot does not exist". */
export function isNotFound(error: unknown): boolean {
  return error instanceof VolumeError && error.kind === 'not-found';
}

/**
 * Runs `attempt` with each candidate name in turn until one does not fail with "not found";
 * the last candidate's failure is thrown as is.
 */
export async function firstFound<T>(
  candidates: readonly string[],
  attempt: (name: string) => Promise<T>,
): Promise<T> {
  let last: unknown;
  for (const name of candidates) {
    try {
      return await attempt(name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      last = error;
    }
  }
  throw last;
}
