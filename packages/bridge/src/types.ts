/**
 * The bridge's one seam: a method table. A method gets its params (unchecked JSON) and the call's
 * signal and deadline, and returns the result or throws. The bridge knows no platform.
 */

/** What the bridge hands every method besides its params. */
export type BridgeCall = {
  /** Aborts when the deadline passes, the caller disconnects or the bridge shuts down for good. */
  signal: AbortSignal;
  /** When the caller stops waiting (epoch ms). */
  deadline: number;
  /**
   * Adds figures to the call's log line, e.g. `{ restCalls: 3 }`. Optional so that a method can be
   * called outside the bridge (the one-shot CLI) with `{ signal, deadline }` alone.
   */
  report?: (figures: Record<string, number>) => void;
};

/** One JSON-RPC method. */
export type BridgeMethod = (params: unknown, call: BridgeCall) => Promise<unknown>;

/** Methods by JSON-RPC method name. */
export type MethodTable = Record<string, BridgeMethod>;

/** What became of an operation that failed or ran past its deadline. */
export type Outcome = 'failed' | 'undone' | 'completed' | 'unknown';

/** The JSON-RPC error codes the bridge answers with. */
export const RPC_CODES = {
  /** The line is not JSON. */
  PARSE_ERROR: -32700,
  /** Not a JSON-RPC 2.0 request, or over the size limit. */
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  /** A bug: the method threw something without a code. */
  INTERNAL_ERROR: -32603,
  /** The operation failed; `data` says why. */
  OPERATION_FAILED: -32000,
  DEADLINE_EXCEEDED: -32001,
  /** Nothing was started: the caller may repeat the call elsewhere (e.g. the one-shot CLI). */
  SHUTTING_DOWN: -32002,
} as const;

/** `error.data` of every error reply. */
export interface RpcErrorData {
  /** Stable string code, e.g. `VOLUME_NOT_FOUND`. */
  code: string;
  /** A VolumeErrorKind, or `protocol` for errors of the request itself. */
  kind: string;
  /** LINSTOR's ret_codes (int64 as decimal strings). */
  retCodes?: string[];
  errorReportIds?: string[];
  outcome: Outcome;
}

/** `error` of an error reply. */
export interface RpcError {
  code: number;
  /** One line a person can act on. */
  message: string;
  data: RpcErrorData;
}

/** A JSON-RPC id (`null` only in replies to requests whose id could not be read). */
export type RpcId = number | string | null;

/** One reply line. */
export type RpcReply =
  | { jsonrpc: '2.0'; id: RpcId; result: unknown }
  | { jsonrpc: '2.0'; id: RpcId; error: RpcError };
