/**
 * Filtered lookups must not scan everything (issue acceptance: their cost stays flat as the number
 * of resource definitions grows). The store counts the records it hands out; a filtered request
 * must read about as many records with 80 RDs as with 8.
 */
import { describe, expect, it } from 'vitest';
import type { JournalStore } from '../src/infra/journal-store';
import type { RunningEmulator } from '../src/start';
import { useEmulator } from './emulator-fixture';
import { call } from './http-helpers';

let emu: RunningEmulator;
let store: JournalStore;

async function spawnMany(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const r = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: `scan-${i}`,
      volume_sizes: [1024],
    });
    expect(r.status, r.text).toBe(201);
  }
}

/** Records read while answering one request. */
async function readsOf(path: string): Promise<number> {
  const before = store.recordsRead;
  const r = await call(emu.url, 'GET', path);
  expect(r.status, r.text).toBe(200);
  return store.recordsRead - before;
}

const FILTERED = [
  '/v1/view/resources?resources=scan-3',
  '/v1/view/resources?resources=scan-3&nodes=pve1',
  '/v1/resource-definitions/scan-3',
  '/v1/resource-definitions?resource_definitions=scan-3',
  '/v1/resource-definitions/scan-3/resources',
  '/v1/resource-definitions/scan-3/volume-definitions',
  '/v1/resource-definitions/scan-3/snapshots',
  '/v1/nodes?nodes=pve2',
];

useEmulator({}, (started) => {
  emu = started;
  store = started.store as JournalStore;
});

describe('filtered lookups read a bounded number of records', () => {
  it('costs the same with 80 resource definitions as with 8', async () => {
    await spawnMany(0, 8);
    const small = new Map<string, number>();
    for (const path of FILTERED) small.set(path, await readsOf(path));
    await spawnMany(8, 80);
    for (const path of FILTERED) {
      const large = await readsOf(path);
      expect(large, `${path}: ${small.get(path)} records with 8 RDs, ${large} with 80`).toBeLessThanOrEqual(
        small.get(path)!,
      );
    }
    // The unfiltered view, by contrast, reads every resource.
    expect(await readsOf('/v1/view/resources')).toBeGreaterThanOrEqual(160);
  }, 120_000);
});
