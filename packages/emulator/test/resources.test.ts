import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CREATED,
  DELETED,
  FAIL_IN_USE,
  FAIL_INVLD_LAYER_STACK,
  FAIL_INVLD_PROP,
  FAIL_INVLD_STOR_DRIVER,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_ENOUGH_NODES,
  FAIL_NOT_FOUND_NODE,
  FAIL_NOT_FOUND_RSC,
  FAIL_NOT_FOUND_STOR_POOL,
  INFO_PROP_SET,
  INFO_RSC_ALREADY_EXISTS,
  INFO_TIE_BREAKER_CREATED,
  INFO_TIE_BREAKER_TAKEOVER,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC,
  MASK_RSC_CONN,
  MODIFIED,
  WARN_NOT_CONNECTED,
  WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER,
  WARN_NOT_FOUND,
  WARN_RSC_ALREADY_DEPLOYED,
  WARN_RSC_ALREADY_DISKLESS,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/start';
import { devicePath } from './data-helpers';
import {
  createSatellite,
  diskless,
  expectEntry,
  freeKib,
  GIB,
  makeAvailable,
  resourcesOfRd,
  spawnRd,
  viewResources,
} from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

const CRT_RSC = MASK_CRT | MASK_RSC;
const DEL_RSC = MASK_DEL | MASK_RSC;

let emu: RunningEmulator;
let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
  url = started.url;
});

async function createRd(name: string, sizeKib = GIB, rg?: string): Promise<void> {
  const rd = await call(url, 'POST', '/v1/resource-definitions', {
    resource_definition: { name, ...(rg ? { resource_group_name: rg } : {}) },
  });
  expect(rd.status, rd.text).toBe(201);
  const vd = await call(url, 'POST', `/v1/resource-definitions/${name}/volume-definitions`, {
    volume_definition: { size_kib: sizeKib },
  });
  expect(vd.status, vd.text).toBe(200);
}

