/** Progress of a data copy. */
export interface CopyProgress {
  /** Bytes written to the target so far. */
  readonly bytesDone: number;
  /** Bytes the copy will write in all (the source's size), when known. */
  readonly totalBytes: number | undefined;
}

/** Receives progress; called at the start (0), as the tool reports, and once at the end. */
export type ProgressCallback = (progress: CopyProgress) => void;

const DD_BYTES = /^(\d+) bytes\b/;
const QEMU_PERCENT = /\((\d+(?:\.\d+)?)\/100%\)/;

/**
 * Bytes copied so far from one line `dd status=progress` writes to stderr (the running meter
 * `N bytes (…) copied, …` and the final summary have the same form), or undefined for other lines.
 */
export function parseDdProgress(line: string): number | undefined {
  const match = DD_BYTES.exec(line.trim());
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Bytes copied so far from one progress line `qemu-img convert -p` writes to stdout
 * (`    (42.00/100%)`), as a share of `totalBytes`; undefined for other lines.
 */
export function parseQemuImgProgress(line: string, totalBytes: number): number | undefined {
  const match = QEMU_PERCENT.exec(line);
  if (match?.[1] === undefined) return undefined;
  const percent = Math.min(100, Number(match[1]));
  return Math.round((totalBytes * percent) / 100);
}

/** Wraps a callback so it never sees bytes go backwards or the same figure twice in a row. */
export function monotonicProgress(
  callback: ProgressCallback | undefined,
  totalBytes: number | undefined,
): (bytesDone: number) => void {
  let last = -1;
  return (bytesDone) => {
    if (callback === undefined || bytesDone <= last) return;
    last = bytesDone;
    callback({ bytesDone, totalBytes });
  };
}
