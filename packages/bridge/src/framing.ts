/**
 * Framing: one JSON message per line (UTF-8, `\n`). Splits a byte stream into lines without ever
 * holding more than the size limit of an unfinished line: a longer line is reported once and
 * skipped up to its newline, so one oversized request costs neither memory nor the connection.
 */

const NEWLINE = 0x0a;

export interface LineHandlers {
  line(text: string): void;
  /** A line longer than the limit started; its bytes up to the next newline are dropped. */
  oversize(): void;
}

/** Splits chunks into lines of at most `maxBytes` bytes. */
export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly handlers: LineHandlers,
  ) {}

  /** Feeds the next chunk of the stream. */
  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.discarding) this.collect(chunk.subarray(start, end));
      if (newline === -1) return;
      this.finishLine();
      start = newline + 1;
    }
  }

  private collect(part: Buffer): void {
    if (part.length === 0) return;
    if (this.pendingBytes + part.length > this.maxBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      this.discarding = true;
      this.handlers.oversize();
      return;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private finishLine(): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const text = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').replace(/\r$/, '');
    this.pending = [];
    this.pendingBytes = 0;
    // Blank lines (a caller's keep-alive, a stray newline) carry no request.
    if (text.trim() !== '') this.handlers.line(text);
  }
}

/** One message as a line. JSON escapes every newline inside strings, so the line stays one. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
