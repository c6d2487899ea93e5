import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CopyProgress,
  copyData,
  DataCopyError,
  parseDdProgress,
  parseQemuImgProgress,
  probeImage,
} from '../src/copy';
import { LocalExecutor } from '../src/exec';

const MiB = 1024 * 1024;
let dir: string;
const local = new LocalExecutor();

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A pattern with zero stretches (so sparse handling matters) and random data. */
function pattern(size: number): Buffer {
  const data = Buffer.alloc(size);
  randomBytes(MiB).copy(data, 0);
  randomBytes(MiB).copy(data, size - MiB);
  return data;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'core-copy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('progress parsing', () => {
  it('reads dd meters and summaries', () => {
    expect(parseDdProgress('1048576 bytes (1.0 MB, 1.0 MiB) copied, 1 s, 1.0 MB/s')).toBe(1048576);
    expect(parseDdProgress('8+0 records in')).toBeUndefined();
    expect(parseDdProgress('4194304 bytes (4.2 MB, 4.0 MiB) copied, 0.01 s, 400 MB/s')).toBe(4194304);
  });
  it('reads qemu-img percentages as bytes', () => {
    expect(parseQemuImgProgress('    (25.00/100%)', 8 * MiB)).toBe(2 * MiB);
    expect(parseQemuImgProgress('something else', 8 * MiB)).toBeUndefined();
  });
});

