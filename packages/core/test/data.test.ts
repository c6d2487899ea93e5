import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RollbackBlockedError, VolumeError } from '../src/errors';
import { LocalExecutor } from '../src/exec';
import { deviceSha256, expectNoOrphans, MiB, pattern, sha256, useCluster, writeDevice } from './cluster';

const cluster = useCluster();
const SIZE = 4 * MiB;
/** sha256 of the data snapshot 'snap-b' of 'data-1' holds (set by the first test). */
let snapBSha = '';

describe('snapshots and rollback at the data level', () => {
  it('rolls back to the newest snapshot natively and to an older one by copy', async () => {
    const { service } = cluster;
    await service.create({ name: 'data-1', sizeBytes: SIZE, preferredNode: 'pve1' });
    const { devicePath } = await service.attach('data-1', 'pve1');
    const first = pattern(SIZE);
    await writeDevice(devicePath, first);
    await service.createSnapshot('data-1', 'snap-a');
    const second = pattern(SIZE);
    snapBSha = sha256(second);
    await writeDevice(devicePath, second);
    await service.createSnapshot('data-1', 'snap-b');
    const third = pattern(SIZE);
    await writeDevice(devicePath, third);
    expect(await deviceSha256(devicePath, SIZE)).toBe(sha256(third));

    expect(await service.canRollback('data-1', 'snap-b')).toEqual({
      possible: true,
      method: 'native',
      blockers: [],
      reason: undefined,
    });
    const older = await service.canRollback('data-1', 'snap-a');
    expect(older).toMatchObject({ possible: true, method: 'copy', blockers: ['snap-b'] });
    expect(await service.canRollback('data-1', 'snap-a', { allowCopy: false })).toMatchObject({
      possible: false,
      blockers: ['snap-b'],
      reason: 'LINSTOR can only roll back to the newest snapshot: newer snapshots exist (snap-b)',
    });

    expect(await service.rollback('data-1', 'snap-b')).toEqual({ method: 'native' });
    expect(await deviceSha256(devicePath, SIZE)).toBe(sha256(second));
    // The same data is seen on the other replica's node.
    const other = (await service.info('data-1')).replicas.find((r) => r.diskful && r.node !== 'pve1');
    expect(other).toBeDefined();
    expect(await deviceSha256(service.devicePath('data-1', other?.node ?? ''), SIZE)).toBe(sha256(second));

    const progress: number[] = [];
    expect(
      await service.rollback('data-1', 'snap-a', { onProgress: (p) => progress.push(p.bytesDone) }),
    ).toEqual({
      method: 'copy',
    });
    expect(await deviceSha256(devicePath, SIZE)).toBe(sha256(first));
    expect(progress.at(-1)).toBe(SIZE);
    // Newer snapshots survive a copy rollback, and nothing temporary is left.
    expect((await service.listSnapshots('data-1')).map((s) => s.name)).toEqual(['snap-a', 'snap-b']);
    await expectNoOrphans(cluster.client);

    await expect(service.rollback('data-1', 'snap-a', { allowCopy: false })).rejects.toBeInstanceOf(
      RollbackBlockedError,
    );
    await expect(service.rollback('data-1', 'snap-x')).rejects.toThrow(
      "Rolling volume 'data-1' back to snapshot 'snap-x' failed: the volume has no snapshot 'snap-x'.",
    );
  });

  it('refuses a rollback while the volume is open', async () => {
    const { service } = cluster;
    await cluster.emulator.control.openDevice('pve1', 'data-1', 'rw');
    const check = await service.canRollback('data-1', 'snap-b');
    expect(check).toMatchObject({ possible: false, reason: 'the volume is in use on pve1' });
    const failure = await service.rollback('data-1', 'snap-b').catch((e: unknown) => e);
    expect((failure as VolumeError).kind).toBe('in-use');
    expect((failure as Error).message).toBe(
      "Rolling volume 'data-1' back to snapshot 'snap-b' failed: the volume is in use on pve1; stop the guest first.",
    );
    await cluster.emulator.control.closeDevice('pve1', 'data-1');
  });

  it('maps long snapshot names and repeats a snapshot idempotently', async () => {
    const { service } = cluster;
    const long = 'a_forty_character_snapshot_name_from_pve_x';
    const taken = await service.createSnapshot('data-1', long);
    expect(taken.existed).toBe(false);
    expect(taken.name).toBe(long);
    const again = await service.createSnapshot('data-1', long);
    expect(again.existed).toBe(true);
    expect(await service.deleteSnapshot('data-1', long)).toEqual({ existed: true });
    expect(await service.deleteSnapshot('data-1', long)).toEqual({ existed: false });
  });
});

