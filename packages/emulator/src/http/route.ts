import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorContext } from '../context';
import type { RequestShape } from './request-body';

/** A parsed request as route handlers see it; `P` names the route template's parameters. */
export interface EmuRequest<P extends string = string> {
  method: string;
  /** Decoded path, e.g. `/v1/resource-definitions/vm-1`. */
  path: string;
  /** The route template that matched, e.g. `/v1/resource-definitions/{rd}` (used by the request log). */
  template: string;
  /** Decoded path parameters by template name (`{key}` params may contain `/`). */
  params: Record<P, string>;
  query: URLSearchParams;
  /** Parsed JSON body, or undefined when the body was empty. */
  body: unknown;
  rawBody: string;
  headers: IncomingHttpHeaders;
}

/** What a handler answers: JSON (serialised by http/json.ts), plain text, or a server-sent-event stream. */
export interface EmuReply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /**
   * Marks a reply to a body of the wrong JSON type (see routes/body.ts badRequestBody): the
   * controller fails such bodies while mapping them, like unparsable JSON, so the pipeline answers
   * with the route's `parseErrorStatus` when it has one.
   */
  parseError?: boolean;
  /** For SSE endpoints: called once the stream headers are sent; ends when `signal` aborts. */
  sse?: (
    send: (event: string, data: unknown) => void,
    signal: AbortSignal,
    lastEventId: string | undefined,
  ) => void;
}

export type RouteHandler = (req: EmuRequest, ctx: EmulatorContext) => EmuReply | Promise<EmuReply>;

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
  /** Path template with `{name}` segments; a final `{name:.*}` matches the rest of the path including `/`. */
  template: string;
  handler: RouteHandler;
  /**
   * HTTP status for a body that is not valid JSON. The controller's synchronous handlers (RD, RG and
   * VG create, node-interface calls) answer 400; the reactive ones answer 500 (the default), since
   * API_CALL_PARSE_ERROR carries the error bits (linstor-api.md §3.3).
   */
  parseErrorStatus?: number;
  /**
   * The JsonGenTypes class the controller maps this route's body onto (http/request-body.ts): the
   * pipeline refuses unknown fields and coerces scalars before the handler sees the body.
   */
  body?: RequestShape;
  /**
   * Whether the handler runs inside `store.transaction`. Defaults to true for every method except
   * GET. Set false for handlers that manage transactions themselves (e.g. reset calls store.clear()).
   */
  transaction?: boolean;
}

/**
 * The parameter names of a route template: `'/v1/resource-definitions/{rd}/resources/{node}'`
 * gives `'rd' | 'node'`, a rest segment `{key:.*}` gives `'key'`.
 */
export type TemplateParams<T extends string> = T extends `${string}{${infer P}}${infer Rest}`
  ? (P extends `${infer Name}:${string}` ? Name : P) | TemplateParams<Rest>
  : never;

/** A route definition whose handler sees exactly its template's parameters as fields of `req.params`. */
export interface TypedRouteDef<T extends string> extends Omit<RouteDef, 'template' | 'handler'> {
  template: T;
  handler: (req: EmuRequest<TemplateParams<T>>, ctx: EmulatorContext) => EmuReply | Promise<EmuReply>;
}

/**
 * Declares a route with typed path parameters. The router fills every parameter of the matched
 * template (http/router.ts), which is what makes the narrowing of `params` sound.
 */
export function route<const T extends string>(def: TypedRouteDef<T>): RouteDef {
  return def as unknown as RouteDef;
}
