import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CREATED,
  DELETED,
  FAIL_EXISTS_SNAPSHOT_DFN,
  FAIL_INVLD_PROP,
  FAIL_INVLD_SNAPSHOT_NAME,
  FAIL_NOT_CONNECTED,
  FAIL_NOT_FOUND_RSC,
  FAIL_NOT_FOUND_RSC_DFN,
  FAIL_NOT_FOUND_SNAPSHOT,
  FAIL_SNAPSHOTS_NOT_SUPPORTED,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_SNAPSHOT,
  MODIFIED,
  type Snapshot,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { describe, expect, it, vi } from 'vitest';
import type { RunningEmulator } from '../src/start';
import { diskfulNodes, isDisklessView, resourcesOf, spawn } from './data-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

const CRT_SNAP = MASK_CRT | MASK_SNAPSHOT;
const SIZE_KIB = 64 * 1024;

let emu: RunningEmulator;
let url: string;

useEmulator({}, (started) => {
  emu = started;
  url = started.url;
});

function snapFile(rd: string, snap: string, vol = 0): string {
  return join(emu.dataDir, 'snapshots', rd.toUpperCase(), snap.toUpperCase(), `${vol}.img`);
}

describe('snapshot create', () => {
  it('takes a snapshot on every diskful node and reports it SUCCESSFUL with sizes and timestamps', async () => {
    await spawn(url, 'linstor-hv', 'snap-a', SIZE_KIB);
    const before = Date.now();
    const reply = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', {
      name: 'first',
      snapshot_definition_props: { 'Aux/why': 'test' },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(retCodes(reply)[0]).toBe(CRT_SNAP | CREATED);
    expect(messages(reply)[0]).toBe("New snapshot 'first' of resource 'snap-a' registered.");

    const got = await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/first');
    expect(got.status).toBe(200);
    const snap = got.json as Snapshot;
    const diskful = await diskfulNodes(url, 'snap-a');
    expect(diskful).toHaveLength(2);
    expect(snap.name).toBe('first');
    expect(snap.resource_name).toBe('snap-a');
    expect(snap.flags).toEqual(['SUCCESSFUL']);
    expect([...(snap.nodes ?? [])].sort()).toEqual(diskful);
    expect(snap.volume_definitions).toEqual([{ volume_number: 0, size_kib: SIZE_KIB }]);
    expect(snap.snapshot_definition_props).toEqual({ 'Aux/why': 'test' });
    for (const node of snap.snapshots ?? []) {
      expect(node.snapshot_name).toBe('first');
      expect(node.create_timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(node.snapshot_volumes).toEqual([{ vlm_nr: 0 }]);
    }
    expect(existsSync(snapFile('snap-a', 'first'))).toBe(true);
  });

  it('refuses a second snapshot with the same name (case-insensitive) with FAIL_EXISTS_SNAPSHOT_DFN', async () => {
    const reply = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', { name: 'FIRST' });
    expect(reply.status).toBe(500);
    expect(retCodes(reply)).toEqual([FAIL_EXISTS_SNAPSHOT_DFN | CRT_SNAP]);
  });

  it('answers 404 FAIL_NOT_FOUND_RSC_DFN for a missing resource definition', async () => {
    const reply = await call(url, 'POST', '/v1/resource-definitions/no-such-rd/snapshots', { name: 's1' });
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_RSC_DFN | CRT_SNAP]);
    expect(messages(reply)).toEqual(["Resource definition 'no-such-rd' not found."]);
  });

  it('applies the name rules (FAIL_INVLD_SNAPSHOT_NAME) and the prop whitelist', async () => {
    for (const name of ['1', '9-lives', 'bad name', 'x'.repeat(49)]) {
      const reply = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', { name });
      expect(reply.status, name).toBe(500);
      expect(retCodes(reply)).toEqual([FAIL_INVLD_SNAPSHOT_NAME | CRT_SNAP]);
    }
    const badProp = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', {
      name: 'with-prop',
      snapshot_definition_props: { 'NoSuch/key': 'x' },
    });
    expect(badProp.status).toBe(500);
    expect(retCodes(badProp)).toEqual([FAIL_INVLD_PROP | CRT_SNAP]);
    expect(existsSync(snapFile('snap-a', 'with-prop'))).toBe(false);
  });

  it('refuses thick LVM pools with FAIL_SNAPSHOTS_NOT_SUPPORTED', async () => {
    await spawn(url, 'linstor-hv-thick', 'snap-thick', SIZE_KIB);
    const reply = await call(url, 'POST', '/v1/resource-definitions/snap-thick/snapshots', { name: 's1' });
    expect(reply.status).toBe(500);
    expect(retCodes(reply)).toEqual([FAIL_SNAPSHOTS_NOT_SUPPORTED | CRT_SNAP]);
    expect(messages(reply)[0]).toMatch(
      /^Storage pool 'thickpool' on node 'pve\d' does not support snapshots\.$/,
    );
    expect((await call(url, 'GET', '/v1/resource-definitions/snap-thick/snapshots')).json).toEqual([]);
  });

  it('refuses a diskless node named explicitly, and a node without the resource', async () => {
    const diskless = (await resourcesOf(url, 'snap-a')).find(isDisklessView);
    expect(diskless, 'the spawn placed a diskless tie-breaker').toBeDefined();
    const onDiskless = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', {
      name: 'on-client',
      nodes: [diskless!.node_name],
    });
    expect(onDiskless.status).toBe(500);
    expect(retCodes(onDiskless)).toEqual([FAIL_SNAPSHOTS_NOT_SUPPORTED | CRT_SNAP]);

    const nowhere = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', {
      name: 'nowhere',
      nodes: ['pve9'],
    });
    expect(nowhere.status).toBe(404);
    expect(retCodes(nowhere)).toEqual([FAIL_NOT_FOUND_RSC | CRT_SNAP]);
  });

  it('refuses a snapshot while a node holding the resource is offline (FAIL_NOT_CONNECTED)', async () => {
    const [node] = await diskfulNodes(url, 'snap-a');
    await emu.control.nodeOffline(node!);
    try {
      const reply = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', { name: 'offline' });
      expect(reply.status).toBe(500);
      expect(retCodes(reply)).toEqual([FAIL_NOT_CONNECTED | CRT_SNAP]);
      expect(messages(reply)).toEqual([`No active connection to satellite '${node}'`]);
    } finally {
      await emu.control.nodeOnline(node!);
    }
    expect(existsSync(snapFile('snap-a', 'offline'))).toBe(false);
  });

  it('takes a snapshot on a chosen node only', async () => {
    const [node] = await diskfulNodes(url, 'snap-a');
    const reply = await call(url, 'POST', '/v1/resource-definitions/snap-a/snapshots', {
      name: 'one-node',
      nodes: [node],
    });
    expect(reply.status, reply.text).toBe(201);
    const snap = (await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/one-node'))
      .json as Snapshot;
    expect(snap.nodes).toEqual([node]);
  });
});

