/** Property-based tests (fast-check) of the bridge's line framing and JSON-RPC request parsing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, encodeLine, LineReader } from '../src';
import { isReply, parseRequestLine } from '../src/dispatch';

/** Splits `data` at the given cut points (any order, any count). */
function chunked(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks;
}

describe('line framing (property)', () => {
  it('delivers every message once and in order, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (messages, cuts) => {
          const stream = Buffer.from(messages.map((m) => encodeLine(m)).join(''), 'utf8');
          const seen: unknown[] = [];
          const reader = new LineReader(1 << 20, {
            line: (t) => seen.push(JSON.parse(t)),
            oversize: () => seen.push('<oversize>'),
          });
          for (const chunk of chunked(stream, cuts)) reader.push(chunk);
          // JSON has no -0 and no undefined array slots: compare what JSON itself round-trips.
          expect(seen).toEqual(messages.map((m) => JSON.parse(JSON.stringify(m))));
        },
      ),
    );
  });

  it('drops exactly the lines over the limit, once each, and keeps the others', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40, unit: 'grapheme' }), { maxLength: 15 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (texts, limit, cuts) => {
          const lines = texts.map((t) => JSON.stringify(t));
          const stream = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
          const seen: string[] = [];
          const reader = new LineReader(limit, {
            line: (t) => seen.push(t),
            oversize: () => seen.push('<oversize>'),
          });
          for (const chunk of chunked(stream, cuts)) reader.push(chunk);
          expect(seen).toEqual(lines.map((l) => (Buffer.byteLength(l) > limit ? '<oversize>' : l)));
        },
      ),
    );
  });
});

describe('JSON-RPC requests (property)', () => {
  it('answers any line with a request or an error reply, never a throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const parsed = parseRequestLine(text, DEFAULT_LIMITS);
          if (isReply(parsed)) {
            const { error } = parsed as { error?: { code: number; message: string } };
            expect(error?.message).not.toMatch(/\n/);
            expect(error?.code).toBeLessThan(0);
          } else {
            expect(typeof parsed.method).toBe('string');
            expect(Number.isSafeInteger(parsed.deadlineMs) && parsed.deadlineMs > 0).toBe(true);
            expect(parsed.deadlineMs).toBeLessThanOrEqual(DEFAULT_LIMITS.maxDeadlineMs);
          }
        },
      ),
    );
  });

  it('accepts deadlineMs exactly from 1 to the maximum', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 53)), (deadlineMs) => {
        const text = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'bridge.hello', deadlineMs });
        const parsed = parseRequestLine(text, DEFAULT_LIMITS);
        const wire = JSON.parse(text).deadlineMs as unknown;
        const ok =
          typeof wire === 'number' &&
          Number.isSafeInteger(wire) &&
          wire >= 1 &&
          wire <= DEFAULT_LIMITS.maxDeadlineMs;
        expect(isReply(parsed)).toBe(!ok);
      }),
    );
  });
});
