/**
 * Errors as the bridge sees them: it knows no classes, so it reads `code`, `kind`, `retCodes`,
 * `errorReportIds`, `outcome`, `rpcCode` and `message` from whatever a method throws, and turns
 * them into a JSON-RPC error. A bundle and a package can each hold a copy of a class; duck typing
 * keeps `instanceof` out of the protocol.
 */

import { type Outcome, RPC_CODES, type RpcError } from './types';

const OUTCOMES: readonly Outcome[] = ['failed', 'undone', 'completed', 'unknown'];
const MAX_MESSAGE = 2000;

/** An error the bridge raises itself (bad request, deadline, shutdown). */
export class BridgeError extends Error {
  override name = 'BridgeError';
  constructor(
    readonly rpcCode: number,
    readonly code: string,
    message: string,
    readonly outcome: Outcome = 'failed',
    readonly kind = 'protocol',
  ) {
    super(message);
  }
}

/** Collapses a message to one line of at most 2000 characters. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 3)}...` : flat;
}

function field(error: unknown, key: string): unknown {
  return typeof error === 'object' && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const list = value.filter((v) => typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number');
  return list.length ? list.map(String) : undefined;
}

function isRpcCode(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -32768 && value <= -32000;
}

/** The outcome an error declares, if any. */
export function declaredOutcome(error: unknown): Outcome | undefined {
  const outcome = field(error, 'outcome');
  return OUTCOMES.includes(outcome as Outcome) ? (outcome as Outcome) : undefined;
}

/**
 * The JSON-RPC error for anything a method threw. An error with a string `code` or `kind` is an
 * operation failure (-32000) unless it names its own `rpcCode`; anything else is a bug (-32603).
 */
export function toRpcError(error: unknown, fallbackOutcome: Outcome = 'failed'): RpcError {
  const code = field(error, 'code');
  const kind = field(error, 'kind');
  const rpcCode = field(error, 'rpcCode');
  const described = typeof code === 'string' || typeof kind === 'string';
  const rawMessage = field(error, 'message');
  const message =
    typeof rawMessage === 'string' && rawMessage.trim() !== ''
      ? oneLine(rawMessage)
      : oneLine(typeof error === 'string' ? error : 'the method failed without saying why');
  const retCodes = stringList(field(error, 'retCodes'));
  const errorReportIds = stringList(field(error, 'errorReportIds'));
  return {
    code: isRpcCode(rpcCode) ? rpcCode : described ? RPC_CODES.OPERATION_FAILED : RPC_CODES.INTERNAL_ERROR,
    message,
    data: {
      code:
        typeof code === 'string' && code !== '' ? code : described ? 'OPERATION_FAILED' : 'INTERNAL_ERROR',
      kind: typeof kind === 'string' && kind !== '' ? kind : 'internal',
      ...(retCodes ? { retCodes } : {}),
      ...(errorReportIds ? { errorReportIds } : {}),
      outcome: declaredOutcome(error) ?? fallbackOutcome,
    },
  };
}
