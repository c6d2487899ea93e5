import type { ControllerVersion } from '@linstor-hv/api';
import { LinstorArgumentError, LinstorTransportError, UnsupportedApiVersionError } from './errors';
import type { CheckedReply, Exchange, RouteParams, SendOptions } from './exchange';
import { checkReply } from './parse-reply';
import { LinstorReply } from './reply';
import type { Transport } from './transport/transport';
import type { CallOptions, HttpMethod, QueryParams } from './transport/types';

const ROUTE_PARAM = /\{([a-z_]+)\}/gi;

/** Fills a route template; every value is percent-encoded, `{key}` keeps its `/` separators. */
export function buildPath(route: string, params: RouteParams): string {
  return route.replace(ROUTE_PARAM, (_m, name: string) => {
    const value = params[name];
    if (value === undefined)
      throw new LinstorArgumentError(`The route ${route} needs a ${name}, and none was given.`);
    const text = String(value);
    if (text === '') throw new LinstorArgumentError(`The ${name} given for ${route} is empty.`);
    return name === 'key' ? text.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(text);
  });
}

/** Orders dotted versions (`1.29.0` > `1.28.3`); missing parts count as 0. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The {@link Exchange} over the HTTP transport: paths, lossless JSON, reply checks, version gating. */
export class RestExchange implements Exchange {
  /** The version of the controller that answered it; refetched after a failover to another one. */
  private versionCache: { controller: string | undefined; version: Promise<ControllerVersion> } | undefined;

  constructor(private readonly transport: Transport) {}

  send(method: HttpMethod, route: string, params: RouteParams, options: SendOptions = {}) {
    return this.sendPath(method, buildPath(route, params), route, options);
  }

  /** Sends to an already encoded path (`route` is its template, for metrics) and checks the reply. */
  async sendPath(
    method: HttpMethod,
    path: string,
    route: string,
    options: SendOptions,
  ): Promise<CheckedReply> {
    const res = await this.transport.send({
      method,
      path,
      route,
      query: options.query,
      body: options.body,
      idempotent: options.idempotent,
      ...options.call,
    });
    const { body, entries } = checkReply(res, method, path);
    return { status: res.status, body, entries, controller: res.controller, attempts: res.attempts, path };
  }

  async getList<T>(
    route: string,
    params: RouteParams,
    query: QueryParams | undefined,
    call: CallOptions | undefined,
  ): Promise<T[]> {
    const reply = await this.send('GET', route, params, { query, call });
    if (reply.body === undefined) return [];
    if (!Array.isArray(reply.body)) {
      throw new LinstorTransportError(
        reply.controller,
        'protocol',
        `GET ${reply.path} did not answer with a list`,
        true,
      );
    }
    return reply.body as T[];
  }

  async getObject<T>(
    route: string,
    params: RouteParams,
    query: QueryParams | undefined,
    call: CallOptions | undefined,
  ): Promise<T> {
    return expectObject<T>(await this.send('GET', route, params, { query, call }), 'GET');
  }

  async mutate(
    method: HttpMethod,
    route: string,
    params: RouteParams,
    body: unknown,
    call: CallOptions | undefined,
    query?: QueryParams,
  ): Promise<LinstorReply> {
    const reply = await this.send(method, route, params, { body, call, query });
    return new LinstorReply(reply.status, reply.entries, reply.controller, reply.attempts);
  }

  async query<T>(
    route: string,
    params: RouteParams,
    body: unknown,
    call: CallOptions | undefined,
  ): Promise<T> {
    return expectObject<T>(await this.send('POST', route, params, { body, call, idempotent: true }), 'POST');
  }

  /** The controller's REST API version (`rest_api_version`), fetched once per controller. */
  async apiVersion(call?: CallOptions): Promise<string> {
    const version = await this.cachedVersion(call);
    return version.rest_api_version ?? '1.0.0';
  }

  async requireApiVersion(minimum: string, feature: string, call: CallOptions | undefined): Promise<void> {
    const actual = await this.apiVersion(call);
    if (compareVersions(actual, minimum) < 0) throw new UnsupportedApiVersionError(feature, minimum, actual);
  }

  private cachedVersion(call?: CallOptions): Promise<ControllerVersion> {
    const cached = this.versionCache;
    const current = this.transport.currentController;
    // During a rolling upgrade controllers differ, so a version is only reused for the one that sent it.
    if (cached && (cached.controller === undefined || cached.controller === current)) return cached.version;
    const entry: { controller: string | undefined; version: Promise<ControllerVersion> } = {
      controller: undefined,
      version: this.getObject<ControllerVersion>('/v1/controller/version', {}, undefined, call),
    };
    entry.version.then(
      () => {
        entry.controller = this.transport.currentController;
      },
      () => {
        if (this.versionCache === entry) this.versionCache = undefined;
      },
    );
    this.versionCache = entry;
    return entry.version;
  }
}

/** The reply body as one JSON object; anything else (a list, null, nothing) is a protocol error. */
function expectObject<T>(reply: CheckedReply, method: HttpMethod): T {
  const { body } = reply;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new LinstorTransportError(
      reply.controller,
      'protocol',
      `${method} ${reply.path} did not answer with an object`,
      true,
    );
  }
  return body as T;
}
