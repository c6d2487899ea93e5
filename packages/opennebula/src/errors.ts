/**
 * How a failure reaches OpenNebula. oned shows different parts of stderr by version
 * (../shared/reference/opennebula.md §1.6 and Corrections 5, 6):
 *
 * - ≤ 6.0.2: only the text between the `ERROR MESSAGE --8<------` and `ERROR MESSAGE ------>8--`
 *   markers becomes the error;
 * - 6.0.3 – 6.10: the whole stderr is the error (newlines become spaces), so nothing but the one
 *   message line is written;
 * - 7.x: `INFO:`/`ERROR:` lines (with an optional VM id) go to the logs, the remaining lines are the
 *   error; progress is streamed as `INFO:` lines and the message is one plain line.
 *
 * The message itself is one line a person can act on; core's messages already carry LINSTOR's
 * cause, correction and error-report ids. Stack traces never reach oned.
 */

import { CommandFailedError, VolumeError, type VolumeErrorKind } from '@linstor-hv/core';
import { OneError, OneProtocolError } from './protocol';

/** How failures and progress are written for the running OpenNebula version. */
export type ErrorFormat = 'markers' | 'plain' | 'prefixed';

/** What kind of failure an action ended with, beyond core's kinds. */
export type OneFailureKind = VolumeErrorKind | 'protocol' | 'host-command' | 'internal' | 'adapter';

/** Exit status and a hint per failure kind (oned treats every non-zero status alike). */
export const FAILURE_OUTPUT: Readonly<Record<OneFailureKind, { exitCode: number; hint?: string }>> = {
  protocol: { exitCode: 2 },
  'invalid-argument': { exitCode: 2 },
  'not-found': { exitCode: 1 },
  'already-exists': {
    exitCode: 1,
    hint: 'Another object of that name exists in LINSTOR; remove or rename it.',
  },
  'in-use': { exitCode: 1, hint: 'Power off the VM or detach the disk, then repeat.' },
  placement: {
    exitCode: 1,
    hint: 'Check the storage pools of LINSTOR_RESOURCE_GROUP (linstor storage-pool list).',
  },
  'not-supported': { exitCode: 1 },
  blocked: { exitCode: 1 },
  timeout: { exitCode: 1, hint: 'The operation can be repeated; it continues where it stopped.' },
  'copy-failed': { exitCode: 1 },
  unavailable: {
    exitCode: 1,
    hint: 'Check LINSTOR_CONTROLLERS of the datastore and that the controller runs.',
  },
  linstor: { exitCode: 1 },
  'host-command': { exitCode: 1 },
  adapter: { exitCode: 1 },
  internal: { exitCode: 1 },
};

/** The kind of any thrown value. */
export function failureKind(error: unknown): OneFailureKind {
  if (error instanceof OneProtocolError) return 'protocol';
  if (error instanceof OneError) return 'adapter';
  if (error instanceof VolumeError) return error.kind;
  if (error instanceof CommandFailedError) return 'host-command';
  return 'internal';
}

/** One line: newlines and runs of space collapsed. */
export function oneLine(text: string): string {
  return text
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/** The message of a failure, with the table's hint when the message does not already say what to do. */
export function failureMessage(error: unknown): string {
  const kind = failureKind(error);
  const base = error instanceof Error ? error.message || error.name : String(error);
  const hint = FAILURE_OUTPUT[kind].hint;
  return oneLine(hint && !base.includes(hint) ? `${base} ${hint}` : base);
}

/** The error format for a version string such as `6.0.2` or `7.0.1` (undefined: the 7.x rules). */
export function errorFormatFor(version: string | undefined): ErrorFormat {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version?.trim() ?? '');
  if (!match) return 'prefixed';
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  if (major < 6 || (major === 6 && minor === 0 && patch <= 2)) return 'markers';
  if (major === 6) return 'plain';
  return 'prefixed';
}

/** An `INFO:` line; the VM id (when known) sends it to that VM's log in 7.x. */
export function infoLine(message: string, vmId?: number): string {
  // A message starting with a digit would be read as a VM id by 7.x's log parser.
  const text = oneLine(message);
  return vmId === undefined ? `INFO: ${/^\d/.test(text) ? `- ${text}` : text}` : `INFO: ${vmId} ${text}`;
}

/** The stderr text that ends a failed action. */
export function failureText(format: ErrorFormat, message: string): string {
  if (format === 'markers') return `ERROR MESSAGE --8<------\n${message}\nERROR MESSAGE ------>8--\n`;
  return `${message}\n`;
}
