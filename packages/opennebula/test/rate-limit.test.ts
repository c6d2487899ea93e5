/**
 * LIMIT_TRANSFER_BW: the rate limiter `ds cp` puts in the import stream, on a clock the test
 * controls, so the assertion is about bytes over (virtual) time and never about real timings.
 */

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { parseBandwidth } from '../src/datastore';
import { type Clock, rateLimited } from '../src/import/source';

/** A clock whose time moves only when the limiter sleeps. */
function virtualClock(): Clock & { time: number; sleeps: number[] } {
  const clock = {
    time: 1_000_000,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

/** Streams `chunks` through the limiter; returns (virtual ms since start, bytes so far) per chunk out. */
async function transfer(chunks: Buffer[], bytesPerSecond: number, clock: ReturnType<typeof virtualClock>) {
  const start = clock.time;
  const seen: { atMs: number; bytes: number }[] = [];
  let bytes = 0;
  await pipeline(
    Readable.from(chunks),
    rateLimited(bytesPerSecond, clock),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        seen.push({ atMs: clock.time - start, bytes });
        callback();
      },
    }),
  );
  return { seen, bytes };
}

describe('LIMIT_TRANSFER_BW', () => {
  it.each([
    { limit: '1M', chunk: 64 * 1024, count: 64 },
    { limit: '512K', chunk: 200_000, count: 9 },
    { limit: '10M', chunk: 4 * 1024 * 1024, count: 5 },
  ])(
    'passes $limit with never more than rate × elapsed time ($count chunks of $chunk bytes)',
    async ({ limit, chunk, count }) => {
      const rate = parseBandwidth(limit)!;
      const clock = virtualClock();
      const { seen, bytes } = await transfer(
        Array.from({ length: count }, () => Buffer.alloc(chunk, 7)),
        rate,
        clock,
      );
      expect(bytes).toBe(chunk * count);
      for (const { atMs, bytes: soFar } of seen) expect(soFar).toBeLessThanOrEqual((rate * atMs) / 1000 + 1);
      // The whole transfer takes the time the rate allows: bytes / rate, to the millisecond.
      expect(seen.at(-1)!.atMs).toBeCloseTo((chunk * count * 1000) / rate, 0);
    },
  );

  it('does not slow a transfer that stays below the limit', async () => {
    const clock = virtualClock();
    const chunks = [Buffer.alloc(1000), Buffer.alloc(1000)];
    const { bytes } = await transfer(chunks, 1024 ** 3, clock);
    expect(bytes).toBe(2000);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(0.01);
  });
});
