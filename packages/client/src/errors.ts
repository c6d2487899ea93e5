import {
  type ApiCallRc,
  FAIL_SIGN_IN,
  FAIL_SIGN_IN_MISSING_CREDENTIALS,
  isAccessDeniedCode,
  isAlreadyExistsCode,
  isNotFoundCode,
  sameCode,
  toSignedRetCode,
} from '@linstor-hv/api';
import { describeEntry, errorEntries } from './reply';

/**
 * The stable codes of every error the client throws, one per class. Callers (and processes on the
 * other side of the bridge) match on these, never on messages or class names.
 */
export const CLIENT_ERROR_CODES = [
  'LINSTOR_CLIENT_ERROR',
  'LINSTOR_CONFIG_INVALID',
  'LINSTOR_CONTROLLER_ADDRESS_INVALID',
  'LINSTOR_INVALID_ARGUMENT',
  'LINSTOR_API_ERROR',
  'LINSTOR_TRANSPORT_FAILED',
  'LINSTOR_NO_CONTROLLER_ANSWERED',
  'LINSTOR_OUTCOME_UNKNOWN',
  'LINSTOR_API_VERSION_UNSUPPORTED',
  'LINSTOR_WAIT_TIMEOUT',
  'LINSTOR_CLONE_FAILED',
] as const;

/** One of {@link CLIENT_ERROR_CODES}. */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** The registry symbol that marks an instance of the class with `code` (and of its subclasses). */
function brandOf(code: ClientErrorCode): symbol {
  return Symbol.for(`linstor-hv.client.error.${code}`);
}

/**
 * Base class of every error this client throws, so callers can tell them from their own bugs.
 *
 * Each class has its own stable `code` (a static, copied onto each instance). Instances are
 * branded with `Symbol.for` keys, one per class up the chain, and `instanceof` checks the brand: a
 * bundle and a package can each hold a copy of this module, and an error made by one copy still
 * passes `instanceof` against the other's classes (undici does the same, `lib/core/errors.js`).
 */
export class LinstorClientError extends Error {
  static readonly code: ClientErrorCode = 'LINSTOR_CLIENT_ERROR';
  override name = 'LinstorClientError';
  /** Stable code of this error's class, one of {@link CLIENT_ERROR_CODES}. */
  readonly code: ClientErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = new.target.code;
    const marks = this as unknown as Record<symbol, boolean>;
    for (let c: unknown = new.target; c !== Error && typeof c === 'function'; c = Object.getPrototypeOf(c)) {
      const code = (c as { code?: ClientErrorCode }).code;
      if (code !== undefined) marks[brandOf(code)] = true;
    }
  }

  /** `instanceof` by brand: `this` is the class the check asks about (a subclass inherits this method). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` must be the class on the right of instanceof.
    const brand = brandOf(this.code);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/** Invalid client configuration (bad option, unreadable token or certificate file, unsafe token use). */
export class LinstorConfigError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_CONFIG_INVALID';
  override name = 'LinstorConfigError';
}

/** A method was called with an argument it cannot send (an empty name, a path without `/`). */
export class LinstorArgumentError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_INVALID_ARGUMENT';
  override name = 'LinstorArgumentError';
}

/**
 * The controller answered with an error: a non-2xx status, or error entries in the reply.
 * `entries` holds every ApiCallRc the controller sent.
 */
export class LinstorApiError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_API_ERROR';
  override name = 'LinstorApiError';
  /** All error-report ids named by any entry (look them up with `client.errorReports`). */
  readonly errorReportIds: readonly string[];
  /**
   * The entries' ret_codes as LINSTOR writes them (signed 64-bit decimal strings, exact), for
   * callers across a process boundary where a bigint cannot travel; `entries` keeps them as bigint.
   */
  readonly retCodes: readonly string[];

  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly entries: readonly ApiCallRc[],
    readonly controller: string,
    /** A short excerpt of a non-JSON body (an HTML error page, a proxy's text), for the message. */
    readonly bodyExcerpt?: string,
  ) {
    const errors = errorEntries(entries);
    const shown = errors.length > 0 ? errors : entries;
    const what = `LINSTOR controller ${controller} rejected ${method} ${path} with HTTP ${status}`;
    const why =
      shown.length > 0
        ? shown.map(describeEntry).join(' | ')
        : bodyExcerpt
          ? `the reply was not a LINSTOR answer: ${bodyExcerpt}`
          : 'the reply carried no message';
    super(`${what}: ${why}.`);
    this.errorReportIds = [...new Set(entries.flatMap((e) => e.error_report_ids ?? []))];
    this.retCodes = entries.map((e) => toSignedRetCode(e.ret_code).toString());
  }

  /** The error entries (both type bits set). */
  get errors(): ApiCallRc[] {
    return errorEntries(this.entries);
  }

  /** True when any entry carries exactly `code` (type and code bits compared for equality). */
  has(code: bigint): boolean {
    return this.entries.some((e) => sameCode(e.ret_code, code));
  }

  /** The object was not found (an error code in 300–399, whatever the HTTP status). */
  isNotFound(): boolean {
    return this.entries.some((e) => isNotFoundCode(e.ret_code));
  }

  /** The object already exists (error code 500–599; LINSTOR answers these with HTTP 500, not 409). */
  isAlreadyExists(): boolean {
    return this.entries.some((e) => isAlreadyExistsCode(e.ret_code));
  }

  /** Access was refused: 401/403, or an access-denied / sign-in code. */
  isAccessDenied(): boolean {
    return (
      this.status === 401 ||
      this.status === 403 ||
      this.entries.some(
        (e) =>
          isAccessDeniedCode(e.ret_code) ||
          sameCode(e.ret_code, FAIL_SIGN_IN) ||
          sameCode(e.ret_code, FAIL_SIGN_IN_MISSING_CREDENTIALS),
      )
    );
  }

  /**
   * The controller does not know the route (404 without a not-found code, or 405): the endpoint is
   * missing in this LINSTOR version, which is not the same as "the object does not exist".
   */
  isUnknownRoute(): boolean {
    return (this.status === 404 && !this.isNotFound()) || this.status === 405;
  }
}

