import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makePrivateDirectory, readWithoutFollowing, replacePrivateFile } from '../src/index';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'private-file-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('private files', () => {
  it('are 0600 in a 0700 directory, complete, with no temporary file left beside them', () => {
    const dir = join(root, 'a', 'b');
    makePrivateDirectory(dir);
    const file = join(dir, 'state.json');
    const text = `${'é'.repeat(100_000)}\n`;
    replacePrivateFile(file, text);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readWithoutFollowing(file)).toBe(text);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('refuse a directory that is a symbolic link, in the words the caller gives', () => {
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    const link = join(root, 'link');
    symlinkSync(elsewhere, link);
    expect(() => makePrivateDirectory(link)).toThrow(`${link} is not a directory`);
    expect(() => makePrivateDirectory(link, (d) => `cache ${d} is a link; remove it`)).toThrow(
      `cache ${link} is a link; remove it`,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('are never read through a symbolic link', () => {
    const victim = join(root, 'victim');
    writeFileSync(victim, 'secret\n');
    symlinkSync(victim, join(root, 'state.json'));
    expect(() => readWithoutFollowing(join(root, 'state.json'))).toThrow(/ELOOP/);
    expect(readFileSync(victim, 'utf8')).toBe('secret\n');
  });
});
