import {
  CREATED,
  DELETED,
  FAIL_EXISTS_RSC_DFN,
  FAIL_EXISTS_RSC_GRP,
  FAIL_INVLD_PROP,
  FAIL_INVLD_RSC_GRP_NAME,
  FAIL_INVLD_VLM_SIZES,
  FAIL_NOT_FOUND_RSC_GRP,
  INFO_NO_RSC_SPAWNED,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC_DFN,
  MASK_RSC_GRP,
  MASK_VLM_GRP,
  MODIFIED,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { diskless, expectEntry, GIB, resourcesOfRd, spawnRd } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

const CRT_RG = MASK_CRT | MASK_RSC_GRP;
const CRT_RD = MASK_CRT | MASK_RSC_DFN;

interface RgView {
  name: string;
  description?: string;
  props?: Record<string, string>;
  select_filter?: Record<string, unknown>;
}

interface SizeInfo {
  space_info: {
    max_vlm_size_in_kib: number;
    available_size_in_kib?: number;
    capacity_in_kib?: number;
    next_spawn_result?: { node_name: string; stor_pool_name: string }[];
  };
  reports?: { ret_code: bigint }[];
}

let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  url = started.url;
});

describe('resource group CRUD', () => {
  it('creates (201, 21233665) ignoring props in the body, gets it, and lists with filters', async () => {
    const reply = await call(url, 'POST', '/v1/resource-groups', {
      name: 'Gold',
      description: 'fast disks',
      props: { 'Aux/ignored': 'yes' },
      select_filter: { place_count: 3, storage_pool: 'thinpool' },
    });
    expect(reply.status).toBe(201);
    expect(retCodes(reply)).toEqual([21233665n]);
    expect(messages(reply)).toEqual(["New resource group 'Gold' created."]);
    const got = await call(url, 'GET', '/v1/resource-groups/GOLD');
    expect(got.status).toBe(200);
    const rg = got.json as RgView;
    expect(rg).toMatchObject({
      name: 'Gold',
      description: 'fast disks',
      select_filter: { place_count: 3, storage_pool: 'thinpool' },
    });
    expect(rg.props).toBeUndefined();

    await call(url, 'PUT', '/v1/resource-groups/gold', { override_props: { 'Aux/tier': '1' } });
    const byName = await call(url, 'GET', '/v1/resource-groups?resource_groups=gold');
    expect((byName.json as RgView[]).map((g) => g.name)).toEqual(['Gold']);
    const byProp = await call(url, 'GET', '/v1/resource-groups?props=Aux/tier=1');
    expect((byProp.json as RgView[]).map((g) => g.name)).toEqual(['Gold']);
  });

  it('refuses duplicates (FAIL_EXISTS_RSC_GRP, 500), bad names and unknown props; 404 for a missing group', async () => {
    await call(url, 'POST', '/v1/resource-groups', { name: 'dup-rg' });
    expectEntry(
      await call(url, 'POST', '/v1/resource-groups', { name: 'DUP-RG' }),
      500,
      FAIL_EXISTS_RSC_GRP | CRT_RG,
    );
    expectEntry(
      await call(url, 'POST', '/v1/resource-groups', { name: '-bad' }),
      500,
      FAIL_INVLD_RSC_GRP_NAME | CRT_RG,
    );
    const badProp = await call(url, 'PUT', '/v1/resource-groups/dup-rg', {
      override_props: { Whatever: '1' },
    });
    expect(expectEntry(badProp, 500, FAIL_INVLD_PROP | MASK_MOD | MASK_RSC_GRP).message).toBe(
      'Invalid property key: Whatever',
    );
    const missing = await call(url, 'GET', '/v1/resource-groups/nope');
    expect(missing.status).toBe(404);
    expect(retCodes(missing)).toEqual([FAIL_NOT_FOUND_RSC_GRP]);
  });

  it('modifies description and select filter fields (merged)', async () => {
    const reply = await call(url, 'PUT', '/v1/resource-groups/linstor-hv', {
      description: 'changed',
      select_filter: { replicas_on_different: ['Aux/rack'] },
    });
    expectEntry(reply, 200, MODIFIED | MASK_MOD | MASK_RSC_GRP);
    const rg = (await call(url, 'GET', '/v1/resource-groups/linstor-hv')).json as RgView;
    expect(rg.description).toBe('changed');
    expect(rg.select_filter).toEqual({
      place_count: 2,
      // Json.java apiToResourceGroup writes storage_pool_list always, storage_pool for a single pool.
      storage_pool: 'thinpool',
      storage_pool_list: ['thinpool'],
      replicas_on_different: ['Aux/rack'],
    });
  });

  it('refuses to delete a group that RDs use, deletes it afterwards, and warns for a missing one', async () => {
    await call(url, 'POST', '/v1/resource-groups', { name: 'busy', select_filter: { place_count: 1 } });
    await spawnRd(url, 'busy', 'busy-rd', [GIB]);
    const refused = await call(url, 'DELETE', '/v1/resource-groups/busy');
    expect(expectEntry(refused, 500, FAIL_EXISTS_RSC_DFN | MASK_DEL | MASK_RSC_GRP).message).toBe(
      "Cannot delete resource group 'busy' because it has existing resource definitions.",
    );
    await call(url, 'DELETE', '/v1/resource-definitions/busy-rd');
    expectEntry(
      await call(url, 'DELETE', '/v1/resource-groups/busy'),
      200,
      DELETED | MASK_DEL | MASK_RSC_GRP,
    );
    expectEntry(
      await call(url, 'DELETE', '/v1/resource-groups/busy'),
      200,
      WARN_NOT_FOUND | MASK_DEL | MASK_RSC_GRP,
    );
  });
});