describe('snapshot views', () => {
  it('makes a snapshot readable on any node, reuses the view, and the volume delete removes it', async () => {
    const { service, client } = cluster;
    const view = await service.attachSnapshot('data-1', 'snap-b', 'pve3');
    expect(await deviceSha256(view.devicePath, SIZE)).toBe(snapBSha);
    const again = await service.attachSnapshot('data-1', 'snap-b', 'pve3');
    expect(again.resourceName).toBe(view.resourceName);
    expect(await service.detachSnapshot('data-1', 'snap-b')).toEqual({ existed: true });
    expect(await service.detachSnapshot('data-1', 'snap-b')).toEqual({ existed: false });
    await expect(service.attachSnapshot('data-1', 'nope', 'pve3')).rejects.toThrow(
      "Attaching snapshot 'nope' of volume 'data-1' on node 'pve3' failed: the volume has no usable snapshot 'nope'.",
    );

    const again2 = await service.attachSnapshot('data-1', 'snap-a', 'pve2');
    await service.createSnapshot('data-1', 'short-lived');
    const shortView = await service.attachSnapshot('data-1', 'short-lived', 'pve2');
    expect(await service.deleteSnapshot('data-1', 'short-lived')).toEqual({ existed: true });
    expect(await client.resourceDefinitions.getOrUndefined(shortView.resourceName)).toBeUndefined();
    await service.detachSnapshot('data-1', 'snap-a');
    expect(await client.resourceDefinitions.getOrUndefined(again2.resourceName)).toBeUndefined();

    await service.create({ name: 'viewed', sizeKib: 1024 });
    await service.createSnapshot('viewed', 's');
    const left = await service.attachSnapshot('viewed', 's', 'pve1');
    await service.delete('viewed');
    expect(await client.resourceDefinitions.getOrUndefined(left.resourceName)).toBeUndefined();
    await expectNoOrphans(client);
  });
});

describe('clones at the data level', () => {
  it('clones a volume and a snapshot into the thick group, larger, with the same data', async () => {
    const { service } = cluster;
    const source = service.devicePath('data-1', 'pve1');
    const current = await deviceSha256(source, SIZE);
    const fromVolume = await service.clone({
      source: 'data-1',
      name: 'clone-vol',
      resourceGroup: 'linstor-hv-thick',
    });
    expect(fromVolume).toMatchObject({ existed: false, sizeBytes: SIZE });
    expect(fromVolume.diskfulNodes).toHaveLength(2);
    const info = await service.info('clone-vol');
    expect(info.resourceGroup).toBe('linstor-hv-thick');
    expect(info.replicas.filter((r) => r.diskful).every((r) => r.storagePool === 'thickpool')).toBe(true);
    const node = fromVolume.diskfulNodes[0] ?? '';
    expect(await deviceSha256(service.devicePath('clone-vol', node), SIZE)).toBe(current);

    const snapshotData = await service.clone({
      source: 'data-1',
      snapshot: 'snap-b',
      name: 'clone-snap',
      resourceGroup: 'linstor-hv-thick',
      sizeBytes: SIZE * 2,
    });
    expect(snapshotData.sizeBytes).toBe(SIZE * 2);
    for (const node of snapshotData.diskfulNodes) {
      expect(await deviceSha256(service.devicePath('clone-snap', node), SIZE)).toBe(snapBSha);
    }
    expect(snapBSha).not.toBe(current);
    // Within the thin group a snapshot clone is a restore: same data, no copy needed.
    const restored = await service.clone({ source: 'data-1', snapshot: 'snap-b', name: 'clone-snap-thin' });
    expect(
      await deviceSha256(service.devicePath('clone-snap-thin', restored.diskfulNodes[0] ?? ''), SIZE),
    ).toBe(snapBSha);
    // A repeat finds the restore done (LINSTOR's refusal of the definition is the existence check).
    const restoredAgain = await service.clone({
      source: 'data-1',
      snapshot: 'snap-b',
      name: 'clone-snap-thin',
    });
    expect(restoredAgain).toMatchObject({ existed: true, diskfulNodes: restored.diskfulNodes });
    expect((await service.info('clone-snap')).sizeBytes).toBe(SIZE * 2);

    const again = await service.clone({
      source: 'data-1',
      name: 'clone-vol',
      resourceGroup: 'linstor-hv-thick',
    });
    expect(again.existed).toBe(true);
    await expectNoOrphans(cluster.client);
  });

  it('refuses a clone onto its own source', async () => {
    await expect(cluster.service.clone({ source: 'data-1', name: 'data-1' })).rejects.toThrow(
      "Cloning volume 'data-1' into 'data-1' failed: a clone needs a name of its own.",
    );
  });

  it('clones within the group with the clone API, keeping the data', async () => {
    const { service } = cluster;
    const current = await deviceSha256(service.devicePath('data-1', 'pve1'), SIZE);
    await cluster.emulator.control.clearRequests();
    const clone = await service.clone({ source: 'data-1', name: 'clone-same' });
    const counts = await cluster.emulator.control.requestCounts();
    expect(counts['POST /v1/resource-definitions/{rd}/clone']).toBe(1);
    expect(counts['POST /v1/resource-definitions/{rd}/snapshots']).toBeUndefined();
    const node = clone.diskfulNodes[0] ?? '';
    expect(await deviceSha256(service.devicePath('clone-same', node), SIZE)).toBe(current);
    // Not attached anywhere beyond its replicas.
    expect((await service.info('clone-same')).replicas.filter((r) => !r.diskful && !r.tieBreaker)).toEqual(
      [],
    );
    await expectNoOrphans(cluster.client);
  });
});

