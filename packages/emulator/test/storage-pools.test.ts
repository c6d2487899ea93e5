import {
  CREATED,
  DELETED,
  FAIL_EXISTS_STOR_POOL,
  FAIL_IN_USE,
  FAIL_INVLD_STOR_POOL_NAME,
  FAIL_NOT_FOUND_NODE,
  FAIL_NOT_FOUND_STOR_POOL,
  MASK_CRT,
  MASK_DEL,
  MASK_STOR_POOL,
  WARN_NOT_CONNECTED,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../src/start';
import { devicePath, writeRandom } from './data-helpers';
import { expectEntry, freeKib, GIB, spawnRd } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

const CRT_SP = MASK_CRT | MASK_STOR_POOL;
const DEL_SP = MASK_DEL | MASK_STOR_POOL;

interface PoolView {
  storage_pool_name: string;
  node_name: string;
  provider_kind: string;
  static_traits?: Record<string, string>;
  supports_snapshots?: boolean;
  free_capacity?: number;
  total_capacity?: number;
  props?: Record<string, string>;
  reports?: { ret_code: bigint; message: string; obj_refs?: Record<string, string> }[];
}

let emu: RunningEmulator;
let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
  url = started.url;
});

describe('storage pool views', () => {
  it('lists every pool of every node with traits, and DISKLESS capacity as the exact Long.MAX', async () => {
    const reply = await call(url, 'GET', '/v1/view/storage-pools');
    expect(reply.status).toBe(200);
    const pools = reply.json as PoolView[];
    expect(pools.map((p) => `${p.node_name}/${p.storage_pool_name}`).sort()).toEqual(
      ['pve1', 'pve2', 'pve3']
        .flatMap((n) => [`${n}/DfltDisklessStorPool`, `${n}/thickpool`, `${n}/thinpool`])
        .sort(),
    );
    const byName = (n: string) => pools.find((p) => p.node_name === 'pve1' && p.storage_pool_name === n)!;
    expect(byName('thinpool')).toMatchObject({
      provider_kind: 'LVM_THIN',
      static_traits: { Provisioning: 'Thin', SupportsSnapshots: 'true' },
      supports_snapshots: true,
      total_capacity: 100 * GIB,
    });
    expect(byName('thickpool')).toMatchObject({
      provider_kind: 'LVM',
      static_traits: { Provisioning: 'Fat', SupportsSnapshots: 'false' },
      supports_snapshots: false,
      total_capacity: 20 * GIB,
    });
    expect(byName('DfltDisklessStorPool')).toMatchObject({
      provider_kind: 'DISKLESS',
      supports_snapshots: false,
    });
    expect(reply.text).toContain('"free_capacity":9223372036854775807,"total_capacity":9223372036854775807');
  });

  it('filters by nodes and storage_pools case-insensitively, and by props', async () => {
    const reply = await call(
      url,
      'GET',
      '/v1/view/storage-pools?nodes=PVE2&storage_pools=THINPOOL&cached=true',
    );
    expect((reply.json as PoolView[]).map((p) => `${p.node_name}/${p.storage_pool_name}`)).toEqual([
      'pve2/thinpool',
    ]);
    const byProp = await call(url, 'GET', '/v1/view/storage-pools?props=StorDriver/LvmVg');
    expect(new Set((byProp.json as PoolView[]).map((p) => p.provider_kind))).toEqual(
      new Set(['LVM', 'LVM_THIN']),
    );
    const perNode = await call(url, 'GET', '/v1/nodes/pve3/storage-pools?storage_pools=thickpool');
    expect((perNode.json as PoolView[]).map((p) => `${p.node_name}/${p.storage_pool_name}`)).toEqual([
      'pve3/thickpool',
    ]);
  });

  it('answers single GETs with one object, or 404 for a missing pool or node', async () => {
    const one = await call(url, 'GET', '/v1/nodes/pve1/storage-pools/thinpool');
    expect(one.status).toBe(200);
    expect((one.json as PoolView).storage_pool_name).toBe('thinpool');
    const noPool = await call(url, 'GET', '/v1/nodes/pve1/storage-pools/nopool');
    expect(noPool.status).toBe(404);
    expect(retCodes(noPool)).toEqual([FAIL_NOT_FOUND_STOR_POOL]);
    const noNode = await call(url, 'GET', '/v1/nodes/nonode/storage-pools');
    expect(noNode.status).toBe(404);
    expect(retCodes(noNode)).toEqual([FAIL_NOT_FOUND_NODE]);
  });
});

