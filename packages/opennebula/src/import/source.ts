/**
 * Reading an image for `ds cp` and `ds stat` on the front-end: the RESTRICTED_DIRS/SAFE_DIRS rule
 * for local files (enforced, unlike addon-linstor: reference §2.10 item 1), the http(s)/file/ssh
 * sources, NO_DECOMPRESS, LIMIT_TRANSFER_BW and the MD5/SHA1 check, all as streams so an image is
 * never staged on the front-end.
 */

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { HostExecutor } from '@linstor-hv/core';
import type { ActionContext } from '../context';
import type { DatastoreSettings } from '../datastore';
import { OneProtocolError, shown } from '../protocol';
import type { ImageSourcePath } from '../requests/ds';

/** Directories OpenNebula always restricts (libfs.sh `set_up_datastore`), before the datastore's own. */
export function restrictedDirs(datastore: DatastoreSettings): string[] {
  return ['/var/lib/one/', '/etc/one/', `${homedir()}/`, ...datastore.restrictedDirs];
}

function under(path: string, dir: string): boolean {
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir.replace(/\/+$/, '') || path.startsWith(base) || base === '/';
}

/**
 * Refuses a local path whose real location (links resolved) is under a restricted directory and
 * not under a safe one — the rule of libfs.sh `check_restricted` — with one line naming both.
 */
export async function checkRestricted(path: string, datastore: DatastoreSettings): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    throw new OneProtocolError(
      `The image file '${shown(path)}' cannot be read: ${(error as Error).message}.`,
    );
  }
  const restricted = restrictedDirs(datastore).find((dir) => under(real, dir));
  if (restricted !== undefined && !datastore.safeDirs.some((dir) => under(real, dir))) {
    throw new OneProtocolError(
      `Not allowed to copy images from '${shown(path)}': it is in the restricted directory '${shown(restricted)}' of datastore ${datastore.id} and not in its SAFE_DIRS.`,
    );
  }
  return real;
}

/** Opens an image source as a stream (http(s) GET, local file, `ssh host cat path`). */
export async function openSource(
  ctx: ActionContext,
  source: ImageSourcePath,
  datastore: DatastoreSettings,
): Promise<Readable> {
  if (source.kind === 'file') {
    const real = await checkRestricted(source.path, datastore);
    const info = await stat(real);
    if (!info.isFile())
      throw new OneProtocolError(`The image path '${shown(source.path)}' is not a regular file.`);
    return createReadStream(real);
  }
  if (source.kind === 'http') {
    const response = await fetch(source.url, {
      redirect: 'follow',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    if (!response.ok || !response.body) {
      throw new OneProtocolError(
        `Downloading '${shown(source.url)}' failed: HTTP ${response.status} ${response.statusText}.`,
      );
    }
    const { Readable } = await import('node:stream');
    return Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]);
  }
  return commandStream(ctx, ctx.executor(source.host, source.user), ['cat', source.path]);
}

/**
 * The standard output of a command as a stream that ends only once the command succeeded. A
 * failing command (a missing remote file, a broken download) fails the stream instead of just
 * ending it early, so a short read is never written as if it were the whole image.
 */
export function commandStream(
  ctx: ActionContext,
  executor: HostExecutor,
  argv: readonly string[],
  options: { input?: Readable } = {},
): Readable {
  const out = new PassThrough();
  const relay = new PassThrough();
  relay.pipe(out, { end: false });
  let drained = false;
  let succeeded = false;
  relay.on('end', () => {
    drained = true;
    if (succeeded) out.end();
  });
  executor.run(argv, ctx.runOptions({ ...options, stdout: relay })).then(
    () => {
      succeeded = true;
      if (drained) out.end();
    },
    (error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))),
  );
  return out;
}

