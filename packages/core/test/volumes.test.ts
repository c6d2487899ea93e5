import { createServer } from 'node:net';
import { PROP_HV_NAME, PROP_HV_OWNER, PROP_HV_PLATFORM } from '@linstor-hv/api';
import { createLinstorClient } from '@linstor-hv/client';
import { describe, expect, it } from 'vitest';
import { VolumeError, VolumeValidationError } from '../src/errors';
import { expectNoOrphans, MiB, useCluster } from './cluster';

const cluster = useCluster();

describe('create', () => {
  it('creates a volume with the group replica count, exact size and ownership tags', async () => {
    const result = await cluster.service.create({ name: 'vm-100-disk-1', sizeBytes: 10 * MiB + 1 });
    expect(result).toMatchObject({
      name: 'vm-100-disk-1',
      resourceName: 'vm-100-disk-1',
      existed: false,
      warnings: [],
    });
    // 10 MiB + 1 byte rounds up to the next KiB, never down.
    expect(result.sizeBytes).toBe(10 * MiB + 1024);
    expect(result.diskfulNodes).toHaveLength(2);
    const info = await cluster.service.info('vm-100-disk-1');
    expect(info.sizeBytes).toBe(10 * MiB + 1024);
    expect(info.replicas.filter((r) => r.diskful)).toHaveLength(2);
    expect(info.props).toMatchObject({
      [PROP_HV_PLATFORM]: 'core-test',
      [PROP_HV_OWNER]: 'suite-1',
      [PROP_HV_NAME]: 'vm-100-disk-1',
    });
    expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
    expect(info.owned).toBe(true);
    expect(info.resourceGroup).toBe('linstor-hv');
  });

  it('gives the preferred node a diskful replica', async () => {
    for (const node of ['pve1', 'pve2', 'pve3']) {
      const result = await cluster.service.create({
        name: `pref-${node}`,
        sizeKib: 4096,
        preferredNode: node,
      });
      expect(result.diskfulNodes).toContain(node);
      expect(result.diskfulNodes).toHaveLength(2);
    }
  });

  it('maps a name LINSTOR refuses and keeps the original', async () => {
    const name = 'vm-101-state-a_snapshot_name_that_is_far_too_long_for_linstor';
    const result = await cluster.service.create({ name, sizeKib: 1024 });
    expect(result.resourceName).not.toBe(name);
    expect(result.resourceName.length).toBeLessThanOrEqual(48);
    const info = await cluster.service.info(name);
    expect(info.name).toBe(name);
    expect((await cluster.service.list()).map((v) => v.name)).toContain(name);
  });

  it('is idempotent for the same owner and refuses a foreign or case-colliding name', async () => {
    const again = await cluster.service.create({ name: 'vm-100-disk-1', sizeBytes: 10 * MiB + 1 });
    expect(again.existed).toBe(true);
    const other = cluster.serviceWith({ ownerId: 'someone-else' });
    await expect(other.create({ name: 'vm-100-disk-1', sizeBytes: 10 * MiB + 1 })).rejects.toThrow(
      /Creating volume 'vm-100-disk-1' failed: LINSTOR already has a resource definition 'vm-100-disk-1' that this owner did not create/,
    );
    await expect(cluster.service.create({ name: 'VM-100-DISK-1', sizeKib: 1024 })).rejects.toThrow(
      /by the name 'vm-100-disk-1' \(LINSTOR names ignore case\)/,
    );
    await expect(cluster.service.create({ name: 'vm-100-disk-1', sizeKib: 1024 })).rejects.toThrow(
      /already exists with 10241 KiB instead of 1024 KiB/,
    );
  });

  it('reports LINSTOR refusals in its own words, naming the volume', async () => {
    const missingGroup = cluster.serviceWith({ resourceGroup: 'no-such-group' });
    await expect(missingGroup.create({ name: 'x1', sizeKib: 1024 })).rejects.toThrow(
      "Creating volume 'x1' failed: Resource group 'no-such-group' not found.",
    );
    const failure = await cluster.service
      .create({ name: 'x2', sizeKib: 1024, props: { 'DrbdOptions/NoSuch': 'y' } })
      .catch((e: unknown) => e);
    expect((failure as Error).message).toBe(
      "Creating volume 'x2' failed: Invalid property key: DrbdOptions/NoSuch (The key 'DrbdOptions/NoSuch' is not whitelisted).",
    );
    expect((failure as VolumeError).linstor[0]?.cause).toBe(
      "The key 'DrbdOptions/NoSuch' is not whitelisted.",
    );
    expect((failure as VolumeError).kind).toBe('invalid-argument');
    expect(await cluster.client.resourceDefinitions.getOrUndefined('x2')).toBeUndefined();
  });

  it('says when no controller answers', async () => {
    // A port that was just free: connections to it are refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = createLinstorClient({
      controllers: `http://127.0.0.1:${port}`,
      tokenFile: false,
      connectTimeoutMs: 500,
      deadlineMs: 2000,
      retries: 0,
    });
    try {
      const service = cluster.serviceWith({ client });
      const failure = await service.create({ name: 'nowhere', sizeKib: 1024 }).catch((e: unknown) => e);
      expect((failure as VolumeError).kind).toBe('unavailable');
      expect((failure as Error).message).toMatch(
        /^Creating volume 'nowhere' failed: No LINSTOR controller answered /,
      );
    } finally {
      await client.close();
    }
  });

  it('finishes its own interrupted create without adding a replica', async () => {
    // An earlier attempt spawned and placed, then died before clearing its pending mark; its
    // caller repeats the call with that attempt's id (only its own attempt is resumed).
    await cluster.client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'half-done',
      volume_sizes: [1024],
      resource_definition_props: {
        'Aux/linstor-hv/platform': 'core-test',
        'Aux/linstor-hv/owner': 'suite-1',
        'Aux/linstor-hv/name': 'half-done',
        'Aux/linstor-hv/pending': 'create',
        'Aux/linstor-hv/attempt': 'first-try',
        'Aux/linstor-hv/created-at': new Date().toISOString(),
      },
    });
    const before = (await cluster.service.info('half-done')).replicas
      .filter((r) => r.diskful)
      .map((r) => r.node);
    const preferred = ['pve1', 'pve2', 'pve3'].find((n) => !before.includes(n)) ?? 'pve3';
    const result = await cluster.service.create({
      name: 'half-done',
      sizeKib: 1024,
      preferredNode: preferred,
      attempt: 'first-try',
    });
    expect(result.existed).toBe(false);
    expect(result.diskfulNodes).toEqual(before);
    expect((await cluster.service.info('half-done')).props['Aux/linstor-hv/pending']).toBeUndefined();
  });

  it('refuses bad sizes and reserved props without creating anything', async () => {
    await expect(cluster.service.create({ name: 'bad-size', sizeBytes: 0 })).rejects.toBeInstanceOf(
      VolumeValidationError,
    );
    await expect(cluster.service.create({ name: 'bad-size', sizeKib: 1.5 })).rejects.toThrow(
      /whole number of KiB/,
    );
    await expect(
      cluster.service.create({ name: 'bad-size', sizeKib: 1024, props: { 'Aux/linstor-hv/owner': 'x' } }),
    ).rejects.toThrow(/reserved for linstor-hv/);
    expect(await cluster.client.resourceDefinitions.getOrUndefined('bad-size')).toBeUndefined();
  });

  it('fails when too few replicas can be placed and leaves nothing behind', async () => {
    // 15 GiB fits one 20 GiB thick pool per node only once; the second volume cannot get 2 replicas
    // on distinct nodes after two nodes are full... simpler: ask for more than any pool holds.
    const thick = cluster.serviceWith({ resourceGroup: 'linstor-hv-thick' });
    const failure = await thick
      .create({ name: 'too-big', sizeBytes: 30 * 1024 * MiB })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(VolumeError);
    expect((failure as VolumeError).kind).toBe('placement');
    expect((failure as Error).message).toMatch(/^Creating volume 'too-big' failed: /);
    expect(await cluster.client.resourceDefinitions.getOrUndefined('too-big')).toBeUndefined();
    await expectNoOrphans(cluster.client);
  });
});