describe('volume groups', () => {
  it('creates, lists, gets, modifies and deletes; refuses new ones once RDs exist', async () => {
    await call(url, 'POST', '/v1/resource-groups', { name: 'vg-rg', select_filter: { place_count: 1 } });
    expectEntry(
      await call(url, 'POST', '/v1/resource-groups/vg-rg/volume-groups', {}),
      201,
      CREATED | MASK_CRT | MASK_VLM_GRP,
    );
    await call(url, 'POST', '/v1/resource-groups/vg-rg/volume-groups', {
      volume_number: 1,
      flags: ['GROSS_SIZE'],
    });
    const list = await call(url, 'GET', '/v1/resource-groups/vg-rg/volume-groups');
    expect((list.json as { volume_number: number }[]).map((v) => v.volume_number)).toEqual([0, 1]);
    const mod = await call(url, 'PUT', '/v1/resource-groups/vg-rg/volume-groups/1', {
      flags: ['-GROSS_SIZE'],
    });
    expect(mod.status, mod.text).toBe(200);
    const one = await call(url, 'GET', '/v1/resource-groups/vg-rg/volume-groups/1');
    expect((one.json as { flags?: string[] }).flags).toBeUndefined();

    await spawnRd(url, 'vg-rg', 'vg-user', [GIB, GIB]);
    const refused = await call(url, 'POST', '/v1/resource-groups/vg-rg/volume-groups', { volume_number: 2 });
    expect(refused.status).toBe(500);
    const del = await call(url, 'DELETE', '/v1/resource-groups/vg-rg/volume-groups/9');
    expectEntry(del, 200, WARN_NOT_FOUND | MASK_DEL | MASK_VLM_GRP);
  });
});

