/**
 * The bridge keeps the status figures in memory (issue 9): within `statuscache` it answers without
 * a request, concurrent refreshes share one read, and when a refresh fails it answers with the last
 * figures and says how old they are. A one-shot process has no memory and reports the failure (the
 * Perl module then falls back to its file).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness';

describe('status figures in the bridge', { timeout: 120_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.stop();
  });

  const refresh = { statuscache: '0' };

  it('answers from memory within statuscache, and concurrent refreshes share one read', async () => {
    const first = (await h.bridgeCall('status', {})) as { total: number; avail: number; used: number };
    expect(first.total).toBeGreaterThan(0);
    expect(first.used).toBe(first.total - first.avail);
    await h.emulator.control.clearRequests();
    expect(await h.bridgeCall('status', {})).toEqual(first);
    expect(await h.emulator.control.requests()).toEqual([]);

    await h.emulator.control.clearRequests();
    const together = await Promise.all([1, 2, 3].map(() => h.bridgeCall('status', {}, 'pve1', refresh)));
    expect(together).toEqual([first, first, first]);
    const paths = (await h.emulator.control.requests()).map((r) => `${r.method} ${r.path}`).sort();
    expect(paths).toEqual(['GET /v1/nodes', 'GET /v1/view/storage-pools']);
  });

  it('shows the last figures with their age when a refresh fails; one-shot reports the failure', async () => {
    const last = await h.bridgeCall('status', {});
    const fault = await fetch(`${h.emulator.url}/emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'error',
        pathRegex: '^/v1/nodes$',
        times: -1,
        message: 'controller busy',
      }),
    });
    expect(fault.ok).toBe(true);
    try {
      const stale = (await h.bridgeCall('status', {}, 'pve1', refresh)) as Record<string, unknown>;
      expect(stale).toMatchObject(last as Record<string, unknown>);
      expect(stale.warnings).toEqual([
        expect.stringMatching(
          /^storage 'drbdstorage': showing status from \d+ s ago, refresh failed: Reading the capacity of resource group 'linstor-hv' failed: .*controller busy/,
        ),
      ]);
      await expect(h.call('status', {})).rejects.toThrow(
        /^status: Reading the capacity of resource group 'linstor-hv' failed: .*controller busy/,
      );
    } finally {
      await fetch(`${h.emulator.url}/emulator/faults`, { method: 'DELETE' });
    }
  });
});
