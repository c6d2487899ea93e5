import type { ApiCallRc } from '@linstor-hv/api';
import { LinstorApiError } from './errors';
import type { LinstorReply } from './reply';
import type { CallOptions, HttpMethod, QueryParams } from './transport/types';

/** Values of a route template's `{name}` placeholders. */
export type RouteParams = Record<string, string | number>;

/** A reply that passed the error checks: parsed body, its ApiCallRc entries, who answered. */
export interface CheckedReply {
  status: number;
  /** The parsed JSON body (ret_codes as bigint), or undefined for an empty body. */
  body: unknown;
  entries: ApiCallRc[];
  controller: string;
  attempts: number;
  /** The request path, route parameters filled in. */
  path: string;
}

/** What a request may carry besides method and route. */
export interface SendOptions {
  query?: QueryParams;
  body?: unknown;
  call?: CallOptions | undefined;
  /** Safe to send again after a lost reply (default: everything but POST and PATCH). */
  idempotent?: boolean;
}

/**
 * The narrow seam every object kind (`kinds/*.ts`) is written against: a route template and its
 * parameters in, a checked reply out. Error statuses and error entries arrive as LinstorApiError,
 * malformed replies as LinstorTransportError.
 */
export interface Exchange {
  /** Sends a request and checks the reply; for replies that carry both entries and data (clone). */
  send(method: HttpMethod, route: string, params: RouteParams, options?: SendOptions): Promise<CheckedReply>;
  /** GET answering a JSON list (an empty body counts as an empty list). */
  getList<T>(
    route: string,
    params: RouteParams,
    query: QueryParams | undefined,
    call: CallOptions | undefined,
  ): Promise<T[]>;
  /** GET answering one JSON object. */
  getObject<T>(
    route: string,
    params: RouteParams,
    query: QueryParams | undefined,
    call: CallOptions | undefined,
  ): Promise<T>;
  /** A mutating call; returns every entry of the reply. */
  mutate(
    method: HttpMethod,
    route: string,
    params: RouteParams,
    body: unknown,
    call: CallOptions | undefined,
    query?: QueryParams,
  ): Promise<LinstorReply>;
  /** A POST that answers with a data object (query-size-info and friends); safe to repeat. */
  query<T>(route: string, params: RouteParams, body: unknown, call: CallOptions | undefined): Promise<T>;
  /** Throws UnsupportedApiVersionError unless the controller offers REST API `minimum` or newer. */
  requireApiVersion(minimum: string, feature: string, call: CallOptions | undefined): Promise<void>;
}

/** Resolves to undefined instead of rejecting when the object does not exist. */
export async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (e) {
    if (e instanceof LinstorApiError && e.isNotFound()) return undefined;
    throw e;
  }
}
