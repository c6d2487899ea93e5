import { PROP_ALLOW_TWO_PRIMARIES, PROP_DRBD_PROTOCOL, PROP_HV_MIGRATION } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { deviceSha256, expectNoOrphans, MiB, pattern, sha256, useCluster, writeDevice } from './cluster';

const cluster = useCluster();
const SIZE = 2 * MiB;

/** Every place a dual-primary option could be left: the RD, its group, and every connection. */
async function dualPrimaryEverywhere(resource: string): Promise<string[]> {
  const found: string[] = [];
  const rd = await cluster.client.resourceDefinitions.get(resource);
  for (const key of [PROP_ALLOW_TWO_PRIMARIES, PROP_DRBD_PROTOCOL, PROP_HV_MIGRATION]) {
    if (rd.props?.[key] !== undefined) found.push(`definition ${key}=${rd.props[key]}`);
  }
  const group = await cluster.client.resourceGroups.get(rd.resource_group_name ?? '');
  if (group.props?.[PROP_ALLOW_TWO_PRIMARIES] !== undefined) found.push('group allow-two-primaries');
  for (const c of await cluster.client.resourceConnections.list(resource)) {
    for (const key of [PROP_ALLOW_TWO_PRIMARIES, PROP_DRBD_PROTOCOL]) {
      if (c.props?.[key] !== undefined)
        found.push(`connection ${c.node_a}-${c.node_b} ${key}=${c.props[key]}`);
    }
  }
  return found;
}

