/**
 * Data copy between device paths, files and streams on one host, with dd for raw data and
 * qemu-img for image formats (qcow2 and the other formats qemu-img reads).
 *
 * Targets are block devices (or, under the emulator, regular files standing in for them), so a copy
 * never truncates or creates a target: dd runs with `conv=notrunc` and qemu-img with `-n`. Zero
 * blocks are skipped (`conv=sparse`, qemu-img's `--target-is-zero`) only when the caller says the
 * target already reads as zeros, because skipping them on a used target would leave old data behind.
 */

import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable, Writable } from 'node:stream';
import { VolumeAbortedError, VolumeError } from '../errors';
import { LocalExecutor, lineSplitter } from '../exec/local';
import { CommandFailedError, type HostExecutor } from '../exec/types';
import { monotonicProgress, type ProgressCallback, parseDdProgress, parseQemuImgProgress } from './progress';

/** An image format qemu-img understands; `raw` is copied with dd. */
export type ImageFormat = 'raw' | 'qcow2' | 'vmdk' | 'vdi' | 'vhdx' | 'vpc' | 'qed';

const IMAGE_FORMATS: ReadonlySet<string> = new Set(['raw', 'qcow2', 'vmdk', 'vdi', 'vhdx', 'vpc', 'qed']);

/** Where data comes from: a path on the host (device or file) or a stream from this process. */
export type CopySource =
  | { readonly path: string; readonly format?: ImageFormat | 'auto' }
  | { readonly stream: Readable; readonly format?: 'raw' | 'qcow2' | 'auto' };

/** Where data goes (always written raw): a path on the host, or a stream in this process. */
export type CopyTarget = { readonly path: string } | { readonly stream: Writable };

/** Options of {@link copyData}. */
export interface CopyOptions {
  /** The host the copy runs on (default: this machine). */
  readonly executor?: HostExecutor;
  /**
   * Bytes of data in the source. For a volume, give the size LINSTOR reports, not the device's
   * stat: emulated devices are files whose length need not match. Read with `qemu-img info` when
   * unset for a path; for a stream, the copy takes what the stream holds.
   */
  readonly sourceBytes?: number;
  /** Bytes the target holds; a larger source is refused before anything is written. */
  readonly targetBytes?: number;
  /** The target reads as zeros (a fresh thin volume), so zero blocks need not be written. */
  readonly targetIsZeroed?: boolean;
  /** Receives progress (bytes written, total). */
  readonly onProgress?: ProgressCallback;
  /** Directory on the host for staging a streamed qcow2 image (qemu-img needs a seekable file). */
  readonly stagingDir?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** What a finished copy did. */
export interface CopyResult {
  /** The format the source was read as. */
  readonly sourceFormat: ImageFormat;
  /** Bytes written to the target (the source's virtual size for image formats). */
  readonly bytesCopied: number;
}

/** dd block size: large enough to keep a DRBD device busy, small enough to bound memory. */
const DD_BLOCK = '4M';
/** How long removing a staged image may take once the copy ended (or was aborted). */
const STAGE_REMOVAL_MS = 10_000;
const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** A copy failed; the message names the tool, the host and the tool's own complaint. */
export class DataCopyError extends VolumeError {
  override name = 'DataCopyError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('copy-failed', message, options);
  }
}

function describe(endpoint: CopySource | CopyTarget): string {
  return 'path' in endpoint ? `'${endpoint.path}'` : 'a stream';
}

/**
 * Reads the format and virtual size of an image at `path` on the host with `qemu-img info`; an
 * image with a backing file or an external data file is refused.
 */
export async function probeImage(
  executor: HostExecutor,
  path: string,
  options: { readonly signal?: AbortSignal | undefined } = {},
): Promise<{ format: ImageFormat; virtualBytes: number }> {
  const { stdout } = await executor.run(
    ['qemu-img', 'info', '--output=json', path],
    options.signal ? { signal: options.signal } : {},
  );
  const info = JSON.parse(stdout) as {
    format?: string;
    'virtual-size'?: number;
    'backing-filename'?: string;
    'format-specific'?: { data?: { 'data-file'?: string } };
  };
  const format = info.format ?? '';
  if (!IMAGE_FORMATS.has(format)) {
    throw new DataCopyError(
      `The image '${path}' has the format '${format}', which linstor-hv cannot import.`,
    );
  }
  // An image that names another file would make qemu-img read that file into the volume: an
  // uploaded image could pull in any file or device of the host. Only self-contained images pass.
  const external = info['backing-filename'] ?? info['format-specific']?.data?.['data-file'];
  if (external !== undefined) {
    throw new DataCopyError(
      `The image '${path}' refers to another file ('${external}'); linstor-hv imports only self-contained images, so flatten it first (qemu-img convert -O qcow2).`,
    );
  }
  return { format: format as ImageFormat, virtualBytes: info['virtual-size'] ?? 0 };
}

