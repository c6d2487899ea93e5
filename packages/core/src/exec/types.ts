import type { Readable, Writable } from 'node:stream';
import { VolumeError } from '../errors';

/** How one command runs on a host. */
export interface RunOptions {
  /** Data for the command's standard input (a string, bytes, or a stream that is piped in). */
  readonly input?: string | Uint8Array | Readable;
  /** Where standard output goes; when unset it is collected and returned. */
  readonly stdout?: Writable;
  /** Called with each line (split at `\n` and `\r`) the command writes to standard error. */
  readonly onStderrLine?: (line: string) => void;
  /** Aborts the command (it is killed). */
  readonly signal?: AbortSignal;
  /** Kills the command after this many milliseconds. */
  readonly timeoutMs?: number;
}

/** What a finished command left behind. */
export interface RunResult {
  readonly exitCode: number;
  /** Collected standard output (empty when `stdout` was given). */
  readonly stdout: string;
  /** The last part of standard error, for error messages. */
  readonly stderr: string;
}

/**
 * Runs argv vectors on one host: the local machine, or a hypervisor reached over ssh. Commands are
 * always argument vectors, never shell strings, so no value is ever interpreted by a shell
 * locally; the ssh executor quotes each argument for the remote shell itself.
 */
export interface HostExecutor {
  /** A short description for messages, e.g. `local` or `ssh root@pve2`. */
  readonly description: string;
  /** Runs `argv` and resolves when it ends; a non-zero exit is a {@link CommandFailedError}. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** True when `path` exists on the host (a device node, file or symlink target). */
  pathExists(path: string, options?: { readonly signal?: AbortSignal | undefined }): Promise<boolean>;
}

/** A command ended with a non-zero status (or was killed); stderr's tail says why. */
export class CommandFailedError extends VolumeError {
  override name = 'CommandFailedError';
  constructor(
    readonly argv: readonly string[],
    readonly host: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    const reason = stderr.trim().split('\n').slice(-3).join(' ').trim();
    const status = exitCode === undefined ? 'was stopped' : `exited with status ${exitCode}`;
    super('copy-failed', `'${argv[0] ?? ''}' on ${host} ${status}${reason ? `: ${reason}` : ''}`, {
      ...options,
      code: 'VOLUME_COMMAND_FAILED',
    });
  }
}
