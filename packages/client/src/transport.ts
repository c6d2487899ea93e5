import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { buildConnector, Pool } from 'undici';
import type { ControllerAddress } from './controllers';
import {
  AllControllersFailedError,
  LinstorTransportError,
  OutcomeUnknownError,
  type TransportFailureKind,
} from './errors';
import { stringifyLinstorJson } from './json';
import type { LoadedTls, RequestMetric, ResolvedOptions } from './options';

const gunzipAsync = promisify(gunzip);

/** HTTP methods the LINSTOR REST API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** Query parameters; arrays become repeated keys (`nodes=a&nodes=b`), undefined values are left out. */
export type QueryParams = Record<string, string | number | boolean | readonly string[] | undefined>;

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

/** A raw reply. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Origin of the controller that answered. */
  controller: string;
  /** Number of attempts, redirects not counted. */
  attempts: number;
}

/** An open streaming reply (server-sent events). */
export interface TransportStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  controller: string;
}

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const UNHEALTHY_STATUSES = new Set([500, 502, 503, 504]);

/** Error codes that mean the request never left this host or never reached the controller's HTTP layer. */
const PRE_SEND_CODES: Record<string, TransportFailureKind> = {
  ECONNREFUSED: 'connection-refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
};

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Error codes of a connection that broke after the request may have been sent. */
const CONNECTION_LOST_CODES = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
  if (typeof err?.code === 'string') return err.code;
  // Dual-stack connects (happy eyeballs) fail with an AggregateError of per-address errors.
  if (Array.isArray(err?.errors)) {
    for (const inner of err.errors) {
      const code = errorCode(inner);
      if (code) return code;
    }
  }
  if (err?.cause && err.cause !== e) return errorCode(err.cause);
  return undefined;
}

/** Maps a network error to a typed transport failure. */
function classifyNetworkError(origin: string, e: unknown): LinstorTransportError {
  const code = errorCode(e);
  const message = e instanceof Error && e.message ? e.message : String(e);
  if (code && PRE_SEND_CODES[code]) {
    return new LinstorTransportError(origin, PRE_SEND_CODES[code], code, false, { cause: e });
  }
  if (code && TLS_VERIFY_CODES.has(code)) {
    return new LinstorTransportError(
      origin,
      'tls',
      `${code}: ${message}; configure tls.caFile with the CA that signed the controller certificate`,
      false,
      { cause: e },
    );
  }
  if (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return new LinstorTransportError(origin, 'tls', `${code}: ${message}`, false, { cause: e });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new LinstorTransportError(origin, 'response-timeout', code, true, { cause: e });
  }
  if (code && CONNECTION_LOST_CODES.has(code)) {
    return new LinstorTransportError(origin, 'connection-lost', code, true, { cause: e });
  }
  return new LinstorTransportError(origin, 'protocol', code ? `${code}: ${message}` : message, true, {
    cause: e,
  });
}

