/** Attach and detach of one resource on one host never overlap, and a dead holder's lock is taken over. */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockKey, withLock } from '../src/locks';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function lockDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'linstor-hv-one-locks-'));
  dirs.push(dir);
  return dir;
}

describe('withLock', () => {
  it('runs the holders of one key one after another, and other keys alongside', async () => {
    const dir = await lockDir();
    const events: string[] = [];
    const hold = (key: string, name: string) =>
      withLock(dir, key, async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 60));
        events.push(`${name} out`);
      });
    await Promise.all([
      hold(lockKey('host1', 'rd'), 'a'),
      hold(lockKey('host1', 'rd'), 'b'),
      hold(lockKey('host2', 'rd'), 'c'),
    ]);
    const a = events.indexOf('a in');
    const b = events.indexOf('b in');
    const [first, second] = a < b ? ['a', 'b'] : ['b', 'a'];
    expect(events.indexOf(`${second} in`)).toBeGreaterThan(events.indexOf(`${first} out`));
    expect(events.indexOf('c in')).toBeLessThan(events.indexOf(`${second} in`));
  });

  it('takes over a lock whose process is gone, and gives up after its wait', async () => {
    const dir = await lockDir();
    const key = lockKey('host1', 'OpenNebula-Image-1');
    await mkdir(join(dir, `${key}.lock`));
    await writeFile(join(dir, `${key}.lock`, 'pid'), '999999999');
    await expect(withLock(dir, key, async () => 'done')).resolves.toBe('done');
    await mkdir(join(dir, `${key}.lock`));
    await writeFile(join(dir, `${key}.lock`, 'pid'), String(process.pid));
    await expect(withLock(dir, key, async () => 'never', { waitMs: 100 })).rejects.toThrow(
      /timed out \(held by process \d+\)/,
    );
  });
});
