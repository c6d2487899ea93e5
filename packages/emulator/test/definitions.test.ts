import { existsSync } from 'node:fs';
import {
  DELETED,
  FAIL_EXISTS_EXT_NAME,
  FAIL_EXISTS_RSC_DFN,
  FAIL_EXISTS_SNAPSHOT_DFN,
  FAIL_EXISTS_VLM_DFN,
  FAIL_IN_USE,
  FAIL_INVLD_PROP,
  FAIL_INVLD_RSC_NAME,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_ENOUGH_FREE_SPACE,
  FAIL_NOT_FOUND_RSC_DFN,
  FAIL_NOT_FOUND_RSC_GRP,
  FAIL_NOT_FOUND_VLM_DFN,
  FAIL_UNKNOWN_ERROR,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC,
  MASK_RSC_DFN,
  MASK_VLM_DFN,
  MODIFIED,
  WARN_NOT_CONNECTED,
  WARN_NOT_FOUND,
  WARN_VLMDFN_RESIZE_SAME_SIZE,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { FAIL_POOL_EXHAUSTED_RSC_LAYER_ID } from '../src/domain/drbd';
import type { RunningEmulator } from '../src/start';
import { devicePath } from './data-helpers';
import { expectEntry, freeKib, GIB, resourcesOfRd, spawnRd } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

const CRT_RD = MASK_CRT | MASK_RSC_DFN;
const CRT_RSC = MASK_CRT | MASK_RSC;
const DEL_RD = MASK_DEL | MASK_RSC_DFN;
const MOD_VD = MASK_MOD | MASK_VLM_DFN;

interface RdView {
  name: string;
  resource_group_name?: string;
  props?: Record<string, string>;
  layer_data?: { type: string; data?: { port?: number } }[];
  volume_definitions?: {
    volume_number: number;
    size_kib: number;
    layer_data?: { data?: { minor_number?: number } }[];
  }[];
}

let emu: RunningEmulator;
let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
  url = started.url;
});

