/**
 * The errors core throws. Each message is what a platform shows its user: what failed, why (with
 * LINSTOR's message, cause and correction when LINSTOR refused), and the error-report ids to look
 * up. Each error carries a stable `code` (listed in {@link VOLUME_ERROR_CODES} and the package
 * README) and its `kind`, so a caller in another process (JSON-RPC, the Perl and Python shims)
 * matches on those, never on the message or the class name. The LINSTOR entries stay available as
 * data for adapters that map errors to platform codes.
 */

/** What kind of failure a {@link VolumeError} is; adapters map these to platform error codes. */
export type VolumeErrorKind =
  /** A caller's argument is unusable (bad name, size, node). Nothing was changed. */
  | 'invalid-argument'
  /** The volume, snapshot or node does not exist. */
  | 'not-found'
  /** An object of that name exists and is not this caller's. */
  | 'already-exists'
  /** The volume is open somewhere, so the verb cannot proceed. */
  | 'in-use'
  /** LINSTOR could not place the replicas the resource group asks for. */
  | 'placement'
  /** The pools or controller cannot do this (no snapshots on thick LVM, no clone API, …). */
  | 'not-supported'
  /** Another object stands in the way (newer snapshots block a rollback, snapshots block a delete). */
  | 'blocked'
  /** A wait or the caller's deadline ran out (or the caller cancelled). */
  | 'timeout'
  /** Copying data with dd or qemu-img (or another command on a host) failed. */
  | 'copy-failed'
  /** No LINSTOR controller could be reached. */
  | 'unavailable'
  /** LINSTOR refused for another reason. */
  | 'linstor';

/**
 * Every `code` a core error can carry: one per {@link VolumeErrorKind}, plus the codes of the
 * subclasses that say more than their kind. Stable: callers in other processes match on them.
 */
export const VOLUME_ERROR_CODES = {
  /** kind `invalid-argument`. */
  VOLUME_INVALID_ARGUMENT: 'VOLUME_INVALID_ARGUMENT',
  /** kind `not-found`. */
  VOLUME_NOT_FOUND: 'VOLUME_NOT_FOUND',
  /** kind `already-exists`. */
  VOLUME_ALREADY_EXISTS: 'VOLUME_ALREADY_EXISTS',
  /** kind `in-use`. */
  VOLUME_IN_USE: 'VOLUME_IN_USE',
  /** kind `placement`. */
  VOLUME_PLACEMENT_FAILED: 'VOLUME_PLACEMENT_FAILED',
  /** kind `not-supported`. */
  VOLUME_NOT_SUPPORTED: 'VOLUME_NOT_SUPPORTED',
  /** kind `blocked`. */
  VOLUME_BLOCKED: 'VOLUME_BLOCKED',
  /** kind `blocked`: newer snapshots (or another reason) prevent a rollback ({@link RollbackBlockedError}). */
  VOLUME_ROLLBACK_BLOCKED: 'VOLUME_ROLLBACK_BLOCKED',
  /** kind `timeout`: a wait for LINSTOR or a host ran out of time. */
  VOLUME_TIMEOUT: 'VOLUME_TIMEOUT',
  /** kind `timeout`: the caller's signal aborted the operation ({@link VolumeAbortedError}). */
  VOLUME_ABORTED: 'VOLUME_ABORTED',
  /** kind `copy-failed`: dd or qemu-img failed ({@link DataCopyError}). */
  VOLUME_COPY_FAILED: 'VOLUME_COPY_FAILED',
  /** kind `copy-failed`: a command on a host ended with an error ({@link CommandFailedError}). */
  VOLUME_COMMAND_FAILED: 'VOLUME_COMMAND_FAILED',
  /** kind `unavailable`. */
  VOLUME_UNAVAILABLE: 'VOLUME_UNAVAILABLE',
  /** kind `linstor`. */
  VOLUME_LINSTOR_FAILED: 'VOLUME_LINSTOR_FAILED',
  /** A reply was lost and reading the state could not settle what happened; repeat the operation. */
  VOLUME_OUTCOME_UNKNOWN: 'VOLUME_OUTCOME_UNKNOWN',
} as const;

/** One of {@link VOLUME_ERROR_CODES}. */
export type VolumeErrorCode = keyof typeof VOLUME_ERROR_CODES;

/** The code an error of `kind` carries unless its class says more. */
const CODE_OF_KIND: Readonly<Record<VolumeErrorKind, VolumeErrorCode>> = {
  'invalid-argument': 'VOLUME_INVALID_ARGUMENT',
  'not-found': 'VOLUME_NOT_FOUND',
  'already-exists': 'VOLUME_ALREADY_EXISTS',
  'in-use': 'VOLUME_IN_USE',
  placement: 'VOLUME_PLACEMENT_FAILED',
  'not-supported': 'VOLUME_NOT_SUPPORTED',
  blocked: 'VOLUME_BLOCKED',
  timeout: 'VOLUME_TIMEOUT',
  'copy-failed': 'VOLUME_COPY_FAILED',
  unavailable: 'VOLUME_UNAVAILABLE',
  linstor: 'VOLUME_LINSTOR_FAILED',
};

