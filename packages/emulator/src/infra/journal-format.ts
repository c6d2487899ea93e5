/**
 * The journal store's files: names and the line format (JSON with bigints kept exact; a torn last
 * line is recognised and left out).
 */
import { constants as fsConstants } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const SNAPSHOT_FILE = 'snapshot.json';
export const SNAPSHOT_TEMP = 'snapshot.json.tmp';
export const JOURNAL_PREFIX = 'journal-';
export const JOURNAL_SUFFIX = '.log';
export const BIGINT_TAG = '$bigint';
/** One change inside a journal line: `[collection, key, value]` is a put, `[collection, key]` a delete. */
export type JournalOp = [string, string[], unknown] | [string, string[]];

/** First line of the snapshot file; every further line is one record `[collection, key, value]`. */
export interface SnapshotHeader {
  /** Journal generation to replay on top of this snapshot. */
  generation: number;
}

/** JSON replacer/reviver pair that keeps bigints exact across the journal. */
export function replaceBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { [BIGINT_TAG]: value.toString() } : value;
}

export function reviveBigint(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const tagged = obj[BIGINT_TAG];
    if (typeof tagged === 'string' && Object.keys(obj).length === 1) return BigInt(tagged);
  }
  return value;
}

/** JSON of a value; the bigint-tagging replacer (slow on large states) only runs when a bigint is present. */
export function encode(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return JSON.stringify(value, replaceBigint);
  }
}

/** Parses one line written by {@link encode}; the reviver only runs when the line carries a tagged bigint. */
export function decode(text: string): unknown {
  return text.includes(`"${BIGINT_TAG}"`) ? JSON.parse(text, reviveBigint) : JSON.parse(text);
}

/** The complete lines of a file (a last line without newline is left out), with the length they cover. */
export function completeLines(raw: Buffer): { lines: string[]; validBytes: number } {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const newline = raw.indexOf(0x0a, start);
    if (newline < 0) return { lines, validBytes: start };
    lines.push(raw.subarray(start, newline).toString('utf8'));
    start = newline + 1;
  }
}

export function journalName(generation: number): string {
  return `${JOURNAL_PREFIX}${generation}${JOURNAL_SUFFIX}`;
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes journals of generations other than `generation`, and a leftover temp snapshot. */
export async function removeStaleFiles(dir: string, generation: number): Promise<void> {
  const current = journalName(generation);
  for (const name of await readdir(dir)) {
    const staleJournal = name.startsWith(JOURNAL_PREFIX) && name.endsWith(JOURNAL_SUFFIX) && name !== current;
    if (staleJournal || name === SNAPSHOT_TEMP) await rm(join(dir, name), { force: true });
  }
}
