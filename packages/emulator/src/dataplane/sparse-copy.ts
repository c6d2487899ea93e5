/**
 * Copies volume images without inflating them. A thin volume of 100 GiB that holds a few MiB must
 * stay a few MiB on disk after a snapshot or clone, and the copy must not read 100 GiB of holes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { copyWithHelper } from './copy-helper';

/** Marker in temporary file names; the data plane's reconcile removes files carrying it. */
export const TEMP_MARKER = '.partial-';

/** How the last copy was made (reported for tests and diagnostics). */
export type CopyMethod = 'reflink' | 'cp-sparse' | 'scan';

const SCAN_CHUNK = 4 << 20;
/** Longest a single cp may run before it is stopped and the copy falls back to the scan. */
const CP_TIMEOUT_MS = 600_000;

/**
 * Copies `src` to `dst` atomically (a temporary file renamed over `dst`), cheapest method first:
 * a copy-on-write clone (FICLONE, on btrfs/XFS), then GNU cp's hole-aware sparse copy (it seeks
 * over holes, so it costs only the data), then a portable scan that skips zero chunks.
 */
export async function copySparse(src: string, dst: string): Promise<CopyMethod> {
  const tmp = `${dst}${TEMP_MARKER}${randomBytes(4).toString('hex')}`;
  try {
    const method = await copyToNewFile(src, tmp);
    await rename(tmp, dst);
    return method;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function copyToNewFile(src: string, dst: string): Promise<CopyMethod> {
  try {
    await copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE);
    return 'reflink';
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw err;
  }
  if (process.platform === 'linux' && (await gnuCpSparse(src, dst))) return 'cp-sparse';
  await copyByScan(src, dst);
  return 'scan';
}

/**
 * Runs `cp --sparse=always --reflink=auto`, through the long-lived helper shell
 * (dataplane/copy-helper.ts) so that the emulator does not fork itself per copy, or directly when
 * no helper can run; false when GNU cp is unavailable or failed (the caller falls back).
 */
async function gnuCpSparse(src: string, dst: string): Promise<boolean> {
  const outcome = await copyWithHelper(src, dst, CP_TIMEOUT_MS);
  if (outcome !== 'unavailable') return outcome === 'copied';
  return new Promise((resolve) => {
    execFile('cp', ['--sparse=always', '--reflink=auto', '--', src, dst], { timeout: CP_TIMEOUT_MS }, (err) =>
      resolve(err === null),
    );
  });
}

/**
 * Portable fallback: reads `src` in chunks and writes only chunks that are not all zero, then sets
 * the exact length, so holes (and zero runs) stay unallocated in `dst`. Exported for tests.
 */
export async function copyByScan(src: string, dst: string): Promise<void> {
  const input = await open(src, 'r');
  try {
    const output = await open(dst, 'w');
    try {
      const size = (await input.stat()).size;
      const buf = Buffer.alloc(SCAN_CHUNK);
      const zero = Buffer.alloc(SCAN_CHUNK);
      let pos = 0;
      while (pos < size) {
        const { bytesRead } = await input.read(buf, 0, Math.min(SCAN_CHUNK, size - pos), pos);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        if (!chunk.equals(zero.subarray(0, bytesRead))) await output.write(chunk, 0, bytesRead, pos);
        pos += bytesRead;
      }
      await output.truncate(size);
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** The `code` of a system call error (ENOENT, EEXIST, ...), or undefined. */
export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
