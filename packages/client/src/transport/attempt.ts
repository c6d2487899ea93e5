import { promisify } from 'node:util';
import { gunzip, gunzipSync } from 'node:zlib';
import { LinstorTransportError } from '../errors';
import type { RequestMetric } from '../options';
import { linkSignals } from '../timers';
import type { Controller } from './controller';
import { classifyNetworkError, noAnswerWithin } from './network-errors';
import { headerValue } from './query';
import type { HttpMethod, HttpReply, TransportStream } from './types';

const gunzipAsync = promisify(gunzip);

/**
 * Compressed replies up to this size are inflated at once: Node's asynchronous gunzip builds a
 * stream and hops to the thread pool, which costs more than inflating a few KiB (a filtered view,
 * a node list); larger ones (a full listing of a big cluster) do not hold up other calls.
 */
const SYNC_GUNZIP_MAX_BYTES = 64 * 1024;

function inflate(buffer: Buffer): Promise<Buffer> | Buffer {
  return buffer.length <= SYNC_GUNZIP_MAX_BYTES ? gunzipSync(buffer) : gunzipAsync(buffer);
}

/** Receives one metric per HTTP attempt. */
export type MetricSink = (metric: RequestMetric) => void;

/** One HTTP attempt against one controller. */
export interface Attempt {
  method: HttpMethod;
  /** Encoded path plus query string. */
  pathAndQuery: string;
  headers: Record<string, string>;
  /** Serialised JSON body, if any. */
  body?: string | undefined;
  /** How long this attempt may take, reply body included. */
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** Route template and attempt number, for the metrics hook. */
  route: string;
  attempt: number;
}

/** Sends one request and reads the whole (gunzipped) reply, bounded by `timeoutMs`. Throws LinstorTransportError. */
export async function sendOnce(ctrl: Controller, attempt: Attempt, emit: MetricSink): Promise<HttpReply> {
  const { timeoutMs } = attempt;
  const timer = new AbortController();
  const handle = setTimeout(
    () => timer.abort(new Error(`no reply within ${timeoutMs} ms`)),
    Math.max(1, timeoutMs),
  );
  const link = linkSignals([timer.signal, attempt.signal]);
  const started = performance.now();
  const origin = ctrl.origin;
  const report = (status: number | undefined, outcome: RequestMetric['outcome']) =>
    emit({
      method: attempt.method,
      route: attempt.route,
      attempt: attempt.attempt,
      status,
      durationMs: performance.now() - started,
      controller: origin,
      outcome,
    });
  try {
    const res = await ctrl.dispatcher().request({
      method: attempt.method,
      path: attempt.pathAndQuery,
      headers: attempt.headers,
      body: attempt.body,
      signal: link.signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    let buffer: Buffer = Buffer.from(await res.body.arrayBuffer());
    const encoding = headerValue(res.headers, 'content-encoding');
    if (encoding && /gzip/i.test(encoding)) buffer = await inflate(buffer);
    report(res.statusCode, res.statusCode < 400 ? 'ok' : 'api-error');
    return { status: res.statusCode, headers: res.headers, text: buffer.toString('utf8') };
  } catch (e) {
    report(undefined, 'transport-error');
    if (attempt.signal?.aborted) throw attempt.signal.reason;
    if (timer.signal.aborted) {
      throw new LinstorTransportError(origin, 'response-timeout', `${Math.round(timeoutMs)} ms`, true, {
        cause: e,
        explanation: noAnswerWithin(timeoutMs),
      });
    }
    if (e instanceof LinstorTransportError) throw e;
    throw networkFailure(ctrl, origin, e);
  } finally {
    clearTimeout(handle);
    link.dispose();
  }
}

/**
 * Opens a streaming GET on one controller. Only the wait for the reply headers is bounded by
 * `timeoutMs`; the body stays open until the caller closes it or the signal fires.
 */
export async function openStreamOnce(
  ctrl: Controller,
  attempt: Omit<Attempt, 'method' | 'body'>,
  emit: MetricSink,
): Promise<TransportStream> {
  const started = performance.now();
  const res = await ctrl
    .dispatcher()
    .request({
      method: 'GET',
      path: attempt.pathAndQuery,
      headers: attempt.headers,
      signal: attempt.signal,
      headersTimeout: Math.max(1, attempt.timeoutMs),
      bodyTimeout: 0,
    })
    .catch((e: unknown) => {
      if (attempt.signal?.aborted) throw attempt.signal.reason;
      throw networkFailure(ctrl, ctrl.origin, e);
    });
  emit({
    method: 'GET',
    route: attempt.route,
    status: res.statusCode,
    durationMs: performance.now() - started,
    controller: ctrl.origin,
    attempt: attempt.attempt,
    outcome: res.statusCode < 400 ? 'ok' : 'api-error',
  });
  return { status: res.statusCode, headers: res.headers, body: res.body, controller: ctrl.origin };
}

/** A network error as a transport failure; a connection closed after a TLS alert is that alert. */
function networkFailure(ctrl: Controller, origin: string, e: unknown): LinstorTransportError {
  const failure = classifyNetworkError(origin, e, ctrl.connectTimeoutMs);
  if (failure.kind !== 'connection-lost') return failure;
  const alert = ctrl.takeTlsAlert();
  return alert ? classifyNetworkError(origin, alert, ctrl.connectTimeoutMs) : failure;
}
