/**
 * Filtered lookups must not scan everything (issue acceptance: their cost stays flat as the number
 * of resource definitions grows). The store counts the records it hands out; a filtered request
 * must read about as many records with 80 RDs as with 8.
 */
import { nameKey } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { nameFilter, paginate, propsFilter, queryList } from '../src/domain/filters';
import type { RdRec } from '../src/domain/model';
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

const OWNER = 'Aux/linstor-hv/owner';

/** Spawns definitions-only RDs `${prefix}-${i}` with the given RD props. */
async function spawnOwned(
  prefix: string,
  from: number,
  to: number,
  props: (i: number) => Record<string, string>,
) {
  for (let i = from; i < to; i++) {
    const r = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: `${prefix}-${i}`,
      volume_sizes: [1024],
      definitions_only: true,
      resource_definition_props: props(i),
    });
    expect(r.status, r.text).toBe(201);
  }
}

/** Exact `key=value` filters (the props index answers them), alone or with other filters. */
const EXACT_PROPS = [
  `/v1/resource-definitions?props=${OWNER}=me`,
  `/v1/resource-definitions?props=${OWNER}=me&props=Aux/t/parity=1`,
  `/v1/resource-definitions?props=Aux/t/parity=1&props=${OWNER}=me`,
  `/v1/resource-definitions?props=${OWNER}=me&props=Aux/t/parity`,
  `/v1/resource-definitions?props=${OWNER}=me&props=Aux/t/.*=0`,
  `/v1/resource-definitions?props=${OWNER}=me&resource_definitions=own-[0-2]`,
  `/v1/resource-definitions?props=${OWNER}=me&with_volume_definitions=true`,
  `/v1/resource-definitions?props=${OWNER}=me&limit=2&offset=1`,
  `/v1/resource-definitions?props=${OWNER}=nobody`,
];

/** Filters the index does not answer (regexes, key-only, plain names), compared with the scan too. */
const OTHER_PROPS = [
  `/v1/resource-definitions?props=${OWNER}=(me|other)`,
  `/v1/resource-definitions?props=${OWNER}`,
  `/v1/resource-definitions?props=Aux/t/parity`,
  `/v1/resource-definitions?props=${OWNER}=me&resource_definitions=own-1&resource_definitions=OTH-2`,
  `/v1/resource-definitions?props=Aux/t/parity=1&resource_definitions=own-1`,
];

/** The answer of a scan: every RD (the unfiltered list), with the filters and paging applied here. */
async function scanned(path: string): Promise<unknown[]> {
  const query = new URLSearchParams(path.slice(path.indexOf('?') + 1));
  const all = await call(
    emu.url,
    'GET',
    `/v1/resource-definitions?with_volume_definitions=${query.get('with_volume_definitions') ?? 'false'}`,
  );
  expect(all.status, all.text).toBe(200);
  const props = propsFilter(queryList(query, 'props'));
  const names = nameFilter(queryList(query, 'resource_definitions'));
  const rds = (JSON.parse(all.text) as { name: string; props?: Record<string, string> }[]).filter(
    (rd) => (!props || props(rd.props ?? {})) && (!names || names.matches(rd.name)),
  );
  return paginate(rds, query);
}

async function expectSameAsScan(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const r = await call(emu.url, 'GET', path);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text), path).toEqual(await scanned(path));
  }
}

