/**
 * The request pipeline shared by every listener: `/health`, bearer-token check, route match, fault
 * rules, JSON body parsing, the handler (inside a store transaction for everything but GET), JSON
 * serialisation with exact int64 codes, optional gzip, and the request log. Control routes
 * (`/emulator/...`) skip auth, faults and the log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import {
  API_CALL_PARSE_ERROR,
  FAIL_ACC_DENIED_COMMAND,
  FAIL_UNKNOWN_ERROR,
  toRetCode,
} from '@linstor-hv/api';
import type { EmulatorConfig, EmulatorContext, StreamListener } from './context';
import { TokenGate } from './domain/auth-tokens';
import { defineIndexes } from './domain/lookup';
import type { ErrorReportRec } from './domain/model';
import { ApiCallError, entry, replyEntries } from './http/apicall';
import { JsonArrayOfParts, toControllerJson } from './http/json';
import { BodyMappingError, decodeRequestBody } from './http/request-body';
import type { EmuReply, EmuRequest, RouteDef } from './http/route';
import { Router } from './http/router';
import type { FaultRule } from './infra/faults';
import { FaultRules } from './infra/faults';
import { RequestLog } from './infra/request-log';
import type { Store } from './infra/store';

/** Request bodies larger than this are refused (the emulator only ever receives small JSON). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Grizzly compresses JSON/text replies above this size when the client accepts gzip. */
const GZIP_MIN_BYTES = 1000;
/**
 * The fastest deflate level: a view of thousands of resources (megabytes of repetitive JSON)
 * compresses in a fraction of the default level's time, still to about 1% of its size.
 */
const GZIP_OPTIONS = { level: 1 };
const CONTROL_PREFIX = '/emulator/';

export interface EmulatorServerOptions {
  store: Store;
  dataDir: string;
  config: EmulatorConfig;
  /** Valid bearer tokens (token mode when non-empty). */
  tokens: readonly string[];
  routes: readonly RouteDef[];
  now?: () => number;
}

/** The index of controller records that switch token authentication on (`Auth/TokenAuthenticationEnabled`). */
const TOKEN_AUTH_INDEX = 'tokenAuth';

/** Holds the emulator's services and answers requests from any number of listeners. */
export class EmulatorServer {
  readonly ctx: EmulatorContext;
  readonly faults = new FaultRules();
  readonly log = new RequestLog();
  private readonly router: Router;
  private readonly tokenGate: TokenGate;
  private readonly listeners = new Map<string, Set<StreamListener>>();
  private readonly streams = new Set<AbortController>();
  private readonly stopController = new AbortController();
  private readonly instanceId: string;
  private errorSeq = 0;
  /** The last element list sent gzipped, with its compressed text (see send). */
  private lastGzipped: { parts: JsonArrayOfParts; gzipped: Buffer } | undefined;

  constructor(private readonly options: EmulatorServerOptions) {
    defineIndexes(options.store);
    // Token mode is checked on every request: the store keeps this index in step with every change
    // of the controller props (and their rollback), so the check reads no record.
    options.store.defineIndex('controller', TOKEN_AUTH_INDEX, TokenGate.indexOf);
    this.router = new Router(options.routes);
    const now = options.now ?? Date.now;
    this.tokenGate = new TokenGate(options.store, options.tokens, TOKEN_AUTH_INDEX, now);
    this.instanceId = Math.floor(now() / 1000)
      .toString(16)
      .toUpperCase()
      .padStart(8, '0');
    this.ctx = {
      store: options.store,
      dataDir: options.dataDir,
      config: options.config,
      signal: this.stopController.signal,
      now,
      recordErrorReport: (text, nodeName) => this.recordErrorReport(text, nodeName),
      publish: (stream, event, data) => this.publish(stream, event, data),
      subscribe: (stream, listener) => this.subscribe(stream, listener),
    };
  }

  /** The Node request listener; attach it to every HTTP(S) server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.process(req, res).catch((e: unknown) => {
      // Only a bug in the pipeline itself gets here; answer once if still possible.
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`internal emulator error: ${(e as Error).message}`);
      } else res.destroy();
    });
  };

  /** Adds routes after construction (the control routes need this server's fault rules and log). */
  addRoutes(routes: readonly RouteDef[]): void {
    for (const route of routes) this.router.add(route);
  }

  /** Ends open event streams and background work; listeners are closed by the caller. */
  stop(): void {
    this.stopController.abort();
    for (const stream of this.streams) stream.abort();
    this.streams.clear();
  }