describe('live migration', () => {
  it('moves a running guest pve1 → pve2 with dual-primary for that pair only, then removes it', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'mig-1', sizeBytes: SIZE, preferredNode: 'pve1' });
    const onSource = await service.attach('mig-1', 'pve1');
    const data = pattern(SIZE);
    await writeDevice(onSource.devicePath, data);
    expect((await emulator.control.openDevice('pve1', 'mig-1', 'rw')).status).toBe(200);
    // Before the migration a second writer is refused (if pve2 has no resource yet, attach it first
    // so the refusal is DRBD's, not "not deployed").
    await service.attach('mig-1', 'pve2');
    const refused = await emulator.control.openDevice('pve2', 'mig-1', 'rw');
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/allow-two-primaries/);

    const target = await service.beginMigration('mig-1', 'pve1', 'pve2');
    expect(target.devicePath).toBe(service.devicePath('mig-1', 'pve2'));
    const info = await service.info('mig-1');
    expect(info.migration).toMatchObject({ from: 'pve1', to: 'pve2', scope: 'connection' });
    const connection = await cluster.client.resourceConnections.get('mig-1', 'pve1', 'pve2');
    expect(connection?.props).toMatchObject({ [PROP_ALLOW_TWO_PRIMARIES]: 'yes', [PROP_DRBD_PROTOCOL]: 'C' });
    expect(
      (await cluster.client.resourceDefinitions.get('mig-1')).props?.[PROP_ALLOW_TWO_PRIMARIES],
    ).toBeUndefined();
    // A repeated begin (lost reply) is harmless.
    await service.beginMigration('mig-1', 'pve1', 'pve2');

    expect((await emulator.control.openDevice('pve2', 'mig-1', 'rw')).status).toBe(200);
    expect(await deviceSha256(target.devicePath, SIZE)).toBe(sha256(data));
    // The source cannot be let go while the guest still has it open there.
    await expect(service.commitMigration('mig-1', 'pve1', 'pve2')).rejects.toThrow(
      /the volume is still open on 'pve1'; the guest must have left the source first/,
    );
    await emulator.control.closeDevice('pve1', 'mig-1');
    await service.commitMigration('mig-1', 'pve1', 'pve2');
    await service.commitMigration('mig-1', 'pve1', 'pve2');
    expect(await dualPrimaryEverywhere('mig-1')).toEqual([]);
    expect((await service.info('mig-1')).migration).toBeUndefined();
    // pve1 holds a diskful replica (preferred node), which a migration never removes.
    expect((await service.info('mig-1')).replicas.find((r) => r.node === 'pve1')?.diskful).toBe(true);
    await emulator.control.closeDevice('pve2', 'mig-1');
    await expectNoOrphans(cluster.client);
  });

  it('uses the connection from a diskless source to a diskful target, and detaches the source on commit', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'mig-2', sizeBytes: SIZE, preferredNode: 'pve1' });
    const info = await service.info('mig-2');
    const diskless =
      ['pve1', 'pve2', 'pve3'].find((n) => !info.replicas.some((r) => r.node === n && r.diskful)) ?? '';
    const diskful = info.replicas.find((r) => r.diskful && r.node !== 'pve1')?.node ?? '';
    await service.attach('mig-2', diskless);
    expect((await emulator.control.openDevice(diskless, 'mig-2', 'rw')).status).toBe(200);
    await service.beginMigration('mig-2', diskless, diskful);
    expect((await service.info('mig-2')).migration?.scope).toBe('connection');
    expect((await emulator.control.openDevice(diskful, 'mig-2', 'rw')).status).toBe(200);
    await emulator.control.closeDevice(diskless, 'mig-2');
    await service.commitMigration('mig-2', diskless, diskful);
    // The source was this owner's diskless attachment: gone after commit.
    expect((await service.info('mig-2')).replicas.some((r) => r.node === diskless && !r.tieBreaker)).toBe(
      false,
    );
    expect(await dualPrimaryEverywhere('mig-2')).toEqual([]);
    await emulator.control.closeDevice(diskful, 'mig-2');
  });

  it('allows dual-primary on the definition when both nodes are diskless (no direct connection)', async () => {
    const { client, emulator } = cluster;
    await client.resourceGroups.create({
      name: 'single',
      select_filter: { place_count: 1, storage_pool: 'thinpool' },
    });
    const single = cluster.serviceWith({ resourceGroup: 'single' });
    const created = await single.create({ name: 'mig-5', sizeBytes: SIZE, preferredNode: 'pve1' });
    expect(created.diskfulNodes).toEqual(['pve1']);
    await single.attach('mig-5', 'pve2');
    await single.attach('mig-5', 'pve3');
    expect((await emulator.control.openDevice('pve2', 'mig-5', 'rw')).status).toBe(200);
    expect((await emulator.control.openDevice('pve3', 'mig-5', 'rw')).status).toBe(409);
    await single.beginMigration('mig-5', 'pve2', 'pve3');
    expect((await single.info('mig-5')).migration?.scope).toBe('definition');
    expect((await client.resourceDefinitions.get('mig-5')).props).toMatchObject({
      [PROP_ALLOW_TWO_PRIMARIES]: 'yes',
    });
    expect((await emulator.control.openDevice('pve3', 'mig-5', 'rw')).status).toBe(200);
    await emulator.control.closeDevice('pve2', 'mig-5');
    await single.commitMigration('mig-5', 'pve2', 'pve3');
    expect(await dualPrimaryEverywhere('mig-5')).toEqual([]);
    expect((await single.info('mig-5')).replicas.map((r) => r.node)).toEqual(['pve1', 'pve3']);
    await emulator.control.closeDevice('pve3', 'mig-5');
  });

  it('aborts: target attachment removed, options restored, the guest stays on the source', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'mig-3', sizeBytes: SIZE, preferredNode: 'pve1' });
    const info = await service.info('mig-3');
    const free =
      ['pve1', 'pve2', 'pve3'].find((n) => !info.replicas.some((r) => r.node === n && !r.tieBreaker)) ?? '';
    await service.attach('mig-3', 'pve1');
    expect((await emulator.control.openDevice('pve1', 'mig-3', 'rw')).status).toBe(200);
    await service.beginMigration('mig-3', 'pve1', free);
    expect((await service.info('mig-3')).replicas.find((r) => r.node === free)).toMatchObject({
      attachedByOwner: true,
    });
    await service.abortMigration('mig-3', 'pve1', free);
    expect((await service.info('mig-3')).replicas.some((r) => r.node === free && !r.tieBreaker)).toBe(false);
    expect(await dualPrimaryEverywhere('mig-3')).toEqual([]);
    expect((await emulator.control.openDevice(free, 'mig-3', 'rw')).status).not.toBe(200);
    await emulator.control.closeDevice('pve1', 'mig-3');
  });

  it('leaves a just-begun migration alone while the target has not opened yet, and heals it once abandoned', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'mig-6', sizeBytes: SIZE, preferredNode: 'pve1' });
    const other =
      (await service.info('mig-6')).replicas.find((r) => r.diskful && r.node !== 'pve1')?.node ?? '';
    await emulator.control.openDevice('pve1', 'mig-6', 'rw');
    await service.beginMigration('mig-6', 'pve1', other);
    // Another operation in the window before QEMU on the target opens the device.
    await service.resize('mig-6', { sizeBytes: SIZE + 1024 * 1024 });
    expect((await service.info('mig-6')).migration).toBeDefined();
    expect((await emulator.control.openDevice(other, 'mig-6', 'rw')).status).toBe(200);
    await emulator.control.closeDevice(other, 'mig-6');
    // The target never took over; past the grace period the record counts as abandoned.
    const impatient = cluster.serviceWith({ deadlines: { migrationGraceMs: 0 } });
    await impatient.resize('mig-6', { sizeBytes: SIZE + 2 * 1024 * 1024 });
    expect((await service.info('mig-6')).migration).toBeUndefined();
    expect(await dualPrimaryEverywhere('mig-6')).toEqual([]);
    await emulator.control.closeDevice('pve1', 'mig-6');
  });

  it('keeps a dual-primary setting the volume had before, and heals a stale record on the next operation', async () => {
    const { service, emulator, client } = cluster;
    await service.create({
      name: 'mig-4',
      sizeBytes: SIZE,
      preferredNode: 'pve1',
      props: { [PROP_ALLOW_TWO_PRIMARIES]: 'no' },
    });
    const info = await service.info('mig-4');
    const other = info.replicas.find((r) => r.diskful && r.node !== 'pve1')?.node ?? '';
    await emulator.control.openDevice('pve1', 'mig-4', 'rw');
    await service.beginMigration('mig-4', 'pve1', other);
    // The host crashed mid-migration: the guest ended up nowhere, nobody commits.
    await emulator.control.closeDevice('pve1', 'mig-4');
    expect((await service.info('mig-4')).migration).toBeDefined();
    await service.attach('mig-4', 'pve1');
    expect((await service.info('mig-4')).migration).toBeUndefined();
    const connection = await client.resourceConnections.get('mig-4', 'pve1', other);
    expect(connection?.props?.[PROP_ALLOW_TWO_PRIMARIES]).toBeUndefined();
    expect((await client.resourceDefinitions.get('mig-4')).props?.[PROP_ALLOW_TWO_PRIMARIES]).toBe('no');
    await expectNoOrphans(cluster.client);
  });
});