describe('spawn placement and the automatic tie-breaker', () => {
  it('places two diskful replicas in thinpool and a diskless TIE_BREAKER on the third node', async () => {
    const reply = await spawnRd(url, 'linstor-hv', 'vm-100-disk-0', [GIB]);
    const tb = expectEntry(reply, 201, INFO_TIE_BREAKER_CREATED | CRT_RSC);
    expect(tb.message).toBe("Tie breaker resource 'vm-100-disk-0' created on pve3");
    expect(retCodes(reply).filter((c) => c === (CREATED | CRT_RSC)).length).toBeGreaterThanOrEqual(2);

    const rscs = await resourcesOfRd(url, 'vm-100-disk-0');
    expect(rscs.map((r) => [r.node_name, r.flags ?? []])).toEqual([
      ['pve1', []],
      ['pve2', []],
      ['pve3', ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER']],
    ]);
    for (const r of rscs.filter((x) => !diskless(x))) {
      expect(r.props).toEqual({ StorPoolName: 'thinpool' });
      expect(r.volumes?.[0]?.storage_pool_name).toBe('thinpool');
      expect(r.volumes?.[0]?.provider_kind).toBe('LVM_THIN');
      const peers = ['pve1', 'pve2', 'pve3'].filter((n) => n !== r.node_name);
      expect(r.volumes?.[0]?.state).toEqual({
        disk_state: 'UpToDate',
        replication_states: Object.fromEntries(peers.map((p) => [p, { replication_state: 'Established' }])),
      });
      // DRBD offers the 4 MiB-rounded thin LV minus its internal metadata (264 KiB for 7 peer slots).
      expect(r.volumes?.[0]?.usable_size_kib).toBe(GIB + 4096 - 264);
      expect(r.volumes?.[0]?.allocated_size_kib).toBeLessThan(GIB);
    }
    const tbView = rscs[2]!;
    expect(tbView.props).toEqual({ StorPoolName: 'DfltDisklessStorPool' });
    expect(tbView.volumes?.[0]).toMatchObject({
      storage_pool_name: 'DfltDisklessStorPool',
      state: { disk_state: 'Diskless' },
    });
    expect(tbView.state).toEqual({ in_use: false });
  });

  it('shows DRBD layer data: one minor and device path for all nodes, distinct node ids, connected peers', async () => {
    await spawnRd(url, 'linstor-hv', 'vm-layer', [GIB]);
    const rscs = await resourcesOfRd(url, 'vm-layer');
    const paths = new Set(rscs.map((r) => r.volumes?.[0]?.device_path));
    expect(paths.size).toBe(1);
    expect([...paths][0]).toMatch(/^\/dev\/drbd1\d{3}$/);
    expect(new Set(rscs.map((r) => r.layer_object?.drbd?.node_id)).size).toBe(3);
    expect(rscs[0]!.layer_object?.drbd?.connections).toEqual({
      pve2: { connected: true, message: 'Connected' },
      pve3: { connected: true, message: 'Connected' },
    });
    // Ports belong to the resources; the RD's DRBD data shows -1 without a drbd_port.
    expect(rscs[0]!.layer_object?.drbd?.drbd_resource_definition?.port).toBe(-1);
    expect(rscs[0]!.layer_object?.drbd?.tcp_ports?.[0]).toBeGreaterThanOrEqual(7000);
    expect(typeof rscs[0]!.create_timestamp).toBe('number');
    // Device links exist on every node that has the resource.
    for (const node of ['pve1', 'pve2', 'pve3'])
      expect(existsSync(devicePath(emu.dataDir, node, 'vm-layer'))).toBe(true);
  });

  it('adds no tie-breaker when DrbdOptions/auto-add-quorum-tiebreaker is False on the RG', async () => {
    const put = await call(url, 'PUT', '/v1/resource-groups/linstor-hv', {
      override_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    expect(put.status, put.text).toBe(200);
    const reply = await spawnRd(url, 'linstor-hv', 'vm-no-tb', [GIB]);
    expect(reply.status, reply.text).toBe(201);
    expect(retCodes(reply)).not.toContain(INFO_TIE_BREAKER_CREATED | CRT_RSC);
    expect((await resourcesOfRd(url, 'vm-no-tb')).map((r) => r.node_name)).toEqual(['pve1', 'pve2']);
  });

  it('reports effective_props inherited controller → RG → RD → resource', async () => {
    await call(url, 'POST', '/v1/controller/properties', { override_props: { 'Aux/level': 'ctrl' } });
    await call(url, 'PUT', '/v1/resource-groups/linstor-hv', {
      override_props: { 'Aux/level': 'rg', 'Aux/rg-only': 'x' },
    });
    await spawnRd(url, 'linstor-hv', 'vm-eff', [GIB], { resource_definition_props: { 'Aux/level': 'rd' } });
    const [first] = await resourcesOfRd(url, 'vm-eff');
    expect(first!.effective_props?.['Aux/level']).toEqual({
      type: 'RESOURCE_DEFINITION',
      value: 'rd',
      other: [
        { type: 'RSC_GRP', value: 'rg' },
        { type: 'CTRL', value: 'ctrl' },
      ],
    });
    expect(first!.effective_props?.['Aux/rg-only']).toEqual({ type: 'RSC_GRP', value: 'x' });
    expect(first!.effective_props?.StorPoolName).toEqual({ type: 'RESOURCE', value: 'thinpool' });
  });
});

describe('resource create', () => {
  it('creates a single diskful resource in the StorPoolName pool (201); a second create is INFO_RSC_ALREADY_EXISTS', async () => {
    await createRd('rsc-single');
    const freeBefore = await freeKib(url, 'pve2', 'thickpool');
    const body = { resource: { node_name: 'ignored', props: { StorPoolName: 'thickpool' } } };
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-single/resources/pve2', body);
    expect(reply.status, reply.text).toBe(201);
    // The thick pool gives the whole LV, DRBD metadata and extent rounding included.
    expect(await freeKib(url, 'pve2', 'thickpool')).toBe(freeBefore - GIB - 4096);
    expect(retCodes(reply)[0]).toBe(CREATED | CRT_RSC);
    expect(messages(reply)[0]).toBe("New resource 'rsc-single' on node 'pve2' registered.");
    const [r] = await resourcesOfRd(url, 'rsc-single');
    expect(r).toMatchObject({ node_name: 'pve2', props: { StorPoolName: 'thickpool' } });
    // Thick LV: 1 GiB plus 264 KiB of DRBD metadata, rounded up to 257 extents of 4 MiB.
    expect(r!.volumes?.[0]?.allocated_size_kib).toBe(GIB + 4096);
    const volume = r!.volumes![0] as { layer_data_list?: { type: string; data: Record<string, unknown> }[] };
    const layers = volume.layer_data_list;
    expect(layers?.map((l) => [l.type, l.data.allocated_size_kib, l.data.usable_size_kib])).toEqual([
      ['DRBD', GIB + 264, GIB + 4096 - 264],
      ['STORAGE', GIB + 4096, GIB + 4096],
    ]);

    // CtrlRscCrtApiHelper.createResource: LinStorDataAlreadyExistsException -> INFO_RSC_ALREADY_EXISTS,
    // the call aborted (nothing changes, the request's props are not written) with a success status.
    const again = await call(url, 'POST', '/v1/resource-definitions/RSC-SINGLE/resources/PVE2', {
      resource: { props: { StorPoolName: 'thinpool', 'Aux/x': '1' } },
    });
    expect(retCodes(again)).toEqual([INFO_RSC_ALREADY_EXISTS | CRT_RSC]);
    expect(again.status).toBe(201);
    expect(messages(again)[0]).toBe("A resource 'rsc-single' on node 'pve2' already exists.");
    const [after] = await resourcesOfRd(url, 'rsc-single');
    expect([after!.uuid, after!.props]).toEqual([r!.uuid, { StorPoolName: 'thickpool' }]);
    expect((await call(url, 'DELETE', '/v1/resource-definitions/rsc-single/resources/pve2')).status).toBe(
      200,
    );
    expect(await freeKib(url, 'pve2', 'thickpool')).toBe(freeBefore);
  });

  it('aborts an array create at a resource that exists: the new ones before it are not kept', async () => {
    await createRd('rsc-exists-array');
    await call(url, 'POST', '/v1/resource-definitions/rsc-exists-array/resources/pve2', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-exists-array/resources', [
      { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'pve2', props: { StorPoolName: 'thinpool' } } },
    ]);
    expect([reply.status, retCodes(reply)]).toEqual([201, [INFO_RSC_ALREADY_EXISTS | CRT_RSC]]);
    expect((await resourcesOfRd(url, 'rsc-exists-array')).map((r) => r.node_name)).toEqual(['pve2']);
  });

  it('creates an array of resources, diskless ones flagged DISKLESS/DRBD_DISKLESS', async () => {
    await createRd('rsc-array');
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-array/resources', [
      { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'pve3', flags: ['DRBD_DISKLESS'] } },
    ]);
    expect(reply.status, reply.text).toBe(201);
    const rscs = await resourcesOfRd(url, 'rsc-array');
    expect(rscs.map((r) => [r.node_name, r.flags ?? []])).toEqual([
      ['pve1', []],
      ['pve3', ['DISKLESS', 'DRBD_DISKLESS']],
    ]);
  });

  it('adds DRBD_DISKLESS to a DISKLESS flag only when the layer list names DRBD', async () => {
    await spawnRd(url, 'linstor-hv', 'rsc-flags', [GIB], {
      resource_definition_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    const withDrbd = await call(url, 'POST', '/v1/resource-definitions/rsc-flags/resources/pve3', {
      resource: { flags: ['DISKLESS'] },
      layer_list: ['DRBD', 'STORAGE'],
    });
    expect(withDrbd.status, withDrbd.text).toBe(201);
    expect((await resourcesOfRd(url, 'rsc-flags'))[2]!.flags).toEqual(['DISKLESS', 'DRBD_DISKLESS']);
    await call(url, 'DELETE', '/v1/resource-definitions/rsc-flags/resources/pve3');
    const generic = await call(url, 'POST', '/v1/resource-definitions/rsc-flags/resources/pve3', {
      resource: { flags: ['DISKLESS'] },
    });
    expect(generic.status, generic.text).toBe(201);
    expect((await resourcesOfRd(url, 'rsc-flags'))[2]!.flags).toEqual(['DISKLESS']);
  });

  it('takes over a tie-breaker when a diskless resource is created on its node, without INFO_TIE_BREAKER_TAKEOVER', async () => {
    await spawnRd(url, 'linstor-hv', 'rsc-takeover', [GIB]);
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-takeover/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
    });
    // The flag change updates the satellites of the RD (CtrlSatelliteUpdateCaller, combineResponses).
    expect(reply.status, reply.text).toBe(201);
    expect(retCodes(reply)).toEqual([MODIFIED | CRT_RSC, MODIFIED | CRT_RSC, MODIFIED | CRT_RSC]);
    expect(messages(reply)).toEqual([
      "Update of resource 'rsc-takeover' on 'pve3' applied on node 'pve1'",
      "Update of resource 'rsc-takeover' on 'pve3' applied on node 'pve2'",
      "Updated resource 'rsc-takeover' on 'pve3'",
    ]);
    const rscs = await resourcesOfRd(url, 'rsc-takeover');
    expect(rscs[2]!.flags).toEqual(['DISKLESS', 'DRBD_DISKLESS']);
    // Asked again: nothing changes, nothing is answered.
    const again = await call(url, 'POST', '/v1/resource-definitions/rsc-takeover/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
    });
    expect([again.status, retCodes(again)]).toEqual([201, []]);
  });

  it('gives a tie-breaker a disk when a diskful resource is created on its node (toggle-disk)', async () => {
    await spawnRd(url, 'linstor-hv', 'rsc-tb-disk', [GIB]);
    expect((await resourcesOfRd(url, 'rsc-tb-disk'))[2]!.flags).toContain('TIE_BREAKER');
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-tb-disk/resources/pve3', {
      resource: { props: { StorPoolName: 'thinpool', 'Aux/owner': 'x' } },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(retCodes(reply)).not.toContain(INFO_TIE_BREAKER_TAKEOVER | CRT_RSC);
    expect(retCodes(reply)).toContain(MODIFIED | MASK_MOD | MASK_RSC);
    const pve3 = (await resourcesOfRd(url, 'rsc-tb-disk'))[2]!;
    expect([pve3.node_name, pve3.flags ?? [], pve3.props]).toEqual([
      'pve3',
      [],
      { StorPoolName: 'thinpool' },
    ]);
  });

  it("gives a user's diskless resource a disk when a diskful one is created on its node, instead of FAIL_EXISTS_RSC", async () => {
    await spawnRd(url, 'linstor-hv', 'rsc-dl-disk', [GIB], {
      resource_definition_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    const client = await call(url, 'POST', '/v1/resource-definitions/rsc-dl-disk/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
      drbd_client: true,
    });
    expect(client.status, client.text).toBe(201);
    const before = (await resourcesOfRd(url, 'rsc-dl-disk'))[2]!;
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-dl-disk/resources/pve3', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(retCodes(reply)).toEqual([MODIFIED | MASK_MOD | MASK_RSC]);
    const after = (await resourcesOfRd(url, 'rsc-dl-disk'))[2]!;
    expect([after.uuid, after.flags ?? [], after.props?.StorPoolName]).toEqual([before.uuid, [], 'thinpool']);
    // A diskless create over the (now diskful) resource is INFO_RSC_ALREADY_EXISTS.
    const dl = await call(url, 'POST', '/v1/resource-definitions/rsc-dl-disk/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
    });
    expect([dl.status, retCodes(dl)]).toEqual([201, [INFO_RSC_ALREADY_EXISTS | CRT_RSC]]);
  });

  it("sets or clears a diskless resource's DRBD client flag on a create with drbd_client", async () => {
    await spawnRd(url, 'linstor-hv', 'rsc-dl-client', [GIB], {
      resource_definition_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    await call(url, 'POST', '/v1/resource-definitions/rsc-dl-client/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
    });
    const same = await call(url, 'POST', '/v1/resource-definitions/rsc-dl-client/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'] },
      drbd_client: false,
    });
    expect([same.status, retCodes(same)]).toEqual([201, []]);
    const toClient = await call(url, 'POST', '/v1/resource-definitions/rsc-dl-client/resources/pve3', {
      drbd_client: true,
    });
    expect([toClient.status, messages(toClient).at(-1)]).toEqual([
      201,
      "Updated resource 'rsc-dl-client' on 'pve3'",
    ]);
    expect((await resourcesOfRd(url, 'rsc-dl-client'))[2]!.flags).toEqual(['DISKLESS', 'DRBD_DISKLESS']);
  });

  it('takes over a tie-breaker without writing the request props, as CtrlRscCrtApiHelper does', async () => {
    await spawnRd(url, 'linstor-hv', 'rsc-takeover-props', [GIB]);
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-takeover-props/resources/pve3', {
      resource: { flags: ['DRBD_DISKLESS'], props: { 'Aux/owner': 'vm-7' } },
      drbd_client: true,
    });
    expect(reply.status, reply.text).toBe(201);
    const tb = (await resourcesOfRd(url, 'rsc-takeover-props'))[2]!;
    expect([tb.flags, tb.props]).toEqual([
      ['DISKLESS', 'DRBD_DISKLESS'],
      { StorPoolName: 'DfltDisklessStorPool' },
    ]);
  });

  it('refuses a resource its pool cannot hold with FAIL_INVLD_VLM_SIZE, as the controller does', async () => {
    await createRd('rsc-too-big', 30 * GIB);
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-too-big/resources/pve1', {
      resource: { props: { StorPoolName: 'thickpool' } },
    });
    const err = expectEntry(reply, 500, FAIL_INVLD_VLM_SIZE | CRT_RSC);
    expect(err.message).toBe("Not enough free space available for volume 0 of resource 'rsc-too-big'");
    expect(await resourcesOfRd(url, 'rsc-too-big')).toEqual([]);
  });

  it('leaves no device link or data file behind when a later item of an array create fails', async () => {
    await createRd('rsc-atomic');
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-atomic/resources', [
      { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'no-such-node', flags: ['DRBD_DISKLESS'] } },
    ]);
    expectEntry(reply, 404, FAIL_NOT_FOUND_NODE | CRT_RSC);
    expect(await resourcesOfRd(url, 'rsc-atomic')).toEqual([]);
    expect(existsSync(devicePath(emu.dataDir, 'pve1', 'rsc-atomic'))).toBe(false);
    expect(existsSync(join(emu.dataDir, 'volumes', 'RSC-ATOMIC', '0.img'))).toBe(false);
  });

  it('rejects an unknown property key with FAIL_INVLD_PROP and creates nothing', async () => {
    await createRd('rsc-badprop');
    const reply = await call(url, 'POST', '/v1/resource-definitions/rsc-badprop/resources/pve1', {
      resource: { props: { 'Bogus/key': '1' } },
    });
    const err = expectEntry(reply, 500, FAIL_INVLD_PROP | CRT_RSC);
    expect(err.message).toBe('Invalid property key: Bogus/key');
    expect(err.cause).toBe("The key 'Bogus/key' is not whitelisted.");
    expect(await resourcesOfRd(url, 'rsc-badprop')).toEqual([]);
  });
});

