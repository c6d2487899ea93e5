/**
 * What LINSTOR's own clients (the `linstor` command line, python-linstor) rely on, each case with
 * the linstor-server source that shows the real controller's behaviour.
 */
import {
  API_CALL_PARSE_ERROR,
  FAIL_NOT_FOUND_RSC_CONN,
  MASK_MOD,
  MASK_RSC_CONN,
  MODIFIED,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/start';
import { useEmulator } from './emulator-fixture';
import { call, retCodes } from './http-helpers';

let emu: RunningEmulator;
useEmulator({ resetAfterEach: true }, (e) => {
  emu = e;
});

async function rdWithTwoReplicas(name: string): Promise<void> {
  expect(
    (await call(emu.url, 'POST', '/v1/resource-definitions', { resource_definition: { name } })).status,
  ).toBe(201);
  await call(emu.url, 'POST', `/v1/resource-definitions/${name}/volume-definitions`, {
    volume_definition: { size_kib: 10240 },
  });
  const placed = await call(emu.url, 'POST', `/v1/resource-definitions/${name}/resources`, [
    { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
    { resource: { node_name: 'pve2', props: { StorPoolName: 'thinpool' } } },
  ]);
  expect(placed.status).toBe(201);
}

describe('request bodies as the controller maps them (JsonGenTypes.java with a default ObjectMapper)', () => {
  it('coerces a place_count sent as a string to a number, as `linstor rg create --place-count 2` sends it', async () => {
    const created = await call(emu.url, 'POST', '/v1/resource-groups', {
      name: 'str-count',
      select_filter: { place_count: '2', storage_pool: 'thinpool' },
    });
    expect(created.status).toBe(201);
    const rg = await call(emu.url, 'GET', '/v1/resource-groups/str-count');
    expect((rg.json as { select_filter: { place_count: unknown } }).select_filter.place_count).toBe(2);
  });

  it('refuses an unknown field with "Unable to parse input json." (400 on RD create, 500 on a reactive call)', async () => {
    const rd = await call(emu.url, 'POST', '/v1/resource-definitions', {
      resource_definition: { name: 'unknown-field', colour: 'blue' },
    });
    expect(rd.status).toBe(400);
    expect(retCodes(rd)).toEqual([API_CALL_PARSE_ERROR]);
    const entry = (rd.json as { message: string; details: string }[])[0]!;
    expect(entry.message).toBe('Unable to parse input json.');
    expect(entry.details).toContain('Unrecognized field "colour"');
    expect((await call(emu.url, 'GET', '/v1/resource-definitions/unknown-field')).status).toBe(404);

    await rdWithTwoReplicas('unknown-field-2');
    const modify = await call(emu.url, 'PUT', '/v1/resource-definitions/unknown-field-2/resources/pve1', {
      override_prop: { 'Aux/a': 'b' },
    });
    expect(modify.status).toBe(500);
    expect(retCodes(modify)).toEqual([API_CALL_PARSE_ERROR]);
  });

  it('refuses a list where a string belongs', async () => {
    const rg = await call(emu.url, 'POST', '/v1/resource-groups', { name: ['a'] });
    expect(rg.status).toBe(400);
    expect(retCodes(rg)).toEqual([API_CALL_PARSE_ERROR]);
  });
});

describe('resource definitions with an external name (ExternalNameConverter.java)', () => {
  it('takes a valid external name as the resource name and shows both', async () => {
    const created = await call(emu.url, 'POST', '/v1/resource-definitions', {
      resource_definition: { external_name: 'pvc-data' },
    });
    expect(created.status).toBe(201);
    const rd = await call(emu.url, 'GET', '/v1/resource-definitions/pvc-data');
    expect(rd.json).toMatchObject({ name: 'pvc-data', external_name: 'pvc-data' });
  });

  it('turns a UUID into LS_<UUID> and translates characters a name may not hold', async () => {
    const uuid = '0f5d3a52-7c1e-4b6a-9a9e-5c1b2d3e4f60';
    await call(emu.url, 'POST', '/v1/resource-definitions', { resource_definition: { external_name: uuid } });
    const byUuid = await call(emu.url, 'GET', `/v1/resource-definitions/LS_${uuid.toUpperCase()}`);
    expect(byUuid.json).toMatchObject({ external_name: uuid });
    await call(emu.url, 'POST', '/v1/resource-definitions', {
      resource_definition: { external_name: 'my disk.img' },
    });
    const translated = await call(emu.url, 'GET', '/v1/resource-definitions/my_disk_img');
    expect(translated.json).toMatchObject({ external_name: 'my disk.img' });
  });
});

describe('resource connections (ResourceConnections.java)', () => {
  it('answers one object for a node pair and 404 FAIL_NOT_FOUND_RSC_CONN for an unknown one', async () => {
    await rdWithTwoReplicas('rc-one');
    const one = await call(emu.url, 'GET', '/v1/resource-definitions/rc-one/resource-connections/pve2/pve1');
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ node_a: 'pve1', node_b: 'pve2' });
    const none = await call(emu.url, 'GET', '/v1/resource-definitions/rc-one/resource-connections/pve1/pve9');
    expect(none.status).toBe(404);
    expect(retCodes(none)).toEqual([FAIL_NOT_FOUND_RSC_CONN]);
  });

  it('keeps Paths/... properties (`linstor rc path create`)', async () => {
    await rdWithTwoReplicas('rc-path');
    const path = '/v1/resource-definitions/rc-path/resource-connections/pve1/pve2';
    const set = await call(emu.url, 'PUT', path, {
      override_props: { 'Paths/path1/pve1': 'default', 'Paths/path1/pve2': 'default' },
    });
    expect(retCodes(set)).toEqual([MODIFIED | MASK_MOD | MASK_RSC_CONN]);
    const got = await call(emu.url, 'GET', path);
    expect((got.json as { props: Record<string, string> }).props).toEqual({
      'Paths/path1/pve1': 'default',
      'Paths/path1/pve2': 'default',
    });
  });
});

describe('volumes', () => {
  it('reports allocated_size_kib 0 for a diskless volume (`linstor node describe` reads it)', async () => {
    await rdWithTwoReplicas('diskless-alloc');
    const client = await call(emu.url, 'POST', '/v1/resource-definitions/diskless-alloc/resources/pve3', {
      resource: { node_name: 'pve3', flags: ['DRBD_DISKLESS'] },
    });
    // pve3 held the automatic tie-breaker; the explicit create takes it over as a wanted client.
    expect(client.status).toBe(201);
    const view = await call(emu.url, 'GET', '/v1/view/resources?resources=diskless-alloc&nodes=pve3');
    const volume = (view.json as { volumes: { allocated_size_kib?: number }[] }[])[0]!.volumes[0]!;
    expect(volume.allocated_size_kib).toBe(0);
  });
});