  private async process(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const rawPath = queryStart >= 0 ? url.slice(0, queryStart) : url;
    const query = new URLSearchParams(queryStart >= 0 ? url.slice(queryStart + 1) : '');
    const path = safeDecode(rawPath);
    const rawBody = await readBody(req);

    if (rawPath === '/health') {
      res.writeHead(method === 'GET' || method === 'HEAD' ? 200 : 405, { 'Content-Length': '0' });
      res.end();
      return;
    }
    const isControl = rawPath.startsWith(CONTROL_PREFIX);
    const logged = !isControl;
    const match = this.router.match(method, rawPath);
    const template = match.kind === 'found' ? match.route.template : path;
    const parsedBody = parseJson(rawBody);
    const finish = (status: number) => {
      if (!logged) return;
      const logEntry = { method, template, path, status, durationMs: performance.now() - started };
      this.log.record(
        parsedBody.ok && parsedBody.value !== undefined ? { ...logEntry, body: parsedBody.value } : logEntry,
      );
    };

    if (
      !isControl &&
      rawPath.startsWith('/v1/') &&
      this.tokenGate.enforced() &&
      !this.tokenGate.accepts(req.headers.authorization, req.socket.remoteAddress)
    ) {
      const reply: EmuReply = {
        status: 401,
        json: [entry(FAIL_ACC_DENIED_COMMAND, 'Unauthorized: token invalid or not provided')],
        headers: { 'WWW-Authenticate': 'Bearer realm="linstor-controller"' },
      };
      finish(this.send(req, res, reply));
      return;
    }

    let fault: FaultRule | undefined;
    if (!isControl) {
      for (const rule of this.faults.take(method, match.kind === 'found' ? template : undefined, path)) {
        if (rule.action === 'delay')
          await sleep(rule.delayMs ?? 0, undefined, { signal: this.ctx.signal }).catch(() => {});
        else fault = rule;
      }
    }
    if (fault?.action === 'drop-before') {
      req.socket.destroy();
      finish(0);
      return;
    }
    if (fault?.action === 'error') {
      const retCode = fault.retCode !== undefined ? toRetCode(BigInt(fault.retCode)) : FAIL_UNKNOWN_ERROR;
      const reply: EmuReply = {
        status: fault.status ?? 500,
        json: [
          entry(retCode, fault.message ?? 'Injected fault: the emulator was told to fail this request.'),
        ],
      };
      finish(this.send(req, res, reply));
      return;
    }

    if (match.kind === 'not-found') {
      finish(
        this.send(req, res, {
          status: 404,
          json: [entry(FAIL_UNKNOWN_ERROR, `Path '${path}' not found on server.`)],
        }),
      );
      return;
    }
    if (match.kind === 'method-not-allowed') {
      const reply: EmuReply = {
        status: 405,
        json: [entry(FAIL_UNKNOWN_ERROR, `Method '${method}' not allowed on path '${path}'.`)],
        headers: { Allow: match.allowed.join(', ') },
      };
      finish(this.send(req, res, reply));
      return;
    }
    const route = match.route;
    if (!parsedBody.ok) {
      const reply: EmuReply = {
        status: route.parseErrorStatus ?? 500,
        json: [entry(API_CALL_PARSE_ERROR, 'Unable to parse input json.', { details: parsedBody.error })],
      };
      finish(this.send(req, res, reply));
      return;
    }

    let body = parsedBody.value;
    if (route.body) {
      try {
        body = decodeRequestBody(body, route.body);
      } catch (e) {
        if (!(e instanceof BodyMappingError)) throw e;
        const reply: EmuReply = {
          status: route.parseErrorStatus ?? 500,
          json: [entry(API_CALL_PARSE_ERROR, 'Unable to parse input json.', { details: e.message })],
        };
        finish(this.send(req, res, reply));
        return;
      }
    }
    const emuReq: EmuRequest = {
      method,
      path,
      template,
      params: match.params,
      query,
      body,
      rawBody,
      headers: req.headers,
    };
    let reply = await this.runHandler(route, emuReq);
    if (reply.parseError && route.parseErrorStatus) reply = { ...reply, status: route.parseErrorStatus };
    if (fault?.action === 'drop-after') {
      // The change is committed; the client never learns it (a lost response).
      req.socket.destroy();
      finish(0);
      return;
    }
    finish(this.send(req, res, reply));
  }

  private async runHandler(route: RouteDef, req: EmuRequest): Promise<EmuReply> {
    const { store } = this.options;
    try {
      const inTransaction = route.transaction ?? req.method !== 'GET';
      if (inTransaction) return await store.transaction(() => route.handler(req, this.ctx));
      // Reads see committed state only: they wait for a running transaction to commit or roll back,
      // as the controller's readers wait for its write locks. Handlers that run their own
      // transactions (transaction: false on a non-GET route) must not be queued behind themselves.
      return req.method === 'GET'
        ? await store.read(() => route.handler(req, this.ctx))
        : await route.handler(req, this.ctx);
    } catch (e) {
      if (e instanceof ApiCallError) return replyEntries(e.entries, e.successStatus);
      const err = e instanceof Error ? e : new Error(String(e));
      const reportId = this.recordErrorReport(`${req.method} ${req.path}\n${err.stack ?? err.message}`);
      return {
        status: 500,
        json: [
          entry(FAIL_UNKNOWN_ERROR, `An unexpected error occurred: ${err.message}`, {
            errorReportIds: [reportId],
          }),
        ],
      };
    }
  }

