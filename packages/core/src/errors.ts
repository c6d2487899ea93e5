/**
 * The errors core throws. Each message is what a platform shows its user: what failed, why (with
 * LINSTOR's message, cause and correction when LINSTOR refused), and the error-report ids to look
 * up. The LINSTOR entries stay available as data for adapters that map errors to platform codes.
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
  /** A wait reached its deadline. */
  | 'timeout'
  /** Copying data with dd or qemu-img failed. */
  | 'copy-failed'
  /** No LINSTOR controller could be reached. */
  | 'unavailable'
  /** LINSTOR refused for another reason. */
  | 'linstor';

/** LINSTOR's own words for one refusal (an error entry of a reply). */
export interface LinstorReason {
  readonly message: string;
  readonly cause?: string | undefined;
  readonly details?: string | undefined;
  readonly correction?: string | undefined;
  readonly errorReportIds: readonly string[];
}

/** The base of every error core throws on purpose. */
export class VolumeError extends Error {
  override name = 'VolumeError';
  /** LINSTOR's entries behind the failure, when LINSTOR refused. */
  readonly linstor: readonly LinstorReason[];
  /** Every error-report id named by LINSTOR, for `linstor error-reports show`. */
  readonly errorReportIds: readonly string[];

  constructor(
    readonly kind: VolumeErrorKind,
    message: string,
    options: { cause?: unknown; linstor?: readonly LinstorReason[]; volume?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.linstor = options.linstor ?? [];
    this.errorReportIds = [...new Set(this.linstor.flatMap((r) => r.errorReportIds))];
    this.volume = options.volume;
  }

  /** The platform volume name the failure is about, if any. */
  readonly volume: string | undefined;
}

/** An argument is unusable; nothing was changed. */
export class VolumeValidationError extends VolumeError {
  override name = 'VolumeValidationError';
  constructor(message: string, options: { volume?: string } = {}) {
    super('invalid-argument', message, options);
  }
}

/** The volume, snapshot or node named does not exist. */
export class VolumeNotFoundError extends VolumeError {
  override name = 'VolumeNotFoundError';
  constructor(
    message: string,
    options: { cause?: unknown; linstor?: readonly LinstorReason[]; volume?: string } = {},
  ) {
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
    super('blocked', message, options);
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
    super('in-use', message, options);
  }
}