describe('resource delete', () => {
  it('answers 200 + WARN_NOT_FOUND for a missing resource', async () => {
    await createRd('del-missing');
    const reply = await call(url, 'DELETE', '/v1/resource-definitions/del-missing/resources/pve1');
    const warn = expectEntry(reply, 200, WARN_NOT_FOUND | DEL_RSC);
    expect(warn.message).toBe("Resource 'del-missing' on node 'pve1' not found.");
  });

  it('refuses to delete a resource in use (FAIL_IN_USE) and deletes it once closed', async () => {
    await spawnRd(url, 'linstor-hv', 'del-inuse', [GIB]);
    expect((await emu.control.openDevice('pve1', 'del-inuse', 'rw')).status).toBe(200);
    const refused = await call(url, 'DELETE', '/v1/resource-definitions/del-inuse/resources/pve1');
    const err = expectEntry(refused, 500, FAIL_IN_USE | DEL_RSC);
    expect(err.message).toBe("Resource 'del-inuse' on node 'pve1' is still in use.");
    await emu.control.closeDevice('pve1', 'del-inuse');
    const ok = await call(url, 'DELETE', '/v1/resource-definitions/del-inuse/resources/pve1');
    expectEntry(ok, 200, DELETED | DEL_RSC);
    expect(existsSync(devicePath(emu.dataDir, 'pve1', 'del-inuse'))).toBe(false);
  });

  it('refuses to delete the last diskful resource while diskless peers remain', async () => {
    await createRd('del-last');
    await call(url, 'POST', '/v1/resource-definitions/del-last/resources', [
      { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'pve2', flags: ['DRBD_DISKLESS'] } },
    ]);
    const reply = await call(url, 'DELETE', '/v1/resource-definitions/del-last/resources/pve1');
    const err = expectEntry(reply, 500, FAIL_IN_USE | DEL_RSC);
    expect(err.message).toBe("Last resource of 'del-last' with disk still has diskless resources attached.");
  });

  it('keeps a deleted diskless as tie-breaker; keep_tiebreaker keeps it; a plain delete turns auto tie-breaking off', async () => {
    await spawnRd(url, 'linstor-hv', 'del-tb', [GIB]);
    const avail = await makeAvailable(url, 'del-tb', 'pve3', { diskful: false });
    expect(avail.status, avail.text).toBe(200);
    expect((await resourcesOfRd(url, 'del-tb'))[2]!.flags).toEqual(['DISKLESS', 'DRBD_DISKLESS']);

    const first = await call(url, 'DELETE', '/v1/resource-definitions/del-tb/resources/pve3');
    expect(expectEntry(first, 200, INFO_TIE_BREAKER_TAKEOVER | DEL_RSC).message).toBe(
      'The given resource will not be deleted but will be taken over as a linstor managed tiebreaker resource.',
    );
    expect((await resourcesOfRd(url, 'del-tb'))[2]!.flags).toEqual([
      'DISKLESS',
      'DRBD_DISKLESS',
      'TIE_BREAKER',
    ]);

    const second = await call(
      url,
      'DELETE',
      '/v1/resource-definitions/del-tb/resources/pve3?keep_tiebreaker=true',
    );
    expectEntry(second, 200, INFO_TIE_BREAKER_TAKEOVER | DEL_RSC);
    expect((await resourcesOfRd(url, 'del-tb')).map((r) => r.node_name)).toEqual(['pve1', 'pve2', 'pve3']);

    const third = await call(url, 'DELETE', '/v1/resource-definitions/del-tb/resources/pve3');
    expect(expectEntry(third, 200, INFO_PROP_SET | DEL_RSC).message).toBe(
      "Disabling auto-tiebreaker on resource-definition 'del-tb' as tiebreaker resource was manually deleted",
    );
    expectEntry(third, 200, DELETED | DEL_RSC);
    expect((await resourcesOfRd(url, 'del-tb')).map((r) => r.node_name)).toEqual(['pve1', 'pve2']);
    const rd = await call(url, 'GET', '/v1/resource-definitions/del-tb');
    expect((rd.json as { props?: Record<string, string> }).props).toEqual({
      'DrbdOptions/auto-add-quorum-tiebreaker': 'False',
    });
  });

  it('turns a deleted diskful replica into the tie-breaker when two diskful remain', async () => {
    await spawnRd(url, 'linstor-hv', 'del-disk', [GIB], { select_filter: { place_count: 3 } });
    const reply = await call(url, 'DELETE', '/v1/resource-definitions/del-disk/resources/pve2');
    expectEntry(reply, 200, INFO_TIE_BREAKER_TAKEOVER | DEL_RSC);
    const rscs = await resourcesOfRd(url, 'del-disk');
    expect(rscs.map((r) => [r.node_name, r.flags ?? []])).toEqual([
      ['pve1', []],
      ['pve2', ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER']],
      ['pve3', []],
    ]);
    expect(rscs[1]!.volumes?.[0]?.storage_pool_name).toBe('DfltDisklessStorPool');
  });

  it('keeps the tie-breaker next to a DRBD client made available on a fourth node, and deletes the client', async () => {
    const node = await createSatellite(url, 'pve4', '10.0.0.4', { satellite_port: 3366 });
    expect(node.status, node.text).toBe(201);
    await spawnRd(url, 'linstor-hv', 'del-client', [GIB]);
    const avail = await makeAvailable(url, 'del-client', 'pve4', { diskful: false });
    expect(avail.status, avail.text).toBe(200);
    const withClient = await resourcesOfRd(url, 'del-client');
    expect(withClient.map((r) => [r.node_name, r.flags ?? []])).toEqual([
      ['pve1', []],
      ['pve2', []],
      ['pve3', ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER']],
      ['pve4', ['DISKLESS', 'DRBD_DISKLESS']],
    ]);
    const del = await call(
      url,
      'DELETE',
      '/v1/resource-definitions/del-client/resources/pve4?keep_tiebreaker=true',
    );
    expectEntry(del, 200, DELETED | DEL_RSC);
    expect((await resourcesOfRd(url, 'del-client')).map((r) => r.node_name)).toEqual([
      'pve1',
      'pve2',
      'pve3',
    ]);
  });
});

describe('make-available', () => {
  it('creates a diskless resource when a diskful peer exists', async () => {
    await createRd('ma-diskless');
    await call(url, 'POST', '/v1/resource-definitions/ma-diskless/resources/pve1', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    const reply = await makeAvailable(url, 'ma-diskless', 'pve2', { diskful: false });
    expectEntry(reply, 200, CREATED | CRT_RSC);
    const rscs = await resourcesOfRd(url, 'ma-diskless');
    expect(rscs.map((r) => [r.node_name, diskless(r)])).toEqual([
      ['pve1', false],
      ['pve2', true],
    ]);
  });

  it('creates the first replica diskful through the placer when no diskful peer exists', async () => {
    await spawnRd(url, 'linstor-hv', 'ma-first', [GIB], { definitions_only: true });
    const reply = await makeAvailable(url, 'ma-first', 'pve2', { diskful: false });
    expect(reply.status, reply.text).toBe(200);
    const [r] = await resourcesOfRd(url, 'ma-first');
    expect(r).toMatchObject({ node_name: 'pve2', props: { StorPoolName: 'thinpool' } });
    expect(diskless(r!)).toBe(false);
  });

  it('gives an existing diskless resource a disk when diskful:true, and reports an already fine one', async () => {
    await createRd('ma-toggle', GIB, 'linstor-hv');
    await call(url, 'POST', '/v1/resource-definitions/ma-toggle/resources', [
      { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'pve2', flags: ['DRBD_DISKLESS'] } },
    ]);
    const reply = await makeAvailable(url, 'ma-toggle', 'pve2', { diskful: true });
    expect(reply.status, reply.text).toBe(200);
    const r2 = (await resourcesOfRd(url, 'ma-toggle')).find((r) => r.node_name === 'pve2')!;
    expect(diskless(r2)).toBe(false);
    expect(r2.volumes?.[0]?.storage_pool_name).toBe('thinpool');

    const again = await makeAvailable(url, 'ma-toggle', 'pve2', { diskful: true });
    expect(expectEntry(again, 200, CRT_RSC).message).toBe('Resource already deployed as requested');
  });

  it('turns a tie-breaker into a wanted diskless resource without other changes', async () => {
    await spawnRd(url, 'linstor-hv', 'ma-tb', [GIB]);
    const reply = await makeAvailable(url, 'ma-tb', 'pve3');
    expect(retCodes(reply)).toEqual([CRT_RSC]);
    expect((await resourcesOfRd(url, 'ma-tb'))[2]!.flags).toEqual(['DISKLESS', 'DRBD_DISKLESS']);
  });

  it('activates an inactive resource and refuses a different layer list', async () => {
    await spawnRd(url, 'linstor-hv', 'ma-inactive', [GIB]);
    await call(url, 'POST', '/v1/resource-definitions/ma-inactive/resources/pve1/deactivate');
    const reply = await makeAvailable(url, 'ma-inactive', 'pve1');
    expect(messages(reply)).toEqual(["Resource 'ma-inactive' on node 'pve1' activated."]);
    expect((await resourcesOfRd(url, 'ma-inactive'))[0]!.flags).toBeUndefined();
    const layers = await makeAvailable(url, 'ma-inactive', 'pve1', { layer_list: ['STORAGE'] });
    expect(expectEntry(layers, 500, FAIL_INVLD_LAYER_STACK | CRT_RSC).message).toBe(
      'Layerstack of deployed resource does not match',
    );
  });

  it('answers FAIL_NOT_FOUND_STOR_POOL (404) when no pool on the node fits the group', async () => {
    await spawnRd(url, 'linstor-hv-thick', 'ma-big', [30 * GIB], { definitions_only: true });
    const reply = await makeAvailable(url, 'ma-big', 'pve1', { diskful: true });
    expect(expectEntry(reply, 404, FAIL_NOT_FOUND_STOR_POOL | CRT_RSC).message).toBe(
      'Autoplacer could not find diskful stor pool on node pve1 matching resource-groups autoplace-settings',
    );
  });
});

describe('toggle-disk', () => {
  it('turns a diskful resource diskless (new path) and back (deprecated path)', async () => {
    const spawn = await spawnRd(url, 'linstor-hv', 'tg-1', [GIB], { select_filter: { place_count: 3 } });
    expect(spawn.status, spawn.text).toBe(201);
    const toDiskless = await call(url, 'PUT', '/v1/resource-definitions/tg-1/resources/pve3/toggle-disk', {
      operation: 'INTO_DRBD_DISKLESS',
    });
    expectEntry(toDiskless, 200, MODIFIED | MASK_MOD | MASK_RSC);
    expect(diskless((await resourcesOfRd(url, 'tg-1'))[2]!)).toBe(true);

    const twice = await call(url, 'PUT', '/v1/resource-definitions/tg-1/resources/pve3/toggle-disk/diskless');
    expectEntry(twice, 200, WARN_RSC_ALREADY_DISKLESS | MASK_MOD | MASK_RSC);

    // The peers are LVM_THIN: a thick (LVM) disk next to them is refused (checkSameKindAsPeers).
    const thick = await call(
      url,
      'PUT',
      '/v1/resource-definitions/tg-1/resources/pve3/toggle-disk/diskful/thickpool',
    );
    expectEntry(thick, 500, FAIL_INVLD_STOR_DRIVER | MASK_MOD | MASK_RSC);
    expect(diskless((await resourcesOfRd(url, 'tg-1'))[2]!)).toBe(true);
    const back = await call(
      url,
      'PUT',
      '/v1/resource-definitions/tg-1/resources/pve3/toggle-disk/diskful/thinpool',
    );
    expect(back.status, back.text).toBe(200);
    const r3 = (await resourcesOfRd(url, 'tg-1'))[2]!;
    expect(diskless(r3)).toBe(false);
    expect(r3.volumes?.[0]?.storage_pool_name).toBe('thinpool');
  });
});

describe('autoplace', () => {
  it('counts existing replicas: WARN_RSC_ALREADY_DEPLOYED when place_count is met', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-enough', [GIB]);
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-enough/autoplace', {});
    const warn = expectEntry(reply, 201, WARN_RSC_ALREADY_DEPLOYED | CRT_RSC);
    expect(warn.message).toBe("Resource 'ap-enough' was already deployed on 2 nodes. Skipping.");
    expect(warn.details).toBe("Used nodes: 'pve1', 'pve2'");
    const fewer = await call(url, 'POST', '/v1/resource-definitions/ap-enough/autoplace', {
      select_filter: { place_count: 1 },
    });
    expect(expectEntry(fewer, 201, WARN_RSC_ALREADY_DEPLOYED | CRT_RSC).message).toBe(
      "The resource 'ap-enough' was already deployed on 3 nodes: 'pve1', 'pve2', 'pve3'. The resource would have to be deleted from nodes to reach the placement count.",
    );
  });

  it('reports where it placed: "successfully autoplaced" with nodes and pools', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-report', [GIB], { definitions_only: true });
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-report/autoplace', {});
    const ok = expectEntry(reply, 201, CREATED | CRT_RSC);
    const placed = (reply.json as { message: string; details?: string }[]).find((e) =>
      e.message.includes('autoplaced'),
    );
    expect(placed?.message).toBe("Resource 'ap-report' successfully autoplaced on 2 nodes");
    expect(placed?.details).toBe("Used nodes (storage pool name): 'pve1 (thinpool)', 'pve2 (thinpool)'");
    expect(ok).toBeDefined();
  });

  it('tops up to place_count, replacing the tie-breaker with a diskful replica', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-three', [GIB]);
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-three/autoplace', {
      select_filter: { place_count: 3 },
    });
    expect(reply.status, reply.text).toBe(201);
    expect((await resourcesOfRd(url, 'ap-three')).map((r) => [r.node_name, diskless(r)])).toEqual([
      ['pve1', false],
      ['pve2', false],
      ['pve3', false],
    ]);
  });

  it('fails with FAIL_NOT_ENOUGH_NODES (500) and lists the criteria in details', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-four', [GIB], { definitions_only: true });
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-four/autoplace', {
      select_filter: { place_count: 4, storage_pool: 'thinpool' },
    });
    const err = expectEntry(reply, 500, FAIL_NOT_ENOUGH_NODES | CRT_RSC);
    expect(BigInt.asIntN(64, err.ret_code)).toBe(-4611686018407201820n);
    expect(err.message).toBe('Not enough available nodes');
    expect(err.details?.split('\n')).toEqual([
      'Not enough nodes fulfilling the following auto-place criteria:',
      ' * has a deployed storage pool named [thinpool]',
      ` * the storage pools have to have at least '${GIB}' free space`,
      ' * the current access context has enough privileges to use the node and the storage pool',
      ' * the node is online',
      '',
      'Auto-place configuration details:',
      '   Replica count: 4',
      '   Additional replica count: 4',
      '   Storage pool name: [thinpool]',
      '   Do not place with resource: [ap-four]',
      '   Diskless on remaining: false',
    ]);
    expect(await resourcesOfRd(url, 'ap-four')).toEqual([]);
  });

  it('honours storage_pool, node_name_list and not_place_with_rsc', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-base', [GIB], {
      select_filter: { node_name_list: ['pve2', 'pve3'] },
      resource_definition_props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    expect((await resourcesOfRd(url, 'ap-base')).filter((r) => !diskless(r)).map((r) => r.node_name)).toEqual(
      ['pve2', 'pve3'],
    );
    await spawnRd(url, 'linstor-hv', 'ap-avoid', [GIB], { definitions_only: true });
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-avoid/autoplace', {
      select_filter: { place_count: 1, storage_pool: 'thickpool', not_place_with_rsc: ['AP-BASE'] },
    });
    expect(reply.status, reply.text).toBe(201);
    const rscs = await resourcesOfRd(url, 'ap-avoid');
    expect(rscs.map((r) => [r.node_name, r.volumes?.[0]?.storage_pool_name])).toEqual([
      ['pve1', 'thickpool'],
    ]);
  });

  it('places by node labels: replicas_on_same and replicas_on_different', async () => {
    for (const [node, rack, room] of [
      ['pve1', 'a', 'x'],
      ['pve2', 'a', 'y'],
      ['pve3', 'b', 'y'],
    ]) {
      const put = await call(url, 'PUT', `/v1/nodes/${node}`, {
        override_props: { 'Aux/rack': rack, 'Aux/room': room },
      });
      expect(put.status, put.text).toBe(200);
    }
    await spawnRd(url, 'linstor-hv', 'ap-same', [GIB], { select_filter: { replicas_on_same: ['Aux/room'] } });
    expect((await resourcesOfRd(url, 'ap-same')).filter((r) => !diskless(r)).map((r) => r.node_name)).toEqual(
      ['pve2', 'pve3'],
    );
    await spawnRd(url, 'linstor-hv', 'ap-diff', [GIB], {
      select_filter: { replicas_on_different: ['Aux/rack'] },
    });
    const diff = (await resourcesOfRd(url, 'ap-diff')).filter((r) => !diskless(r)).map((r) => r.node_name);
    expect(diff).toHaveLength(2);
    expect(diff).toContain('pve3');
  });

  it('takes diskless_on_remaining from the top-level field, not from select_filter', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-dor', [GIB], { definitions_only: true });
    const ignored = await call(url, 'POST', '/v1/resource-definitions/ap-dor/autoplace', {
      select_filter: { place_count: 1, node_name_list: ['pve1'], diskless_on_remaining: true },
    });
    expect(ignored.status, ignored.text).toBe(201);
    expect((await resourcesOfRd(url, 'ap-dor')).map((r) => r.node_name)).toEqual(['pve1']);

    const used = await call(url, 'POST', '/v1/resource-definitions/ap-dor/autoplace', {
      diskless_on_remaining: true,
      select_filter: { place_count: 1 },
    });
    expect(used.status, used.text).toBe(201);
    expect((await resourcesOfRd(url, 'ap-dor')).map((r) => [r.node_name, r.flags ?? []])).toEqual([
      ['pve1', []],
      ['pve2', ['DISKLESS', 'DRBD_DISKLESS']],
      ['pve3', ['DISKLESS', 'DRBD_DISKLESS']],
    ]);
  });

  it('answers FAIL_NOT_FOUND_RSC (404) for diskless_on_remaining without any diskful replica', async () => {
    await spawnRd(url, 'linstor-hv', 'ap-nodisk', [GIB], { definitions_only: true });
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-nodisk/autoplace', {
      diskless_on_remaining: true,
      select_filter: { place_count: 0 },
    });
    expect(expectEntry(reply, 404, FAIL_NOT_FOUND_RSC | CRT_RSC).message).toBe(
      "Cannot place 'diskless-on-remaining' without having diskful resources deployed",
    );
    expect(await resourcesOfRd(url, 'ap-nodisk')).toEqual([]);
  });

  it('gives the disk to a node that holds a diskless client when placing more replicas', async () => {
    await createRd('ap-upgrade', GIB, 'linstor-hv');
    await call(url, 'POST', '/v1/resource-definitions/ap-upgrade/resources', [
      { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'pve2', props: { StorPoolName: 'thinpool' } } },
      { resource: { node_name: 'pve3', flags: ['DRBD_DISKLESS'] } },
    ]);
    const reply = await call(url, 'POST', '/v1/resource-definitions/ap-upgrade/autoplace', {
      select_filter: { place_count: 3 },
    });
    expect(reply.status, reply.text).toBe(201);
    const pve3 = (await resourcesOfRd(url, 'ap-upgrade'))[2]!;
    expect(diskless(pve3)).toBe(false);
    expect(pve3.volumes?.[0]?.storage_pool_name).toBe('thinpool');
  });
});

