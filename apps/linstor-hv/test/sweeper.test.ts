/**
 * The bridge's periodic orphan sweep (startOrphanSweeper): one sweep per interval, never two at
 * once, a line logged for what it removed or could not, and nothing after stop. The clock is
 * vitest's, so nothing here depends on how fast the machine is.
 */

import type { SweepReport } from '@linstor-hv/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startOrphanSweeper } from '../src/commands/cleanup';

const EMPTY: SweepReport = { entries: [], removed: 0, kept: 0, failed: 0 };
const REMOVED: SweepReport = {
  entries: [
    { kind: 'resource-definition', resource: 'pm-0badc0de', action: 'removed', note: '', ageMs: 3_600_000 },
    { kind: 'resource-definition', resource: 'vm-100-disk-0', action: 'kept', note: 'in use' },
  ] as unknown as SweepReport['entries'],
  removed: 1,
  kept: 1,
  failed: 0,
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('startOrphanSweeper', () => {
  it('sweeps once per interval, first after one interval, and logs only what it removed or failed', async () => {
    const reports = [EMPTY, REMOVED];
    const sweep = vi.fn(async () => reports.shift() ?? EMPTY);
    const log = vi.fn();
    const sweeper = startOrphanSweeper(sweep, { intervalMs: 60_000, log });
    await vi.advanceTimersByTimeAsync(59_999);
    expect(sweep).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(sweep).toHaveBeenCalledTimes(1);
    expect(log).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sweep).toHaveBeenCalledTimes(2);
    expect(sweeper.lastReport).toBe(REMOVED);
    expect(log).toHaveBeenCalledTimes(1);
    expect(JSON.parse(log.mock.calls[0]?.[0] as string)).toEqual({
      event: 'orphan-sweep',
      removed: 1,
      failed: 0,
      entries: [
        {
          kind: 'resource-definition',
          resource: 'pm-0badc0de',
          action: 'removed',
          note: '',
          ageMs: 3_600_000,
        },
      ],
    });
    await sweeper.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(sweep).toHaveBeenCalledTimes(2);
  });

  it('never overlaps a sweep still running, logs a failed one, and stop aborts the one running', async () => {
    let release: (() => void) | undefined;
    const signals: AbortSignal[] = [];
    const sweep = vi.fn((signal: AbortSignal) => {
      signals.push(signal);
      if (sweep.mock.calls.length === 1) return Promise.reject(new Error('No LINSTOR controller answered'));
      return new Promise<SweepReport>((resolve) => {
        release = () => resolve(EMPTY);
      });
    });
    const log = vi.fn();
    const sweeper = startOrphanSweeper(sweep, { intervalMs: 1_000, log });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(JSON.parse(log.mock.calls[0]?.[0] as string)).toEqual({
      event: 'orphan-sweep',
      error: 'No LINSTOR controller answered',
    });
    await vi.advanceTimersByTimeAsync(1_000); // the second sweep starts and hangs
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sweep).toHaveBeenCalledTimes(2);
    const stopped = sweeper.stop();
    expect(signals[1]?.aborted).toBe(true);
    release?.();
    await stopped;
    expect(log).toHaveBeenCalledTimes(1);
  });
});
