import { describe, expect, it } from 'vitest';
import { expectNoOrphans, MiB, useCluster, writeDevice } from './cluster';

const cluster = useCluster();
const GiB = 1024 * MiB;

describe('concurrency', () => {
  it('runs 50 creates and 50 deletes in parallel in one group without collisions or leaks', {
    timeout: 120_000,
  }, async () => {
    // A hundred verbs share one client here, so each one's waits get a budget for a queue of a
    // hundred, not the one-volume budget of the other tests (a loaded CI machine hit 2 s).
    const service = cluster.serviceWith({
      deadlines: { notInUseMs: 30_000, deviceMs: 30_000, cloneMs: 30_000, resizeMs: 30_000 },
    });
    const old = Array.from({ length: 50 }, (_, i) => `old-${i}`);
    const fresh = Array.from({ length: 50 }, (_, i) => `new-${i}`);
    for (let i = 0; i < old.length; i += 10) {
      await Promise.all(old.slice(i, i + 10).map((name) => service.create({ name, sizeKib: 1024 })));
    }
    const results = await Promise.allSettled([
      ...fresh.map((name, i) => service.create({ name, sizeKib: 1024 + i })),
      ...old.map((name) => service.delete(name)),
    ]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failures).toEqual([]);
    const listed = await service.list();
    expect(listed.map((v) => v.name).sort()).toEqual([...fresh].sort());
    // Each new volume has its own size (no two creates were confused) and two replicas.
    for (const [i, name] of fresh.entries()) {
      expect(listed.find((v) => v.name === name)?.sizeBytes).toBe((1024 + i) * 1024);
    }
    const resources = await cluster.client.resources.view();
    for (const name of fresh) {
      expect(resources.filter((r) => r.name === name && !(r.flags ?? []).includes('DISKLESS'))).toHaveLength(
        2,
      );
    }
    expect(resources.filter((r) => r.name?.startsWith('old-'))).toEqual([]);
    await expectNoOrphans(cluster.client);
    await Promise.all(fresh.map((name) => service.delete(name)));
    expect(await service.list()).toEqual([]);
  });
});

describe('capacity against the emulator', () => {
  it('reports thin and thick groups, reads two small lists per call, and drops an offline node', async () => {
    const { service, emulator } = cluster;
    const first = await service.capacity();
    // Three nodes × 100 GiB thin, two replicas: (3 × 100) / 2.
    expect(first.totalBytes).toBe(150 * GiB);
    expect(first.provisioning).toBe('thin');
    expect(first.offlineNodes).toEqual([]);

    // Thin pools lose only what is written: 8 MiB on both replicas of one volume.
    const created = await service.create({ name: 'cap-thin', sizeBytes: 64 * MiB });
    for (const node of created.diskfulNodes) {
      await writeDevice(service.devicePath('cap-thin', node), Buffer.alloc(8 * MiB, 0xab));
    }
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the emulator caches thin usage for 1 s
    const written = await service.capacity();
    expect(written.usedBytes).toBeGreaterThanOrEqual(8 * MiB);
    expect(written.usedBytes).toBeLessThan(9 * MiB);

    // Thick pools reserve the whole LV on each replica: the size plus DRBD's internal metadata,
    // rounded up to the 4 MiB extent (2 GiB + 4 MiB), as LVM reports it under a real controller.
    const thick = cluster.serviceWith({ resourceGroup: 'linstor-hv-thick' });
    await thick.create({ name: 'cap-thick', sizeBytes: 2 * GiB });
    const thickCapacity = await thick.capacity();
    expect(thickCapacity).toMatchObject({
      totalBytes: 30 * GiB,
      usedBytes: 2 * GiB + 4 * MiB,
      provisioning: 'thick',
    });
    // Free per node: 18 GiB − 4 MiB twice and 20 GiB (which two hold it depends on placement)
    // → min((56 GiB − 8 MiB)/2, 38 GiB − 4 MiB) = 28 GiB − 4 MiB.
    expect(thickCapacity.freeBytes).toBe(28 * GiB - 4 * MiB);
    expect(thickCapacity.maxVolumeBytes).toBe(18 * GiB - 4 * MiB);

    await emulator.control.clearRequests();
    await service.capacity();
    expect(await emulator.control.requestCounts()).toEqual({
      'GET /v1/view/storage-pools': 1,
      'GET /v1/nodes': 1,
    });

    await emulator.control.nodeOffline('pve3');
    try {
      const offline = await service.capacity();
      expect(offline.offlineNodes).toEqual(['pve3']);
      expect(offline.totalBytes).toBe(100 * GiB);
    } finally {
      await emulator.control.nodeOnline('pve3');
    }
  });
});