describe('capacity in placement', () => {
  it('over-subscribes thin pools (ratio 20) but never thick pools', async () => {
    const thin = await spawnRd(url, 'linstor-hv', 'cap-thin-big', [150 * GIB]);
    expect(thin.status, thin.text).toBe(201);
    const thick = await spawnRd(url, 'linstor-hv-thick', 'cap-thick-big', [21 * GIB]);
    const err = expectEntry(thick, 500, FAIL_NOT_ENOUGH_NODES | CRT_RSC);
    expect(err.details).toContain(`the storage pools have to have at least '${21 * GIB}' free space`);
  });
});

describe('toggle-disk migration', () => {
  it('moves a disk from one node to another with migrate_from', async () => {
    await spawnRd(url, 'linstor-hv', 'mig-1', [GIB]);
    const reply = await call(url, 'PUT', '/v1/resource-definitions/mig-1/resources/pve3/toggle-disk', {
      operation: 'INTO_DRBD_DISKFUL',
      migrate_from: 'pve1',
    });
    expect(reply.status, reply.text).toBe(200);
    const rscs = await resourcesOfRd(url, 'mig-1');
    // The source lost its disk; with two diskful replicas left it serves as the tie-breaker.
    expect(rscs.map((r) => [r.node_name, r.flags ?? []])).toEqual([
      ['pve1', ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER']],
      ['pve2', []],
      ['pve3', []],
    ]);
    expect(rscs[0]!.volumes?.[0]?.storage_pool_name).toBe('DfltDisklessStorPool');
  });
});

describe('offline nodes', () => {
  it('warns WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER when no third node is online', async () => {
    await emu.control.nodeOffline('pve3');
    const reply = await spawnRd(url, 'linstor-hv', 'off-tb', [GIB]);
    expect(expectEntry(reply, 201, WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER | CRT_RSC).message).toBe(
      "Could not find suitable node to automatically create a tie breaking resource for 'off-tb'.",
    );
    expect((await resourcesOfRd(url, 'off-tb')).map((r) => r.node_name)).toEqual(['pve1', 'pve2']);
  });

  it('skips offline nodes in placement, leaves out their state and warns WARN_NOT_CONNECTED', async () => {
    await spawnRd(url, 'linstor-hv', 'off-1', [GIB]);
    await emu.control.nodeOffline('pve3');
    const three = await spawnRd(url, 'linstor-hv', 'off-2', [GIB], { select_filter: { place_count: 3 } });
    expectEntry(three, 500, FAIL_NOT_ENOUGH_NODES | CRT_RSC);

    const rscs = await resourcesOfRd(url, 'off-1');
    const offline = rscs.find((r) => r.node_name === 'pve3')!;
    expect(offline.state).toBeUndefined();
    expect(offline.volumes?.[0]?.state).toBeUndefined();
    expect(rscs[0]!.layer_object?.drbd?.connections?.pve3).toEqual({
      connected: false,
      message: 'Connecting',
    });

    await createRd('off-3');
    const created = await call(url, 'POST', '/v1/resource-definitions/off-3/resources/pve3', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    const warn = expectEntry(created, 201, WARN_NOT_CONNECTED | CRT_RSC);
    expect(warn.message).toBe("No active connection to satellite 'pve3'");
  });
});

describe('view filters', () => {
  it('filters /v1/view/resources by resources (case-insensitive), nodes, storage_pools and props', async () => {
    await spawnRd(url, 'linstor-hv', 'Vf-One', [GIB]);
    await spawnRd(url, 'linstor-hv-thick', 'vf-two', [GIB]);
    await call(url, 'PUT', '/v1/resource-definitions/vf-two/resources/pve1', {
      override_props: { 'Aux/mark': 'yes' },
    });

    const byName = await viewResources(url, 'resources=VF-ONE');
    expect(byName.map((r) => r.name)).toEqual(['Vf-One', 'Vf-One', 'Vf-One']);
    const byNode = await viewResources(url, 'nodes=pve1&resources=vf-one&resources=vf-two');
    expect(byNode.map((r) => `${r.name}@${r.node_name}`).sort()).toEqual(['Vf-One@pve1', 'vf-two@pve1']);
    const byPool = await viewResources(url, 'storage_pools=thickpool');
    expect(byPool.map((r) => `${r.name}@${r.node_name}`)).toEqual(['vf-two@pve1', 'vf-two@pve2']);
    const byProps = await viewResources(url, 'props=Aux/mark=yes');
    expect(byProps.map((r) => `${r.name}@${r.node_name}`)).toEqual(['vf-two@pve1']);
    const byRegex = await viewResources(url, 'resources=vf-.*&nodes=pve2');
    expect(byRegex.map((r) => r.name).sort()).toEqual(['Vf-One', 'vf-two']);
  });

  it('lists an RD’s resources without volumes, gets one, and answers 404 FAIL_NOT_FOUND_RSC', async () => {
    await spawnRd(url, 'linstor-hv', 'vf-list', [GIB]);
    const list = await call(url, 'GET', '/v1/resource-definitions/vf-list/resources');
    expect(list.status).toBe(200);
    expect((list.json as { volumes?: unknown }[]).every((r) => r.volumes === undefined)).toBe(true);
    const one = await call(url, 'GET', '/v1/resource-definitions/vf-list/resources/PVE1');
    expect(one.status).toBe(200);
    expect((one.json as { node_name: string }).node_name).toBe('pve1');
    const missing = await call(url, 'GET', '/v1/resource-definitions/vf-list/resources/nonode');
    expect(missing.status).toBe(404);
    expect(retCodes(missing)).toEqual([FAIL_NOT_FOUND_RSC]);
  });
});

describe('resource connections, volumes, activation', () => {
  it('sets DRBD options on one resource connection and validates their values', async () => {
    await spawnRd(url, 'linstor-hv', 'conn-1', [GIB]);
    const mask = MASK_MOD | MASK_RSC_CONN;
    const ok = await call(url, 'PUT', '/v1/resource-definitions/conn-1/resource-connections/pve2/pve1', {
      override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes', 'DrbdOptions/Net/protocol': 'C' },
    });
    expectEntry(ok, 200, MODIFIED | mask);
    const got = await call(url, 'GET', '/v1/resource-definitions/conn-1/resource-connections/pve1/pve2');
    expect(got.status).toBe(200);
    expect((got.json as { props?: Record<string, string> }).props).toEqual({
      'DrbdOptions/Net/allow-two-primaries': 'yes',
      'DrbdOptions/Net/protocol': 'C',
    });
    const bad = await call(url, 'PUT', '/v1/resource-definitions/conn-1/resource-connections/pve1/pve2', {
      override_props: { 'DrbdOptions/Net/allow-two-primaries': 'maybe' },
    });
    const err = expectEntry(bad, 500, FAIL_INVLD_PROP | mask);
    expect(err.message).toBe('Invalid property(DrbdOptions/Net/allow-two-primaries) value: maybe');
    const badProtocol = await call(
      url,
      'PUT',
      '/v1/resource-definitions/conn-1/resource-connections/pve1/pve2',
      {
        override_props: { 'DrbdOptions/Net/protocol': 'D' },
      },
    );
    expectEntry(badProtocol, 500, FAIL_INVLD_PROP | mask);
  });

  it('lists, gets and modifies volumes of a resource', async () => {
    await spawnRd(url, 'linstor-hv', 'vol-1', [GIB]);
    const list = await call(url, 'GET', '/v1/resource-definitions/vol-1/resources/pve1/volumes');
    expect(list.status).toBe(200);
    expect((list.json as { volume_number: number }[]).map((v) => v.volume_number)).toEqual([0]);
    const put = await call(url, 'PUT', '/v1/resource-definitions/vol-1/resources/pve1/volumes/0', {
      override_props: { 'Aux/tag': 'v' },
    });
    expect(put.status, put.text).toBe(200);
    const one = await call(url, 'GET', '/v1/resource-definitions/vol-1/resources/pve1/volumes/0');
    expect((one.json as { props?: Record<string, string> }).props).toEqual({ 'Aux/tag': 'v' });
    const missing = await call(url, 'GET', '/v1/resource-definitions/vol-1/resources/pve1/volumes/7');
    expect(missing.status).toBe(404);
  });

  it('deactivates (device gone, INACTIVE) and activates a resource', async () => {
    await spawnRd(url, 'linstor-hv', 'act-1', [GIB]);
    const off = await call(url, 'POST', '/v1/resource-definitions/act-1/resources/pve1/deactivate');
    expect(off.status, off.text).toBe(200);
    expect((await resourcesOfRd(url, 'act-1'))[0]!.flags).toEqual(['INACTIVE']);
    expect(existsSync(devicePath(emu.dataDir, 'pve1', 'act-1'))).toBe(false);
    const on = await call(url, 'POST', '/v1/resource-definitions/act-1/resources/pve1/activate');
    expect(on.status, on.text).toBe(200);
    expect((await resourcesOfRd(url, 'act-1'))[0]!.flags).toBeUndefined();
    expect(existsSync(devicePath(emu.dataDir, 'pve1', 'act-1'))).toBe(true);
  });

  it('keeps Aux/ keys free-form on resources and reports the modify with the RD untouched', async () => {
    await spawnRd(url, 'linstor-hv', 'aux-1', [GIB]);
    const put = await call(url, 'PUT', '/v1/resource-definitions/aux-1/resources/pve1', {
      override_props: { 'Aux/any/thing.here': 'ok' },
    });
    expectEntry(put, 200, MODIFIED | MASK_MOD | MASK_RSC);
    const rd = await call(url, 'GET', '/v1/resource-definitions/aux-1');
    expect((rd.json as { props?: unknown }).props).toBeUndefined();
  });
});