describe('pools of an offline node', () => {
  it('leave capacity out and carry a WARN_NOT_CONNECTED report, in lists and single GETs (200)', async () => {
    expect((await emu.control.call('POST', '/emulator/nodes/pve2/offline')).status).toBe(200);
    const reply = await call(url, 'GET', '/v1/view/storage-pools?nodes=pve2&nodes=pve3');
    expect(reply.status).toBe(200);
    const pools = reply.json as PoolView[];
    for (const pool of pools.filter((p) => p.node_name === 'pve2')) {
      expect(pool.free_capacity).toBeUndefined();
      expect(pool.total_capacity).toBeUndefined();
      expect(pool.reports?.map((r) => [r.ret_code, r.message, r.obj_refs])).toEqual([
        [WARN_NOT_CONNECTED, "No active connection to satellite 'pve2'", undefined],
      ]);
    }
    expect(pools.filter((p) => p.node_name === 'pve2')).toHaveLength(3);
    const online = pools.find((p) => p.node_name === 'pve3' && p.storage_pool_name === 'thinpool')!;
    expect([online.total_capacity, online.reports]).toEqual([100 * GIB, undefined]);
    const one = await call(url, 'GET', '/v1/nodes/pve2/storage-pools/thickpool?cached=true');
    expect(one.status).toBe(200);
    expect((one.json as PoolView).free_capacity).toBeUndefined();
    expect((one.json as PoolView).reports?.[0]?.ret_code).toBe(WARN_NOT_CONNECTED);
    await emu.control.call('POST', '/emulator/nodes/pve2/online');
    expect(await freeKib(url, 'pve2', 'thickpool')).toBe(20 * GIB);
  });
});

describe('capacity', () => {
  it('takes the full volume size with DRBD metadata from a thick pool on each replica node', async () => {
    await spawnRd(url, 'linstor-hv-thick', 'cap-thick', [3 * GIB]);
    // 3 GiB plus DRBD's internal metadata (7 peer slots) make an LV one 4 MiB extent larger.
    expect(await freeKib(url, 'pve1', 'thickpool')).toBe(17 * GIB - 4096);
    expect(await freeKib(url, 'pve2', 'thickpool')).toBe(17 * GIB - 4096);
    expect(await freeKib(url, 'pve3', 'thickpool')).toBe(20 * GIB);
    await call(url, 'DELETE', '/v1/resource-definitions/cap-thick');
    expect(await freeKib(url, 'pve1', 'thickpool')).toBe(20 * GIB);
  });

  it('takes only written data from a thin pool (real allocated size)', async () => {
    await spawnRd(url, 'linstor-hv', 'cap-thin', [4 * GIB]);
    const before = await freeKib(url, 'pve1', 'thinpool');
    expect(before).toBeGreaterThan(100 * GIB - 1024);
    await writeRandom(devicePath(emu.dataDir, 'pve1', 'cap-thin'), 0, 8 * 1024 * 1024);
    const after = await freeKib(url, 'pve1', 'thinpool');
    expect(before - after).toBeGreaterThanOrEqual(8 * 1024);
    expect(before - after).toBeLessThan(64 * 1024);
    const view = await call(url, 'GET', '/v1/view/resources?resources=cap-thin&nodes=pve1');
    const allocated = (view.json as { volumes: { allocated_size_kib: number }[] }[])[0]!.volumes[0]!
      .allocated_size_kib;
    expect(allocated).toBeGreaterThanOrEqual(8 * 1024);
  });
});

describe('storage pool create and delete', () => {
  it('creates a pool (201), refuses a duplicate (FAIL_EXISTS_STOR_POOL) and a bad name', async () => {
    const body = {
      storage_pool_name: 'zfspool',
      provider_kind: 'ZFS_THIN',
      props: { 'StorDriver/ZPoolThin': 'tank/linstor' },
    };
    const reply = await call(url, 'POST', '/v1/nodes/pve1/storage-pools', body);
    expect(reply.status, reply.text).toBe(201);
    expect(retCodes(reply)).toEqual([CREATED | CRT_SP]);
    expect(messages(reply)).toEqual(["New storage pool 'zfspool' on node 'pve1' registered."]);
    const got = (await call(url, 'GET', '/v1/nodes/pve1/storage-pools/ZFSPOOL')).json as PoolView;
    expect(got).toMatchObject({
      provider_kind: 'ZFS_THIN',
      supports_snapshots: true,
      static_traits: { Provisioning: 'Thin' },
    });

    expectEntry(
      await call(url, 'POST', '/v1/nodes/pve1/storage-pools', { ...body, storage_pool_name: 'ZFSpool' }),
      500,
      FAIL_EXISTS_STOR_POOL | CRT_SP,
    );
    expectEntry(
      await call(url, 'POST', '/v1/nodes/pve1/storage-pools', { ...body, storage_pool_name: 'zp' }),
      500,
      FAIL_INVLD_STOR_POOL_NAME | CRT_SP,
    );
  });

  it('refuses to delete a pool in use (FAIL_IN_USE), deletes an unused one, warns for a missing one', async () => {
    await spawnRd(url, 'linstor-hv-thick', 'sp-user', [GIB]);
    const refused = await call(url, 'DELETE', '/v1/nodes/pve1/storage-pools/thickpool');
    expectEntry(refused, 500, FAIL_IN_USE | DEL_SP);
    const ok = await call(url, 'DELETE', '/v1/nodes/pve3/storage-pools/thickpool');
    expectEntry(ok, 200, DELETED | DEL_SP);
    const missing = await call(url, 'DELETE', '/v1/nodes/pve3/storage-pools/thickpool');
    expectEntry(missing, 200, WARN_NOT_FOUND | DEL_SP);
  });
});
