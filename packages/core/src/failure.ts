/** Turns the client's failures into {@link VolumeError}s that carry LINSTOR's words. */

import {
  type ApiCallRc,
  codeNumber,
  FAIL_IN_USE,
  FAIL_INSUFFICIENT_REPLICA_COUNT,
  FAIL_INVLD_PROVIDER,
  FAIL_NOT_ENOUGH_FREE_SPACE,
  FAIL_NOT_ENOUGH_NODES,
  FAIL_SNAPSHOTS_NOT_SUPPORTED,
  isErrorCode,
} from '@linstor-hv/api';
import {
  AllControllersFailedError,
  LinstorApiError,
  LinstorTransportError,
  OutcomeUnknownError,
  WaitTimeoutError,
} from '@linstor-hv/client';
import {
  isAbortError,
  type LinstorReason,
  VolumeAbortedError,
  VolumeError,
  type VolumeErrorKind,
  VolumeNotFoundError,
  type VolumeOutcome,
} from './errors';

function reasonOf(entry: ApiCallRc): LinstorReason {
  return {
    message: entry.message,
    cause: entry.cause,
    details: entry.details,
    correction: entry.correction,
    errorReportIds: entry.error_report_ids ?? [],
    retCode: String(entry.ret_code),
  };
}

function sentence(text: string): string {
  const flat = text
    .trim()
    .split(/\s*\n\s*/)
    .join(' ');
  return flat.replace(/[.\s]+$/, '');
}

/**
 * One LINSTOR reason as words: "message (cause). Correction. [error reports: …]". Not the client's
 * `describeEntry`, which writes the compact "message; cause: …; correction: …" of the client's own
 * error messages (for logs): these are the sentences a platform shows its user, and both forms are
 * contracts of their packages' tests.
 */
export function describeReason(reason: LinstorReason): string {
  let text = sentence(reason.message);
  if (reason.cause) text += ` (${sentence(reason.cause)})`;
  if (reason.details && !reason.cause) text += ` (${sentence(reason.details)})`;
  text += '.';
  if (reason.correction) text += ` ${sentence(reason.correction)}.`;
  if (reason.errorReportIds.length > 0) text += ` [error reports: ${reason.errorReportIds.join(', ')}]`;
  return text;
}

/** The error entries of a LINSTOR reply or refusal as reasons (all entries when none is an error). */
export function linstorReasons(entries: readonly ApiCallRc[]): LinstorReason[] {
  const errors = entries.filter((e) => isErrorCode(e.ret_code));
  return (errors.length > 0 ? errors : entries).map(reasonOf);
}

/** The kind of a LINSTOR refusal, from its first error code (exact code comparison). */
export function kindOfRefusal(error: LinstorApiError): VolumeErrorKind {
  if (error.isNotFound()) return 'not-found';
  if (error.isAlreadyExists()) return 'already-exists';
  if (error.has(FAIL_IN_USE)) return 'in-use';
  if (
    error.has(FAIL_NOT_ENOUGH_NODES) ||
    error.has(FAIL_NOT_ENOUGH_FREE_SPACE) ||
    error.has(FAIL_INSUFFICIENT_REPLICA_COUNT)
  ) {
    return 'placement';
  }
  if (error.has(FAIL_SNAPSHOTS_NOT_SUPPORTED) || error.has(FAIL_INVLD_PROVIDER)) return 'not-supported';
  const invalid = error.errors.some((e) => {
    const code = codeNumber(e.ret_code);
    return code >= 200 && code <= 299;
  });
  return invalid ? 'invalid-argument' : 'linstor';
}

/**
 * Wraps a failure from the client as a {@link VolumeError} whose message starts with `what`
 * ("Creating volume 'x' failed") and carries LINSTOR's reasons. VolumeErrors pass through unchanged.
 */
export function wrapFailure(
  what: string,
  error: unknown,
  options: { volume?: string; kind?: VolumeErrorKind; outcome?: VolumeOutcome } = {},
): VolumeError {
  if (error instanceof VolumeError) return error;
  const base = { cause: error, volume: options.volume, outcome: options.outcome };
  if (error instanceof LinstorApiError) {
    const reasons = linstorReasons(error.entries);
    const kind = options.kind ?? kindOfRefusal(error);
    const because =
      reasons.length > 0 ? reasons.map(describeReason).join(' ') : `${error.message.replace(/\.$/, '')}.`;
    const message = `${what}: ${because}`;
    return kind === 'not-found'
      ? new VolumeNotFoundError(message, { ...base, linstor: reasons })
      : new VolumeError(kind, message, { ...base, linstor: reasons });
  }
  if (isAbortError(error)) {
    return new VolumeAbortedError(
      `${what}: the operation was cancelled (its deadline passed or the caller went away).`,
      base,
    );
  }
  if (error instanceof WaitTimeoutError) {
    return new VolumeError('timeout', `${what}: ${error.message}`, base);
  }
  if (error instanceof AllControllersFailedError || error instanceof LinstorTransportError) {
    return new VolumeError('unavailable', `${what}: ${error.message.replace(/\.$/, '')}.`, base);
  }
  if (error instanceof OutcomeUnknownError) {
    return new VolumeError(
      options.kind ?? 'linstor',
      `${what}: the controller's reply was lost and the state could not be confirmed; repeat the operation.`,
      { ...base, code: 'VOLUME_OUTCOME_UNKNOWN', outcome: 'unknown' },
    );
  }
  const text = error instanceof Error ? error.message : String(error);
  return new VolumeError(options.kind ?? 'linstor', `${what}: ${text.replace(/\.$/, '')}.`, base);
}

/**
 * {@link wrapFailure} for a verb that undid its own steps after failing: the message ends with
 * `leftover`, the sentence `ServiceCore.cleanup` returned about steps it could not undo ('' when none).
 */
export function wrapFailureAfterCleanup(
  what: string,
  error: unknown,
  leftover: string,
  options: { volume?: string } = {},
): VolumeError {
  const failure = wrapFailure(what, error, options);
  const outcome: VolumeOutcome = leftover === '' ? 'undone' : 'unknown';
  const message = `${failure.message}${leftover}`;
  if (failure instanceof VolumeAbortedError) {
    return new VolumeAbortedError(`${message}${leftover === '' ? ' What it had done was undone.' : ''}`, {
      cause: error,
      volume: options.volume,
      outcome,
    });
  }
  return new VolumeError(failure.kind, message, {
    cause: error,
    linstor: failure.linstor,
    volume: options.volume,
    code: failure.code,
    outcome,
  });
}
