import { CREATED, FAIL_INVLD_STOR_DRIVER, MASK_CRT, MASK_RSC } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { diskless, expectEntry, GIB, resourcesOfRd } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call, retCodes } from './http-helpers';

const CRT_RSC = MASK_CRT | MASK_RSC;

let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  url = started.url;
});

/** An RD with one 1 GiB volume and a replica on pve1 in `pool`. */
async function rdOnPve1(name: string, pool: string): Promise<void> {
  expect(
    (await call(url, 'POST', '/v1/resource-definitions', { resource_definition: { name } })).status,
  ).toBe(201);
  await call(url, 'POST', `/v1/resource-definitions/${name}/volume-definitions`, {
    volume_definition: { size_kib: GIB },
  });
  const first = await placeOn(name, 'pve1', pool);
  expect(first.status, first.text).toBe(201);
}

function placeOn(rd: string, node: string, pool: string) {
  return call(url, 'POST', `/v1/resource-definitions/${rd}/resources/${node}`, {
    resource: { node_name: node, props: { StorPoolName: pool } },
  });
}

/** `node:pool` of the RD's diskful replicas (tie-breakers left out). */
async function placedPools(rd: string): Promise<string[]> {
  return (await resourcesOfRd(url, rd))
    .filter((r) => !diskless(r))
    .map((r) => `${r.node_name}:${r.props?.StorPoolName}`);
}

describe('storage drivers of one volume (CtrlStorPoolResolveHelper.checkSameKindAsPeers)', () => {
  it('refuses an LVM replica next to an LVM_THIN one, and names the property that would allow it', async () => {
    await rdOnPve1('mix-1', 'thinpool');
    const refused = await placeOn('mix-1', 'pve2', 'thickpool');
    const e = expectEntry(refused, 500, FAIL_INVLD_STOR_DRIVER | CRT_RSC) as ReturnType<
      typeof expectEntry
    > & { correction?: string };
    expect(e.message).toBe("Storage driver 'LVM' not allowed for volume.");
    expect(e.details).toBe(
      'Using storage pools with different storage drivers on the same volume definition is not supported.',
    );
    expect(e.correction).toBe(
      "Either use a storage pool with a driver compatible with LVM_THIN, or enable storage pool mixing using the property 'AllowMixingStoragePoolDriver'",
    );
    expect(await placedPools('mix-1')).toEqual(['pve1:thinpool']);
  });

  it.each([
    ['the resource definition', '/v1/resource-definitions/mix-2', 'PUT'],
    ['its resource group', '/v1/resource-groups/DfltRscGrp', 'PUT'],
    ['the controller', '/v1/controller/properties', 'POST'],
  ])('mixes LVM with LVM_THIN when AllowMixingStoragePoolDriver is true on %s', async (_, path, method) => {
    await rdOnPve1('mix-2', 'thinpool');
    const set = await call(url, method, path, { override_props: { AllowMixingStoragePoolDriver: 'true' } });
    expect(set.status, set.text).toBeLessThan(300);
    const placed = await placeOn('mix-2', 'pve2', 'thickpool');
    expect(placed.status, placed.text).toBe(201);
    expect(retCodes(placed)[0]).toBe(CREATED | CRT_RSC);
    expect(await placedPools('mix-2')).toEqual(['pve1:thinpool', 'pve2:thickpool']);
  });

  it('never mixes file pools with LVM, property or not', async () => {
    const pool = await call(url, 'POST', '/v1/nodes/pve2/storage-pools', {
      storage_pool_name: 'filepool',
      provider_kind: 'FILE_THIN',
      props: { 'StorDriver/FileDir': '/var/lib/filepool' },
    });
    expect(pool.status, pool.text).toBe(201);
    await rdOnPve1('mix-3', 'thinpool');
    await call(url, 'POST', '/v1/controller/properties', {
      override_props: { AllowMixingStoragePoolDriver: 'true' },
    });
    const refused = await placeOn('mix-3', 'pve2', 'filepool');
    const e = expectEntry(refused, 500, FAIL_INVLD_STOR_DRIVER | CRT_RSC) as ReturnType<
      typeof expectEntry
    > & { correction?: string };
    expect([e.message, e.correction]).toEqual([
      "Storage driver 'FILE_THIN' not allowed for volume.",
      "Use a storage pool with the driver 'LVM_THIN'",
    ]);
  });

  it('lets the autoplacer skip pools whose driver does not mix with the placed replicas', async () => {
    await rdOnPve1('mix-4', 'thickpool');
    // thinpool has the most free space on pve2 and pve3, but LVM_THIN does not mix with LVM.
    const reply = await call(url, 'POST', '/v1/resource-definitions/mix-4/autoplace', {
      select_filter: { place_count: 2, storage_pool_list: ['thinpool', 'thickpool'] },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(await placedPools('mix-4')).toEqual(['pve1:thickpool', 'pve2:thickpool']);
  });
});