describe('resize, list, delete', () => {
  it('grows exactly and refuses to shrink', async () => {
    await cluster.service.create({ name: 'grow-me', sizeKib: 2048 });
    expect(await cluster.service.resize('grow-me', { sizeBytes: 3 * MiB + 5 })).toEqual({
      sizeBytes: 3 * MiB + 1024,
      changed: true,
    });
    expect((await cluster.service.info('grow-me')).sizeBytes).toBe(3 * MiB + 1024);
    expect(await cluster.service.resize('grow-me', { sizeKib: 3073 })).toEqual({
      sizeBytes: 3073 * 1024,
      changed: false,
    });
    await expect(cluster.service.resize('grow-me', { sizeKib: 1024 })).rejects.toThrow(
      "Resizing volume 'grow-me' to 1024 KiB is refused: it has 3073 KiB and volumes can only grow.",
    );
    await expect(cluster.service.resize('no-such-volume', { sizeKib: 1024 })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('answers list with one filtered request and info with three, however many volumes exist', async () => {
    const { control } = cluster.emulator;
    const total = async (run: () => Promise<unknown>) => {
      await control.clearRequests();
      await run();
      return Object.values(await control.requestCounts()).reduce((a, b) => a + b, 0);
    };
    expect(await total(() => cluster.service.list())).toBe(1);
    const requests = await control.requests();
    expect(requests[0]?.path).toBe('/v1/resource-definitions');
    expect(await total(() => cluster.service.info('grow-me'))).toBe(3);
    expect(await total(() => cluster.service.detach('grow-me', 'pve1'))).toBeLessThanOrEqual(2);
  });

  it('lists only this owner in this group', async () => {
    const names = (await cluster.service.list()).map((v) => v.name);
    expect(names).toEqual(expect.arrayContaining(['vm-100-disk-1', 'grow-me', 'pref-pve1']));
    const other = cluster.serviceWith({ ownerId: 'someone-else' });
    expect(await other.list()).toEqual([]);
    const listed = (await cluster.service.list()).find((v) => v.name === 'grow-me');
    expect(listed?.sizeBytes).toBe(3073 * 1024);
  });

  it("restores a snapshot onto no other owner's volume and leaves that volume alone", async () => {
    const other = cluster.serviceWith({ ownerId: 'someone-else' });
    await other.create({ name: 'taken', sizeKib: 1024 });
    await cluster.service.create({ name: 'origin', sizeKib: 1024 });
    await cluster.service.createSnapshot('origin', 'base');
    await expect(
      cluster.service.clone({ source: 'origin', snapshot: 'base', name: 'taken' }),
    ).rejects.toThrow(
      "Cloning snapshot 'base' of volume 'origin' into 'taken' failed: LINSTOR already has a resource definition 'taken' that this owner did not create; choose another name.",
    );
    expect((await other.info('taken')).sizeBytes).toBe(1024 * 1024);
    expect(await other.delete('taken')).toEqual({ existed: true });
    expect(await cluster.service.delete('origin')).toEqual({ existed: true });
  });

  it('deletes snapshots first, and deleting again succeeds', async () => {
    await cluster.service.create({ name: 'doomed', sizeKib: 1024 });
    await cluster.service.createSnapshot('doomed', 'first');
    expect(await cluster.service.delete('doomed')).toEqual({ existed: true });
    expect(await cluster.service.delete('doomed')).toEqual({ existed: false });
    expect(await cluster.client.resourceDefinitions.getOrUndefined('doomed')).toBeUndefined();
  });

  it("refuses to delete another owner's volume, and deletes an untagged one of an official plugin", async () => {
    const other = cluster.serviceWith({ ownerId: 'someone-else' });
    await other.create({ name: 'theirs', sizeKib: 1024 });
    await expect(cluster.service.delete('theirs')).rejects.toThrow(
      "Deleting volume 'theirs' is refused: it belongs to core-test:someone-else, not to this owner.",
    );
    expect(await other.delete('theirs')).toEqual({ existed: true });
    // A linstor-proxmox volume: spawned directly, only Aux/pm/vmid.
    await cluster.client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'pm-1a2b3c4d',
      volume_sizes: [1024],
      resource_definition_props: { 'Aux/pm/vmid': '100' },
    });
    expect((await cluster.service.list({ props: ['Aux/pm/vmid=100'] })).map((v) => v.name)).toEqual([
      'pm-1a2b3c4d',
    ]);
    await cluster.service.createSnapshot('pm-1a2b3c4d', 'snap1');
    expect(await cluster.service.delete('pm-1a2b3c4d')).toEqual({ existed: true });
  });

  it('waits for not-in-use and then refuses with the node named', async () => {
    await cluster.service.create({ name: 'busy', sizeKib: 1024, preferredNode: 'pve1' });
    const opened = await cluster.emulator.control.openDevice('pve1', 'busy', 'rw');
    expect(opened.status).toBeLessThan(300);
    const failure = await cluster.service.delete('busy', { deadlineMs: 500 }).catch((e: unknown) => e);
    expect((failure as VolumeError).kind).toBe('in-use');
    expect((failure as Error).message).toMatch(
      /^Deleting volume 'busy' failed: it is still in use on pve1 after/,
    );
    await cluster.emulator.control.closeDevice('pve1', 'busy');
    expect(await cluster.service.delete('busy')).toEqual({ existed: true });
  });
});
