/**
 * Where the bridge listens: a socket handed over by systemd (`LISTEN_FDS`, fd 3), or a path it
 * binds itself. A path is taken only when it is safe: its directory is ours and writable by no one
 * else, and whatever already sits at the path is a socket of ours that nobody answers on (a crash
 * left it); anything else is refused with a sentence saying what to do.
 */

import {
  chmodSync,
  chownSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  type Stats,
  unlinkSync,
} from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname } from 'node:path';

/** systemd passes the first socket as fd 3 (sd_listen_fds(3)). */
export const SD_LISTEN_FDS_START = 3;

/** Refusal to use a socket path or an inherited socket. */
export class SocketSetupError extends Error {
  override name = 'SocketSetupError';
  readonly code = 'BRIDGE_SOCKET_REFUSED';
}

/**
 * The fd systemd handed over, or undefined when this process was not socket-activated. Removes the
 * variables so that children do not take the socket for theirs.
 */
export function systemdListenFd(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const fds = env.LISTEN_FDS;
  const forPid = env.LISTEN_PID;
  if (fds === undefined) return undefined;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  if (forPid !== String(pid)) return undefined;
  if (!/^[1-9][0-9]*$/.test(fds))
    throw new SocketSetupError(`LISTEN_FDS is '${fds}', expected a count of sockets`);
  if (Number(fds) !== 1) {
    throw new SocketSetupError(
      `systemd passed ${fds} sockets; the bridge serves exactly one (ListenStream= once)`,
    );
  }
  let stat: Stats;
  try {
    stat = fstatSync(SD_LISTEN_FDS_START);
  } catch {
    throw new SocketSetupError('systemd said it passed a socket as fd 3, but fd 3 is not open');
  }
  if (!stat.isSocket()) throw new SocketSetupError('fd 3 from systemd is not a socket');
  return SD_LISTEN_FDS_START;
}

/** A group name or id as a gid (names from /etc/group). */
export function resolveGroup(group: string | number): number {
  if (typeof group === 'number' || /^[0-9]+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === group);
  const gid = line?.split(':')[2];
  if (gid === undefined || !/^[0-9]+$/.test(gid)) throw new SocketSetupError(`there is no group '${group}'`);
  return Number(gid);
}

export interface SocketPathOptions {
  /** A group allowed to connect: socket 0660, directory 0750 when created. */
  gid?: number;
  /** The service user's uid (default: this process's). */
  uid?: number;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates the socket's directory, or checks that the existing one is private to the service user. */
export function prepareSocketDirectory(path: string, options: SocketPathOptions = {}): void {
  const dir = dirname(path);
  const uid = options.uid ?? process.getuid!();
  const wanted = options.gid === undefined ? 0o700 : 0o750;
  let stat = lstatOrUndefined(dir);
  if (!stat) {
    mkdirSync(dir, { recursive: true, mode: wanted });
    chmodSync(dir, wanted);
    if (options.gid !== undefined) chownSync(dir, uid, options.gid);
    stat = lstatSync(dir);
  }
  if (!stat.isDirectory()) throw new SocketSetupError(`${dir} is not a directory`);
  if (stat.uid !== uid) {
    throw new SocketSetupError(
      `${dir} belongs to uid ${stat.uid}, not to the service user (uid ${uid}); use a directory of its own`,
    );
  }
  const writableByOthers = options.gid === undefined ? 0o022 : 0o002;
  if (stat.mode & writableByOthers) {
    throw new SocketSetupError(
      `${dir} has mode ${octal(stat.mode)}: others could replace the socket; use a directory with mode ${octal(wanted)}`,
    );
  }
}

/** Whether something accepts connections on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(new SocketSetupError(`cannot tell whether a bridge runs on ${path}: ${error.message}`));
    });
  });
}

/**
 * Makes `path` free for binding: nothing there, or a stale socket of ours (removed). Refuses a
 * file that is not a socket, a socket of another user, and a socket someone answers on.
 */
export async function clearStaleSocket(path: string, options: SocketPathOptions = {}): Promise<void> {
  const uid = options.uid ?? process.getuid!();
  const stat = lstatOrUndefined(path);
  if (!stat) return;
  if (!stat.isSocket()) {
    throw new SocketSetupError(
      `${path} exists and is not a socket; remove it or choose another --socket path`,
    );
  }
  if (stat.uid !== uid) {
    throw new SocketSetupError(
      `${path} is a socket of uid ${stat.uid}, not of the service user (uid ${uid}); remove it by hand`,
    );
  }
  if (await answers(path)) {
    throw new SocketSetupError(
      `a bridge already answers on ${path}; stop it first or choose another --socket path`,
    );
  }
  // Left by a crash: nobody answers, and it is ours.
  unlinkSync(path);
}

/** Binds `server` to `path` with the socket's final mode from the first moment (umask), then sets owner and mode. */
export async function listenOnPath(
  server: Server,
  path: string,
  options: SocketPathOptions = {},
): Promise<Stats> {
  prepareSocketDirectory(path, options);
  await clearStaleSocket(path, options);
  const mode = options.gid === undefined ? 0o600 : 0o660;
  const previous = process.umask(0o777 & ~mode);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, mode);
  if (options.gid !== undefined) chownSync(path, options.uid ?? process.getuid!(), options.gid);
  return lstatSync(path);
}

/** Listens on an inherited socket (systemd's fd 3). */
export function listenOnFd(server: Server, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Removes the socket file we bound, unless someone replaced it meanwhile. */
export function removeOwnSocket(path: string, bound: Stats): void {
  const now = lstatOrUndefined(path);
  if (now && now.ino === bound.ino && now.dev === bound.dev) unlinkSync(path);
}
