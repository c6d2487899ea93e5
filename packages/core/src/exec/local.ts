import { statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { VolumeValidationError } from '../errors';
import { CommandFailedError, type HostExecutor, type RunOptions, type RunResult } from './types';

/** How much of standard error is kept for messages: the end is where tools say what went wrong. */
const STDERR_TAIL_BYTES = 4096;

/** Splits a stream of text into lines at `\n` and `\r` (progress meters rewrite a line with `\r`). */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const parts = pending.split(/\r\n|\r|\n/);
      pending = parts.pop() ?? '';
      for (const part of parts) if (part.length > 0) onLine(part);
    },
    end() {
      if (pending.length > 0) onLine(pending);
      pending = '';
    },
  };
}

/** Runs commands on this machine through execa, with argv vectors only (no shell). */
export class LocalExecutor implements HostExecutor {
  readonly description = 'local';

  /** Runs `argv` locally; rejects with {@link CommandFailedError} on a non-zero exit, timeout or abort. */
  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = argv;
    if (file === undefined) throw new VolumeValidationError('LocalExecutor.run needs a command');
    let stderrTail = '';
    const lines = lineSplitter((line) => options.onStderrLine?.(line));
    const subprocess = execa(file, args, {
      input: options.input,
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: { stdout: options.stdout === undefined, stderr: false },
      reject: false,
      stripFinalNewline: false,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
    subprocess.stderr?.setEncoding('utf8');
    subprocess.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
      lines.push(chunk);
    });
    // execa accepts only file-descriptor-backed Writables as `stdout`; any other sink is piped.
    const sinkDone =
      options.stdout && subprocess.stdout ? pipeline(subprocess.stdout, options.stdout) : Promise.resolve();
    const [result, sinkError] = await Promise.all([
      subprocess,
      sinkDone.then(
        () => undefined,
        (error: unknown) => error,
      ),
    ]);
    if (sinkError !== undefined && !result.failed) {
      const reason = sinkError instanceof Error ? sinkError.message : String(sinkError);
      throw new CommandFailedError(
        argv,
        this.description,
        result.exitCode,
        `writing its output failed: ${reason}`,
      );
    }
    lines.end();
    const stdout = typeof result.stdout === 'string' ? result.stdout : '';
    if (result.failed || result.exitCode !== 0) {
      const why = result.timedOut
        ? `timed out after ${options.timeoutMs} ms`
        : result.isCanceled
          ? 'aborted'
          : '';
      const detail = result.exitCode === undefined && result.originalMessage ? result.originalMessage : '';
      throw new CommandFailedError(
        argv,
        this.description,
        result.exitCode,
        [stderrTail, why, detail].filter((s) => s.length > 0).join('\n'),
      );
    }
    return { exitCode: 0, stdout, stderr: stderrTail };
  }

  /**
   * True when `path` exists here (symlinks are followed, as a device link would be). One stat of a
   * local device path, made at once: through the thread pool it would cost more than the call.
   */
  async pathExists(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<boolean> {
    options.signal?.throwIfAborted();
    try {
      return statSync(path, { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false;
    }
  }
}
