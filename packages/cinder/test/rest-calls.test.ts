/**
 * REST calls per Cinder method, counted in the emulator's request log while one method runs, at
 * two cluster sizes (a few and a few hundred other definitions in the group): each count is pinned
 * and must not grow with the cluster. The limits are issue 12's (Debian's v1 driver in brackets).
 */

import { describe, expect, it } from 'vitest';
import { CLONE_STATUS_POLLS } from '../src/backend';
import { snapshot, type TableCluster, useTableCluster, volume } from './fixture';

const SIZES = [3, 150] as const;
const CLONE_POLL = 'GET /v1/resource-definitions/{rd}/clone/{clone}';

/** Pinned counts, each within issue 12's limit (Debian's v1 driver's count beside it). */
const EXPECTED: Record<string, { ours: number; limit: number; debian: number }> = {
  create_volume: { ours: 3, limit: 6, debian: 20 },
  create_snapshot: { ours: 2, limit: 3, debian: 7 },
  create_volume_from_snapshot: { ours: 8, limit: 8, debian: 16 },
  // Besides these, the reads of the clone's status: at least one, at most CLONE_STATUS_POLLS.
  create_cloned_volume: { ours: 5, limit: 12 - CLONE_STATUS_POLLS, debian: 33 },
  // Into a larger volume: one request more (the grow; LINSTOR's COMPLETE means in sync already).
  'create_cloned_volume (larger)': { ours: 6, limit: 12 - CLONE_STATUS_POLLS, debian: 33 },
  extend_volume: { ours: 2, limit: 2, debian: 3 },
  get_volume_stats: { ours: 2, limit: 2, debian: 9 },
  delete_snapshot: { ours: 2, limit: 3, debian: 10 },
  delete_volume: { ours: 4, limit: 5, debian: 21 },
};

/** Other volumes' definitions in the default group (as on a large cluster). */
async function populate(cluster: TableCluster, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const reply = await cluster.emulator.control.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: `other-${i}`,
      volume_sizes: [1024],
      definitions_only: true,
    });
    expect(reply.status).toBeLessThan(300);
  }
}

async function measure(cluster: TableCluster): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const log = (name: string) => async (run: () => Promise<unknown>) => {
    const requests = await cluster.countRequests(run);
    if (process.env.REST_CALLS_DEBUG) console.log(name, requests);
    // How often LINSTOR's clone status is polled depends on how long the copy takes: counted apart.
    const polls = requests.filter((r) => r === CLONE_POLL).length;
    counts[name] = requests.length - polls;
    if (polls > 0) counts[`${name} (clone status polls)`] = polls;
  };
  const counted = (method: string, params: Record<string, unknown>) =>
    log(method)(() => cluster.call(method, params));
  // A warm bridge: the group and the Cinder host's node are known from earlier calls.
  await cluster.call('get_volume_stats', {});
  const warm = volume(1);
  await cluster.call('create_volume', { volume: warm });
  await cluster.call('delete_volume', { volume: warm });

  const vol = volume(1);
  await counted('create_volume', { volume: vol });
  const snap = snapshot(vol);
  await counted('create_snapshot', { snapshot: snap });
  await counted('create_volume_from_snapshot', { volume: volume(2), snapshot: snap });
  await counted('create_cloned_volume', { volume: volume(1), source: vol });
  const larger = log('create_cloned_volume (larger)');
  await larger(() => cluster.call('create_cloned_volume', { volume: volume(3), source: vol }));
  await counted('extend_volume', { volume: vol, newSize: 2 });
  await counted('get_volume_stats', {});
  await counted('delete_snapshot', { snapshot: snap });
  await counted('delete_volume', { volume: vol });
  return counts;
}

const results: Record<number, Record<string, number>> = {};
for (const size of SIZES) {
  describe(`REST calls per Cinder method with ${size} other definitions`, { timeout: 300_000 }, () => {
    const cluster = useTableCluster();
    it('measures every method', async () => {
      await populate(cluster, size);
      results[size] = await measure(cluster);
    });
  });
}

describe('REST calls per Cinder method', () => {
  for (const [method, { ours, limit, debian }] of Object.entries(EXPECTED)) {
    it(`${method}: ${ours} at both sizes (limit ${limit}, Debian's driver ${debian})`, () => {
      expect(ours).toBeLessThanOrEqual(limit);
      for (const size of SIZES) expect(results[size]?.[method], `${method} at ${size}`).toBe(ours);
    });
  }
  for (const method of ['create_cloned_volume', 'create_cloned_volume (larger)']) {
    it(`${method} reads the clone's status at least once and at most ${CLONE_STATUS_POLLS} times: 12 at most`, () => {
      for (const size of SIZES) {
        const polls = results[size]?.[`${method} (clone status polls)`] ?? 0;
        expect(polls, `at ${size}`).toBeGreaterThanOrEqual(1);
        expect(polls, `at ${size}`).toBeLessThanOrEqual(CLONE_STATUS_POLLS);
        expect((results[size]?.[method] ?? 0) + polls, `at ${size}`).toBeLessThanOrEqual(12);
      }
    });
  }
});
