import type { ResourceWithVolumes } from '@linstor-hv/api';
import { describe, expect, it, vi } from 'vitest';
import { pollUntil, resourceNotReadyReason, WaitTimeoutError } from '../src/index';

function resource(
  disk: (string | undefined)[],
  connections: Record<string, { connected?: boolean; message?: string }> = {},
): ResourceWithVolumes {
  return {
    name: 'vm-1',
    node_name: 'pve1',
    volumes: disk.map((d, i) => ({
      volume_number: i,
      state: d === undefined ? undefined : { disk_state: d },
    })),
    layer_object: { type: 'DRBD', drbd: { connections } },
  };
}

describe('resource readiness', () => {
  it('is ready when every volume is UpToDate and every peer connected', () => {
    expect(
      resourceNotReadyReason(resource(['UpToDate', 'UpToDate'], { pve2: { connected: true } })),
    ).toBeUndefined();
  });

  it('is ready as a diskless client connected to a peer', () => {
    expect(resourceNotReadyReason(resource(['Diskless'], { pve2: { connected: true } }))).toBeUndefined();
  });

  it.each([
    [undefined, 'the resource does not exist on that node'],
    [{ name: 'vm-1', node_name: 'pve1' }, 'the resource has no volumes yet'],
    [resource(['Inconsistent']), 'volume 0 is Inconsistent'],
    [resource([undefined]), 'volume 0 reports no state (satellite not connected?)'],
    [
      resource(['UpToDate'], { pve2: { connected: false, message: 'Connecting' } }),
      'not connected to pve2 (Connecting)',
    ],
    [resource(['Diskless']), 'diskless and not connected to any peer with a disk'],
  ])('is not ready: %#', (r, reason) => {
    expect(resourceNotReadyReason(r as ResourceWithVolumes | undefined)).toBe(reason);
  });
});

describe('pollUntil', () => {
  it('polls with growing pauses until done', async () => {
    // The pauses are read from the timers pollUntil asks for, not from the wall clock, so a
    // loaded machine cannot make this fail.
    const pauses: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      pauses.push(ms ?? 0);
      return realSetTimeout(fn, 0);
    }) as typeof setTimeout);
    let polls = 0;
    try {
      const value = await pollUntil(
        'five polls',
        async () => {
          polls += 1;
          return polls === 5 ? { done: true, value: 'ok' } : { done: false, state: `poll ${polls}` };
        },
        { intervalMs: 20, maxIntervalMs: 50, timeoutMs: 60_000 },
      );
      expect(value).toBe('ok');
    } finally {
      spy.mockRestore();
    }
    expect(polls).toBe(5);
    // 20 ms, then ×1.5 each time, capped at maxIntervalMs.
    expect(pauses).toEqual([20, 30, 45, 50]);
  });

  it('with maxPolls, checks at most that often, the last time at the deadline', async () => {
    vi.useFakeTimers();
    try {
      const start = Date.now();
      const at: number[] = [];
      const waiting = pollUntil(
        'a slow clone',
        async () => {
          at.push(Date.now() - start);
          return { done: false, state: `poll ${at.length}` };
        },
        { intervalMs: 20, timeoutMs: 600_000, maxPolls: 6 },
      ).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(700_000);
      const error = (await waiting) as WaitTimeoutError;
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(error.message).toContain('last seen: poll 6');
      expect(at).toHaveLength(6);
      expect(at.slice(0, 2)).toEqual([0, 20]);
      // The pauses grow (geometrically) and the last check comes at the deadline, not before.
      for (let i = 2; i < at.length; i++)
        expect(at[i]! - at[i - 1]!).toBeGreaterThan(at[i - 1]! - at[i - 2]!);
      expect(at[5]).toBe(600_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with maxPolls, a wait that ends early checks no more than it needs', async () => {
    let polls = 0;
    const value = await pollUntil(
      'three polls',
      async () => {
        polls += 1;
        return polls === 3 ? { done: true, value: 'ok' } : { done: false, state: 'not yet' };
      },
      { intervalMs: 1, timeoutMs: 60_000, maxPolls: 6 },
    );
    expect(value).toBe('ok');
    expect(polls).toBe(3);
  });

  it('times out with the last state it saw', async () => {
    const error = (await pollUntil('godot', async () => ({ done: false, state: 'still waiting' }), {
      timeoutMs: 100,
      intervalMs: 20,
    }).catch((e: unknown) => e)) as WaitTimeoutError;
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error.message).toBe('Timed out after 100 ms waiting for godot; last seen: still waiting.');
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('stop')), 30);
    await expect(
      pollUntil('forever', async () => ({ done: false, state: 'x' }), {
        intervalMs: 10,
        signal: abort.signal,
      }),
    ).rejects.toThrow('stop');
  });
});