/** The size of a source in bytes as far as it can be known without reading it (stat, Content-Length). */
export async function sourceSize(
  ctx: ActionContext,
  source: ImageSourcePath,
  datastore: DatastoreSettings,
): Promise<number | undefined> {
  if (source.kind === 'file') return (await stat(await checkRestricted(source.path, datastore))).size;
  if (source.kind === 'http') {
    const response = await fetch(source.url, {
      method: 'HEAD',
      redirect: 'follow',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const length = response.headers.get('content-length');
    return response.ok && length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
  }
  const { stdout } = await ctx
    .executor(source.host, source.user)
    .run(['stat', '-L', '-c', '%s', source.path], ctx.runOptions());
  return /^\d+$/.test(stdout.trim()) ? Number(stdout.trim()) : undefined;
}

/** Time as the rate limiter sees it (tests give it a clock they control). */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A stream that passes data through at most `bytesPerSecond` (LIMIT_TRANSFER_BW, as curl's
 * `--limit-rate` in downloader.sh): a chunk is released only once the time its last byte is due
 * has come, so by any moment no more than rate × elapsed time has passed.
 */
export function rateLimited(bytesPerSecond: number, clock: Clock = SYSTEM_CLOCK): Transform {
  let started: number | undefined;
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      started ??= clock.now();
      passed += chunk.length;
      const wait = started + (passed / bytesPerSecond) * 1000 - clock.now();
      if (wait > 0) clock.sleep(wait).then(() => callback(null, chunk), callback);
      else callback(null, chunk);
    },
  });
}

/** A stream that feeds every byte into the hashes it was given. */
export function hashing(hashes: readonly Hash[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      for (const hash of hashes) hash.update(chunk);
      callback(null, chunk);
    },
  });
}

/** Which compression a stream starts with (gzip, bzip2, xz), by magic bytes. */
export function compressionOf(head: Buffer): 'gzip' | 'bzip2' | 'xz' | undefined {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return undefined;
}

/** Reads the first `bytes` of a stream and puts them back. */
export async function peek(stream: Readable, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < bytes) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const done = (value: boolean) => () => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        stream.off('error', onError);
        resolve(value);
      };
      const onReadable = done(false);
      const onEnd = done(true);
      const onError = (error: Error) => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        reject(error);
      };
      stream.once('readable', onReadable);
      stream.once('end', onEnd);
      stream.once('error', onError);
    });
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length > 0) stream.unshift(head);
  return head;
}

/** The stream decompressed when it is gzip, bzip2 or xz (bzip2/xz by the front-end's own tools). */
export async function decompressed(ctx: ActionContext, stream: Readable): Promise<Readable> {
  const kind = compressionOf(await peek(stream, 6));
  if (kind === undefined) return stream;
  ctx.log.info(`decompressing a ${kind} stream`);
  if (kind === 'gzip') {
    const gunzip = createGunzip();
    stream.on('error', (error) => gunzip.destroy(error));
    return stream.pipe(gunzip);
  }
  return commandStream(ctx, ctx.localExecutor(), [kind === 'bzip2' ? 'bzip2' : 'xz', '-dc'], {
    input: stream,
  });
}

/** The image formats told apart by their first bytes; anything else is raw data. */
export function imageFormatOf(head: Buffer): 'raw' | 'qcow2' | 'vmdk' | 'vdi' | 'vhdx' {
  if (head.subarray(0, 4).equals(Buffer.from([0x51, 0x46, 0x49, 0xfb]))) return 'qcow2';
  if (
    head.subarray(0, 4).toString('latin1') === 'KDMV' ||
    head.subarray(0, 21).toString('latin1') === '# Disk DescriptorFile'
  )
    return 'vmdk';
  if (head.length >= 68 && head.readUInt32LE(64) === 0xbeda107f) return 'vdi';
  if (head.subarray(0, 8).toString('latin1') === 'vhdxfile') return 'vhdx';
  return 'raw';
}

/** New md5/sha1 hashes for the sums a request carries. */
export function hashesFor(md5: string | undefined, sha1: string | undefined): { md5?: Hash; sha1?: Hash } {
  return { ...(md5 ? { md5: createHash('md5') } : {}), ...(sha1 ? { sha1: createHash('sha1') } : {}) };
}
