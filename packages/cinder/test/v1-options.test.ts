/**
 * The v1 driver's options keep v1's meaning (Debian's linstordrv.py 1.0.1): a section written for
 * v1 places a replica on every node with the storage pool (`linstor_autoplace_count = 0`), keeps
 * diskful replicas off the Cinder host (`linstor_controller_diskless`), uses `DfltStorPool` unless
 * told otherwise, and names `linstor_default_volume_group_name` when that pool is missing.
 * `linstor_force_udev = False` gives the DRBD minor's device. Stats count v1 volumes untouched.
 */

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTableCluster, volume } from './fixture';

const cluster = useTableCluster();

interface View {
  node_name: string;
  flags?: string[];
  volumes?: { storage_pool_name?: string; device_path?: string }[];
}

async function placed(name: string): Promise<{ diskful: string[]; pools: string[] }> {
  const reply = await cluster.emulator.control.call('GET', `/v1/view/resources?resources=${name}`);
  const diskful = (reply.body as View[]).filter(
    (r) => !(r.flags ?? []).includes('DISKLESS') && !(r.flags ?? []).includes('TIE_BREAKER'),
  );
  return {
    diskful: diskful.map((r) => r.node_name).sort(),
    pools: [...new Set(diskful.map((r) => r.volumes?.[0]?.storage_pool_name ?? ''))],
  };
}

/** A backend section written for v1 (no v2-only option), under its own backend name. */
function v1Backend(name: string, options: Record<string, unknown>): Record<string, unknown> {
  return {
    ...cluster.backend,
    name,
    v1Section: true,
    controllerDiskless: true,
    v1VolumeGroup: 'drbd-vg',
    ...options,
  };
}

async function definitionNames(): Promise<string[]> {
  const reply = await cluster.emulator.control.call('GET', '/v1/resource-definitions');
  return (reply.body as { name: string }[]).map((d) => d.name).sort();
}

describe('v1 options', () => {
  it('autoplace count 0: a replica on every node with the pool, in a group of the backend', async () => {
    const backend = v1Backend('v1every', {
      autoplaceCount: 0,
      controllerDiskless: false,
      defaultStoragePool: 'thinpool',
    });
    const vol = volume(1);
    await cluster.call('create_volume', { backend, volume: vol });
    expect(await placed(`volume-${vol.id}`)).toEqual({
      diskful: ['pve1', 'pve2', 'pve3'],
      pools: ['thinpool'],
    });
    const group = await cluster.emulator.control.call('GET', '/v1/resource-groups/cinder-v1-v1every');
    expect(group.body).toMatchObject({ select_filter: { place_count: 3, storage_pool_list: ['thinpool'] } });
    await cluster.call('delete_volume', { backend, volume: vol });
  });

  it('autoplace count 1: one replica; controller diskless: never on the Cinder host', async () => {
    const backend = v1Backend('v1one', {
      autoplaceCount: 1,
      defaultStoragePool: 'thinpool',
      cinderHosts: ['pve2'],
    });
    const vols = [volume(1), volume(1), volume(1)];
    for (const vol of vols) {
      await cluster.call('create_volume', { backend, volume: vol });
      const where = await placed(`volume-${vol.id}`);
      expect(where.diskful).toHaveLength(1);
      expect(where.diskful).not.toContain('pve2');
    }
    for (const vol of vols) await cluster.call('delete_volume', { backend, volume: vol });
  });

  it("v1's default pool DfltStorPool; when it is missing the error names the pool and v1's volume group", async () => {
    const backend = v1Backend('v1default', {
      autoplaceCount: 0,
      cinderHosts: ['pve1'],
      defaultStoragePool: 'DfltStorPool',
    });
    const before = await definitionNames();
    await expect(cluster.call('create_volume', { backend, volume: volume(1) })).rejects.toMatchObject({
      code: 'CINDER_NO_STORAGE_POOL',
      message:
        "No LINSTOR node other than the Cinder host has the storage pool 'DfltStorPool', so backend 'v1default' has nowhere to place volumes; create it (the v1 driver used LVM volume group 'drbd-vg' for it: linstor storage-pool create lvm <node> DfltStorPool drbd-vg) or set linstor_default_storage_pool_name.",
    });
    expect(await definitionNames()).toEqual(before);

    for (const node of ['pve1', 'pve2', 'pve3']) {
      const reply = await cluster.emulator.control.call('POST', `/v1/nodes/${node}/storage-pools`, {
        storage_pool_name: 'DfltStorPool',
        provider_kind: 'LVM_THIN',
        props: { 'StorDriver/LvmVg': 'drbd-vg', 'StorDriver/ThinPool': 'dflt' },
      });
      expect(reply.status).toBeLessThan(300);
    }
    // A fresh backend (the pool listing is trusted for a minute): every node but the Cinder host.
    const fresh = { ...backend, name: 'v1default2' };
    const vol = volume(1);
    await cluster.call('create_volume', { backend: fresh, volume: vol });
    expect(await placed(`volume-${vol.id}`)).toEqual({ diskful: ['pve2', 'pve3'], pools: ['DfltStorPool'] });
    await cluster.call('delete_volume', { backend: fresh, volume: vol });
  });

  it('force_udev off: the host gets the DRBD device LINSTOR reports, not the by-res link', async () => {
    const backend = { ...cluster.backend, name: 'noudev', forceUdev: false };
    const vol = volume(1);
    await cluster.call('create_volume', { backend, volume: vol });
    const reply = await cluster.call('initialize_connection', {
      backend,
      volume: vol,
      connector: { host: 'pve1' },
    });
    const view = await cluster.emulator.control.call(
      'GET',
      `/v1/view/resources?resources=volume-${vol.id}&nodes=pve1`,
    );
    const reported = (view.body as View[])[0]?.volumes?.[0]?.device_path ?? '';
    expect(reported).toMatch(/^\/dev\/drbd\d+$/);
    expect(reply.data).toEqual({
      device_path: `${cluster.deviceRoot('pve1')}${reported.slice('/dev'.length)}`,
    });
    await cluster.call('terminate_connection', { backend, volume: vol, connector: { host: 'pve1' } });
    await cluster.call('delete_volume', { backend, volume: vol });
  });

  it("stats count the v1 driver's CV_ volumes before Cinder touches them", async () => {
    await cluster.call('get_volume_stats', {});
    const before = await cluster.call('get_volume_stats', {});
    const name = `CV_${randomUUID()}`;
    await cluster.emulator.control.call('POST', '/v1/resource-definitions', {
      resource_definition: { name },
    });
    await cluster.emulator.control.call('POST', `/v1/resource-definitions/${name}/volume-definitions`, {
      volume_definition: { size_kib: 5 * 1024 * 1024 - 4096 },
    });
    // Another definition that is no Cinder volume does not count.
    await cluster.emulator.control.call('POST', '/v1/resource-definitions', {
      resource_definition: { name: 'CV_not-a-uuid' },
    });
    const after = await cluster.call('get_volume_stats', {});
    expect(after.total_volumes).toBe((before.total_volumes as number) + 1);
    expect(after.provisioned_capacity_gb).toBeCloseTo((before.provisioned_capacity_gb as number) + 5, 1);
  });
});
