import type { Readable } from 'node:stream';

/** HTTP methods the LINSTOR REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** Query parameters; arrays become repeated keys (`nodes=a&nodes=b`), undefined values are left out. */
export type QueryParams = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Response headers as undici hands them over. */
export type HttpHeaders = Record<string, string | string[] | undefined>;

/** Per-call settings every client method accepts. */
export interface CallOptions {
  /** Aborts this call. */
  signal?: AbortSignal;
  /** Per-attempt timeout for this call (ms), instead of the client's requestTimeoutMs. */
  timeoutMs?: number;
  /** Overall time for this call (ms), retries included, instead of the client's deadlineMs. */
  deadlineMs?: number;
}

/** A request as the transport sends it. */
export interface TransportRequest extends CallOptions {
  method: HttpMethod;
  /** Encoded path starting with `/`, without query. */
  path: string;
  query?: QueryParams;
  /** JSON body; undefined sends none. */
  body?: unknown;
  /** Route template for metrics (default: the path). */
  route?: string;
  /** Safe to send again after a lost reply (default: everything but POST and PATCH). */
  idempotent?: boolean;
  headers?: Record<string, string>;
}

/** The reply of one HTTP attempt, body read and decompressed. */
export interface HttpReply {
  status: number;
  headers: HttpHeaders;
  text: string;
}

/** The reply of a whole call: the answering attempt plus who answered and how many tries it took. */
export interface TransportResponse extends HttpReply {
  /** Origin of the controller that answered. */
  controller: string;
  /** Number of attempts, redirects not counted. */
  attempts: number;
}

/** An open streaming reply (server-sent events). */
export interface TransportStream {
  status: number;
  headers: HttpHeaders;
  body: Readable;
  controller: string;
}
