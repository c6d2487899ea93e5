/**
 * Small private files that a process running as root keeps between runs (the controller state
 * file here, adapters' caches): one implementation, so a hardening fix reaches every
 * such file at once. Synchronous on purpose: a few calls on a local directory cost less than a hop
 * through the thread pool each.
 */

import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Private to the service user: nobody else may plant or read files in it. */
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
/** A new file or nothing: a planted file or symbolic link at the temporary name fails the write. */
const EXCLUSIVE_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates `directory` 0700, or tightens our own existing one to 0700, and refuses one that is a
 * symbolic link (it could point a root process's writes anywhere). `notADirectory` words the refusal
 * for the caller's users.
 */
export function makePrivateDirectory(
  directory: string,
  notADirectory: (directory: string) => string = (d) => `${d} is not a directory`,
): void {
  mkdirSync(directory, { recursive: true, mode: DIRECTORY_MODE });
  const info = lstatSync(directory);
  if (!info.isDirectory()) throw new Error(notADirectory(directory));
  if ((info.mode & 0o777) !== DIRECTORY_MODE && info.uid === process.getuid?.()) {
    chmodSync(directory, DIRECTORY_MODE);
  }
}

/**
 * Replaces `file` (0600) with `text` so a reader never sees half a file: the text goes to a
 * temporary file with an unpredictable name, then is renamed over `file` (a rename replaces a link
 * there, never writes through it). Call {@link makePrivateDirectory} on its directory first.
 */
export function replacePrivateFile(file: string, text: string): void {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(12).toString('hex')}.tmp`);
  const fd = openSync(temporary, EXCLUSIVE_NO_FOLLOW, FILE_MODE);
  try {
    try {
      const bytes = Buffer.from(text);
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Reads `file` unless it is a symbolic link (which could point a root process at any file). */
export function readWithoutFollowing(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
