import { LinstorTransportError } from '../errors';
import { type Controller, sameHost } from './controller';
import { headerValue } from './query';
import type { HttpHeaders } from './types';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Attempts per request when following redirects (the first send included). */
const MAX_HOPS = 3;

/** True for the statuses that carry a Location to follow. */
export function isRedirect(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/**
 * Follows an HTTP→HTTPS redirect of the controller (it answers plain `/v1/...` with a 302 when HTTPS
 * is enabled). Only an upgrade to HTTPS on the same host is accepted, so credentials never move to
 * another host or down to plain HTTP.
 */
export function followRedirect(ctrl: Controller, reply: { status: number; headers: HttpHeaders }): void {
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
 * Sends with `send` until the controller answers something other than a redirect, following each
 * redirect with {@link followRedirect}. A redirect answer means the request was not executed, so
 * sending it again is safe. `discard` releases a redirect reply's body (streams) before the next try.
 */
export async function withRedirects<R extends { status: number; headers: HttpHeaders }>(
  ctrl: Controller,
  send: () => Promise<R>,
  discard?: (reply: R) => Promise<void>,
): Promise<R> {
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    const reply = await send();
    if (!isRedirect(reply.status)) return reply;
    await discard?.(reply);
    followRedirect(ctrl, reply);
  }
  throw new LinstorTransportError(ctrl.origin, 'redirect', 'too many redirects', false);
}