  /** Writes the reply and returns the status sent. */
  private send(req: IncomingMessage, res: ServerResponse, reply: EmuReply): number {
    if (res.destroyed) return 0;
    if (reply.sse) {
      this.openStream(req, res, reply);
      return reply.status;
    }
    const headers: Record<string, string> = { ...reply.headers };
    let body: Buffer;
    if (reply.json instanceof JsonArrayOfParts) {
      headers['Content-Type'] = 'application/json';
      const parts = reply.json;
      if (parts.byteLength > GZIP_MIN_BYTES && acceptsGzip(req)) {
        // The same list as last time (an unchanged cluster polled again): its compressed text too.
        if (!this.lastGzipped?.parts.sameAs(parts)) {
          this.lastGzipped = { parts, gzipped: gzipSync(flatten(parts), GZIP_OPTIONS) };
        }
        return this.sendBody(res, reply.status, headers, this.lastGzipped.gzipped, true);
      }
      body = Buffer.allocUnsafe(parts.byteLength);
      parts.copyTo(body);
    } else if (reply.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = Buffer.from(toControllerJson(reply.json), 'utf8');
    } else if (reply.text !== undefined) {
      headers['Content-Type'] ??= 'text/plain; charset=utf-8';
      body = Buffer.from(reply.text, 'utf8');
    } else body = Buffer.alloc(0);
    const gzip = body.length > GZIP_MIN_BYTES && acceptsGzip(req);
    return this.sendBody(res, reply.status, headers, gzip ? gzipSync(body, GZIP_OPTIONS) : body, gzip);
  }

  private sendBody(
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: Buffer,
    gzipped: boolean,
  ): number {
    if (gzipped) {
      headers['Content-Encoding'] = 'gzip';
      headers.Vary = 'Accept-Encoding';
    }
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    res.end(body);
    return status;
  }

  private openStream(req: IncomingMessage, res: ServerResponse, reply: EmuReply): void {
    const controller = new AbortController();
    this.streams.add(controller);
    const close = () => {
      controller.abort();
      this.streams.delete(controller);
    };
    res.on('close', close);
    controller.signal.addEventListener('abort', () => {
      if (!res.writableEnded) res.end();
    });
    res.writeHead(reply.status, {
      ...reply.headers,
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (controller.signal.aborted || res.writableEnded) return;
      res.write(`event: ${event}\ndata: ${toControllerJson(data)}\n\n`);
    };
    const lastEventId = req.headers['last-event-id'];
    reply.sse?.(send, controller.signal, Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
  }

  private recordErrorReport(text: string, nodeName?: string): string {
    const { store } = this.options;
    let id: string;
    do {
      id = `${this.instanceId}-00000-${String(this.errorSeq++).padStart(6, '0')}`;
    } while (store.get('errorReports', [id]) !== undefined);
    const rec: ErrorReportRec = { id, nodeName: nodeName ?? 'Controller', time: this.ctx.now(), text };
    store
      .independentTransaction(() => store.put('errorReports', [id], rec))
      .catch(() => {
        // The store is closing; the report is lost together with the emulator.
      });
    return id;
  }

  private publish(stream: string, event: string, data: unknown): void {
    for (const listener of this.listeners.get(stream) ?? []) {
      try {
        listener(event, data);
      } catch {
        // A broken subscriber must not break the request that published the event.
      }
    }
  }

  private subscribe(stream: string, listener: StreamListener): () => void {
    let set = this.listeners.get(stream);
    if (!set) {
      set = new Set();
      this.listeners.set(stream, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }
}

/** Reused to flatten element lists that are gzipped (see send); grows to the largest list sent. */
let flatBuffer = Buffer.alloc(0);

/** The array text of `parts` in the reused buffer: valid only until the next call. */
function flatten(parts: JsonArrayOfParts): Buffer {
  if (flatBuffer.length < parts.byteLength) {
    flatBuffer = Buffer.allocUnsafe(Math.max(parts.byteLength, 2 * flatBuffer.length));
  }
  return flatBuffer.subarray(0, parts.copyTo(flatBuffer));
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/i.test(header);
}

type ParsedBody = { ok: true; value: unknown } | { ok: false; error: string };

function parseJson(raw: string): ParsedBody {
  if (raw.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
