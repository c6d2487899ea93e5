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
import { type Controller, sameHost } from './controller';

interface StateFileContent {
  configured: string;
  origin: string;
  /** When the controller last answered (informational; a new process still probes it once). */
  savedAt: number;
}

/**
 * The small file that remembers the last good controller across processes, so a short-lived
 * process starts with the controller the previous one found. Written only when the choice changes.
 */
export class ControllerStateFile {
  /** The preference last written to (or read from) the file. */
  private saved: string | undefined;

  constructor(private readonly file: string | undefined) {}

  /** The remembered controller among `controllers` (upgraded to its remembered HTTPS origin), if any. */
  load(controllers: readonly Controller[]): Controller | undefined {
    if (!this.file) return undefined;
    let state: Partial<StateFileContent>;
    try {
      state = JSON.parse(readWithoutFollowing(this.file)) as Partial<StateFileContent>;
    } catch {
      return undefined; // Missing or damaged state only costs the first call a probe.
    }
    const match = controllers.find((c) => c.address.origin === state.configured);
    if (!match) return undefined;
    if (typeof state.origin === 'string' && state.origin.startsWith('https://') && !match.isHttps) {
      const remembered = new URL(state.origin);
      if (sameHost(remembered.hostname, match.address.host)) match.upgrade(state.origin);
    }
    // Only the order is taken from the file: the remembered controller is still health-checked
    // once, so a controller that died since then cannot swallow a POST.
    this.saved = `${match.address.origin}|${match.origin}`;
    return match;
  }

  /** Remembers `ctrl`; never fails the call (the file is an optimisation). */
  save(ctrl: Controller): void {
    if (!this.file) return;
    const key = `${ctrl.address.origin}|${ctrl.origin}`;
    if (key === this.saved) return;
    const content: StateFileContent = {
      configured: ctrl.address.origin,
      origin: ctrl.origin,
      savedAt: Date.now(),
    };
    try {
      writePrivateFile(this.file, `${JSON.stringify(content)}\n`);
      this.saved = key;
    } catch {
      // An unwritable or tampered location must not fail the call: the file is an optimisation.
    }
  }
}

const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
/** A new file or nothing: a planted file or symbolic link at the temporary name fails the write. */
const EXCLUSIVE_NO_FOLLOW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Replaces `file` atomically with `text`. The directory is created 0700 and refused when it is a
 * symbolic link; the text goes to a temporary file with an unpredictable name, created exclusively
 * without following links, then renamed over `file` (rename replaces a link, never writes through it).
 */
function writePrivateFile(file: string, text: string): void {
  const directory = dirname(file);
  mkdirSync(directory, { recursive: true, mode: DIRECTORY_MODE });
  const info = lstatSync(directory);
  if (!info.isDirectory()) throw new Error(`${directory} is not a directory`);
  if ((info.mode & 0o777) !== DIRECTORY_MODE && info.uid === process.getuid?.())
    chmodSync(directory, DIRECTORY_MODE);
  const temporary = join(directory, `.${basename(file)}.${randomBytes(12).toString('hex')}.tmp`);
  const fd = openSync(temporary, EXCLUSIVE_NO_FOLLOW, FILE_MODE);
  try {
    try {
      writeSync(fd, text);
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
function readWithoutFollowing(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
