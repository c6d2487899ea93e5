import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copySparse, DataPlane } from '../src/dataplane';
import { copyWithHelper } from '../src/dataplane/copy-helper';

const MIB = 1024 * 1024;
const onLinux = process.platform === 'linux';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function writeAt(path: string, offset: number, data: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
}

/** An 8 MiB file with data in a few places, a written run of zeros, and a last byte. */
async function patchyFile(path: string): Promise<void> {
  writeFileSync(path, '');
  await writeAt(path, MIB + 17, randomBytes(100_000));
  await writeAt(path, 3 * MIB, Buffer.alloc(64 * 1024)); // written zeros: cp leaves a hole there
  await writeAt(path, 5 * MIB, randomBytes(4096));
  await writeAt(path, 8 * MIB - 1, Buffer.from([1]));
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emu-copy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Generous limits: these copy real files, and the machine may be busy.
describe('sparse copies through the helper shell', { timeout: 60_000 }, () => {
  it.skipIf(!onLinux)('match what GNU cp itself makes: same bytes, same allocation', async () => {
    const src = join(dir, 'src.img');
    await patchyFile(src);
    const direct = join(dir, 'direct.img');
    execFileSync('cp', ['--sparse=always', '--reflink=auto', '--', src, direct]);
    const copied = join(dir, 'copied.img');
    expect(await copySparse(src, copied)).not.toBe('scan');
    expect(sha256(copied)).toBe(sha256(src));
    expect(statSync(copied).size).toBe(statSync(src).size);
    expect(statSync(copied).blocks).toBe(statSync(direct).blocks);
  });

  it('copies many files at once, each complete', async () => {
    const src = join(dir, 'src.img');
    await patchyFile(src);
    const targets = Array.from({ length: 10 }, (_, i) => join(dir, `copy-${i}.img`));
    await Promise.all(targets.map((t) => copySparse(src, t)));
    const want = sha256(src);
    for (const t of targets) expect(sha256(t)).toBe(want);
  });

  it('copies a file whose path the helper cannot frame (a newline in it)', async () => {
    const src = join(dir, 'src\nimg');
    await patchyFile(src);
    const dst = join(dir, 'dst\nimg');
    await copySparse(src, dst);
    expect(sha256(dst)).toBe(sha256(src));
    expect(await copyWithHelper(src, join(dir, 'other'), 60_000)).toBe('unavailable');
  });

  it.skipIf(!onLinux)('reports a failed cp (missing source) without a copy', async () => {
    expect(await copyWithHelper(join(dir, 'missing.img'), join(dir, 'dst.img'), 60_000)).toBe('cp-failed');
    // and keeps working afterwards
    const src = join(dir, 'src.img');
    await patchyFile(src);
    expect(await copyWithHelper(src, join(dir, 'dst.img'), 60_000)).toBe('copied');
    expect(sha256(join(dir, 'dst.img'))).toBe(sha256(src));
  });

  it('snapshots, rollbacks and clones through the data plane keep the data', async () => {
    const dp = new DataPlane(join(dir, 'data'));
    dp.createVolume('vm-1', 0, 8 * 1024);
    await patchyFile(dp.volumePath('vm-1', 0));
    const before = sha256(dp.volumePath('vm-1', 0));
    await dp.snapshotVolume('vm-1', 'snap', 0);
    await writeAt(dp.volumePath('vm-1', 0), 0, randomBytes(MIB));
    await dp.cloneVolume('vm-1', 0, 'vm-2');
    expect(sha256(dp.volumePath('vm-2', 0))).toBe(sha256(dp.volumePath('vm-1', 0)));
    await dp.rollbackVolume('vm-1', 'snap', 0);
    expect(sha256(dp.volumePath('vm-1', 0))).toBe(before);
  });
});

describe('volume files and device links', () => {
  it('createVolume says whether it created the file and grows a smaller one', () => {
    const dp = new DataPlane(join(dir, 'data'));
    expect(dp.createVolume('vm-1', 0, 1024)).toBe(true);
    expect(dp.createVolume('vm-1', 0, 512)).toBe(false);
    expect(statSync(dp.volumePath('vm-1', 0)).size).toBe(1024 * 1024);
    expect(dp.createVolume('vm-1', 0, 2048)).toBe(false);
    expect(statSync(dp.volumePath('vm-1', 0)).size).toBe(2048 * 1024);
  });

  it('linking twice, or over a wrong link, leaves one right link', () => {
    const dp = new DataPlane(join(dir, 'data'));
    dp.createVolume('vm-1', 0, 1024);
    dp.createVolume('vm-2', 0, 1024);
    dp.linkDevice('pve1', 'vm-1', 0, 1000);
    dp.linkDevice('pve1', 'vm-1', 0, 1000);
    dp.linkDevice('pve1', 'vm-2', 0, 1001);
    // the minor of vm-2 is reused by vm-1: the link is replaced
    dp.linkDevice('pve1', 'vm-1', 0, 1001);
    expect(statSync(dp.minorDevicePath('pve1', 1001)).ino).toBe(statSync(dp.volumePath('vm-1', 0)).ino);
    expect(statSync(dp.devicePath('pve1', 'vm-1', 0)).ino).toBe(statSync(dp.volumePath('vm-1', 0)).ino);
    dp.unlinkDevice('pve1', 'vm-1', 0, 1001);
    dp.unlinkDevice('pve1', 'vm-1', 0, 1001);
    expect(() => statSync(dp.devicePath('pve1', 'vm-1', 0))).toThrow();
  });
});