describe('spawn', () => {
  it('needs one size per volume group unless partial (FAIL_INVLD_VLM_SIZES)', async () => {
    await call(url, 'POST', '/v1/resource-groups', { name: 'two-vg', select_filter: { place_count: 1 } });
    await call(url, 'POST', '/v1/resource-groups/two-vg/volume-groups', { volume_number: 0 });
    await call(url, 'POST', '/v1/resource-groups/two-vg/volume-groups', { volume_number: 1 });
    const refused = await spawnRd(url, 'two-vg', 'sp-sizes', [GIB]);
    const err = expectEntry(refused, 500, FAIL_INVLD_VLM_SIZES | CRT_RG);
    expect(err.message).toBe("Invalid count of volume sizes to spawn resource group 'two-vg'");
    expect(err.details).toBe(
      "The resource group 'two-vg' has 2 Volume groups, but only 1 sizes were provided.",
    );
    expect((await call(url, 'GET', '/v1/resource-definitions/sp-sizes')).status).toBe(404);
    const partial = await spawnRd(url, 'two-vg', 'sp-sizes', [GIB], { partial: true });
    expect(partial.status, partial.text).toBe(201);
    const vds = await call(url, 'GET', '/v1/resource-definitions/sp-sizes/volume-definitions');
    expect((vds.json as unknown[]).length).toBe(1);
  });

  it('gives each volume definition its volume group’s number, props and flags', async () => {
    await call(url, 'POST', '/v1/resource-groups', { name: 'vg-props', select_filter: { place_count: 1 } });
    await call(url, 'POST', '/v1/resource-groups/vg-props/volume-groups', {
      volume_number: 3,
      props: { 'Aux/disk': 'boot' },
      flags: ['GROSS_SIZE'],
    });
    const reply = await spawnRd(url, 'vg-props', 'sp-vg', [GIB]);
    expect(reply.status, reply.text).toBe(201);
    const vd = await call(url, 'GET', '/v1/resource-definitions/sp-vg/volume-definitions/3');
    expect(vd.status, vd.text).toBe(200);
    expect(vd.json).toMatchObject({
      volume_number: 3,
      size_kib: GIB,
      props: { 'Aux/disk': 'boot' },
      flags: ['GROSS_SIZE'],
    });
  });

  it('creates only definitions with definitions_only; a group without place_count places 2', async () => {
    const defsOnly = await spawnRd(url, 'linstor-hv', 'sp-defs', [GIB], { definitions_only: true });
    const info = expectEntry(defsOnly, 201, INFO_NO_RSC_SPAWNED | CRT_RG);
    expect(info.message).toBe('Resource definition sp-defs and 1 created but no resources deployed');
    expect(info.cause).toBe('--definitions-only was set');
    expect(messages(defsOnly)[0]).toBe(
      "Resource-group doesn't have any volume-groups, automatically assume partial mode.",
    );
    expect(await resourcesOfRd(url, 'sp-defs')).toEqual([]);
    // AutoSelectorConfig.java gives a group created without a place count 2 replicas.
    await call(url, 'POST', '/v1/resource-groups', { name: 'no-count' });
    const noCount = await spawnRd(url, 'no-count', 'sp-nocount', [GIB]);
    expect(noCount.status, noCount.text).toBe(201);
    expect((await resourcesOfRd(url, 'sp-nocount')).filter((r) => !diskless(r))).toHaveLength(2);
  });

  it('sets resource_definition_props atomically: a bad key leaves no RD behind', async () => {
    const ok = await spawnRd(url, 'linstor-hv', 'sp-props', [GIB], {
      resource_definition_props: {
        'DrbdOptions/Net/allow-two-primaries': 'yes',
        'DrbdOptions/ExactSize': 'True',
      },
    });
    expect(ok.status, ok.text).toBe(201);
    const rd = await call(url, 'GET', '/v1/resource-definitions/sp-props');
    expect((rd.json as { props: Record<string, string> }).props).toEqual({
      'DrbdOptions/Net/allow-two-primaries': 'yes',
      'DrbdOptions/ExactSize': 'True',
    });
    const bad = await spawnRd(url, 'linstor-hv', 'sp-badprops', [GIB], {
      resource_definition_props: { 'Aux/fine': '1', 'DrbdOptions/Net/allow-two-primaries': 'sometimes' },
    });
    expectEntry(bad, 500, FAIL_INVLD_PROP | CRT_RD);
    expect((await call(url, 'GET', '/v1/resource-definitions/sp-badprops')).status).toBe(404);
    expect(await resourcesOfRd(url, 'sp-badprops')).toEqual([]);
  });

  it('refuses an existing name (FAIL_EXISTS_RSC_DFN) and merges select_filter over the group', async () => {
    await spawnRd(url, 'linstor-hv', 'sp-dup', [GIB]);
    expectEntry(await spawnRd(url, 'linstor-hv', 'SP-DUP', [GIB]), 500, FAIL_EXISTS_RSC_DFN | CRT_RD);
    const three = await spawnRd(url, 'linstor-hv', 'sp-three', [GIB], { select_filter: { place_count: 3 } });
    expect(three.status, three.text).toBe(201);
    const rscs = await resourcesOfRd(url, 'sp-three');
    expect(rscs.map((r) => [r.node_name, diskless(r), r.volumes?.[0]?.storage_pool_name])).toEqual([
      ['pve1', false, 'thinpool'],
      ['pve2', false, 'thinpool'],
      ['pve3', false, 'thinpool'],
    ]);
  });
});

