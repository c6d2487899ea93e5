import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PLACEMENT_REUSE_MS,
  readKnownPlacement,
  type StatusFigures,
  writeStatusCache,
} from '../src/status-cache';

const figures: StatusFigures = {
  total: 1000,
  avail: 600,
  used: 400,
  capabilities: { snapshots: true, thin: true },
  fetchedAt: '2026-01-01T00:00:00.000Z',
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'status-cache-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('writeStatusCache', () => {
  it('creates the directory 0700 and the file 0600, leaving no temporary file behind', async () => {
    const file = join(root, 'cache', 'status-abc.json');
    await writeStatusCache(file, figures);
    expect(modeOf(join(root, 'cache'))).toBe(0o700);
    expect(modeOf(file)).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(figures);
    expect(readdirSync(join(root, 'cache'))).toEqual(['status-abc.json']);
  });

  it('tightens an existing directory that others could write to', async () => {
    const dir = join(root, 'cache');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    await writeStatusCache(join(dir, 'status-abc.json'), figures);
    expect(modeOf(dir)).toBe(0o700);
  });

  it('never writes through a link planted at the old predictable temporary name', async () => {
    const dir = join(root, 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const victim = join(root, 'victim');
    writeFileSync(victim, 'precious\n');
    const file = join(dir, 'status-abc.json');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    await writeStatusCache(file, figures);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(figures);
  });

  it('replaces a link planted at the cache file itself instead of writing to its target', async () => {
    const dir = join(root, 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const victim = join(root, 'victim');
    writeFileSync(victim, 'precious\n');
    const file = join(dir, 'status-abc.json');
    symlinkSync(victim, file);
    await writeStatusCache(file, figures);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(figures);
  });

  it('refuses a cache directory that is a symbolic link', async () => {
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(root, 'cache'));
    await expect(writeStatusCache(join(root, 'cache', 'status-abc.json'), figures)).rejects.toThrow(
      /status cache directory .*cache is not a directory \(a symbolic link\?\); remove it/,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('uses a new unpredictable temporary name every time', async () => {
    const dir = join(root, 'cache');
    const file = join(dir, 'status-abc.json');
    // Occupy every name an old-style writer would use; the writes still succeed.
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(`${file}.${process.pid}.tmp`, 'occupied');
    await writeStatusCache(file, figures);
    await writeStatusCache(file, { ...figures, avail: 500 });
    expect(JSON.parse(readFileSync(file, 'utf8')).avail).toBe(500);
    expect(readdirSync(dir).sort()).toEqual([`status-abc.json`, `status-abc.json.${process.pid}.tmp`]);
  });

  it('only renews the time of a file that already holds the same figures', async () => {
    const file = join(root, 'cache', 'status-abc.json');
    await writeStatusCache(file, figures);
    const old = new Date('2026-01-01T00:00:00.000Z');
    utimesSync(file, old, old);
    await writeStatusCache(file, { ...figures, fetchedAt: '2026-01-01T00:05:00.000Z' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(figures);
    expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    await writeStatusCache(file, { ...figures, capabilities: { snapshots: false, thin: true } });
    expect(JSON.parse(readFileSync(file, 'utf8')).capabilities).toEqual({ snapshots: false, thin: true });
  });
});

describe('readKnownPlacement', () => {
  const now = Date.parse('2026-01-01T00:10:00.000Z');
  const placement = { replicas: 2, storagePools: ['thin'], nodes: [], readAt: '2026-01-01T00:05:00.000Z' };
  const fileWith = (content: string) => {
    const file = join(root, 'status-abc.json');
    writeFileSync(file, content);
    return file;
  };

  it('gives back the placement a one-shot refresh wrote, while it is younger than the limit', async () => {
    const file = join(root, 'cache', 'status-abc.json');
    await writeStatusCache(file, { ...figures, placement });
    expect(readKnownPlacement(file, now)).toEqual(placement);
    expect(readKnownPlacement(file, Date.parse(placement.readAt) + PLACEMENT_REUSE_MS)).toBeUndefined();
  });

  it('has none for a file without one (written by the bridge), a missing or broken file, or a time in the future', () => {
    expect(readKnownPlacement(fileWith(JSON.stringify(figures)), now)).toBeUndefined();
    expect(readKnownPlacement(join(root, 'absent.json'), now)).toBeUndefined();
    expect(readKnownPlacement(fileWith('{"placement":'), now)).toBeUndefined();
    const future = { ...placement, readAt: '2026-01-01T00:20:00.000Z' };
    expect(readKnownPlacement(fileWith(JSON.stringify({ placement: future })), now)).toBeUndefined();
  });

  it('refuses a placement that is not what a refresh writes', () => {
    for (const bad of [
      { ...placement, replicas: 0 },
      { ...placement, replicas: '2' },
      { ...placement, storagePools: 'thin' },
      { ...placement, nodes: ['pve 1'] },
      { ...placement, readAt: 'yesterday' },
    ]) {
      expect(
        readKnownPlacement(fileWith(JSON.stringify({ ...figures, placement: bad })), now),
      ).toBeUndefined();
    }
  });
});