async function rd(name: string): Promise<RdView> {
  const reply = await call(url, 'GET', `/v1/resource-definitions/${name}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json as RdView;
}

function createRd(name: string, extra: Record<string, unknown> = {}) {
  return call(url, 'POST', '/v1/resource-definitions', { resource_definition: { name, ...extra } });
}

describe('resource definition create and get', () => {
  it('creates (201, 20447233), keeps the display case and finds it case-insensitively', async () => {
    const reply = await createRd('Vm-101-Disk-0');
    expect(reply.status).toBe(201);
    expect(retCodes(reply)).toEqual([20447233n]);
    expect(messages(reply)).toEqual(["New resource definition 'Vm-101-Disk-0' created."]);
    const got = await rd('VM-101-DISK-0');
    expect(got.name).toBe('Vm-101-Disk-0');
    expect(got.resource_group_name).toBe('DfltRscGrp');
    expect(got.layer_data).toBeUndefined();
  });

  it('creates DRBD layer data with the first resource, or at once with DRBD in the stack or a drbd_port', async () => {
    await createRd('lazy-rd');
    await call(url, 'POST', '/v1/resource-definitions/lazy-rd/volume-definitions', {
      volume_definition: { size_kib: GIB },
    });
    const vdLayers = async (name: string) =>
      ((await call(url, 'GET', `/v1/resource-definitions/${name}/volume-definitions/0`)).json as RdView)
        .layer_data;
    expect([(await rd('lazy-rd')).layer_data, await vdLayers('lazy-rd')]).toEqual([undefined, undefined]);
    const placed = await call(url, 'POST', '/v1/resource-definitions/lazy-rd/resources/pve1', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    expect(placed.status, placed.text).toBe(201);
    const lazy = await rd('lazy-rd');
    expect(lazy.layer_data?.map((l) => [l.type, l.data?.port])).toEqual([['DRBD', -1]]);
    expect((await vdLayers('lazy-rd'))?.map((l) => l.type)).toEqual(['DRBD']);

    await createRd('stack-rd', { layer_data: [{ type: 'DRBD' }, { type: 'STORAGE' }] });
    expect((await rd('stack-rd')).layer_data?.map((l) => [l.type, l.data?.port])).toEqual([
      ['DRBD', -1],
      ['STORAGE', undefined],
    ]);
    const withPort = await call(url, 'POST', '/v1/resource-definitions', {
      resource_definition: { name: 'port-rd' },
      drbd_port: 7777,
    });
    expect(withPort.status, withPort.text).toBe(201);
    expect((await rd('port-rd')).layer_data?.map((l) => [l.type, l.data?.port])).toEqual([['DRBD', 7777]]);
  });

  it('answers a name collision with 500 and -4611686018406940171', async () => {
    await createRd('dup-rd');
    const reply = await call(url, 'POST', '/v1/resource-definitions', {
      resource_definition: { name: 'DUP-RD' },
    });
    expect(reply.status).toBe(500);
    expect(reply.text).toContain('"ret_code":-4611686018406940171');
    expect(retCodes(reply)).toEqual([FAIL_EXISTS_RSC_DFN | CRT_RD]);
    expect(messages(reply)).toEqual([
      'The creation of a new resource definition failed due to a name collision',
    ]);
  });

  it('validates names (FAIL_INVLD_RSC_NAME), the group (404) and props (FAIL_INVLD_PROP)', async () => {
    for (const bad of ['1', '9abc', 'has space', 'x'.repeat(49)]) {
      expectEntry(await createRd(bad), 500, FAIL_INVLD_RSC_NAME | CRT_RD);
    }
    expectEntry(
      await createRd('rd-nogroup', { resource_group_name: 'nope' }),
      404,
      FAIL_NOT_FOUND_RSC_GRP | CRT_RD,
    );
    const badProp = await createRd('rd-badprop', { props: { NotAKey: 'x' } });
    expect(expectEntry(badProp, 500, FAIL_INVLD_PROP | CRT_RD).cause).toBe(
      "The key 'NotAKey' is not whitelisted.",
    );
    expect((await call(url, 'GET', '/v1/resource-definitions/rd-badprop')).status).toBe(404);
  });

  it('reports create-body props with "Successfully set property key(s)"', async () => {
    const reply = await createRd('rd-props', {
      props: { 'Aux/pm/vmid': '100', 'DrbdOptions/Net/allow-two-primaries': 'yes' },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(messages(reply)).toContain(
      'Successfully set property key(s): Aux/pm/vmid,DrbdOptions/Net/allow-two-primaries',
    );
  });

  it('keeps external names unique (FAIL_EXISTS_EXT_NAME)', async () => {
    expect((await createRd('ext-a', { external_name: 'pvc-7f3a' })).status).toBe(201);
    expect(((await rd('ext-a')) as RdView & { external_name?: string }).external_name).toBe('pvc-7f3a');
    expectEntry(await createRd('ext-b', { external_name: 'pvc-7f3a' }), 500, FAIL_EXISTS_EXT_NAME | CRT_RD);
  });

  it('answers a missing single GET with 404 and a bare FAIL_NOT_FOUND_RSC_DFN', async () => {
    const reply = await call(url, 'GET', '/v1/resource-definitions/absent');
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_RSC_DFN]);
    expect(messages(reply)).toEqual(["Resource definition 'absent' not found."]);
  });
});

describe('resource definition list', () => {
  it('lists in name order, ignoring case, as the controller does', async () => {
    for (const name of ['b-rd', 'A-rd', 'c-rd']) expect((await createRd(name)).status).toBe(201);
    const list = await call(url, 'GET', '/v1/resource-definitions');
    expect((list.json as RdView[]).map((r) => r.name)).toEqual(['A-rd', 'b-rd', 'c-rd']);
  });

  it('filters by name and props, adds VDs only on request, and pages with limit/offset', async () => {
    await spawnRd(url, 'linstor-hv', 'list-a', [GIB], {
      definitions_only: true,
      resource_definition_props: { 'Aux/pm/vmid': '7' },
    });
    await spawnRd(url, 'linstor-hv', 'list-b', [GIB], { definitions_only: true });
    const all = await call(url, 'GET', '/v1/resource-definitions');
    expect((all.json as RdView[]).map((r) => r.name)).toEqual(['list-a', 'list-b']);
    expect((all.json as RdView[]).every((r) => r.volume_definitions === undefined)).toBe(true);

    const withVds = await call(
      url,
      'GET',
      '/v1/resource-definitions?resource_definitions=LIST-A&with_volume_definitions=true',
    );
    const [a] = withVds.json as RdView[];
    expect(a?.volume_definitions?.map((v) => v.size_kib)).toEqual([GIB]);

    const byProp = await call(url, 'GET', '/v1/resource-definitions?props=Aux/pm/vmid=7');
    expect((byProp.json as RdView[]).map((r) => r.name)).toEqual(['list-a']);
    const page = await call(url, 'GET', '/v1/resource-definitions?limit=1&offset=1');
    expect((page.json as RdView[]).map((r) => r.name)).toEqual(['list-b']);
  });
});

describe('DRBD ports and minors', () => {
  it('allocates from 7000 and 1000 deterministically and reuses numbers after a delete', async () => {
    await spawnRd(url, 'linstor-hv', 'num-a', [GIB]);
    await spawnRd(url, 'linstor-hv', 'num-b', [GIB, GIB]);
    const port = async (name: string) => (await resourcesOfRd(url, name))[0]!.layer_object?.drbd?.tcp_ports;
    const minors = async (name: string) => {
      const reply = await call(
        url,
        'GET',
        `/v1/resource-definitions?resource_definitions=${name}&with_volume_definitions=true`,
      );
      return (reply.json as RdView[])[0]!.volume_definitions?.map(
        (d) => d.layer_data?.[0]?.data?.minor_number,
      );
    };
    expect([await port('num-a'), await port('num-b')]).toEqual([[7000], [7001]]);
    expect([await minors('num-a'), await minors('num-b')]).toEqual([[1000], [1001, 1002]]);

    expect((await call(url, 'DELETE', '/v1/resource-definitions/num-a')).status).toBe(200);
    await spawnRd(url, 'linstor-hv', 'num-c', [GIB]);
    expect([await port('num-c'), await minors('num-c')]).toEqual([[7000], [1000]]);
  });

  it('takes ports per node when a resource is made (none for an RD alone), peers sharing theirs when free', async () => {
    // An RD holds no port: creating many without resources uses none up.
    const range = await call(url, 'POST', '/v1/controller/properties', {
      override_props: { TcpPortAutoRange: '7200-7201', 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    expect(range.status, range.text).toBe(201);
    for (const name of ['pn-a', 'pn-b', 'pn-c']) expect((await createRd(name)).status).toBe(201);
    const ports = async (name: string) =>
      (await resourcesOfRd(url, name)).map((r) => [r.node_name, r.layer_object?.drbd?.tcp_ports]);
    const place = (rd: string, node: string) =>
      call(url, 'POST', `/v1/resource-definitions/${rd}/resources/${node}`, {
        resource: { props: { StorPoolName: 'thinpool' } },
      });
    for (const name of ['pn-a', 'pn-b', 'pn-c']) {
      const vd = await call(url, 'POST', `/v1/resource-definitions/${name}/volume-definitions`, {
        volume_definition: { size_kib: 65536 },
      });
      expect(vd.status, vd.text).toBeLessThan(300);
    }
    expect((await place('pn-a', 'pve1')).status).toBe(201);
    expect((await place('pn-b', 'pve2')).status).toBe(201);
    // pn-b's peer on pve1 prefers pn-b's port (7200), which pn-a holds there: the lowest free one.
    expect((await place('pn-b', 'pve1')).status).toBe(201);
    expect(await ports('pn-a')).toEqual([['pve1', [7200]]]);
    expect(await ports('pn-b')).toEqual([
      ['pve1', [7201]],
      ['pve2', [7200]],
    ]);
    // pve1's range is used up; pve3's is not (each node has its own pool).
    const full = await place('pn-c', 'pve1');
    const err = expectEntry(full, 500, FAIL_POOL_EXHAUSTED_RSC_LAYER_ID | CRT_RSC);
    expect([err.message, err.cause]).toEqual([
      'No TCP/IP port number could be allocated for the resource',
      'The pool of free TCP/IP port numbers is exhausted',
    ]);
    expect(await resourcesOfRd(url, 'pn-c')).toEqual([]);
    expect((await place('pn-c', 'pve3')).status).toBe(201);
    // A deleted resource's port is free again on its node.
    expect((await call(url, 'DELETE', '/v1/resource-definitions/pn-a/resources/pve1')).status).toBe(200);
    expect((await place('pn-c', 'pve1')).status).toBe(201);
    expect(await ports('pn-c')).toEqual([
      ['pve1', [7200]],
      ['pve3', [7200]],
    ]);
  });

  it('gives a resource the drbd_tcp_ports asked for, and refuses one that is taken', async () => {
    await spawnRd(url, 'linstor-hv', 'pn-fixed', [GIB], {
      resource_definition_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    const taken = (await resourcesOfRd(url, 'pn-fixed'))[0]!.layer_object?.drbd?.tcp_ports?.[0];
    const ok = await call(url, 'POST', '/v1/resource-definitions/pn-fixed/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
      drbd_tcp_ports: [7555, 7556],
    });
    expect(ok.status, ok.text).toBe(201);
    expect((await resourcesOfRd(url, 'pn-fixed'))[2]!.layer_object?.drbd?.tcp_ports).toEqual([7555, 7556]);
    await createRd('pn-fixed-2');
    const clash = await call(url, 'POST', '/v1/resource-definitions/pn-fixed-2/resources/pve1', {
      resource: { flags: ['DRBD_DISKLESS'] },
      drbd_tcp_ports: [taken],
    });
    expectEntry(clash, 500, FAIL_UNKNOWN_ERROR | CRT_RSC);
  });
});

describe('DRBD number ranges', () => {
  it("honours a node's TcpPortAutoRange over the controller's; an RD's drbd_port is only a preference", async () => {
    const set = await call(url, 'PUT', '/v1/nodes/pve2', {
      override_props: { TcpPortAutoRange: '7300-7399' },
    });
    expect(set.status, set.text).toBe(200);
    const noTb = await call(url, 'POST', '/v1/controller/properties', {
      override_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    expect(noTb.status, noTb.text).toBe(201);
    // drbd_port needs no free port and is shared: two RDs may name the same one.
    for (const name of ['port-a', 'port-b']) {
      const rd = await call(url, 'POST', '/v1/resource-definitions', {
        resource_definition: { name },
        drbd_port: 7310,
      });
      expect(rd.status, rd.text).toBe(201);
      await call(url, 'POST', `/v1/resource-definitions/${name}/volume-definitions`, {
        volume_definition: { size_kib: 65536 },
      });
    }
    const place = (rd: string, node: string) =>
      call(url, 'POST', `/v1/resource-definitions/${rd}/resources/${node}`, {
        resource: { props: { StorPoolName: 'thinpool' } },
      });
    for (const [rd, node] of [
      ['port-a', 'pve1'],
      ['port-a', 'pve2'],
      ['port-b', 'pve2'],
    ] as const) {
      expect((await place(rd, node)).status).toBe(201);
    }
    const ports = async (name: string) =>
      (await resourcesOfRd(url, name)).map((r) => [r.node_name, r.layer_object?.drbd?.tcp_ports]);
    // Both nodes' ranges hold 7310; on pve2 it is taken once, so port-b gets pve2's lowest free.
    expect(await ports('port-a')).toEqual([
      ['pve1', [7310]],
      ['pve2', [7310]],
    ]);
    expect(await ports('port-b')).toEqual([['pve2', [7300]]]);
  });
});

describe('resource definition modify', () => {
  it('moves an RD to another resource group and refuses an unknown one (404)', async () => {
    await createRd('mv-rd');
    const ok = await call(url, 'PUT', '/v1/resource-definitions/mv-rd', { resource_group: 'linstor-hv' });
    expectEntry(ok, 200, MODIFIED | MASK_MOD | MASK_RSC_DFN);
    expect((await rd('mv-rd')).resource_group_name).toBe('linstor-hv');
    const bad = await call(url, 'PUT', '/v1/resource-definitions/mv-rd', { resource_group: 'nope' });
    expectEntry(bad, 404, FAIL_NOT_FOUND_RSC_GRP | MASK_MOD | MASK_RSC_DFN);
  });

  it('sets and deletes props', async () => {
    await createRd('props-rd');
    await call(url, 'PUT', '/v1/resource-definitions/props-rd', {
      override_props: { 'Aux/a': '1', 'Aux/b/c': '2' },
    });
    await call(url, 'PUT', '/v1/resource-definitions/props-rd', { delete_namespaces: ['Aux/b'] });
    expect((await rd('props-rd')).props).toEqual({ 'Aux/a': '1' });
  });
});

describe('resource definition delete', () => {
  it('answers 200 + WARN_NOT_FOUND (-9223372036800771144) for a missing RD', async () => {
    const reply = await call(url, 'DELETE', '/v1/resource-definitions/never-was');
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('"ret_code":-9223372036800771144');
    expect(retCodes(reply)).toEqual([WARN_NOT_FOUND | DEL_RD]);
  });

  it('refuses while snapshots exist (FAIL_EXISTS_SNAPSHOT_DFN) and while in use (FAIL_IN_USE), then deletes', async () => {
    await spawnRd(url, 'linstor-hv', 'guarded', [GIB]);
    const snap = await call(url, 'POST', '/v1/resource-definitions/guarded/snapshots', { name: 'snap1' });
    expect(snap.status, snap.text).toBe(201);
    const withSnap = await call(url, 'DELETE', '/v1/resource-definitions/guarded');
    const err = expectEntry(withSnap, 500, FAIL_EXISTS_SNAPSHOT_DFN | DEL_RD);
    expect(err.message).toBe("Cannot delete resource definition 'guarded' because it has snapshots.");
    expect((await call(url, 'DELETE', '/v1/resource-definitions/guarded/snapshots/snap1')).status).toBe(200);

    expect((await emu.control.openDevice('pve2', 'guarded', 'rw')).status).toBe(200);
    const inUse = await call(url, 'DELETE', '/v1/resource-definitions/guarded');
    expect(expectEntry(inUse, 500, FAIL_IN_USE | DEL_RD).message).toBe(
      "Resource 'guarded' on node 'pve2' is still in use.",
    );
    await emu.control.closeDevice('pve2', 'guarded');

    const ok = await call(url, 'DELETE', '/v1/resource-definitions/guarded');
    expect(ok.status).toBe(200);
    expect(retCodes(ok)).toEqual([54001666n]);
    expect(messages(ok)).toEqual(["Resource definition 'guarded' deleted."]);
    for (const node of ['pve1', 'pve2', 'pve3'])
      expect(existsSync(devicePath(emu.dataDir, node, 'guarded'))).toBe(false);
    expect((await call(url, 'GET', '/v1/view/resources?resources=guarded')).json).toEqual([]);
  });
});

describe('volume definitions', () => {
  it('creates with 200 (19922945), refuses a duplicate number, and answers 404 for a missing one', async () => {
    await createRd('vd-rd');
    const first = await call(url, 'POST', '/v1/resource-definitions/vd-rd/volume-definitions', {
      volume_definition: { size_kib: GIB },
    });
    expect(first.status).toBe(200);
    expect(retCodes(first)).toEqual([19922945n]);
    expect(messages(first)).toEqual([
      "New volume definition with number '0' of resource definition 'vd-rd' created.",
    ]);
    const dup = await call(url, 'POST', '/v1/resource-definitions/vd-rd/volume-definitions', {
      volume_definition: { size_kib: GIB, volume_number: 0 },
    });
    expect(expectEntry(dup, 500, FAIL_EXISTS_VLM_DFN | MASK_CRT | MASK_VLM_DFN).message).toBe(
      "A volume definition with the number 0 already exists in resource definition 'vd-rd'.",
    );
    const missing = await call(url, 'GET', '/v1/resource-definitions/vd-rd/volume-definitions/3');
    expect(missing.status).toBe(404);
    expect(retCodes(missing)).toEqual([FAIL_NOT_FOUND_VLM_DFN]);
    const got = await call(url, 'GET', '/v1/resource-definitions/vd-rd/volume-definitions/0');
    expect((got.json as { size_kib: number }).size_kib).toBe(GIB);
  });

  it('grows (36700163, thick pool space taken), warns on the same size, refuses to shrink and to overcommit', async () => {
    await spawnRd(url, 'linstor-hv-thick', 'rs-1', [GIB]);
    const before = await freeKib(url, 'pve1', 'thickpool');
    const grow = await call(url, 'PUT', '/v1/resource-definitions/rs-1/volume-definitions/0', {
      size_kib: 2 * GIB,
    });
    expect(grow.status, grow.text).toBe(200);
    expect(retCodes(grow)).toEqual([36700163n]);
    expect(await freeKib(url, 'pve1', 'thickpool')).toBe(before - GIB);
    const view = await call(url, 'GET', '/v1/view/resources?resources=rs-1&nodes=pve1');
    // 2 GiB + 488 KiB of metadata rounded up to 513 extents; DRBD offers that minus its metadata.
    expect((view.json as { volumes: { usable_size_kib: number }[] }[])[0]!.volumes[0]!.usable_size_kib).toBe(
      2 * GIB + 4096 - 488,
    );

    const same = await call(url, 'PUT', '/v1/resource-definitions/rs-1/volume-definitions/0', {
      size_kib: 2 * GIB,
    });
    expectEntry(same, 200, WARN_VLMDFN_RESIZE_SAME_SIZE | MOD_VD);

    const shrink = await call(url, 'PUT', '/v1/resource-definitions/rs-1/volume-definitions/0', {
      size_kib: GIB,
    });
    expect(expectEntry(shrink, 500, FAIL_INVLD_VLM_SIZE | MOD_VD).message).toBe(
      'Volumes can only grow in size',
    );

    const huge = await call(url, 'PUT', '/v1/resource-definitions/rs-1/volume-definitions/0', {
      size_kib: 40 * GIB,
    });
    expectEntry(huge, 500, FAIL_NOT_ENOUGH_FREE_SPACE | MOD_VD);
    expect(await freeKib(url, 'pve1', 'thickpool')).toBe(before - GIB);
  });

  it('deletes a VD (answers WARN_NOT_FOUND when missing)', async () => {
    await spawnRd(url, 'linstor-hv', 'vd-del', [GIB, GIB]);
    const ok = await call(url, 'DELETE', '/v1/resource-definitions/vd-del/volume-definitions/1');
    expectEntry(ok, 200, DELETED | MASK_DEL | MASK_VLM_DFN);
    expect(existsSync(devicePath(emu.dataDir, 'pve1', 'vd-del', 1))).toBe(false);
    expect(existsSync(devicePath(emu.dataDir, 'pve1', 'vd-del', 0))).toBe(true);
    const again = await call(url, 'DELETE', '/v1/resource-definitions/vd-del/volume-definitions/1');
    expectEntry(again, 200, WARN_NOT_FOUND | MASK_DEL | MASK_VLM_DFN);
  });
});

describe('volume definitions and offline nodes', () => {
  it('warns WARN_NOT_CONNECTED for each offline node holding the RD when a VD is added or removed', async () => {
    await spawnRd(url, 'linstor-hv', 'vd-off', [GIB]);
    await emu.control.nodeOffline('pve2');
    const add = await call(url, 'POST', '/v1/resource-definitions/vd-off/volume-definitions', {
      volume_definition: { size_kib: GIB },
    });
    expect(add.status, add.text).toBe(200);
    expect(retCodes(add)).toEqual([19922945n, WARN_NOT_CONNECTED | MASK_CRT | MASK_VLM_DFN]);
    const del = await call(url, 'DELETE', '/v1/resource-definitions/vd-off/volume-definitions/1');
    expect(retCodes(del)).toEqual([
      DELETED | MASK_DEL | MASK_VLM_DFN,
      WARN_NOT_CONNECTED | MASK_DEL | MASK_VLM_DFN,
    ]);
  });
});

describe('sync-status', () => {
  it('is synced while every diskful replica is online', async () => {
    await spawnRd(url, 'linstor-hv', 'sync-1', [GIB]);
    const ok = await call(url, 'GET', '/v1/resource-definitions/sync-1/sync-status');
    expect(ok.json).toEqual({ synced_on_all: true });
    await emu.control.nodeOffline('pve1');
    expect((await call(url, 'GET', '/v1/resource-definitions/sync-1/sync-status')).json).toEqual({
      synced_on_all: false,
    });
  });
});