describe('multi-snapshot', () => {
  it('snapshots several resource definitions in one call', async () => {
    await spawn(url, 'linstor-hv', 'multi-a', SIZE_KIB);
    await spawn(url, 'linstor-hv', 'multi-b', SIZE_KIB);
    const reply = await call(url, 'POST', '/v1/actions/snapshot/multi', {
      snapshots: [
        { resource_name: 'multi-a', name: 'vm-snap' },
        { resource_name: 'multi-b', name: 'vm-snap' },
      ],
    });
    expect(reply.status, reply.text).toBe(201);
    for (const rd of ['multi-a', 'multi-b']) {
      const got = await call(url, 'GET', `/v1/resource-definitions/${rd}/snapshots/vm-snap`);
      expect(got.status).toBe(200);
    }
  });

  it('takes none of them when one cannot be taken', async () => {
    const reply = await call(url, 'POST', '/v1/actions/snapshot/multi', {
      snapshots: [
        { resource_name: 'multi-a', name: 'all-or-none' },
        { resource_name: 'snap-thick', name: 'all-or-none' },
      ],
    });
    expect(reply.status).toBe(500);
    expect(retCodes(reply)).toEqual([FAIL_SNAPSHOTS_NOT_SUPPORTED | CRT_SNAP]);
    const got = await call(url, 'GET', '/v1/resource-definitions/multi-a/snapshots/all-or-none');
    expect(got.status).toBe(404);
    expect(existsSync(snapFile('multi-a', 'all-or-none'))).toBe(false);
  });
});