describe('copyData', () => {
  it('copies raw path to path without truncating a larger target, reporting progress', async () => {
    const source = join(dir, 'src.raw');
    const target = join(dir, 'dst.raw');
    const data = pattern(6 * MiB);
    await writeFile(source, data);
    await writeFile(target, randomBytes(8 * MiB));
    const events: CopyProgress[] = [];
    const result = await copyData(
      { path: source, format: 'raw' },
      { path: target },
      {
        sourceBytes: data.length,
        targetBytes: 8 * MiB,
        onProgress: (p) => events.push(p),
      },
    );
    expect(result).toEqual({ sourceFormat: 'raw', bytesCopied: 6 * MiB });
    expect((await stat(target)).size).toBe(8 * MiB);
    expect(sha256((await readFile(target)).subarray(0, 6 * MiB))).toBe(sha256(data));
    expect(events[0]).toEqual({ bytesDone: 0, totalBytes: 6 * MiB });
    expect(events.at(-1)).toEqual({ bytesDone: 6 * MiB, totalBytes: 6 * MiB });
  });

  it('overwrites old data with zeros unless the target is known to be zeroed', async () => {
    const source = join(dir, 'zeros.raw');
    const target = join(dir, 'used.raw');
    await writeFile(source, Buffer.alloc(4 * MiB));
    const old = randomBytes(4 * MiB);
    await writeFile(target, old);
    await copyData({ path: source }, { path: target }, { sourceBytes: 4 * MiB });
    expect(sha256(await readFile(target))).toBe(sha256(Buffer.alloc(4 * MiB)));
    // With targetIsZeroed dd skips zero blocks: right for fresh volumes, which is the only use.
    await writeFile(target, old);
    await copyData({ path: source }, { path: target }, { sourceBytes: 4 * MiB, targetIsZeroed: true });
    expect(sha256(await readFile(target))).toBe(sha256(old));
  });

  it('converts a qcow2 image into a raw target with the same content', async () => {
    const raw = join(dir, 'img.raw');
    const qcow = join(dir, 'img.qcow2');
    const target = join(dir, 'img-target.raw');
    const data = pattern(5 * MiB);
    await writeFile(raw, data);
    await local.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
    await writeFile(target, randomBytes(6 * MiB));
    expect(await probeImage(local, qcow)).toEqual({ format: 'qcow2', virtualBytes: 5 * MiB });
    const events: CopyProgress[] = [];
    const result = await copyData(
      { path: qcow },
      { path: target },
      { targetBytes: 6 * MiB, onProgress: (p) => events.push(p) },
    );
    expect(result).toEqual({ sourceFormat: 'qcow2', bytesCopied: 5 * MiB });
    expect((await stat(target)).size).toBe(6 * MiB);
    expect(sha256((await readFile(target)).subarray(0, 5 * MiB))).toBe(sha256(data));
    expect(events.at(-1)).toEqual({ bytesDone: 5 * MiB, totalBytes: 5 * MiB });
  });

  it('imports a raw stream and a qcow2 stream (staged, then removed)', async () => {
    const data = pattern(3 * MiB);
    const target = join(dir, 'stream-target.raw');
    await writeFile(target, Buffer.alloc(4 * MiB));
    const result = await copyData(
      { stream: Readable.from([data.subarray(0, MiB), data.subarray(MiB)]) },
      { path: target },
      {
        targetBytes: 4 * MiB,
      },
    );
    expect(result).toEqual({ sourceFormat: 'raw', bytesCopied: 3 * MiB });
    expect(sha256((await readFile(target)).subarray(0, 3 * MiB))).toBe(sha256(data));

    const raw = join(dir, 'stream.raw');
    const qcow = join(dir, 'stream.qcow2');
    await writeFile(raw, data);
    await local.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
    const staging = await mkdtemp(join(dir, 'staging-'));
    await writeFile(target, randomBytes(4 * MiB));
    const converted = await copyData(
      { stream: Readable.from([await readFile(qcow)]) },
      { path: target },
      {
        targetBytes: 4 * MiB,
        stagingDir: staging,
      },
    );
    expect(converted).toEqual({ sourceFormat: 'qcow2', bytesCopied: 3 * MiB });
    expect(sha256((await readFile(target)).subarray(0, 3 * MiB))).toBe(sha256(data));
    expect((await local.run(['ls', '-A', staging])).stdout).toBe('');
  });

  it('refuses an image that would read another file of the host (backing file)', async () => {
    const secret = join(dir, 'host-secret.raw');
    await writeFile(secret, randomBytes(MiB));
    const overlay = join(dir, 'overlay.qcow2');
    await local.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', secret, overlay]);
    const target = join(dir, 'overlay-target.raw');
    const before = randomBytes(MiB);
    await writeFile(target, before);
    await expect(copyData({ path: overlay }, { path: target }, { targetBytes: MiB })).rejects.toThrow(
      /refers to another file \('.*host-secret\.raw'\); linstor-hv imports only self-contained images/,
    );
    expect(sha256(await readFile(target))).toBe(sha256(before));
    const staging = await mkdtemp(join(dir, 'staging-'));
    await expect(
      copyData(
        { stream: Readable.from([await readFile(overlay)]) },
        { path: target },
        { targetBytes: MiB, stagingDir: staging },
      ),
    ).rejects.toThrow(/refers to another file/);
    expect((await local.run(['ls', '-A', staging])).stdout).toBe('');
  });

  it('exports a path into a stream', async () => {
    const source = join(dir, 'export.raw');
    const data = pattern(3 * MiB);
    await writeFile(source, Buffer.concat([data, randomBytes(MiB)]));
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await copyData({ path: source, format: 'raw' }, { stream: sink }, { sourceBytes: 3 * MiB });
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
  });

  it('refuses a source larger than the target before writing anything', async () => {
    const source = join(dir, 'big.raw');
    const target = join(dir, 'small.raw');
    await writeFile(source, randomBytes(2 * MiB));
    const before = randomBytes(MiB);
    await writeFile(target, before);
    await expect(copyData({ path: source }, { path: target }, { targetBytes: MiB })).rejects.toThrow(
      /the source holds 2097152 bytes but the target only 1048576; grow the target first/,
    );
    expect(sha256(await readFile(target))).toBe(sha256(before));
    await expect(
      copyData(
        { stream: Readable.from([randomBytes(2 * MiB)]), format: 'raw' },
        { path: target },
        { targetBytes: MiB },
      ),
    ).rejects.toThrow(/the stream holds more than the 1048576 bytes the target can take/);
  });

  it('reports a short source and a missing source as copy failures', async () => {
    const source = join(dir, 'short.raw');
    const target = join(dir, 'short-target.raw');
    await writeFile(source, randomBytes(MiB));
    await writeFile(target, Buffer.alloc(2 * MiB));
    await truncate(source, MiB);
    await expect(
      copyData({ path: source, format: 'raw' }, { path: target }, { sourceBytes: 2 * MiB }),
    ).rejects.toThrow(/the source ended after 1048576 of 2097152 bytes/);
    const missing = await copyData({ path: join(dir, 'absent') }, { path: target }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(DataCopyError);
    expect((missing as Error).message).toMatch(
      /^Copying '.*absent' to '.*short-target.raw' on local failed: 'qemu-img' on local exited/,
    );
  });
});