/**
 * Looks at the first bytes of a stream without consuming them: `qcow2` when they carry qcow2's
 * magic, else `raw`. The bytes are put back, so the stream still starts at its beginning.
 */
export async function sniffStreamFormat(stream: Readable): Promise<'raw' | 'qcow2'> {
  const head: Buffer[] = [];
  let length = 0;
  for await (const chunk of iterateUntil(stream, () => length >= QCOW2_MAGIC.length)) {
    head.push(chunk);
    length += chunk.length;
  }
  const bytes = Buffer.concat(head);
  if (bytes.length > 0) stream.unshift(bytes);
  return bytes.subarray(0, QCOW2_MAGIC.length).equals(QCOW2_MAGIC) ? 'qcow2' : 'raw';
}

async function* iterateUntil(stream: Readable, done: () => boolean): AsyncGenerator<Buffer> {
  while (!done()) {
    const chunk = stream.read() as Buffer | string | null;
    if (chunk !== null) {
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) return;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const cleanup = () => {
        stream.off('readable', onReadable);
        stream.off('end', onEnd);
        stream.off('error', onError);
      };
      const onReadable = () => {
        cleanup();
        resolve(false);
      };
      const onEnd = () => {
        cleanup();
        resolve(true);
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      stream.once('readable', onReadable);
      stream.once('end', onEnd);
      stream.once('error', onError);
    });
    if (ended) return;
  }
}

/** A Writable that hands each text line to `onLine` (qemu-img prints its progress on stdout). */
function lineSink(onLine: (line: string) => void): Writable {
  const lines = lineSplitter(onLine);
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
    final(callback) {
      lines.end();
      callback();
    },
  });
}

function ddArgs(options: { ifPath?: string; ofPath?: string; bytes?: number; sparse: boolean }): string[] {
  const argv = ['dd', `bs=${DD_BLOCK}`, 'status=progress'];
  if (options.ifPath !== undefined) argv.push(`if=${options.ifPath}`);
  const iflags = ['fullblock'];
  if (options.bytes !== undefined) {
    iflags.push('count_bytes');
    argv.push(`count=${options.bytes}`);
  }
  argv.push(`iflag=${iflags.join(',')}`);
  if (options.ofPath !== undefined) {
    argv.push(`of=${options.ofPath}`);
    // notrunc: the target is a device (or a file standing in for one) and must keep its size;
    // fsync: the copy is done only when the data is on the device, not in the page cache.
    argv.push(`conv=notrunc,fsync${options.sparse ? ',sparse' : ''}`);
  }
  return argv;
}

/**
 * Copies `source` to `target` on one host. Raw data goes through dd, image formats through
 * `qemu-img convert -n`; a streamed qcow2 image is staged in a temporary file first (qemu-img
 * needs to seek), which is removed afterwards. Progress is reported in bytes written.
 */
export async function copyData(
  source: CopySource,
  target: CopyTarget,
  options: CopyOptions = {},
): Promise<CopyResult> {
  const executor = options.executor ?? new LocalExecutor();
  const what = `Copying ${describe(source)} to ${describe(target)} on ${executor.description}`;
  try {
    if ('stream' in source && 'stream' in target) {
      throw new DataCopyError(`${what} is not supported: one side of a copy must be a path on the host.`);
    }
    let format: ImageFormat;
    let sourceBytes = options.sourceBytes;
    if ('path' in source) {
      if (source.format === undefined || source.format === 'auto' || sourceBytes === undefined) {
        const probed = await probeImage(executor, source.path, options);
        format = source.format === undefined || source.format === 'auto' ? probed.format : source.format;
        if (format !== probed.format) {
          throw new DataCopyError(`${what} failed: the source is ${probed.format}, not ${format}.`);
        }
        sourceBytes ??= probed.virtualBytes;
      } else {
        format = source.format;
      }
    } else {
      format =
        source.format === undefined || source.format === 'auto'
          ? await sniffStreamFormat(source.stream)
          : source.format;
    }
    if (sourceBytes !== undefined && options.targetBytes !== undefined && sourceBytes > options.targetBytes) {
      throw new DataCopyError(
        `${what} is refused: the source holds ${sourceBytes} bytes but the target only ${options.targetBytes}; grow the target first.`,
      );
    }

    if (format === 'raw') return await copyRaw(executor, source, target, sourceBytes, options, what);
    if ('stream' in target) {
      throw new DataCopyError(
        `${what} is not supported: a ${format} image can only be converted into a path.`,
      );
    }
    if ('path' in source) {
      return await convertImage(executor, source.path, format, target.path, sourceBytes, options);
    }
    return await convertStreamedImage(executor, source.stream, format, target.path, options, what);
  } catch (error) {
    // A command killed by the caller's signal failed because of the abort, not of the data.
    if (options.signal?.aborted) {
      throw new VolumeAbortedError(`${what} was cancelled (its deadline passed or the caller went away).`, {
        cause: error,
      });
    }
    if (error instanceof CommandFailedError)
      throw new DataCopyError(`${what} failed: ${error.message}.`, { cause: error });
    if (error instanceof VolumeError) throw error;
    throw new DataCopyError(`${what} failed: ${error instanceof Error ? error.message : String(error)}.`, {
      cause: error,
    });
  }
}