describe('exact props filters on resource definitions', () => {
  it('read as many records with 80 other RDs as with 8, and answer as the scan does', async () => {
    await spawnOwned('own', 0, 4, (i) => ({ [OWNER]: 'me', 'Aux/t/parity': String(i % 2) }));
    await spawnOwned('oth', 0, 8, (i) => ({ [OWNER]: 'other', 'Aux/t/parity': String(i % 2) }));
    const small = new Map<string, number>();
    for (const path of EXACT_PROPS) small.set(path, await readsOf(path));
    await spawnOwned('oth', 8, 80, (i) => ({ [OWNER]: 'other', 'Aux/t/parity': String(i % 2) }));
    for (const path of EXACT_PROPS) {
      const large = await readsOf(path);
      expect(large, `${path}: ${small.get(path)} records with 8 RDs, ${large} with 80`).toBeLessThanOrEqual(
        small.get(path)!,
      );
    }
    const mine = await call(emu.url, 'GET', `/v1/resource-definitions?props=${OWNER}=me`);
    expect((JSON.parse(mine.text) as { name: string }[]).map((rd) => rd.name)).toEqual([
      'own-0',
      'own-1',
      'own-2',
      'own-3',
    ]);
    await expectSameAsScan([...EXACT_PROPS, ...OTHER_PROPS]);
  }, 120_000);

  it("follows props changes and deletes, and loses a rolled-back transaction's changes", async () => {
    let r = await call(emu.url, 'PUT', '/v1/resource-definitions/oth-5', {
      override_props: { [OWNER]: 'me' },
    });
    expect(r.status, r.text).toBe(200);
    r = await call(emu.url, 'PUT', '/v1/resource-definitions/own-2', { delete_props: [OWNER] });
    expect(r.status, r.text).toBe(200);
    r = await call(emu.url, 'PUT', '/v1/resource-definitions/own-3', {
      override_props: { 'Aux/t/parity': '0' },
    });
    expect(r.status, r.text).toBe(200);
    r = await call(emu.url, 'DELETE', '/v1/resource-definitions/own-0');
    expect(r.status, r.text).toBe(200);
    await expectSameAsScan([...EXACT_PROPS, ...OTHER_PROPS]);
    const names = async () =>
      (
        JSON.parse((await call(emu.url, 'GET', `/v1/resource-definitions?props=${OWNER}=me`)).text) as {
          name: string;
        }[]
      ).map((rd) => rd.name);
    const before = await names();
    expect(before).toEqual(['oth-5', 'own-1', 'own-3']);

    // A transaction that changes owners, adds and deletes RDs, then fails: none of it may show.
    await expect(
      store.transaction(() => {
        const rd = store.get<RdRec>('rds', [nameKey('own-1')])!;
        store.put('rds', [nameKey('own-1')], { ...rd, props: { ...rd.props, [OWNER]: 'other' } });
        store.put('rds', [nameKey('ghost')], { ...rd, name: 'ghost' });
        store.delete('rds', [nameKey('own-3')]);
        const oth = store.get<RdRec>('rds', [nameKey('oth-7')])!;
        store.put('rds', [nameKey('oth-7')], { ...oth, props: { ...oth.props, [OWNER]: 'me' } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await names()).toEqual(before);
    await expectSameAsScan([...EXACT_PROPS, ...OTHER_PROPS]);
  }, 60_000);
});

const VIEW_EXACT = [
  '/v1/view/resources?props=Aux/t/mark=me',
  '/v1/view/resources?props=Aux/t/mark=me&props=StorPoolName',
  '/v1/view/resources?props=StorPoolName&props=Aux/t/mark=me',
  '/v1/view/resources?props=Aux/t/mark=me&resources=res-[0-2]',
  '/v1/view/resources?props=Aux/t/mark=me&nodes=pve.*',
  '/v1/view/resources?props=Aux/t/mark=me&limit=1&offset=1',
  '/v1/view/resources?props=Aux/t/mark=nobody',
];

const VIEW_OTHER = [
  '/v1/view/resources?props=Aux/t/mark=(me|you)',
  '/v1/view/resources?props=Aux/t/mark',
  '/v1/view/resources?props=Aux/t/mark=me&nodes=pve1&nodes=PVE2',
  '/v1/view/resources?props=Aux/t/mark=me&resources=res-1',
];

/** The `/v1/view/resources` answer of a scan: the unfiltered view, filtered and paged here. */
async function scannedView(path: string): Promise<unknown[]> {
  const query = new URLSearchParams(path.slice(path.indexOf('?') + 1));
  const all = await call(emu.url, 'GET', '/v1/view/resources');
  expect(all.status, all.text).toBe(200);
  const props = propsFilter(queryList(query, 'props'));
  const names = nameFilter(queryList(query, 'resources'));
  const nodes = nameFilter(queryList(query, 'nodes'));
  const rscs = (
    JSON.parse(all.text) as { name: string; node_name: string; props?: Record<string, string> }[]
  ).filter(
    (r) =>
      (!props || props(r.props ?? {})) &&
      (!names || names.matches(r.name)) &&
      (!nodes || nodes.matches(r.node_name)),
  );
  return paginate(rscs, query);
}

async function expectViewSameAsScan(paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const r = await call(emu.url, 'GET', path);
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text), path).toEqual(await scannedView(path));
  }
}

async function markResource(rd: string, node: string, props: Record<string, unknown>): Promise<void> {
  const r = await call(emu.url, 'PUT', `/v1/resource-definitions/${rd}/resources/${node}`, props);
  expect(r.status, r.text).toBe(200);
}

describe('exact props filters on /v1/view/resources', () => {
  it('read as many records with 24 placed RDs as with 4, answer as the scan does, and follow changes', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
        resource_definition_name: `res-${i}`,
        volume_sizes: [1024],
      });
      expect(r.status, r.text).toBe(201);
    }
    const placed = async (rd: string) =>
      (
        JSON.parse((await call(emu.url, 'GET', `/v1/resource-definitions/${rd}/resources`)).text) as {
          node_name: string;
        }[]
      ).map((r) => r.node_name);
    for (const node of await placed('res-1'))
      await markResource('res-1', node, { override_props: { 'Aux/t/mark': 'me' } });
    await markResource('res-2', (await placed('res-2'))[0]!, { override_props: { 'Aux/t/mark': 'me' } });
    await markResource('res-3', (await placed('res-3'))[0]!, { override_props: { 'Aux/t/mark': 'you' } });
    const small = new Map<string, number>();
    for (const path of VIEW_EXACT) small.set(path, await readsOf(path));
    for (let i = 4; i < 24; i++) {
      const r = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
        resource_definition_name: `res-${i}`,
        volume_sizes: [1024],
      });
      expect(r.status, r.text).toBe(201);
      await markResource(`res-${i}`, (await placed(`res-${i}`))[0]!, {
        override_props: { 'Aux/t/mark': 'you' },
      });
    }
    for (const path of VIEW_EXACT) {
      const large = await readsOf(path);
      expect(large, `${path}: ${small.get(path)} records with 4 RDs, ${large} with 24`).toBeLessThanOrEqual(
        small.get(path)!,
      );
    }
    const marked = await call(emu.url, 'GET', '/v1/view/resources?props=Aux/t/mark=me');
    expect((JSON.parse(marked.text) as { name: string }[]).map((r) => r.name)).toEqual([
      ...(await placed('res-1')).map(() => 'res-1'),
      'res-2',
    ]);
    await expectViewSameAsScan([...VIEW_EXACT, ...VIEW_OTHER]);

    // Changes (a removed prop, a deleted resource, a new mark) and a rolled-back transaction.
    const [first, second] = await placed('res-1');
    await markResource('res-1', first!, { delete_props: ['Aux/t/mark'] });
    const r = await call(emu.url, 'DELETE', `/v1/resource-definitions/res-1/resources/${second}`);
    expect(r.status, r.text).toBe(200);
    await markResource('res-5', (await placed('res-5'))[0]!, { override_props: { 'Aux/t/mark': 'me' } });
    await expectViewSameAsScan([...VIEW_EXACT, ...VIEW_OTHER]);
    const before = (await call(emu.url, 'GET', '/v1/view/resources?props=Aux/t/mark=me')).text;
    await expect(
      store.transaction(() => {
        for (const rsc of store.list<{ rdName: string; nodeName: string; props: Record<string, string> }>(
          'resources',
          [nameKey('res-7')],
        )) {
          store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], {
            ...rsc,
            props: { ...rsc.props, 'Aux/t/mark': 'me' },
          });
        }
        store.delete('resources', [
          nameKey('res-2'),
          nameKey((JSON.parse(before) as { node_name: string }[]).at(-1)!.node_name),
        ]);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect((await call(emu.url, 'GET', '/v1/view/resources?props=Aux/t/mark=me')).text).toBe(before);
    await expectViewSameAsScan([...VIEW_EXACT, ...VIEW_OTHER]);
  }, 120_000);
});
