import { VolumeValidationError } from '../errors';
import { LocalExecutor } from './local';
import { CommandFailedError, type HostExecutor, type RunOptions, type RunResult } from './types';

/** Where and how to reach a host over ssh. Authentication is ssh's own (agent, key files, config). */
export interface SshTarget {
  /** Host name or address as ssh understands it (no leading `-`). */
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
  /** A private key file; its path goes on the command line, never its contents or a passphrase. */
  readonly identityFile?: string;
  /** Seconds ssh may take to connect (default 10). */
  readonly connectTimeoutSec?: number;
  /** Further `-o Key=Value` options, e.g. `{ StrictHostKeyChecking: 'accept-new' }`. */
  readonly options?: Readonly<Record<string, string>>;
  /** The ssh program (default `ssh`), e.g. OpenNebula's configured `$SSH`. */
  readonly sshCommand?: string;
}

const HOST = /^[A-Za-z0-9_.:[\]%-]+$/;
const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
const OPTION_KEY = /^[A-Za-z][A-Za-z0-9]*$/;
/** Characters that never need quoting for a POSIX shell. */
const SHELL_SAFE = /^[A-Za-z0-9_./:@%+,-]+$/;

/** Quotes one argument for a POSIX shell: single quotes, with embedded `'` written as `'\''`. */
export function shellQuote(argument: string): string {
  if (argument.length > 0 && SHELL_SAFE.test(argument)) return argument;
  return `'${argument.replaceAll("'", `'\\''`)}'`;
}

/** The remote command line for an argv: every argument quoted, so the remote shell sees exactly argv. */
export function remoteCommandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Builds the local `ssh` argv that runs `argv` on `target`. Host, user and option values are checked
 * so none of them can be read by ssh as an option of its own; `--` ends ssh's options before the
 * destination.
 */
export function sshArgv(target: SshTarget, argv: readonly string[]): string[] {
  if (target.host.startsWith('-') || !HOST.test(target.host)) {
    throw new VolumeValidationError(`'${target.host}' is not a host name ssh can be given safely`);
  }
  if (target.user !== undefined && !USER.test(target.user)) {
    throw new VolumeValidationError(`'${target.user}' is not a user name ssh can be given safely`);
  }
  if (
    target.port !== undefined &&
    !(Number.isInteger(target.port) && target.port > 0 && target.port < 65536)
  ) {
    throw new VolumeValidationError(`${target.port} is not a TCP port`);
  }
  const out = [
    target.sshCommand ?? 'ssh',
    '-o',
    'BatchMode=yes',
    '-o',
    `ConnectTimeout=${target.connectTimeoutSec ?? 10}`,
  ];
  for (const [key, value] of Object.entries(target.options ?? {})) {
    if (!OPTION_KEY.test(key) || /[\r\n]/.test(value)) {
      throw new VolumeValidationError(`'${key}' is not an ssh option that can be passed safely`);
    }
    out.push('-o', `${key}=${value}`);
  }
  if (target.port !== undefined) out.push('-p', String(target.port));
  if (target.identityFile !== undefined) out.push('-i', target.identityFile);
  if (target.user !== undefined) out.push('-l', target.user);
  out.push('--', target.host, remoteCommandLine(argv));
  return out;
}

/** ssh's exit status when the connection itself failed (the remote command's status otherwise). */
const SSH_CONNECTION_FAILED = 255;

/** Runs commands on a remote host through the local `ssh` client. */
export class SshExecutor implements HostExecutor {
  readonly description: string;

  constructor(
    private readonly target: SshTarget,
    private readonly local: HostExecutor = new LocalExecutor(),
  ) {
    this.description = `ssh ${target.user ? `${target.user}@` : ''}${target.host}`;
    sshArgv(target, ['true']); // reject an unusable target at construction, not at first use
  }

  /** Runs `argv` on the remote host; failures name the host and the remote command. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    try {
      return await this.local.run(sshArgv(this.target, argv), options);
    } catch (error) {
      if (error instanceof CommandFailedError) {
        const stderr =
          error.exitCode === SSH_CONNECTION_FAILED
            ? `ssh could not run the command: ${error.stderr}`
            : error.stderr;
        throw new CommandFailedError(argv, this.description, error.exitCode, stderr, { cause: error });
      }
      throw error;
    }
  }

  /** True when `path` exists on the remote host (`test -e`); an ssh failure is an error, not "absent". */
  async pathExists(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<boolean> {
    try {
      await this.run(['test', '-e', path], options.signal ? { signal: options.signal } : {});
      return true;
    } catch (error) {
      if (error instanceof CommandFailedError && error.exitCode === 1) return false;
      throw error;
    }
  }
}
