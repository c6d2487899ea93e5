import { describe, expect, it } from 'vitest';
import { randomData, sha256, sha256Of, snapshot, useTableCluster, volume, writeDevice } from './fixture';

const cluster = useTableCluster();
const MIB = 1024 * 1024;

async function attach(vol: Record<string, unknown>, host: string): Promise<string> {
  const reply = await cluster.call('initialize_connection', { volume: vol, connector: { host } });
  expect(reply.driverVolumeType).toBe('local');
  return (reply.data as { device_path: string }).device_path;
}

async function detach(vol: Record<string, unknown>, host: string | null): Promise<Record<string, unknown>> {
  return cluster.call('terminate_connection', { volume: vol, connector: host === null ? null : { host } });
}

describe('cinder method table against the emulator', () => {
  it('creates, snapshots, clones, restores, extends, reverts and deletes with the data intact', async () => {
    const vol = volume(1);
    const create = await cluster.countRequests(() => cluster.call('create_volume', { volume: vol }));
    expect(create.length).toBeLessThanOrEqual(6);

    const device = await attach(vol, 'pve1');
    expect(device).toBe(`${cluster.deviceRoot('pve1')}/drbd/by-res/volume-${vol.id}/0`);
    const first = randomData(MIB);
    await writeDevice(device, first);

    const snap = snapshot(vol);
    const snapCalls = await cluster.countRequests(() => cluster.call('create_snapshot', { snapshot: snap }));
    expect(snapCalls.length).toBeLessThanOrEqual(3);
    const second = randomData(MIB);
    await writeDevice(device, second);

    // A larger volume from the snapshot holds the snapshot's data.
    const restored = volume(2);
    const fromSnapCalls = await cluster.countRequests(() =>
      cluster.call('create_volume_from_snapshot', { volume: restored, snapshot: snap }),
    );
    expect(fromSnapCalls).toContain('POST /v1/resource-definitions/{rd}/snapshot-restore-resource/{snap}');
    const restoredDevice = await attach(restored, 'pve2');
    expect(await sha256Of(restoredDevice, MIB)).toBe(sha256(first));

    // A clone holds the volume's current data.
    const clone = volume(1);
    const cloneCalls = await cluster.countRequests(() =>
      cluster.call('create_cloned_volume', { volume: clone, source: vol }),
    );
    expect(cloneCalls.length).toBeLessThanOrEqual(12);
    const cloneDevice = await attach(clone, 'pve3');
    expect(await sha256Of(cloneDevice, MIB)).toBe(sha256(second));

    // Extend keeps the data; revert brings back the snapshot's data.
    const extendCalls = await cluster.countRequests(() =>
      cluster.call('extend_volume', { volume: vol, newSize: 2 }),
    );
    expect(extendCalls).toContain('PUT /v1/resource-definitions/{rd}/volume-definitions/{nr}');
    expect(await sha256Of(device, MIB)).toBe(sha256(second));
    await detach(vol, 'pve1');
    await cluster.call('revert_to_snapshot', { volume: { ...vol, size: 2 }, snapshot: snap });
    const again = await attach(vol, 'pve1');
    expect(await sha256Of(again, MIB)).toBe(sha256(first));
    await detach(vol, 'pve1');

    const deleteSnap = await cluster.countRequests(() => cluster.call('delete_snapshot', { snapshot: snap }));
    expect(deleteSnap.length).toBeLessThanOrEqual(3);
    for (const v of [restored, clone]) await detach(v, null);
    const deleteCalls = await cluster.countRequests(() => cluster.call('delete_volume', { volume: vol }));
    expect(deleteCalls.length).toBeLessThanOrEqual(5);
    expect(await cluster.call('delete_volume', { volume: vol })).toEqual({ existed: false });
    await cluster.call('delete_volume', { volume: restored });
    await cluster.call('delete_volume', { volume: clone });
  });

  it('puts a typed volume into its type group shaped by the extra specs', async () => {
    const type = {
      id: 'a1b2',
      name: 'fast',
      extraSpecs: { 'linstor:redundancy': '3', 'linstor:storage_pool': 'thinpool' },
    };
    const vol = volume(1, { volumeType: type });
    await cluster.call('create_volume', { volume: vol });
    const group = await cluster.emulator.control.call('GET', '/v1/resource-groups/cinder-a1b2');
    expect(group.body).toMatchObject({
      name: 'cinder-a1b2',
      description: 'For volume type "fast"',
      select_filter: { place_count: 3, storage_pool_list: ['thinpool'] },
    });
    const resources = await cluster.emulator.control.call(
      'GET',
      `/v1/view/resources?resources=volume-${String(vol.id)}`,
    );
    expect((resources.body as unknown[]).length).toBe(3);
    await cluster.call('delete_volume', { volume: vol });
  });

  it('refuses bad extra specs and bad params before creating anything', async () => {
    const before = await cluster.emulator.control.call('GET', '/v1/resource-definitions');
    const type = { id: 'bad1', name: 'broken', extraSpecs: { 'linstor:redundancy': 'three' } };
    await expect(
      cluster.call('create_volume', { volume: volume(1, { volumeType: type }) }),
    ).rejects.toMatchObject({
      code: 'CINDER_INVALID_EXTRA_SPEC',
      message:
        "Volume type 'broken' has a bad extra spec 'linstor:redundancy': 'three' is not a replica count from 1 to 32.",
    });
    const unknown = { id: 'bad2', name: 'typo', extraSpecs: { 'linstor:storagepool': 'x' } };
    await expect(
      cluster.call('create_volume', { volume: volume(1, { volumeType: unknown }) }),
    ).rejects.toMatchObject({
      code: 'CINDER_INVALID_EXTRA_SPEC',
    });
    await expect(cluster.call('create_volume', { volume: { id: 'x', size: 'big' } })).rejects.toMatchObject({
      code: 'CINDER_INVALID_PARAMS',
      rpcCode: -32602,
      message: "'volume.size' must be an integer.",
    });
    const after = await cluster.emulator.control.call('GET', '/v1/resource-definitions');
    expect(after.body).toEqual(before.body);
    const groups = await cluster.emulator.control.call('GET', '/v1/resource-groups');
    expect((groups.body as { name: string }[]).map((g) => g.name)).not.toContain('cinder-bad1');
  });

  it('reports honest stats', async () => {
    await cluster.call('get_volume_stats', {}); // reads the group's placement once
    let stats: Record<string, unknown> = {};
    const calls = await cluster.countRequests(async () => {
      stats = await cluster.call('get_volume_stats', {});
    });
    expect(calls.length).toBeLessThanOrEqual(2);
    // three nodes with 100 GiB thin each, two replicas: 150 GiB of data
    expect(stats).toMatchObject({
      total_capacity_gb: 150,
      thin_provisioning_support: true,
      thick_provisioning_support: false,
      max_over_subscription_ratio: 20,
    });
    const vol = volume(3);
    await cluster.call('create_volume', { volume: vol });
    const next = await cluster.call('get_volume_stats', {});
    expect(next.provisioned_capacity_gb).toBe((stats.provisioned_capacity_gb as number) + 3);
    expect(next.total_volumes).toBe((stats.total_volumes as number) + 1);
    await cluster.call('delete_volume', { volume: vol });
  });
});