/** How a transport attempt failed. */
export type TransportFailureKind =
  | 'connection-refused'
  | 'connect-timeout'
  | 'dns'
  | 'unreachable'
  | 'tls'
  | 'response-timeout'
  | 'connection-lost'
  | 'unhealthy'
  | 'redirect'
  | 'insecure'
  | 'protocol';

const KIND_TEXT: Record<TransportFailureKind, string> = {
  'connection-refused': 'connection refused',
  'connect-timeout': 'no connection within the connect timeout',
  dns: 'host name not resolvable',
  unreachable: 'host or network unreachable',
  tls: 'TLS handshake failed',
  'response-timeout': 'no reply in time',
  'connection-lost': 'connection closed before the reply arrived',
  unhealthy: 'controller reports itself unhealthy',
  redirect: 'unusable redirect',
  insecure: 'not used',
  protocol: 'malformed reply',
};

/** One controller could not be used for one request. */
export class LinstorTransportError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_TRANSPORT_FAILED';
  override name = 'LinstorTransportError';

  /** What went wrong in plain words, with what to do about it (TLS causes, timeouts), if known. */
  readonly explanation: string | undefined;

  constructor(
    readonly controller: string,
    readonly kind: TransportFailureKind,
    readonly detail: string,
    /** False when the request certainly never reached the controller (safe to send elsewhere). */
    readonly mayHaveReachedServer: boolean,
    options?: { cause?: unknown; explanation?: string | undefined },
  ) {
    const explanation = options?.explanation;
    super(
      `${controller}: ${KIND_TEXT[kind]}${detail ? ` (${detail})` : ''}${explanation ? `: ${explanation}` : ''}`,
      options,
    );
    this.explanation = explanation;
  }
}

/** No controller answered: names each controller and why it failed. */
export class AllControllersFailedError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_NO_CONTROLLER_ANSWERED';
  override name = 'AllControllersFailedError';

  constructor(
    readonly method: string,
    readonly path: string,
    /** The last failure seen per controller, in the order the controllers are configured. */
    readonly failures: readonly LinstorTransportError[],
    readonly deadlineExceeded: boolean,
    readonly untried: readonly string[] = [],
  ) {
    const parts = failures.map((f) => f.message);
    for (const u of untried) parts.push(`${u}: not tried before the deadline`);
    const deadline = deadlineExceeded ? ' before the deadline' : '';
    super(
      `No LINSTOR controller answered ${method} ${path}${deadline}: ${parts.join('; ')}. Check that a controller is running and reachable, and the controller list.`,
    );
  }
}

/**
 * The reply to a non-idempotent request (POST) was lost after it may have reached the controller.
 * It was not re-sent: the change may or may not have happened, so read the current state to
 * reconcile before trying again.
 */
export class OutcomeUnknownError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_OUTCOME_UNKNOWN';
  override name = 'OutcomeUnknownError';

  constructor(
    readonly method: string,
    readonly path: string,
    readonly controller: string,
    readonly transportError: LinstorTransportError,
  ) {
    super(
      `The outcome of ${method} ${path} is unknown (${transportError.message}); it was not re-sent, so read the current state before retrying.`,
      { cause: transportError },
    );
  }
}

/** The controller's REST API is older than a feature needs. */
export class UnsupportedApiVersionError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_API_VERSION_UNSUPPORTED';
  override name = 'UnsupportedApiVersionError';

  constructor(
    readonly feature: string,
    readonly required: string,
    readonly actual: string,
  ) {
    super(
      `${feature} needs LINSTOR REST API ${required} or newer, but the controller offers ${actual}; upgrade the LINSTOR controller.`,
    );
  }
}

/** A waiter gave up at its deadline; `lastState` says what it saw last. */
export class WaitTimeoutError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_WAIT_TIMEOUT';
  override name = 'WaitTimeoutError';

  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly lastState: string,
  ) {
    super(`Timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${lastState}.`);
  }
}

/** A resource-definition clone ended in FAILED. */
export class CloneFailedError extends LinstorClientError {
  static override readonly code: ClientErrorCode = 'LINSTOR_CLONE_FAILED';
  override name = 'CloneFailedError';

  constructor(
    readonly source: string,
    readonly clone: string,
  ) {
    super(
      `Cloning resource definition '${source}' into '${clone}' failed on the controller; delete '${clone}' and check the controller's error reports.`,
    );
  }
}