function encodeQuery(query: QueryParams | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A short, single-line excerpt of a body for messages. */
export function excerpt(text: string, max = 160): string {
  const line = text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Connection state of one configured controller. */
class Controller {
  /** Current origin; a plain-HTTP controller that redirects to HTTPS is upgraded in place. */
  origin: string;
  /** Last time (ms since epoch) this controller answered; 0 = never. */
  lastOkAt = 0;
  /** Plain HTTP with a bearer token: whether the HTTPS redirect check already ran. */
  upgradeChecked = false;
  /** The health/redirect check in flight, shared by concurrent calls. */
  checking: Promise<void> | undefined;
  private pool: Pool | undefined;
  private connector: { key: string; connect: buildConnector.connector } | undefined;

  constructor(
    readonly address: ControllerAddress,
    private readonly options: ResolvedOptions,
  ) {
    this.origin = address.origin;
  }

  get isHttps(): boolean {
    return this.origin.startsWith('https:');
  }

  /** The keep-alive pool for the current origin, created on first use. */
  dispatcher(): Pool {
    if (!this.pool) {
      const https = this.isHttps;
      this.pool = new Pool(this.origin, {
        connections: this.options.connections,
        keepAliveTimeout: 4000,
        // TLS material is re-read for every new connection, so rotated certificates are picked up.
        connect: (opts, callback) => this.currentConnector(https)(opts, callback),
      });
    }
    return this.pool;
  }

  private currentConnector(https: boolean): buildConnector.connector {
    const tls: LoadedTls | undefined = https ? this.options.tls() : undefined;
    const key = tls ? `${tls.ca ?? ''}|${tls.cert ?? ''}|${tls.key ?? ''}` : 'plain';
    if (!this.connector || this.connector.key !== key) {
      const base = { timeout: this.options.connectTimeoutMs, keepAlive: true };
      const connect = tls ? buildConnector({ ...base, ...tls }) : buildConnector(base);
      this.connector = { key, connect };
    }
    return this.connector.connect;
  }

  /** Switches to another origin (HTTP→HTTPS redirect), dropping the old connections. */
  upgrade(origin: string): void {
    if (origin === this.origin) return;
    const old = this.pool;
    this.pool = undefined;
    this.connector = undefined;
    this.origin = origin;
    old?.close().catch(() => undefined);
  }

  /**
   * Forgets the controller's connections after a failure, so a hung socket is not reused and no
   * reconnect is attempted on its behalf; the next use opens a fresh pool.
   */
  discardConnections(): void {
    const pool = this.pool;
    this.pool = undefined;
    this.lastOkAt = 0;
    pool?.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close().catch(() => undefined);
  }
}

interface StateFileContent {
  configured: string;
  origin: string;
  /** When the controller last answered (informational; a new process still probes it once). */
  savedAt: number;
}

/**
 * Sends requests to the first usable controller: the last one that answered first, then the others
 * in configured order. Idempotent requests are retried with backoff and failover; a POST whose reply
 * may have been lost is never re-sent.
 */
export class Transport {
  private readonly controllers: Controller[];
  private preferred: Controller;
  /** The preference last written to (or read from) the state file, to write only on change. */
  private savedState: string | undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.controllers = options.controllers.map((a) => new Controller(a, options));
    this.preferred = this.controllers[0]!;
    this.loadState();
  }

  /** The origin of the controller currently used first. */
  get currentController(): string {
    return this.preferred.origin;
  }

  /** The configured controllers, as origins (upgraded ones show their HTTPS origin). */
  get controllerOrigins(): string[] {
    return this.controllers.map((c) => c.origin);
  }

  private loadState(): void {
    const file = this.options.stateFile;
    if (!file) return;
    let state: Partial<StateFileContent>;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateFileContent>;
    } catch {
      return; // Missing or damaged state only costs the first call a probe.
    }
    const match = this.controllers.find((c) => c.address.origin === state.configured);
    if (!match) return;
    if (typeof state.origin === 'string' && state.origin.startsWith('https://') && !match.isHttps) {
      const remembered = new URL(state.origin);
      if (sameHost(remembered.hostname, match.address.host)) match.upgrade(state.origin);
    }
    // Only the order is taken from the file: the remembered controller is still health-checked
    // once, so a controller that died since then cannot swallow a POST.
    this.preferred = match;
    this.savedState = `${match.address.origin}|${match.origin}`;
  }

  private saveState(ctrl: Controller): void {
    const file = this.options.stateFile;
    if (!file) return;
    const key = `${ctrl.address.origin}|${ctrl.origin}`;
    if (key === this.savedState) return;
    const content: StateFileContent = {
      configured: ctrl.address.origin,
      origin: ctrl.origin,
      savedAt: Date.now(),
    };
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(content)}\n`, { mode: 0o600 });
      renameSync(tmp, file);
      this.savedState = key;
    } catch {
      // The state file is an optimisation; an unwritable location must not fail the call.
    }
  }

  private markGood(ctrl: Controller): void {
    ctrl.lastOkAt = Date.now();
    this.preferred = ctrl;
    this.saveState(ctrl);
  }

  private candidates(): Controller[] {
    return [this.preferred, ...this.controllers.filter((c) => c !== this.preferred)];
  }

  private isFresh(ctrl: Controller): boolean {
    return ctrl.lastOkAt > 0 && Date.now() - ctrl.lastOkAt < this.options.verifiedTtlMs;
  }

  private emit(metric: RequestMetric): void {
    try {
      this.options.metrics?.(metric);
    } catch {
      // A failing metrics hook must not break requests.
    }
  }

  private baseHeaders(ctrl: Controller, withToken: boolean): Record<string, string> {
    const headers: Record<string, string> = {
      'user-agent': this.options.userAgent,
      accept: 'application/json',
      'accept-encoding': 'gzip',
    };
    if (withToken && this.options.token && (ctrl.isHttps || this.options.allowInsecureToken)) {
      headers.authorization = `Bearer ${this.options.token}`;
    }
    return headers;
  }

  /** One HTTP exchange with one controller, bounded by `timeoutMs`. Throws LinstorTransportError. */
  private async exchange(
    ctrl: Controller,
    method: HttpMethod,
    pathAndQuery: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
    metric: { route: string; attempt: number; method: string },
  ): Promise<RawReply> {
    const timer = new AbortController();
    const handle = setTimeout(
      () => timer.abort(new Error(`no reply within ${timeoutMs} ms`)),
      Math.max(1, timeoutMs),
    );
    const link = linkSignals([timer.signal, callerSignal]);
    const started = performance.now();
    const origin = ctrl.origin;
    try {
      const res = await ctrl.dispatcher().request({
        method,
        path: pathAndQuery,
        headers,
        body,
        signal: link.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      let buffer = Buffer.from(await res.body.arrayBuffer());
      const encoding = headerValue(res.headers, 'content-encoding');
      if (encoding && /gzip/i.test(encoding)) buffer = await gunzipAsync(buffer);
      const reply = { status: res.statusCode, headers: res.headers, text: buffer.toString('utf8') };
      this.emit({
        ...metric,
        status: reply.status,
        durationMs: performance.now() - started,
        controller: origin,
        outcome: reply.status < 400 ? 'ok' : 'api-error',
      });
      return reply;
    } catch (e) {
      this.emit({
        ...metric,
        status: undefined,
        durationMs: performance.now() - started,
        controller: origin,
        outcome: 'transport-error',
      });
      if (callerSignal?.aborted) throw callerSignal.reason;
      if (timer.signal.aborted) {
        throw new LinstorTransportError(origin, 'response-timeout', `${Math.round(timeoutMs)} ms`, true, {
          cause: e,
        });
      }
      if (e instanceof LinstorTransportError) throw e;
      throw classifyNetworkError(origin, e);
    } finally {
      clearTimeout(handle);
      link.dispose();
    }
  }

  /**
   * Follows an HTTP→HTTPS redirect of the controller (it answers plain `/v1/...` with a 302 when HTTPS
   * is enabled). Only an upgrade to HTTPS on the same host is accepted, so credentials never move to
   * another host or down to plain HTTP.
   */
  private followRedirect(ctrl: Controller, reply: RawReply): void {
    const location = headerValue(reply.headers, 'location');
    if (!location) {
      throw new LinstorTransportError(
        ctrl.origin,
        'redirect',
        `HTTP ${reply.status} without a Location`,
        false,
      );
    }
    let target: URL;
    try {
      target = new URL(location, ctrl.origin);
    } catch {
      throw new LinstorTransportError(ctrl.origin, 'redirect', `invalid Location '${location}'`, false);
    }
    if (target.protocol !== 'https:' || ctrl.isHttps || !sameHost(target.hostname, ctrl.address.host)) {
      throw new LinstorTransportError(
        ctrl.origin,
        'redirect',
        `to ${target.origin}; only an upgrade to HTTPS on the same host is followed, configure that address instead`,
        false,
      );
    }
    ctrl.upgrade(target.origin);
  }

  /**
   * Makes sure the controller can be used: a health probe (`GET /health`, short timeout) unless it
   * answered recently, and, when a bearer token would go over plain HTTP, a check whether the
   * controller redirects to HTTPS (linstor-api-py probes the same way).
   */
  private prepare(ctrl: Controller, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    let shared = ctrl.checking;
    if (!shared) {
      // Concurrent calls share one check per controller, so a burst of calls against a hung
      // controller opens one probe connection, not one each. The check is bounded by the probe
      // timeout; each caller still stops waiting when its own signal fires.
      const check = this.checkController(ctrl, deadline);
      shared = check;
      ctrl.checking = check;
      check
        .catch(() => undefined)
        .finally(() => {
          if (ctrl.checking === check) ctrl.checking = undefined;
        });
    }
    return untilAborted(shared, signal);
  }

  private async checkController(ctrl: Controller, deadline: number): Promise<void> {
    try {
      await this.probe(ctrl, deadline, this.options.signal);
    } catch (e) {
      // The request itself was not sent yet, so a probe failure never makes an outcome unknown.
      if (e instanceof LinstorTransportError && e.kind === 'response-timeout') {
        throw new LinstorTransportError(e.controller, e.kind, `health check, ${e.detail}`, false, {
          cause: e,
        });
      }
      throw e;
    }
  }

  private async probe(ctrl: Controller, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const needsUpgradeCheck =
      this.options.token !== undefined &&
      !ctrl.isHttps &&
      !this.options.allowInsecureToken &&
      !ctrl.upgradeChecked;
    if (this.isFresh(ctrl) && !needsUpgradeCheck) return;
    const timeout = () => Math.min(this.options.probeTimeoutMs, deadline - Date.now());
    if (!this.isFresh(ctrl)) {
      for (let hop = 0; hop < 3; hop++) {
        const reply = await this.exchange(
          ctrl,
          'GET',
          '/health',
          this.baseHeaders(ctrl, false),
          undefined,
          timeout(),
          signal,
          {
            route: '/health',
            attempt: 1,
            method: 'GET',
          },
        );
        if (REDIRECT_STATUSES.has(reply.status)) {
          this.followRedirect(ctrl, reply);
          continue;
        }
        if (UNHEALTHY_STATUSES.has(reply.status)) {
          const text = excerpt(reply.text);
          throw new LinstorTransportError(
            ctrl.origin,
            'unhealthy',
            `HTTP ${reply.status}${text ? `: ${text}` : ''}`,
            false,
          );
        }
        break;
      }
    }
    if (this.options.token !== undefined && !ctrl.isHttps && !this.options.allowInsecureToken) {
      if (!ctrl.upgradeChecked) {
        const reply = await this.exchange(
          ctrl,
          'GET',
          '/v1/controller/version',
          this.baseHeaders(ctrl, false),
          undefined,
          timeout(),
          signal,
          { route: '/v1/controller/version', attempt: 1, method: 'GET' },
        );
        if (REDIRECT_STATUSES.has(reply.status)) this.followRedirect(ctrl, reply);
        ctrl.upgradeChecked = true;
      }
      if (!ctrl.isHttps) {
        throw new LinstorTransportError(
          ctrl.origin,
          'insecure',
          `refusing to send the bearer token from ${this.options.tokenSource} over plain HTTP; use an https:// or linstor+ssl:// address, or set allowInsecureToken`,
          false,
        );
      }
    }
  }

  /** Sends a request with failover, retries (idempotent requests only) and an overall deadline. */
  async send(req: TransportRequest): Promise<TransportResponse> {
    const link = linkSignals([req.signal, this.options.signal]);
    try {
      return await this.sendWithSignal(req, link.signal);
    } finally {
      link.dispose();
    }
  }

  private async sendWithSignal(
    req: TransportRequest,
    signal: AbortSignal | undefined,
  ): Promise<TransportResponse> {
    const idempotent = req.idempotent ?? (req.method !== 'POST' && req.method !== 'PATCH');
    const started = Date.now();
    const deadline = started + (req.deadlineMs ?? this.options.deadlineMs);
    const perAttempt = req.timeoutMs ?? this.options.requestTimeoutMs;
    const pathAndQuery = `${req.path}${encodeQuery(req.query)}`;
    const body = req.body === undefined ? undefined : stringifyLinstorJson(req.body);
    const route = req.route ?? req.path;
    const failures = new Map<Controller, LinstorTransportError>();
    let attempts = 0;
    /** Set when the deadline, not the number of rounds, ended the retries. */
    let outOfTime = false;

    for (let round = 0; round <= this.options.retries; round++) {
      if (round > 0 && allPermanent(failures, this.controllers)) break;
      if (round > 0) {
        const base = this.options.backoffMs * 2 ** (round - 1);
        const delay = Math.min(5000, base / 2 + Math.random() * base);
        if (Date.now() + delay >= deadline) {
          outOfTime = true;
          break;
        }
        await sleep(delay, signal);
      }
      for (const ctrl of this.candidates()) {
        if (signal?.aborted) throw signal.reason;
        if (Date.now() >= deadline) {
          outOfTime = true;
          break;
        }
        try {
          await this.prepare(ctrl, deadline, signal);
        } catch (e) {
          if (!(e instanceof LinstorTransportError)) throw e;
          ctrl.discardConnections();
          failures.set(ctrl, e);
          continue;
        }
        attempts++;
        try {
          let reply: RawReply | undefined;
          for (let hop = 0; hop < 3; hop++) {
            const headers = this.baseHeaders(ctrl, true);
            if (body !== undefined) headers['content-type'] = 'application/json';
            Object.assign(headers, req.headers);
            reply = await this.exchange(
              ctrl,
              req.method,
              pathAndQuery,
              headers,
              body,
              Math.min(perAttempt, deadline - Date.now()),
              signal,
              { route, attempt: attempts, method: req.method },
            );
            // A redirect answer means the request was not executed, so re-sending it is safe.
            if (!REDIRECT_STATUSES.has(reply.status)) break;
            this.followRedirect(ctrl, reply);
          }
          if (!reply || REDIRECT_STATUSES.has(reply.status)) {
            throw new LinstorTransportError(ctrl.origin, 'redirect', 'too many redirects', false);
          }
          this.markGood(ctrl);
          return { ...reply, controller: ctrl.origin, attempts };
        } catch (e) {
          if (!(e instanceof LinstorTransportError)) throw e;
          ctrl.discardConnections();
          failures.set(ctrl, e);
          if (!idempotent && e.mayHaveReachedServer) {
            throw new OutcomeUnknownError(req.method, req.path, ctrl.origin, e);
          }
        }
      }
    }
    if (signal?.aborted) throw signal.reason;
    throw this.allFailed(req.method, req.path, failures, outOfTime || Date.now() >= deadline);
  }

  /** The final error of a call: each controller's last failure in configured order, the rest untried. */
  private allFailed(
    method: string,
    path: string,
    failures: Map<Controller, LinstorTransportError>,
    deadlineExceeded: boolean,
  ): AllControllersFailedError {
    const ordered = this.controllers.filter((c) => failures.has(c)).map((c) => failures.get(c)!);
    const untried = this.controllers.filter((c) => !failures.has(c)).map((c) => c.origin);
    return new AllControllersFailedError(method, path, ordered, deadlineExceeded, untried);
  }

  /**
   * Opens a streaming GET (server-sent events) on the first usable controller. Only the wait for the
   * reply headers is bounded by the request timeout; the stream then lives until closed or aborted.
   */
  async stream(req: TransportRequest): Promise<TransportStream> {
    // The link must outlive this call: it lets the caller's and the client's signals end the stream.
    const link = linkSignals([req.signal, this.options.signal]);
    try {
      const opened = await this.streamWithSignal(req, link.signal);
      opened.body.once('close', () => link.dispose());
      return opened;
    } catch (e) {
      link.dispose();
      throw e;
    }
  }

  private async streamWithSignal(
    req: TransportRequest,
    signal: AbortSignal | undefined,
  ): Promise<TransportStream> {
    const deadline = Date.now() + (req.deadlineMs ?? this.options.deadlineMs);
    const pathAndQuery = `${req.path}${encodeQuery(req.query)}`;
    const failures = new Map<Controller, LinstorTransportError>();
    for (let round = 0; round <= this.options.retries; round++) {
      for (const ctrl of this.candidates()) {
        if (signal?.aborted) throw signal.reason;
        if (Date.now() >= deadline) break;
        try {
          await this.prepare(ctrl, deadline, signal);
          for (let hop = 0; hop < 3; hop++) {
            const opened = await this.openStream(ctrl, req, pathAndQuery, deadline, signal);
            if (opened) {
              this.markGood(ctrl);
              return opened;
            }
          }
          throw new LinstorTransportError(ctrl.origin, 'redirect', 'too many redirects', false);
        } catch (e) {
          if (!(e instanceof LinstorTransportError)) throw e;
          failures.set(ctrl, e);
          ctrl.discardConnections();
        }
      }
    }
    throw this.allFailed('GET', req.path, failures, Date.now() >= deadline);
  }

  /**
   * One attempt to open a stream on one controller; undefined after following a redirect (the
   * caller then tries the upgraded origin).
   */
  private async openStream(
    ctrl: Controller,
    req: TransportRequest,
    pathAndQuery: string,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<TransportStream | undefined> {
    const started = performance.now();
    const headers: Record<string, string> = {
      ...this.baseHeaders(ctrl, true),
      accept: 'text/event-stream',
      ...req.headers,
    };
    delete headers['accept-encoding'];
    const timeout = Math.max(
      1,
      Math.min(req.timeoutMs ?? this.options.requestTimeoutMs, deadline - Date.now()),
    );
    const res = await ctrl
      .dispatcher()
      .request({
        method: 'GET',
        path: pathAndQuery,
        headers,
        signal,
        headersTimeout: timeout,
        bodyTimeout: 0,
      })
      .catch((e: unknown) => {
        if (signal?.aborted) throw signal.reason;
        throw classifyNetworkError(ctrl.origin, e);
      });
    this.emit({
      method: 'GET',
      route: req.route ?? req.path,
      status: res.statusCode,
      durationMs: performance.now() - started,
      controller: ctrl.origin,
      attempt: 1,
      outcome: res.statusCode < 400 ? 'ok' : 'api-error',
    });
    if (REDIRECT_STATUSES.has(res.statusCode)) {
      await res.body.dump();
      this.followRedirect(ctrl, { status: res.statusCode, headers: res.headers, text: '' });
      return undefined;
    }
    return { status: res.statusCode, headers: res.headers, body: res.body, controller: ctrl.origin };
  }

  /** Closes all keep-alive connections. */
  async close(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.close()));
  }
}

