import { existsSync, readFileSync, statSync } from 'node:fs';
import { type ControllerAddress, parseControllerList } from './controllers';
import { LinstorConfigError } from './errors';

/** Where the LINSTOR tools conventionally keep the bearer token (`{"token": "..."}`). */
export const DEFAULT_TOKEN_FILE = '/var/lib/linstor.d/auth.json';

/** TLS settings. PEM text and file paths may be mixed; files are re-read when they change. */
export interface TlsOptions {
  /** CA bundle (PEM file) that signs the controller's certificate; replaces the system roots. */
  caFile?: string;
  /** CA bundle as PEM text. */
  ca?: string;
  /** Client certificate (PEM file) for mutual TLS. */
  certFile?: string;
  /** Client certificate as PEM text. */
  cert?: string;
  /** Client private key (PEM file). */
  keyFile?: string;
  /** Client private key as PEM text. */
  key?: string;
  /** Verify the controller's certificate chain and host name (default true). */
  rejectUnauthorized?: boolean;
  /** Name to verify the certificate against when it differs from the address used (SNI too). */
  servername?: string;
}

/** One request as the metrics hook sees it. */
export interface RequestMetric {
  method: string;
  /** The route template, e.g. `/v1/resource-definitions/{resource}`, so names do not explode cardinality. */
  route: string;
  /** HTTP status, or undefined when no reply arrived. */
  status: number | undefined;
  durationMs: number;
  /** Origin of the controller the attempt went to. */
  controller: string;
  /** 1 for the first attempt; health probes are reported with route `/health`. */
  attempt: number;
  outcome: 'ok' | 'api-error' | 'transport-error';
}

/** Options of {@link createLinstorClient}. Every field is optional. */
export interface LinstorClientOptions {
  /**
   * Controllers, as a list or a comma/space separated string of `host`, `host:port`, `[v6]:port`,
   * `linstor://host`, `linstor+ssl://host`, `http(s)://host:port`. Default: `LS_CONTROLLERS`, else
   * `localhost`.
   */
  controllers?: string | readonly string[];
  /** Milliseconds to establish a TCP (and TLS) connection (default 3000). */
  connectTimeoutMs?: number;
  /** Milliseconds one attempt may wait for its complete reply (default 60000; creates can take >15 s). */
  requestTimeoutMs?: number;
  /** Milliseconds a health probe of a not-yet-verified controller may take (default 2000). */
  probeTimeoutMs?: number;
  /** Overall milliseconds a call may take, retries and failover included (default 120000). */
  deadlineMs?: number;
  /** Extra rounds over all controllers for requests that are safe to repeat (default 2). */
  retries?: number;
  /** First backoff delay between rounds in ms, doubled per round with jitter (default 200, max 5000). */
  backoffMs?: number;
  /** A controller that answered within this many ms is used without a fresh health probe (default 30000). */
  verifiedTtlMs?: number;
  /** TLS material and verification. Environment: LS_ROOT_CA[_FILE], LS_USER_CERTIFICATE[_FILE], LS_USER_KEY[_FILE]. */
  tls?: TlsOptions;
  /** Bearer token (explicit). Takes precedence over `tokenFile`. */
  token?: string;
  /**
   * File holding the bearer token: JSON `{"token": "..."}` or the bare token. Default:
   * `LS_BEARER_TOKEN_FILE`, else `/var/lib/linstor.d/auth.json` when it exists. `false` disables.
   */
  tokenFile?: string | false;
  /** Allow sending the bearer token over plain HTTP (default false: refuse). */
  allowInsecureToken?: boolean;
  /** Small file remembering the last good controller, so short-lived processes start with it. */
  stateFile?: string;
  /** Appended to the User-Agent: `linstor-hv/<version> (<suffix>)`. */
  userAgent?: string;
  /** Called once per HTTP attempt (including health probes). Must not throw. */
  metrics?: (metric: RequestMetric) => void;
  /** Aborts every call of this client when signalled. */
  signal?: AbortSignal;
  /** Keep-alive connections per controller (default 8). */
  connectionsPerController?: number;
  /** Environment to read LS_* variables from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/** TLS material as loaded for one connection. */
export interface LoadedTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  servername?: string;
}

/** Options after defaults, environment and files are applied. */
export interface ResolvedOptions {
  controllers: ControllerAddress[];
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  probeTimeoutMs: number;
  deadlineMs: number;
  retries: number;
  backoffMs: number;
  verifiedTtlMs: number;
  /** Loads the current TLS material (files re-read when their mtime changes). */
  tls: () => LoadedTls;
  token: string | undefined;
  tokenSource: string | undefined;
  allowInsecureToken: boolean;
  stateFile: string | undefined;
  userAgent: string;
  metrics: ((metric: RequestMetric) => void) | undefined;
  signal: AbortSignal | undefined;
  connections: number;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new LinstorConfigError(
      `The client option ${name} must be a positive number of milliseconds, not ${value}.`,
    );
  }
  return value;
}