/**
 * What a failed operation left: `failed` (it changed nothing), `undone` (it undid its own steps),
 * `unknown` (a reply was lost or the undo failed; repeat the call or run the orphan audit).
 */
export type VolumeOutcome = 'failed' | 'undone' | 'unknown';

/** LINSTOR's own words for one refusal (an error entry of a reply). */
export interface LinstorReason {
  readonly message: string;
  readonly cause?: string | undefined;
  readonly details?: string | undefined;
  readonly correction?: string | undefined;
  readonly errorReportIds: readonly string[];
  /** The entry's ret_code as a decimal string (an int64 does not fit a JSON number). */
  readonly retCode?: string | undefined;
}

/** What every core error may carry besides its message. */
export interface VolumeErrorOptions {
  readonly cause?: unknown;
  readonly linstor?: readonly LinstorReason[];
  readonly volume?: string | undefined;
  readonly code?: VolumeErrorCode;
  readonly outcome?: VolumeOutcome | undefined;
}

/** The base of every error core throws. */
export class VolumeError extends Error {
  override name = 'VolumeError';
  /** Stable code, one of {@link VOLUME_ERROR_CODES}. */
  readonly code: VolumeErrorCode;
  /** LINSTOR's entries behind the failure, when LINSTOR refused. */
  readonly linstor: readonly LinstorReason[];
  /** Every error-report id named by LINSTOR, for `linstor error-reports show`. */
  readonly errorReportIds: readonly string[];
  /** LINSTOR's ret_codes behind the failure, as decimal strings. */
  readonly retCodes: readonly string[];
  /** What the failed operation left, when the verb knows (see {@link VolumeOutcome}). */
  readonly outcome: VolumeOutcome | undefined;
  /** The platform volume name the failure is about, if any. */
  readonly volume: string | undefined;

  constructor(
    readonly kind: VolumeErrorKind,
    message: string,
    options: VolumeErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.code = options.code ?? CODE_OF_KIND[kind];
    this.linstor = options.linstor ?? [];
    this.errorReportIds = [...new Set(this.linstor.flatMap((r) => r.errorReportIds))];
    this.retCodes = this.linstor.flatMap((r) => (r.retCode === undefined ? [] : [r.retCode]));
    this.outcome = options.outcome;
    this.volume = options.volume;
  }
}

/** An argument is unusable; nothing was changed. */
export class VolumeValidationError extends VolumeError {
  override name = 'VolumeValidationError';
  constructor(message: string, options: { volume?: string } = {}) {
    super('invalid-argument', message, { ...options, outcome: 'failed' });
  }
}

/** The volume, snapshot or node named does not exist. */
export class VolumeNotFoundError extends VolumeError {
  override name = 'VolumeNotFoundError';
  constructor(message: string, options: Omit<VolumeErrorOptions, 'code'> = {}) {
    super('not-found', message, options);
  }
}

/** A rollback cannot work: `blockers` are the newer snapshots in the way (or the reason it is refused). */
export class RollbackBlockedError extends VolumeError {
  override name = 'RollbackBlockedError';
  constructor(
    message: string,
    readonly blockers: readonly string[],
    options: { volume?: string } = {},
  ) {
    super('blocked', message, { ...options, code: 'VOLUME_ROLLBACK_BLOCKED', outcome: 'failed' });
  }
}

/** The volume is open on other nodes (`nodes`), which the operation does not allow. */
export class VolumeInUseError extends VolumeError {
  override name = 'VolumeInUseError';
  constructor(
    message: string,
    readonly nodes: readonly string[],
    options: { volume?: string } = {},
  ) {
    super('in-use', message, { ...options, outcome: 'failed' });
  }
}

/**
 * The caller's signal aborted the operation (its deadline passed, or it went away). The message
 * says whether the steps done so far were undone; `outcome` says the same as data.
 */
export class VolumeAbortedError extends VolumeError {
  override name = 'VolumeAbortedError';
  constructor(message: string, options: Omit<VolumeErrorOptions, 'code'> = {}) {
    super('timeout', message, { ...options, code: 'VOLUME_ABORTED' });
  }
}

/** True for the error an aborted signal produces (its reason, or Node's and the DOM's abort errors). */
export function isAbortError(error: unknown): boolean {
  if (error instanceof VolumeAbortedError) return true;
  if (!(error instanceof Error)) return false;
  return error.name === 'AbortError' || error.name === 'TimeoutError';
}