describe('query-size-info, query-all-size-info, adjust', () => {
  it('reports the per-replica limit of the next spawn for a thick group, shrinking as space is used', async () => {
    const first = await call(url, 'POST', '/v1/resource-groups/linstor-hv-thick/query-size-info', {});
    expect(first.status, first.text).toBe(200);
    const info = first.json as SizeInfo;
    expect(info.space_info.max_vlm_size_in_kib).toBe(20 * GIB);
    expect(info.space_info.available_size_in_kib).toBe(20 * GIB);
    expect(info.space_info.capacity_in_kib).toBe(20 * GIB);
    const ratios = {
      stor_pool_oversubscription_ratio: 20,
      stor_pool_free_capacity_oversubscription_ratio: 20,
      stor_pool_total_capacity_oversubscription_ratio: 20,
    };
    expect(info.space_info.next_spawn_result).toEqual([
      { node_name: 'pve1', stor_pool_name: 'thickpool', ...ratios },
      { node_name: 'pve2', stor_pool_name: 'thickpool', ...ratios },
    ]);
    await spawnRd(url, 'linstor-hv-thick', 'qs-1', [5 * GIB], { select_filter: { place_count: 3 } });
    const after = (await call(url, 'POST', '/v1/resource-groups/linstor-hv-thick/query-size-info', {}))
      .json as SizeInfo;
    // Each node gave the 5 GiB volume an LV with its DRBD metadata: one 4 MiB extent more.
    expect(after.space_info.max_vlm_size_in_kib).toBe(15 * GIB - 4096);
  });

  it('sizes thin groups with the over-subscription ratio (free × 20, bounded by total × 20 − reserved)', async () => {
    await spawnRd(url, 'linstor-hv', 'qs-thin', [10 * GIB]);
    const info = (await call(url, 'POST', '/v1/resource-groups/linstor-hv/query-size-info', {}))
      .json as SizeInfo;
    expect(info.space_info.next_spawn_result?.map((r) => r.node_name)).toEqual(['pve3', 'pve1']);
    // pve1 holds 10 GiB of volume size: 20 × 100 GiB − 10 GiB.
    expect(info.space_info.max_vlm_size_in_kib).toBe(20 * 100 * GIB - 10 * GIB);
    expect(info.space_info.capacity_in_kib).toBe(100 * GIB);
  });

  it('answers query-all-size-info for every group', async () => {
    await call(url, 'POST', '/v1/resource-groups', { name: 'no-count' });
    const reply = await call(url, 'POST', '/v1/queries/resource-groups/query-all-size-info', {});
    expect(reply.status, reply.text).toBe(200);
    const result = (reply.json as { result: Record<string, SizeInfo> }).result;
    const groups = ((await call(url, 'GET', '/v1/resource-groups')).json as RgView[]).map((g) => g.name);
    expect(Object.keys(result).sort()).toEqual(groups.sort());
    expect(result['linstor-hv-thick']?.space_info.max_vlm_size_in_kib).toBe(20 * GIB);
    // A group created without a place count has 2 (AutoSelectorConfig.java), so it is sized too.
    expect(result['no-count']?.space_info.max_vlm_size_in_kib).toBe(
      result['linstor-hv']?.space_info.max_vlm_size_in_kib,
    );
  });

  it('adjust re-runs placement for the group’s RDs after place_count grows', async () => {
    await spawnRd(url, 'linstor-hv', 'adj-1', [GIB]);
    await call(url, 'PUT', '/v1/resource-groups/linstor-hv', { select_filter: { place_count: 3 } });
    const reply = await call(url, 'POST', '/v1/resource-groups/linstor-hv/adjust', {});
    expect(reply.status, reply.text).toBe(200);
    expect((await resourcesOfRd(url, 'adj-1')).every((r) => !diskless(r))).toBe(true);
    expect(await resourcesOfRd(url, 'adj-1')).toHaveLength(3);
  });
});