/** Reads a bearer token file: JSON `{"token": "..."}` or the raw token text. */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new LinstorConfigError(
      `The LINSTOR token file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`,
    );
  }
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new LinstorConfigError(`The LINSTOR token file ${path} is not valid JSON.`);
    }
    const token = (parsed as { token?: unknown }).token;
    if (typeof token !== 'string' || token === '') {
      throw new LinstorConfigError(`The LINSTOR token file ${path} has no "token" string.`);
    }
    return token;
  }
  if (trimmed === '') throw new LinstorConfigError(`The LINSTOR token file ${path} is empty.`);
  return trimmed;
}

/** A PEM source that is either fixed text or a file re-read when its modification time changes. */
function pemSource(
  label: string,
  text: string | undefined,
  file: string | undefined,
): () => string | undefined {
  if (text !== undefined) return () => text;
  if (file === undefined) return () => undefined;
  let cached: { mtimeMs: number; value: string } | undefined;
  const load = (): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new LinstorConfigError(
        `The TLS ${label} file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).`,
      );
    }
  };
  return () => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      mtimeMs = -1;
    }
    if (!cached || cached.mtimeMs !== mtimeMs) cached = { mtimeMs, value: load() };
    return cached.value;
  };
}

/** Applies defaults, the LS_* environment and files to the user's options. */
export function resolveOptions(options: LinstorClientOptions, clientVersion: string): ResolvedOptions {
  const env = options.env ?? process.env;
  const tlsIn = options.tls ?? {};
  const caText = tlsIn.ca ?? env.LS_ROOT_CA;
  const caFile = tlsIn.caFile ?? env.LS_ROOT_CA_FILE;
  const certText = tlsIn.cert ?? env.LS_USER_CERTIFICATE;
  const certFile = tlsIn.certFile ?? env.LS_USER_CERTIFICATE_FILE;
  const keyText = tlsIn.key ?? env.LS_USER_KEY;
  const keyFile = tlsIn.keyFile ?? env.LS_USER_KEY_FILE;
  const hasCert = certText !== undefined || certFile !== undefined;
  const hasKey = keyText !== undefined || keyFile !== undefined;
  if (hasCert !== hasKey) {
    throw new LinstorConfigError(
      'A client certificate needs its private key and the other way round: set both certFile and keyFile (or neither).',
    );
  }
  const preferTls = hasCert || caText !== undefined || caFile !== undefined;

  // An empty LS_CONTROLLERS counts as unset, as it does for the linstor command.
  const list = options.controllers ?? (env.LS_CONTROLLERS?.trim() || undefined) ?? 'localhost';
  // A bad entry throws ControllerAddressError, itself a LinstorConfigError.
  const controllers: ControllerAddress[] = parseControllerList(list, preferTls);
  if (controllers.length === 0) {
    throw new LinstorConfigError('The controller list is empty; name at least one LINSTOR controller.');
  }

  const ca = pemSource('CA', caText, caFile);
  const cert = pemSource('certificate', certText, certFile);
  const key = pemSource('key', keyText, keyFile);
  const rejectUnauthorized = tlsIn.rejectUnauthorized ?? true;
  const servername = tlsIn.servername;
  const tls = (): LoadedTls => {
    const loaded: LoadedTls = { rejectUnauthorized };
    const caPem = ca();
    const certPem = cert();
    const keyPem = key();
    if (caPem !== undefined) loaded.ca = caPem;
    if (certPem !== undefined) loaded.cert = certPem;
    if (keyPem !== undefined) loaded.key = keyPem;
    if (servername !== undefined) loaded.servername = servername;
    return loaded;
  };
  // Load once now so a missing file is reported at construction, not at the first request.
  tls();

  let token: string | undefined;
  let tokenSource: string | undefined;
  if (options.token !== undefined && options.token !== '') {
    token = options.token;
    tokenSource = 'the token option';
  } else if (options.tokenFile !== false) {
    const explicit = options.tokenFile ?? env.LS_BEARER_TOKEN_FILE;
    if (explicit !== undefined) {
      token = readTokenFile(explicit);
      tokenSource = explicit;
    } else if (existsSync(DEFAULT_TOKEN_FILE)) {
      token = readTokenFile(DEFAULT_TOKEN_FILE);
      tokenSource = DEFAULT_TOKEN_FILE;
    }
  }

  const base = `linstor-hv/${clientVersion}`;
  const suffix = options.userAgent?.trim();
  const userAgent = suffix ? `${base} (${suffix})` : base;
  if (/[\r\n]/.test(userAgent)) throw new LinstorConfigError('The userAgent option must be a single line.');

  return {
    controllers,
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 3000),
    requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 60_000),
    probeTimeoutMs: positive('probeTimeoutMs', options.probeTimeoutMs, 2000),
    deadlineMs: positive('deadlineMs', options.deadlineMs, 120_000),
    retries: Math.floor(positive('retries', options.retries, 2, true)),
    backoffMs: positive('backoffMs', options.backoffMs, 200, true),
    verifiedTtlMs: positive('verifiedTtlMs', options.verifiedTtlMs, 30_000, true),
    tls,
    token,
    tokenSource,
    allowInsecureToken: options.allowInsecureToken ?? false,
    stateFile: options.stateFile,
    userAgent,
    metrics: options.metrics,
    signal: options.signal,
    connections: Math.max(1, Math.floor(options.connectionsPerController ?? 8)),
  };
}
