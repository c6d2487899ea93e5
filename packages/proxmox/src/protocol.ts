/**
 * The JSON protocol between the Perl plugin and linstor-hv: one request object per call, on the
 * one-shot command's stdin or as the bridge call's params; one reply. See the package README for the
 * field-by-field description.
 */

/** The protocol version the Perl module sends; a mismatch means the two halves were not upgraded together. */
export const PROTOCOL_VERSION = 1;

/** The storage.cfg options of a `drbd:` section that the plugin passes on (secrets excluded). */
export interface StorageConfig {
  controller?: string;
  resourcegroup?: string;
  preferlocal?: string;
  statuscache?: string;
  apicrt?: string;
  apikey?: string;
  apica?: string;
  exactsize?: string;
  allowtwoprimaries?: string;
  searchdomain?: string;
}

/** One request from the Perl plugin. */
export interface ProxmoxRequest {
  protocol: number;
  /** The PVE plugin method, e.g. `alloc_image`. */
  method: string;
  /** The storage id (`drbd: <storeid>` in storage.cfg). */
  storeid: string;
  scfg: StorageConfig;
  /** The LINSTOR node name of the calling PVE node (node name plus `searchdomain`). */
  node: string;
  /** Root of the device tree (`/dev` on a real node); `{node}` stands for a node name (test trees). */
  deviceRoot: string;
  /** How other nodes' devices are reached for a copy: `ssh` (root ssh in a PVE cluster) or `local` (tests). */
  peerAccess: 'ssh' | 'local';
  /** The status cache file the Perl side reads (`status`, `check_connection` refresh it). */
  statusCacheFile: string;
  /** Milliseconds the caller allows; the handler stops and undoes its work before that. */
  deadlineMs: number;
  /** The LINSTOR bearer token, when one is configured. Never logged. */
  token?: string;
  /** Method arguments, see each handler. */
  args: Record<string, unknown>;
}

/** A reply: the result of the method, or one line a PVE user can act on. */
export type ProxmoxReply = { ok: true; result: unknown } | { ok: false; error: string };

/** A request the plugin could not have sent: wrong shape, wrong protocol version, bad argument. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const STORAGE_OPTIONS: readonly (keyof StorageConfig)[] = [
  'controller',
  'resourcegroup',
  'preferlocal',
  'statuscache',
  'apicrt',
  'apikey',
  'apica',
  'exactsize',
  'allowtwoprimaries',
  'searchdomain',
];

/** The longest deadline a caller may give (one hour, as the bridge allows); longer overflows timers. */
export const MAX_DEADLINE_MS = 3_600_000;
/** PVE's VM id range (pve-vmid). */
export const MIN_VMID = 100;
export const MAX_VMID = 999_999_999;
/** Arguments that carry a VM id; checked for PVE's range as the request is read. */
const VMID_ARGUMENTS = ['vmid', 'targetVmid'] as const;

function isWholeNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks a VM id against PVE's range (100 to 999999999). */
export function checkVmid(value: unknown, what = 'vmid'): number {
  if (!isWholeNumberIn(value, MIN_VMID, MAX_VMID)) {
    throw new ProtocolError(
      `argument '${what}' must be a VM id from ${MIN_VMID} to ${MAX_VMID}, not ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(source: Record<string, unknown>, key: string, what = key): string {
  const value = source[key];
  if (typeof value !== 'string' || value === '') throw new ProtocolError(`the request has no ${what}`);
  return value;
}

/** Parses and checks the request text the Perl plugin wrote to stdin (the one-shot command). */
export function parseRequest(text: string, method: string): ProxmoxRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProtocolError('the request on stdin is not JSON');
  }
  if (!isRecord(parsed)) throw new ProtocolError('the request on stdin is not a JSON object');
  return parseRequestObject(parsed, method);
}

/**
 * Checks a request that is already a decoded JSON value (the bridge's `params`), by the same rules
 * as {@link parseRequest}.
 */
export function parseRequestObject(parsed: unknown, method: string): ProxmoxRequest {
  if (!isRecord(parsed)) throw new ProtocolError('the request is not a JSON object');
  if (parsed.protocol !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `the plugin speaks protocol ${String(parsed.protocol)}, this linstor-hv speaks ${PROTOCOL_VERSION}; install matching versions of the plugin and linstor-hv`,
    );
  }
  const requestMethod = requireString(parsed, 'method');
  if (requestMethod !== method) {
    throw new ProtocolError(`the request is for '${requestMethod}' but the command is 'proxmox ${method}'`);
  }
  const scfgIn = isRecord(parsed.scfg) ? parsed.scfg : {};
  const scfg: StorageConfig = {};
  for (const key of STORAGE_OPTIONS) {
    const value = scfgIn[key];
    if (typeof value === 'string') scfg[key] = value;
    else if (typeof value === 'number') scfg[key] = String(value);
  }
  const deadlineMs = parsed.deadlineMs;
  if (deadlineMs === undefined || deadlineMs === null) throw new ProtocolError('the request has no deadline');
  if (!isWholeNumberIn(deadlineMs, 1, MAX_DEADLINE_MS)) {
    throw new ProtocolError(
      `the request's deadlineMs ${JSON.stringify(deadlineMs)} is not a whole number of milliseconds from 1 to ${MAX_DEADLINE_MS}`,
    );
  }
  const args = isRecord(parsed.args) ? parsed.args : {};
  for (const key of VMID_ARGUMENTS) {
    if (args[key] !== undefined && args[key] !== null) checkVmid(args[key], key);
  }
  const token = parsed.token;
  return {
    protocol: PROTOCOL_VERSION,
    method: requestMethod,
    storeid: requireString(parsed, 'storeid', 'storage id'),
    scfg,
    node: requireString(parsed, 'node', 'node name'),
    deviceRoot: requireString(parsed, 'deviceRoot', 'device root'),
    peerAccess: parsed.peerAccess === 'local' ? 'local' : 'ssh',
    statusCacheFile: requireString(parsed, 'statusCacheFile', 'status cache file'),
    deadlineMs,
    ...(typeof token === 'string' && token !== '' ? { token } : {}),
    args,
  };
}

/** Reads a required string argument. */
export function stringArg(args: Record<string, unknown>, key: string): string {
  const value = args[key];
  if (typeof value !== 'string' || value === '') throw new ProtocolError(`argument '${key}' is missing`);
  return value;
}

/** Reads an optional string argument (absent, null and '' all mean "not given"). */
export function optionalStringArg(args: Record<string, unknown>, key: string): string | undefined {
  const value = args[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ProtocolError(`argument '${key}' must be a string`);
  return value;
}

/** Reads a required non-negative safe integer argument. */
export function integerArg(args: Record<string, unknown>, key: string): number {
  const value = args[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError(`argument '${key}' must be a whole number`);
  }
  return value;
}

/** Reads an optional non-negative safe integer argument. */
export function optionalIntegerArg(args: Record<string, unknown>, key: string): number | undefined {
  const value = args[key];
  if (value === undefined || value === null) return undefined;
  return integerArg(args, key);
}

/** Reads a boolean argument; absent means false. */
export function booleanArg(args: Record<string, unknown>, key: string): boolean {
  const value = args[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new ProtocolError(`argument '${key}' must be true or false`);
  return value;
}

/** Collapses an error message to the single line PVE shows in a task log. */
export function oneLine(message: string): string {
  const flat = message
    .replace(/[\r\n]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
  return flat.length > 2000 ? `${flat.slice(0, 1997)}...` : flat;
}
