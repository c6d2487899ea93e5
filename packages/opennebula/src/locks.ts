/**
 * Serialises attach and detach of one resource on one host across the TM processes oned runs in
 * parallel (15 threads by default), which addon-linstor does not (two VMs sharing a CDROM image
 * could create and remove the same diskless resource at once). A lock is a directory made with
 * mkdir (atomic on every filesystem) holding the owner's pid; a lock whose process is gone is
 * taken over, so a killed action never blocks the next one.
 */

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ONE_ERROR_CODES, OneError } from './protocol';

const POLL_MS = 50;
const DEFAULT_WAIT_MS = 300_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A file-name-safe key for a (host, resource) pair. */
export function lockKey(host: string, resource: string): string {
  return `${host}--${resource}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Runs `work` while holding the lock `key` in `dir`; waits up to `waitMs` for another holder. */
export async function withLock<T>(
  dir: string,
  key: string,
  work: () => Promise<T>,
  options: { waitMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${key}.lock`);
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  for (;;) {
    try {
      await mkdir(path);
      await writeFile(join(path, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(await readFile(join(path, 'pid'), 'utf8').catch(() => 'NaN'));
      if (Number.isInteger(holder) && !processAlive(holder)) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline || options.signal?.aborted) {
        throw new OneError(
          `Waiting for the lock ${key} timed out (held by process ${holder}).`,
          ONE_ERROR_CODES.lockTimeout,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}