describe('snapshot lists', () => {
  it('lists the snapshots of one RD, oldest first, and answers 404 for a missing RD', async () => {
    const list = await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots');
    expect(list.status).toBe(200);
    expect((list.json as Snapshot[]).map((s) => s.name)).toEqual(['first', 'one-node']);
    const missing = await call(url, 'GET', '/v1/resource-definitions/no-such-rd/snapshots');
    expect(missing.status).toBe(404);
    expect(retCodes(missing)).toEqual([FAIL_NOT_FOUND_RSC_DFN]);
  });

  it('answers 404 FAIL_NOT_FOUND_SNAPSHOT for a missing snapshot', async () => {
    const reply = await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/nope');
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_SNAPSHOT]);
    expect(messages(reply)).toEqual(["Snapshot 'nope' of resource 'snap-a' not found."]);
  });

  it('filters /v1/view/snapshots by resources, snapshots and nodes', async () => {
    const byRd = await call(url, 'GET', '/v1/view/snapshots?resources=MULTI-A&resources=multi-b');
    expect(byRd.status).toBe(200);
    expect((byRd.json as Snapshot[]).map((s) => `${s.resource_name}/${s.name}`).sort()).toEqual([
      'multi-a/vm-snap',
      'multi-b/vm-snap',
    ]);

    const byName = await call(url, 'GET', '/v1/view/snapshots?snapshots=one-node');
    expect((byName.json as Snapshot[]).map((s) => `${s.resource_name}/${s.name}`)).toEqual([
      'snap-a/one-node',
    ]);

    const [nodeA, nodeB] = await diskfulNodes(url, 'snap-a');
    const oneNode = (await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/one-node'))
      .json as Snapshot;
    const other = oneNode.nodes?.[0] === nodeA ? nodeB : nodeA;
    const byNode = await call(url, 'GET', `/v1/view/snapshots?resources=snap-a&nodes=${other}`);
    const found = byNode.json as Snapshot[];
    expect(found.map((s) => s.name)).toEqual(['first']);
    expect(found[0]?.snapshots?.map((n) => n.node_name)).toEqual([other]);

    // Plain resource names are answered with prefix lookups, never a scan of every snapshot.
    const list = vi.spyOn(emu.store, 'list');
    try {
      const filtered = await call(url, 'GET', '/v1/view/snapshots?resources=multi-a');
      expect((filtered.json as Snapshot[]).map((s) => s.name)).toEqual(['vm-snap']);
      const snapshotLookups = list.mock.calls.filter(([collection]) => collection === 'snapshots');
      expect(snapshotLookups.map(([, prefix]) => prefix)).toEqual([['MULTI-A']]);
    } finally {
      list.mockRestore();
    }

    const byRegex = await call(url, 'GET', '/v1/view/snapshots?resources=multi-.*');
    expect((byRegex.json as Snapshot[]).map((s) => s.resource_name).sort()).toEqual(['multi-a', 'multi-b']);

    const paged = await call(url, 'GET', '/v1/view/snapshots?limit=1&offset=1');
    expect(paged.json as Snapshot[]).toHaveLength(1);
  });
});

describe('snapshot modify and delete', () => {
  it('modifies snapshot definition props', async () => {
    const reply = await call(url, 'PUT', '/v1/resource-definitions/snap-a/snapshots/first', {
      override_props: { 'Aux/kept': 'yes' },
      delete_props: ['Aux/why'],
    });
    expect(reply.status, reply.text).toBe(200);
    expect(retCodes(reply)).toEqual([MASK_MOD | MASK_SNAPSHOT | MODIFIED]);
    const snap = (await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/first')).json as Snapshot;
    expect(snap.snapshot_definition_props).toEqual({ 'Aux/kept': 'yes' });

    const missing = await call(url, 'PUT', '/v1/resource-definitions/snap-a/snapshots/nope', {
      override_props: {},
    });
    expect(missing.status).toBe(404);
  });

  it('deletes on chosen nodes first, then entirely with its data, then warns WARN_NOT_FOUND', async () => {
    const nodes = (await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/first'))
      .json as Snapshot;
    const [first, second] = nodes.nodes ?? [];
    const partial = await call(
      url,
      'DELETE',
      `/v1/resource-definitions/snap-a/snapshots/first?nodes=${first}`,
    );
    expect(partial.status, partial.text).toBe(200);
    expect(retCodes(partial)).toEqual([MASK_DEL | MASK_SNAPSHOT | DELETED]);
    const left = (await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/first')).json as Snapshot;
    expect(left.nodes).toEqual([second]);
    expect(existsSync(snapFile('snap-a', 'first'))).toBe(true);

    const all = await call(url, 'DELETE', '/v1/resource-definitions/snap-a/snapshots/first');
    expect(all.status).toBe(200);
    expect(retCodes(all)).toEqual([MASK_DEL | MASK_SNAPSHOT | DELETED]);
    expect(messages(all)).toEqual(["Snapshot 'first' of resource 'snap-a' deleted."]);
    expect(existsSync(snapFile('snap-a', 'first'))).toBe(false);
    expect((await call(url, 'GET', '/v1/resource-definitions/snap-a/snapshots/first')).status).toBe(404);

    const again = await call(url, 'DELETE', '/v1/resource-definitions/snap-a/snapshots/first');
    expect(again.status).toBe(200);
    expect(retCodes(again)).toEqual([WARN_NOT_FOUND | MASK_DEL | MASK_SNAPSHOT]);
  });
});