async function copyRaw(
  executor: HostExecutor,
  source: CopySource,
  target: CopyTarget,
  sourceBytes: number | undefined,
  options: CopyOptions,
  what: string,
): Promise<CopyResult> {
  // A stream of unknown length is bounded by the target, and a counter tells whether it held more.
  const limit = sourceBytes ?? ('path' in target ? options.targetBytes : undefined);
  const report = monotonicProgress(options.onProgress, limit);
  report(0);
  let streamedBytes = 0;
  let input: Readable | undefined;
  if ('stream' in source) {
    const counter = new PassThrough();
    counter.on('data', (chunk: Buffer) => {
      streamedBytes += chunk.length;
    });
    source.stream.on('error', (error) => counter.destroy(error));
    input = source.stream.pipe(counter);
  }
  let copied = 0;
  const onStderrLine = (line: string) => {
    const bytes = parseDdProgress(line);
    if (bytes === undefined) return;
    copied = Math.max(copied, bytes);
    report(bytes);
  };
  const argv = ddArgs({
    ...('path' in source ? { ifPath: source.path } : {}),
    ...('path' in target ? { ofPath: target.path } : {}),
    ...(limit !== undefined ? { bytes: limit } : {}),
    sparse: options.targetIsZeroed === true,
  });
  await executor.run(argv, {
    ...(input ? { input } : {}),
    ...('stream' in target ? { stdout: target.stream } : {}),
    onStderrLine,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  if (sourceBytes !== undefined && copied !== sourceBytes) {
    throw new DataCopyError(`${what} failed: the source ended after ${copied} of ${sourceBytes} bytes.`);
  }
  if ('stream' in source && limit !== undefined && sourceBytes === undefined && streamedBytes > copied) {
    throw new DataCopyError(
      `${what} failed: the stream holds more than the ${limit} bytes the target can take; grow the target first.`,
    );
  }
  report(copied);
  return { sourceFormat: 'raw', bytesCopied: copied };
}

async function convertImage(
  executor: HostExecutor,
  sourcePath: string,
  format: ImageFormat,
  targetPath: string,
  sourceBytes: number | undefined,
  options: CopyOptions,
): Promise<CopyResult> {
  const total = sourceBytes ?? (await probeImage(executor, sourcePath, options)).virtualBytes;
  if (options.targetBytes !== undefined && total > options.targetBytes) {
    throw new DataCopyError(
      `The ${format} image '${sourcePath}' has a virtual size of ${total} bytes, more than the ${options.targetBytes} bytes of '${targetPath}'; grow the target first.`,
    );
  }
  const report = monotonicProgress(options.onProgress, total);
  report(0);
  const argv = ['qemu-img', 'convert', '-p', '-n', '-f', format, '-O', 'raw'];
  if (options.targetIsZeroed) argv.push('--target-is-zero');
  argv.push(sourcePath, targetPath);
  await executor.run(argv, {
    stdout: lineSink((line) => {
      const bytes = parseQemuImgProgress(line, total);
      if (bytes !== undefined) report(bytes);
    }),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  report(total);
  return { sourceFormat: format, bytesCopied: total };
}

async function convertStreamedImage(
  executor: HostExecutor,
  stream: Readable,
  format: ImageFormat,
  targetPath: string,
  options: CopyOptions,
  what: string,
): Promise<CopyResult> {
  const dir = options.stagingDir ?? '/var/tmp';
  const stagePath = `${dir.replace(/\/+$/, '')}/linstor-hv-stage-${randomBytes(8).toString('hex')}.${format}`;
  try {
    await executor.run(['dd', `of=${stagePath}`, `bs=${DD_BLOCK}`, 'conv=excl', 'status=none'], {
      input: stream,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    const probed = await probeImage(executor, stagePath, options);
    if (probed.format !== format) {
      throw new DataCopyError(`${what} failed: the stream holds a ${probed.format} image, not ${format}.`);
    }
    return await convertImage(executor, stagePath, format, targetPath, probed.virtualBytes, options);
  } finally {
    // Its own budget: the staged file goes even when the caller's signal ended the copy.
    await executor.run(['rm', '-f', '--', stagePath], { timeoutMs: STAGE_REMOVAL_MS }).catch(() => undefined);
  }
}