/** Failures that another round cannot fix: a refused redirect or a token that must not go over HTTP. */
function allPermanent(failures: Map<Controller, LinstorTransportError>, controllers: Controller[]): boolean {
  return controllers.every((c) => {
    const kind = failures.get(c)?.kind;
    return kind === 'redirect' || kind === 'insecure';
  });
}

function sameHost(a: string, b: string): boolean {
  const strip = (h: string) => h.replace(/^\[|\]$/g, '').toLowerCase();
  return strip(a) === strip(b);
}

/** Waits for `promise`, but rejects with the signal's reason as soon as `signal` fires. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * One signal that fires when any of `inputs` fires. Plain listeners instead of AbortSignal.any, so
 * a long-lived input (the client-wide signal) does not collect a dependent signal per request;
 * `dispose` removes them.
 */
function linkSignals(inputs: (AbortSignal | undefined)[]): {
  signal: AbortSignal | undefined;
  dispose(): void;
} {
  const present = inputs.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return { signal: undefined, dispose: () => undefined };
  if (present.length === 1) return { signal: present[0], dispose: () => undefined };
  const linked = new AbortController();
  const already = present.find((s) => s.aborted);
  if (already) {
    linked.abort(already.reason);
    return { signal: linked.signal, dispose: () => undefined };
  }
  const removers = present.map((s) => {
    const onAbort = () => linked.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener('abort', onAbort);
  });
  return {
    signal: linked.signal,
    dispose: () => {
      for (const remove of removers) remove();
    },
  };
}
