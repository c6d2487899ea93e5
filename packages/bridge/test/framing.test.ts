import { describe, expect, it } from 'vitest';
import { LineReader } from '../src';

function reader(max: number) {
  const seen: string[] = [];
  const lines = new LineReader(max, { line: (t) => seen.push(t), oversize: () => seen.push('<oversize>') });
  return { lines, seen };
}

describe('line framing', () => {
  it.each([
    ['a line split over chunks', ['{"a":', '1}\n'], ['{"a":1}']],
    ['two lines in one chunk', ['one\ntwo\n'], ['one', 'two']],
    ['a CRLF ending', ['crlf\r\n'], ['crlf']],
    ['blank lines', ['\n\n  \nx\n'], ['x']],
    [
      'a multi-byte character split between chunks',
      [Buffer.from('"é"\n').subarray(0, 2), Buffer.from('"é"\n').subarray(2)],
      ['"é"'],
    ],
    ['no newline yet', ['{"pending":'], []],
  ])('handles %s', (_what, chunks, expected) => {
    const { lines, seen } = reader(100);
    for (const c of chunks) lines.push(Buffer.from(c));
    expect(seen).toEqual(expected);
  });

  it('reports an oversized line once, drops it up to its newline, and reads on', () => {
    const { lines, seen } = reader(8);
    lines.push(Buffer.from('0123456'));
    lines.push(Buffer.from('789abc'));
    lines.push(Buffer.from('defgh'));
    lines.push(Buffer.from('ij\nok\n'));
    expect(seen).toEqual(['<oversize>', 'ok']);
  });

  it('accepts a line of exactly the limit', () => {
    const { lines, seen } = reader(4);
    lines.push(Buffer.from('abcd\nabcde\n'));
    expect(seen).toEqual(['abcd', '<oversize>']);
  });
});
