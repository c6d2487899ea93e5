import type { ResolvedOptions } from '../options';
import type { Controller } from './controller';

/**
 * The headers every request carries. The bearer token is added only over HTTPS (or when the user
 * allowed plain HTTP), so it never travels in clear text by accident.
 */
export function baseHeaders(
  options: ResolvedOptions,
  ctrl: Controller,
  withToken: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {
    'user-agent': options.userAgent,
    accept: 'application/json',
    'accept-encoding': 'gzip',
  };
  if (withToken && options.token && (ctrl.isHttps || options.allowInsecureToken)) {
    headers.authorization = `Bearer ${options.token}`;
  }
  return headers;
}