describe('clone between groups on different nodes', () => {
  it('attaches the target diskless for the copy and removes that attachment', async () => {
    const { service, client } = cluster;
    await client.resourceGroups.create({
      name: 'thin-12',
      select_filter: { place_count: 2, storage_pool: 'thinpool', node_name_list: ['pve1', 'pve2'] },
    });
    await client.resourceGroups.create({
      name: 'thick-3',
      select_filter: { place_count: 1, storage_pool: 'thickpool', node_name_list: ['pve3'] },
    });
    const thin = cluster.serviceWith({ resourceGroup: 'thin-12' });
    await thin.create({ name: 'far-src', sizeBytes: SIZE });
    const data = pattern(SIZE);
    await writeDevice(thin.devicePath('far-src', 'pve1'), data);
    const clone = await thin.clone({ source: 'far-src', name: 'far-clone', resourceGroup: 'thick-3' });
    expect(clone.diskfulNodes).toEqual(['pve3']);
    expect(await deviceSha256(service.devicePath('far-clone', 'pve3'), SIZE)).toBe(sha256(data));
    // The copy ran on a source node with the target attached there only for the copy.
    expect((await service.info('far-clone')).replicas.map((r) => r.node)).toEqual(['pve3']);
    await expectNoOrphans(cluster.client);
  });
});

describe('attach and detach', () => {
  it('attaches diskless where no replica is, and detaches only its own attachment', async () => {
    const { service } = cluster;
    await service.create({ name: 'att-1', sizeKib: 1024, preferredNode: 'pve1' });
    const info = await service.info('att-1');
    const diskful = info.replicas.filter((r) => r.diskful).map((r) => r.node);
    const third = ['pve1', 'pve2', 'pve3'].find((n) => !diskful.includes(n)) ?? '';
    const onReplica = await service.attach('att-1', 'pve1');
    expect(onReplica).toMatchObject({ created: false, diskful: true });
    const attached = await service.attach('att-1', third);
    expect(attached.devicePath).toBe(`${cluster.deviceRoot(third)}/drbd/by-res/att-1/0`);
    expect((await service.info('att-1')).replicas.find((r) => r.node === third)).toMatchObject({
      diskful: false,
      tieBreaker: false,
      attachedByOwner: true,
    });
    expect((await service.attach('att-1', third)).created).toBe(false);
    expect(await service.detach('att-1', 'pve1')).toEqual({ removed: false, kept: 'diskful' });
    expect(await service.detach('att-1', third)).toEqual({ removed: true });
    expect(await service.detach('att-1', third)).toMatchObject({ removed: false });
    expect((await service.info('att-1')).replicas.filter((r) => r.diskful).map((r) => r.node)).toEqual(
      diskful,
    );
  });
});

describe('failed clone and image import', () => {
  it('removes a clone LINSTOR reports as FAILED and says so', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'fail-src', sizeBytes: SIZE, preferredNode: 'pve1' });
    const info = await service.info('fail-src');
    // The clone puts a resource on every node of the source; one of them offline fails it.
    const third = info.replicas.find((r) => r.node !== 'pve1')?.node ?? 'pve2';
    await emulator.control.nodeOffline(third);
    try {
      const failure = await service
        .clone({ source: 'fail-src', name: 'fail-clone' })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(VolumeError);
      expect((failure as Error).message).toMatch(
        /^Cloning volume 'fail-src' into 'fail-clone' failed: LINSTOR reported the clone as FAILED .*the partial clone was removed\.$/,
      );
    } finally {
      await emulator.control.nodeOnline(third);
    }
    expect(await cluster.client.resourceDefinitions.getOrUndefined('fail-clone')).toBeUndefined();
    await expectNoOrphans(cluster.client);
  });

  it('imports a qcow2 image into a volume through the node executor', async () => {
    const { service } = cluster;
    const dir = await mkdtemp(join(tmpdir(), 'core-import-'));
    try {
      const raw = join(dir, 'image.raw');
      const qcow = join(dir, 'image.qcow2');
      const data = pattern(SIZE);
      await writeFile(raw, data);
      await new LocalExecutor().run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
      await service.create({ name: 'imported', sizeBytes: SIZE, preferredNode: 'pve2' });
      const target = await service.attach('imported', 'pve2');
      const result = await service.copy(
        'pve2',
        { path: qcow },
        { path: target.devicePath },
        { targetBytes: SIZE },
      );
      expect(result).toEqual({ sourceFormat: 'qcow2', bytesCopied: SIZE });
      expect(await deviceSha256(target.devicePath, SIZE)).toBe(sha256(data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
