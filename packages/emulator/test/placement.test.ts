import { describe, expect, it } from 'vitest';
import { type CandidateNode, type PlacementInput, place } from '../src/domain/placement';

const GIB = 1024 * 1024;

function node(name: string, free: Record<string, number>, props: Record<string, string> = {}): CandidateNode {
  return {
    name,
    props,
    online: true,
    flags: [],
    pools: [
      {
        name: 'DfltDisklessStorPool',
        providerKind: 'DISKLESS',
        freeKib: Number.MAX_SAFE_INTEGER,
        placeableKib: Number.MAX_SAFE_INTEGER,
      },
      ...Object.entries(free).map(([pool, kib]) => ({
        name: pool,
        providerKind: pool.startsWith('thin') ? ('LVM_THIN' as const) : ('LVM' as const),
        freeKib: kib,
        placeableKib: kib,
      })),
    ],
  };
}

function input(over: Partial<PlacementInput>): PlacementInput {
  return {
    rdName: 'r',
    filter: {},
    count: 2,
    neededKib: GIB,
    candidates: [],
    existingReplicaProps: [],
    ...over,
  };
}

describe('place', () => {
  it('prefers the pools with the most free space, then node names', () => {
    const result = place(
      input({
        candidates: [
          node('c', { thin: 5 * GIB }),
          node('a', { thin: 5 * GIB }),
          node('b', { thin: 9 * GIB }),
        ],
      }),
    );
    expect(result).toEqual({
      ok: true,
      picks: [
        { nodeName: 'b', poolName: 'thin' },
        { nodeName: 'a', poolName: 'thin' },
      ],
    });
  });

  it('skips offline and evicted nodes and pools too small for the volume set', () => {
    const offline = { ...node('a', { thin: 50 * GIB }), online: false };
    const evicted = { ...node('b', { thin: 50 * GIB }), flags: ['EVICTED'] };
    const result = place(
      input({
        count: 1,
        neededKib: 3 * GIB,
        candidates: [offline, evicted, node('c', { thin: 2 * GIB }), node('d', { thin: 3 * GIB })],
      }),
    );
    expect(result).toEqual({ ok: true, picks: [{ nodeName: 'd', poolName: 'thin' }] });
  });

  it('restricts pools with storage_pool_list and nodes with node_name_list', () => {
    const candidates = [
      node('a', { thin: 9 * GIB, thick: GIB * 4 }),
      node('b', { thick: 8 * GIB }),
      node('c', { thick: 7 * GIB }),
    ];
    const result = place(
      input({ filter: { storage_pool_list: ['THICK'], node_name_list: ['a', 'c'] }, candidates }),
    );
    expect(result).toEqual({
      ok: true,
      picks: [
        { nodeName: 'c', poolName: 'thick' },
        { nodeName: 'a', poolName: 'thick' },
      ],
    });
  });

  it('keeps replicas_on_same to the existing replicas’ value and replicas_on_different apart', () => {
    const candidates = [
      node('a', { thin: 9 * GIB }, { 'Aux/site': 'x', 'Aux/rack': '1' }),
      node('b', { thin: 8 * GIB }, { 'Aux/site': 'y', 'Aux/rack': '1' }),
      node('c', { thin: 7 * GIB }, { 'Aux/site': 'y', 'Aux/rack': '2' }),
    ];
    const same = place(
      input({
        count: 1,
        filter: { replicas_on_same: ['Aux/site'] },
        candidates,
        existingReplicaProps: [{ 'Aux/site': 'y' }],
      }),
    );
    expect(same).toEqual({ ok: true, picks: [{ nodeName: 'b', poolName: 'thin' }] });
    const different = place(input({ count: 2, filter: { replicas_on_different: ['Aux/rack'] }, candidates }));
    expect(different).toEqual({
      ok: true,
      picks: [
        { nodeName: 'a', poolName: 'thin' },
        { nodeName: 'c', poolName: 'thin' },
      ],
    });
    const sameValue = place(input({ count: 2, filter: { replicas_on_same: ['Aux/site=x'] }, candidates }));
    expect(sameValue.ok).toBe(false);
  });

  it('limits replicas per value with x_replicas_on_different_map', () => {
    const candidates = [
      node('a', { thin: 9 * GIB }, { 'Aux/zone': 'z1' }),
      node('b', { thin: 8 * GIB }, { 'Aux/zone': 'z1' }),
      node('c', { thin: 7 * GIB }, { 'Aux/zone': 'z2' }),
    ];
    const result = place(
      input({ count: 2, filter: { x_replicas_on_different_map: { 'Aux/zone': 1 } }, candidates }),
    );
    expect(result).toEqual({
      ok: true,
      picks: [
        { nodeName: 'a', poolName: 'thin' },
        { nodeName: 'c', poolName: 'thin' },
      ],
    });
  });

  it('explains a failure with the criteria LINSTOR lists', () => {
    const result = place(
      input({
        rdName: 'vm-9',
        count: 3,
        filter: { storage_pool: 'thin' },
        candidates: [node('a', { thin: 9 * GIB })],
      }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.details.split('\n')).toEqual([
      'Not enough nodes fulfilling the following auto-place criteria:',
      ' * has a deployed storage pool named [thin]',
      ` * the storage pools have to have at least '${GIB}' free space`,
      ' * the current access context has enough privileges to use the node and the storage pool',
      ' * the node is online',
      '',
      'Auto-place configuration details:',
      '   Additional replica count: 3',
      '   Storage pool name: [thin]',
      '   Do not place with resource: [vm-9]',
    ]);
  });
});
