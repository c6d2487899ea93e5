import type { ResourceWithVolumes } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
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
    const seen: number[] = [];
    const value = await pollUntil(
      'three polls',
      async () => {
        seen.push(Date.now());
        return seen.length === 3
          ? { done: true, value: 'ok' }
          : { done: false, state: `poll ${seen.length}` };
      },
      { intervalMs: 20, maxIntervalMs: 100 },
    );
    expect(value).toBe('ok');
    expect(seen).toHaveLength(3);
    expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(seen[1]! - seen[0]! - 2);
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
