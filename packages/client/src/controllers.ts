import { type ClientErrorCode, LinstorConfigError } from './errors';

/** Default REST ports of a LINSTOR controller (DFLT_CTRL_PORT_PLAIN / DFLT_CTRL_PORT_SSL). */
export const DEFAULT_HTTP_PORT = 3370;
export const DEFAULT_HTTPS_PORT = 3371;

/** One controller address, resolved to the origin the client talks to. */
export interface ControllerAddress {
  /** What the user wrote (one entry of the list), for messages. */
  readonly input: string;
  /** `http://host:port` or `https://host:port`; IPv6 hosts in brackets. */
  readonly origin: string;
  readonly scheme: 'http' | 'https';
  /** Host name or address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

/** Thrown for a controller list entry that cannot be understood (a configuration error). */
export class ControllerAddressError extends LinstorConfigError {
  static override readonly code: ClientErrorCode = 'LINSTOR_CONTROLLER_ADDRESS_INVALID';
  override name = 'ControllerAddressError';
}

/**
 * Splits a controller list the way LINSTOR users write it: entries separated by commas and/or
 * whitespace (`LS_CONTROLLERS="ctrl-a,ctrl-b"`, `"ctrl-a ctrl-b"`).
 */
export function splitControllerList(list: string | readonly string[]): string[] {
  const parts = typeof list === 'string' ? [list] : list;
  return parts.flatMap((p) => p.split(/[\s,]+/)).filter((p) => p.length > 0);
}

/**
 * Resolves one controller entry. Accepted forms: `host`, `host:port`, `[v6]`, `[v6]:port`, a bare
 * IPv6 address, `linstor://host[:port]`, `linstor+ssl://host[:port]`, `http://…`, `https://…`.
 * `linstor://` and scheme-less entries use HTTPS when `preferTls` (TLS material is configured),
 * plain HTTP otherwise; missing ports default to 3370 (HTTP) or 3371 (HTTPS).
 */
export function parseControllerAddress(input: string, preferTls = false): ControllerAddress {
  const entry = input.trim();
  if (entry === '') throw new ControllerAddressError('An empty controller address was given.');
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(entry);
  let scheme: 'http' | 'https';
  let rest = entry;
  if (schemeMatch) {
    const given = schemeMatch[1]!.toLowerCase();
    rest = entry.slice(schemeMatch[0].length);
    if (given === 'http') scheme = 'http';
    else if (given === 'https' || given === 'linstor+ssl') scheme = 'https';
    else if (given === 'linstor') scheme = preferTls ? 'https' : 'http';
    else {
      throw new ControllerAddressError(
        `The controller address '${input}' uses the unknown scheme '${given}://'; use linstor://, linstor+ssl://, http:// or https://.`,
      );
    }
  } else {
    scheme = preferTls ? 'https' : 'http';
  }
  // Anything after the authority (a path, even just '/') is not part of a controller address.
  rest = rest.replace(/[/?#].*$/, '');
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(rest);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((rest.match(/:/g) ?? []).length > 1) {
    // More than one colon without brackets can only be a bare IPv6 address (no port possible).
    host = rest;
  } else {
    const colon = rest.indexOf(':');
    host = colon === -1 ? rest : rest.slice(0, colon);
    portText = colon === -1 ? undefined : rest.slice(colon + 1);
  }
  if (host === '') throw new ControllerAddressError(`The controller address '${input}' has no host name.`);
  host = host.toLowerCase();
  let port = scheme === 'https' ? DEFAULT_HTTPS_PORT : DEFAULT_HTTP_PORT;
  if (portText !== undefined && portText !== '') {
    const parsed = Number(portText);
    if (!/^\d+$/.test(portText) || parsed < 1 || parsed > 65535) {
      throw new ControllerAddressError(
        `The controller address '${input}' has an invalid port '${portText}'.`,
      );
    }
    port = parsed;
  }
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return { input: entry, origin: `${scheme}://${hostInUrl}:${port}`, scheme, host, port };
}

/** Parses a whole controller list; duplicate origins are dropped, keeping the first. */
export function parseControllerList(
  list: string | readonly string[],
  preferTls = false,
): ControllerAddress[] {
  const seen = new Set<string>();
  const result: ControllerAddress[] = [];
  for (const entry of splitControllerList(list)) {
    const address = parseControllerAddress(entry, preferTls);
    if (seen.has(address.origin)) continue;
    seen.add(address.origin);
    result.push(address);
  }
  return result;
}
