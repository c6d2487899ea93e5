/**
 * One generation's journal file: commit lines are appended at its end and reach the disk either
 * before the append resolves (`flushEachCommit`) or within `flushDelayMs` (the default, as the
 * controller's H2 database flushes its log within its write delay). Either way a line is in the
 * file, for a process started after a SIGKILL to read, before the append resolves.
 */
import { constants as fsConstants, writeSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * With commits flushed one by one, journal writes are synchronous-data writes where the platform
 * has them (O_DSYNC: each write returns once its data and the file size are on disk, as a write
 * followed by fdatasync); elsewhere each commit calls datasync.
 */
const DSYNC = fsConstants.O_DSYNC;
const JOURNAL_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT;
const FLUSHED_JOURNAL_FLAGS = JOURNAL_FLAGS | (DSYNC ?? 0);

/** When written commits reach the disk. */
export interface FlushMode {
  flushEachCommit: boolean;
  flushDelayMs: number;
}

export class JournalFile {
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly mode: FlushMode,
    /** Bytes of complete lines: the next line goes here. */
    public bytes: number,
  ) {}

  /**
   * Opens (or creates) the journal at `path`, whose complete lines end at `bytes`; a new
   * generation's journal is opened `empty` (truncated, should a crash have left one).
   */
  static async open(path: string, mode: FlushMode, at: { bytes: number } | 'empty'): Promise<JournalFile> {
    const base = mode.flushEachCommit ? FLUSHED_JOURNAL_FLAGS : JOURNAL_FLAGS;
    const handle = await open(path, at === 'empty' ? base | fsConstants.O_TRUNC : base);
    return new JournalFile(handle, mode, at === 'empty' ? 0 : at.bytes);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /** Cuts the file back to `bytes` (a torn or failed line) and makes that durable. */
  async truncate(bytes: number): Promise<void> {
    await this.handle.truncate(bytes);
    this.bytes = bytes;
    await this.handle.sync();
  }

  async sync(): Promise<void> {
    await this.handle.sync();
  }

  /** Appends one complete line; on failure `bytes` is unchanged, so a truncate removes any part written. */
  async append(line: Buffer): Promise<void> {
    let written = 0;
    if (this.mode.flushEachCommit) {
      while (written < line.length) {
        const { bytesWritten } = await this.handle.write(
          line,
          written,
          line.length - written,
          this.bytes + written,
        );
        written += bytesWritten;
      }
      if (DSYNC === undefined) await this.handle.datasync();
    } else {
      // A write into the page cache takes microseconds; the thread pool's round trip would cost more.
      while (written < line.length) {
        written += writeSync(this.handle.fd, line, written, line.length - written, this.bytes + written);
      }
      this.scheduleFlush();
    }
    this.bytes += line.length;
  }

  /** Flushes what was written, then closes the file. */
  async close(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushNow();
    await this.handle.close();
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushNow();
    }, this.mode.flushDelayMs);
    this.flushTimer.unref();
  }

  /** One flush at a time; the file is closed only after the last one ended. */
  private flushNow(): Promise<void> {
    const flushing = (this.flushing ?? Promise.resolve())
      .then(() => this.handle.datasync())
      .catch(() => undefined)
      .finally(() => {
        if (this.flushing === flushing) this.flushing = undefined;
      });
    this.flushing = flushing;
    return flushing;
  }
}
