/**
 * Reading a request line: JSON-RPC 2.0 envelope checks and the deadline. Everything wrong with a
 * line becomes an error reply; nothing here throws.
 */

import { BridgeError, toRpcError } from './errors';
import type { BridgeLimits } from './limits';
import { RPC_CODES, type RpcId, type RpcReply } from './types';

/** A request the bridge can run. */
export interface RpcRequest {
  id: number | string;
  method: string;
  params: unknown;
  deadlineMs: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number | string {
  return (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'string';
}

/** The error reply to a request (or to a line whose id could not be read: `id` null). */
export function errorReply(id: RpcId, error: unknown): RpcReply {
  return { jsonrpc: '2.0', id, error: toRpcError(error) };
}

function invalid(id: RpcId, message: string, code: number = RPC_CODES.INVALID_REQUEST): RpcReply {
  const codes: Record<number, string> = {
    [RPC_CODES.PARSE_ERROR]: 'BRIDGE_PARSE_ERROR',
    [RPC_CODES.INVALID_REQUEST]: 'BRIDGE_INVALID_REQUEST',
  };
  return errorReply(id, new BridgeError(code, codes[code] ?? 'BRIDGE_INVALID_REQUEST', message));
}

/** The reply to a line over the size limit. */
export function oversizeReply(limits: BridgeLimits): RpcReply {
  return invalid(null, `the request is larger than the limit of ${limits.maxRequestBytes} bytes`);
}

/** Parses one line into a request, or the error reply for it. */
export function parseRequestLine(text: string, limits: BridgeLimits): RpcRequest | RpcReply {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return invalid(null, 'the request is not valid JSON', RPC_CODES.PARSE_ERROR);
  }
  if (Array.isArray(message))
    return invalid(null, 'batch requests are not supported; send one request per line');
  if (!isRecord(message)) return invalid(null, 'the request is not a JSON-RPC 2.0 object');
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== '2.0') return invalid(id, 'the request lacks "jsonrpc": "2.0"');
  if (id === null)
    return invalid(null, 'the request has no id (an integer or a string); notifications are not supported');
  if (typeof message.method !== 'string' || message.method === '') {
    return invalid(id, 'the request has no method name');
  }
  if (message.params !== undefined && typeof message.params !== 'object') {
    return invalid(id, 'params must be an object or an array');
  }
  let deadlineMs = limits.defaultDeadlineMs;
  if (message.deadlineMs !== undefined) {
    const asked = message.deadlineMs;
    if (
      typeof asked !== 'number' ||
      !Number.isSafeInteger(asked) ||
      asked <= 0 ||
      asked > limits.maxDeadlineMs
    ) {
      return invalid(
        id,
        `deadlineMs must be a whole number of milliseconds from 1 to ${limits.maxDeadlineMs}`,
      );
    }
    deadlineMs = asked;
  }
  return { id, method: message.method, params: message.params ?? {}, deadlineMs };
}

/** Whether a parse result is a reply (an error) rather than a request. */
export function isReply(value: RpcRequest | RpcReply): value is RpcReply {
  return 'jsonrpc' in value;
}
