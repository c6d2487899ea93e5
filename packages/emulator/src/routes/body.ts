/** Small helpers for request bodies shared by the route modules. */
import { API_CALL_PARSE_ERROR } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { entry } from '../http/apicall';
import type { EmuReply, EmuRequest, RouteHandler } from '../http/route';

/** The body as an object of type T, or undefined when it is not a JSON object (an empty body counts as `{}`). */
export function objectBody<T>(body: unknown): T | undefined {
  if (body === undefined) return {} as T;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return body as T;
}

/**
 * The reply for a body of the wrong JSON type (an object was expected). The controller fails it
 * while mapping the JSON, as it fails unparsable JSON: API_CALL_PARSE_ERROR (whose op and object
 * bits are already all set, so no operation/object mask is added), HTTP 500, or the route's
 * `parseErrorStatus` (400 on the synchronous handlers).
 */
export function badRequestBody(): EmuReply {
  return {
    status: 500,
    json: [
      entry(API_CALL_PARSE_ERROR, 'Unable to parse input json.', {
        details: 'The request body must be a JSON object.',
      }),
    ],
    parseError: true,
  };
}

/** A handler whose body must be a JSON object of type T; a body of another JSON type fails as in `badRequestBody`. */
export function withObjectBody<T, P extends string = string>(
  handle: (body: T, req: EmuRequest<P>, ctx: EmulatorContext) => ReturnType<RouteHandler>,
): (req: EmuRequest<P>, ctx: EmulatorContext) => ReturnType<RouteHandler> {
  return (req, ctx) => {
    const body = objectBody<T>(req.body);
    return body ? handle(body, req, ctx) : badRequestBody();
  };
}
