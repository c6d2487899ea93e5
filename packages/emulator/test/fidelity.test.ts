/**
 * Answers where the emulator follows linstor-server's source rather than only the spec; each case
 * names the file the behaviour comes from.
 */
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/start';
import { useEmulator } from './emulator-fixture';
import { call } from './http-helpers';

let emu: RunningEmulator;
useEmulator(
  {
    resetAfterEach: true,
    start: {
      cluster: {
        nodes: ['n1', 'n2', 'n3', 'n4'].map((name, i) => ({
          name,
          address: `10.0.0.${i + 1}`,
          pools: [{ name: 'thinpool', provider_kind: 'LVM_THIN' as const, total_kib: 100 * 1024 * 1024 }],
        })),
      },
    },
  },
  (e) => {
    emu = e;
  },
);

interface SelectFilter {
  place_count?: number;
  storage_pool?: string;
  storage_pool_list?: string[];
}

async function selectFilter(rg: string): Promise<SelectFilter> {
  return ((await call(emu.url, 'GET', `/v1/resource-groups/${rg}`)).json as { select_filter: SelectFilter })
    .select_filter;
}

async function placeOn(rd: string, nodes: string[]): Promise<void> {
  await call(emu.url, 'POST', '/v1/resource-definitions', { resource_definition: { name: rd } });
  await call(emu.url, 'POST', `/v1/resource-definitions/${rd}/volume-definitions`, {
    volume_definition: { size_kib: 4096 },
  });
  const reply = await call(
    emu.url,
    'POST',
    `/v1/resource-definitions/${rd}/resources`,
    nodes.map((node_name) => ({ resource: { node_name, props: { StorPoolName: 'thinpool' } } })),
  );
  expect(reply.status, reply.text).toBe(201);
}

async function tieBreakerNode(rd: string): Promise<string | undefined> {
  const rscs = (await call(emu.url, 'GET', `/v1/resource-definitions/${rd}/resources`)).json as {
    node_name: string;
    flags?: string[];
  }[];
  return rscs.find((r) => r.flags?.includes('TIE_BREAKER'))?.node_name;
}

describe('resource groups (AutoSelectorConfig.java, Json.java apiToResourceGroup)', () => {
  it('gives DfltRscGrp and a group created without a place count place_count 2', async () => {
    expect((await selectFilter('DfltRscGrp')).place_count).toBe(2);
    await call(emu.url, 'POST', '/v1/resource-groups', { name: 'bare' });
    expect((await selectFilter('bare')).place_count).toBe(2);
  });

  it('writes storage_pool_list when there are pools, and storage_pool only for exactly one', async () => {
    await call(emu.url, 'POST', '/v1/resource-groups', {
      name: 'one',
      select_filter: { storage_pool: 'thinpool' },
    });
    expect(await selectFilter('one')).toMatchObject({
      storage_pool: 'thinpool',
      storage_pool_list: ['thinpool'],
    });
    await call(emu.url, 'POST', '/v1/resource-groups', {
      name: 'two',
      select_filter: { storage_pool_list: ['thinpool', 'other'] },
    });
    const two = await selectFilter('two');
    expect(two.storage_pool_list).toEqual(['thinpool', 'other']);
    expect(two.storage_pool).toBeUndefined();
    await call(emu.url, 'POST', '/v1/resource-groups', { name: 'none' });
    expect(await selectFilter('none')).toEqual({ place_count: 2 });
  });
});

describe('automatic tie-breakers (CtrlRscAutoTieBreakerHelper.java, MinimumResourceCountStrategy.java)', () => {
  it('go to the node whose diskless pool holds the fewest resources, ties by node name', async () => {
    await placeOn('tb-a', ['n1', 'n2']);
    expect(await tieBreakerNode('tb-a')).toBe('n3');
    // n3 now holds one diskless resource, n4 none: the next tie-breaker spreads to n4.
    await placeOn('tb-b', ['n1', 'n2']);
    expect(await tieBreakerNode('tb-b')).toBe('n4');
    // Both hold one now: the tie goes to the first by name.
    await placeOn('tb-c', ['n1', 'n2']);
    expect(await tieBreakerNode('tb-c')).toBe('n3');
  });
});
