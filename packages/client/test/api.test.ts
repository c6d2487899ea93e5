import {
  FAIL_EXISTS_RSC_GRP,
  FAIL_IN_USE,
  INFO_NO_RSC_SPAWNED,
  WARN_NOT_CONNECTED,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CloneFailedError,
  CloneReply,
  createLinstorClient,
  LinstorApiError,
  type LinstorClient,
  pollUntil,
  UnsupportedApiVersionError,
  WaitTimeoutError,
} from '../src/index';

const GIB = 1024 * 1024;
let emulator: RunningEmulator;
let client: LinstorClient;

beforeAll(async () => {
  emulator = await startEmulator();
  client = createLinstorClient({ controllers: emulator.url, env: {}, tokenFile: false });
});
afterAll(async () => {
  await client.close();
  await emulator.stop();
});
beforeEach(async () => {
  await emulator.control.reset();
});

const names = (list: { name?: string }[]) => list.map((x) => x.name).sort();

/** Spawns an RD with one 1 GiB volume on two nodes of the default linstor-hv group. */
async function spawnVolume(name: string, sizeKib = GIB) {
  return client.resourceGroups.spawn('linstor-hv', {
    resource_definition_name: name,
    volume_sizes: [sizeKib],
  });
}

describe('controller', () => {
  it('reads the version and sets, reads and deletes properties', async () => {
    const version = await client.controller.version();
    expect(version.rest_api_version).toBe('1.28.0');
    await expect(client.apiVersion()).resolves.toBe('1.28.0');

    const set = await client.controller.setProperties({ override_props: { 'Aux/linstor-hv/test': 'yes' } });
    expect(set.status).toBe(201);
    expect((await client.controller.properties())['Aux/linstor-hv/test']).toBe('yes');
    await client.controller.deleteProperty('Aux/linstor-hv/test');
    expect((await client.controller.properties())['Aux/linstor-hv/test']).toBeUndefined();
  });

  it('gates API 1.29 features on the controller version', async () => {
    await expect(client.requireApiVersion('1.28.0')).resolves.toBeUndefined();
    const error = await client.resourceDefinitions.deleteAllResources('vm-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedApiVersionError);
    expect((error as Error).message).toBe(
      'Deleting all resources of a resource definition at once needs LINSTOR REST API 1.29.0 or newer, but the controller offers 1.28.0; upgrade the LINSTOR controller.',
    );
    await expect(
      client.snapshots.delete('vm-1', 's1', { deleteEmptyResourceDefinition: true }),
    ).rejects.toBeInstanceOf(UnsupportedApiVersionError);
  });

  it('answers the health check', async () => {
    await expect(client.health()).resolves.toBe(true);
  });
});

describe('nodes', () => {
  it('lists, filters, gets, creates, modifies and deletes nodes', async () => {
    expect(names(await client.nodes.list())).toEqual(['pve1', 'pve2', 'pve3']);
    expect(names(await client.nodes.list({ nodes: ['PVE2', 'pve3'] }))).toEqual(['pve2', 'pve3']);
    expect((await client.nodes.get('pve1')).type.toUpperCase()).toBe('SATELLITE');
    expect(await client.nodes.getOrUndefined('pve9')).toBeUndefined();

    const created = await client.nodes.create({
      name: 'pve4',
      type: 'SATELLITE',
      net_interfaces: [
        { name: 'default', address: '10.0.0.4', satellite_port: 3366, satellite_encryption_type: 'PLAIN' },
      ],
    });
    expect(created.status).toBe(201);
    await client.nodes.modify('pve4', { override_props: { 'Aux/site': 'b' } });
    expect(names(await client.nodes.list({ props: { 'Aux/site': 'b' } }))).toEqual(['pve4']);
    expect(names(await client.nodes.list({ props: ['Aux/site'] }))).toEqual(['pve4']);
    await client.nodes.delete('pve4');
    expect(await client.nodes.getOrUndefined('pve4')).toBeUndefined();
    const again = await client.nodes.delete('pve4');
    expect(again.has(WARN_NOT_FOUND)).toBe(true);
  });
});

describe('storage pools', () => {
  it('lists the cluster view and per node, gets, creates, modifies and deletes pools', async () => {
    const all = await client.storagePools.list({ cached: true });
    expect(
      all
        .filter((p) => p.storage_pool_name === 'thinpool')
        .map((p) => p.node_name)
        .sort(),
    ).toEqual(['pve1', 'pve2', 'pve3']);
    expect(all.some((p) => p.provider_kind === 'DISKLESS')).toBe(true);
    const onPve2 = await client.storagePools.list({ nodes: ['pve2'], storagePools: ['thinpool'] });
    expect(onPve2.map((p) => `${p.node_name}/${p.storage_pool_name}`)).toEqual(['pve2/thinpool']);
    expect((await client.storagePools.listOnNode('pve1')).map((p) => p.storage_pool_name).sort()).toContain(
      'thickpool',
    );
    const thin = await client.storagePools.get('pve1', 'thinpool');
    expect(thin.provider_kind).toBe('LVM_THIN');
    expect(thin.free_capacity).toBeGreaterThan(0);
    expect(await client.storagePools.getOrUndefined('pve1', 'nopool')).toBeUndefined();

    const created = await client.storagePools.create('pve1', {
      storage_pool_name: 'filepool',
      provider_kind: 'FILE_THIN',
      props: { 'StorDriver/FileDir': '/var/lib/linstor-pools/filepool' },
    });
    expect(created.status).toBe(201);
    await client.storagePools.modify('pve1', 'filepool', { override_props: { 'Aux/tier': 'slow' } });
    expect((await client.storagePools.get('pve1', 'filepool')).props?.['Aux/tier']).toBe('slow');
    await client.storagePools.delete('pve1', 'filepool');
    expect(await client.storagePools.getOrUndefined('pve1', 'filepool')).toBeUndefined();
  });
});

describe('resource groups and volume groups', () => {
  it('creates, lists, modifies and deletes groups and their volume groups', async () => {
    await client.resourceGroups.create({
      name: 'rg-test',
      select_filter: { place_count: 2, storage_pool: 'thinpool' },
    });
    const duplicate = (await client.resourceGroups
      .create({ name: 'RG-TEST' })
      .catch((e: unknown) => e)) as LinstorApiError;
    expect(duplicate.isAlreadyExists()).toBe(true);
    expect(duplicate.has(FAIL_EXISTS_RSC_GRP)).toBe(true);
    expect(names(await client.resourceGroups.list({ resourceGroups: ['rg-test'] }))).toEqual(['rg-test']);
    await client.resourceGroups.modify('rg-test', {
      description: 'test group',
      override_props: { 'Aux/o': '1' },
    });
    const group = await client.resourceGroups.get('rg-test');
    expect(group.description).toBe('test group');
    expect(group.props?.['Aux/o']).toBe('1');
    expect(names(await client.resourceGroups.list({ props: { 'Aux/o': '1' } }))).toEqual(['rg-test']);
    expect(await client.resourceGroups.getOrUndefined('rg-none')).toBeUndefined();

    await client.volumeGroups.create('rg-test', { volume_number: 0 });
    expect((await client.volumeGroups.list('rg-test')).map((v) => v.volume_number)).toEqual([0]);
    await client.volumeGroups.modify('rg-test', 0, {
      flags: ['GROSS_SIZE'],
      override_props: { 'Aux/v': '1' },
    });
    const volumeGroup = await client.volumeGroups.get('rg-test', 0);
    expect(volumeGroup.flags).toContain('GROSS_SIZE');
    expect(await client.volumeGroups.getOrUndefined('rg-test', 3)).toBeUndefined();
    await client.volumeGroups.delete('rg-test', 0);
    expect(await client.volumeGroups.list('rg-test')).toEqual([]);
    await client.resourceGroups.delete('rg-test');
    expect(await client.resourceGroups.getOrUndefined('rg-test')).toBeUndefined();
  });

  it('spawns, reports INFO_NO_RSC_SPAWNED for definitions only, queries sizes and adjusts', async () => {
    const spawned = await spawnVolume('vm-100-disk-0');
    expect(spawned.status).toBe(201);
    expect((await client.resources.list('vm-100-disk-0')).length).toBeGreaterThanOrEqual(2);

    const definitionsOnly = await client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'vm-101-disk-0',
      volume_sizes: [GIB],
      definitions_only: true,
    });
    expect(definitionsOnly.has(INFO_NO_RSC_SPAWNED)).toBe(true);
    expect(await client.resources.list('vm-101-disk-0')).toEqual([]);

    const size = await client.resourceGroups.querySizeInfo('linstor-hv');
    expect(size.space_info?.max_vlm_size_in_kib).toBeGreaterThan(0);
    const all = await client.resourceGroups.queryAllSizeInfo();
    expect(Object.keys(all.result ?? {})).toContain('linstor-hv');

    const adjusted = await client.resourceGroups.adjust('linstor-hv');
    expect(adjusted.status).toBe(200);
    expect((await client.resources.list('vm-101-disk-0')).length).toBeGreaterThanOrEqual(2);
  });

  it('hands the warnings of a 201 to the caller when a satellite is offline', async () => {
    await client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'vm-102-disk-0',
      volume_sizes: [GIB],
      definitions_only: true,
    });
    await emulator.control.nodeOffline('pve2');
    const reply = await client.resources.createOnNode('vm-102-disk-0', 'pve2', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    expect(reply.status).toBe(201);
    expect(reply.has(WARN_NOT_CONNECTED)).toBe(true);
    expect(reply.warnings.some((w) => w.message.includes('pve2'))).toBe(true);
  });
});

describe('resource definitions and volume definitions', () => {
  it('creates, lists, modifies, resizes and deletes', async () => {
    const created = await client.resourceDefinitions.create({
      resource_definition: { name: 'rd-1', resource_group_name: 'linstor-hv', props: { 'Aux/owner': 'me' } },
    });
    expect(created.status).toBe(201);
    await client.volumeDefinitions.create('rd-1', { volume_definition: { size_kib: GIB } });
    expect((await client.volumeDefinitions.list('rd-1')).map((v) => v.size_kib)).toEqual([GIB]);
    expect((await client.volumeDefinitions.get('rd-1', 0)).size_kib).toBe(GIB);
    expect(await client.volumeDefinitions.getOrUndefined('rd-1', 5)).toBeUndefined();

    const listed = await client.resourceDefinitions.list({
      resourceDefinitions: ['rd-1'],
      withVolumeDefinitions: true,
      props: { 'Aux/owner': 'me' },
    });
    expect(listed.map((r) => r.volume_definitions?.length)).toEqual([1]);
    await client.resourceDefinitions.modify('rd-1', { override_props: { 'Aux/owner': 'you' } });
    expect((await client.resourceDefinitions.get('rd-1')).props?.['Aux/owner']).toBe('you');
    expect(await client.resourceDefinitions.getOrUndefined('rd-none')).toBeUndefined();

    await client.resources.autoplace('rd-1');
    const placed = await client.resources.list('rd-1');
    expect(placed.filter((r) => !r.flags?.includes('DISKLESS'))).toHaveLength(2);
    await client.volumeDefinitions.modify('rd-1', 0, { size_kib: 2 * GIB });
    await client.wait.resizeDone('rd-1', 0, 2 * GIB, { timeoutMs: 10_000 });
    expect((await client.volumeDefinitions.get('rd-1', 0)).size_kib).toBe(2 * GIB);
    const shrink = (await client.volumeDefinitions
      .modify('rd-1', 0, { size_kib: GIB })
      .catch((e: unknown) => e)) as LinstorApiError;
    expect(shrink).toBeInstanceOf(LinstorApiError);

    await expect(client.resourceDefinitions.syncStatus('rd-1')).resolves.toMatchObject({
      synced_on_all: expect.any(Boolean),
    });
    await client.wait.synced('rd-1', { timeoutMs: 10_000 });

    const volumeDefinitionDelete = await client.volumeDefinitions.delete('rd-1', 7);
    expect(volumeDefinitionDelete.has(WARN_NOT_FOUND)).toBe(true);
    await client.resourceDefinitions.delete('rd-1');
    expect(await client.resourceDefinitions.getOrUndefined('rd-1')).toBeUndefined();
    expect((await client.resourceDefinitions.delete('rd-1')).has(WARN_NOT_FOUND)).toBe(true);
  });

  it('clones a resource definition and waits for the clone', async () => {
    await spawnVolume('src-1');
    const reply = await client.resourceDefinitions.clone('src-1', { name: 'clone-1' });
    expect(reply).toBeInstanceOf(CloneReply);
    expect(reply.location).toBe('/v1/resource-definitions/src-1/clone/clone-1');
    expect(reply.cloneName).toBe('clone-1');
    expect(['CLONING', 'COMPLETE']).toContain(
      await client.resourceDefinitions.cloneStatus('src-1', 'clone-1'),
    );
    await client.wait.cloneComplete('src-1', 'clone-1', { timeoutMs: 20_000, intervalMs: 50 });
    expect(await client.resourceDefinitions.cloneStatus('src-1', 'clone-1')).toBe('COMPLETE');
    const unknown = (await client.resourceDefinitions
      .cloneStatus('src-1', 'nope')
      .catch((e: unknown) => e)) as LinstorApiError;
    expect(unknown.isNotFound()).toBe(true);
  });
});

describe('resources', () => {
  it('places, views, modifies and removes resources on nodes', async () => {
    await client.resourceDefinitions.create({ resource_definition: { name: 'r-1' } });
    await client.volumeDefinitions.create('r-1', { volume_definition: { size_kib: GIB } });
    const one = await client.resources.createOnNode('r-1', 'pve1', {
      resource: { props: { StorPoolName: 'thinpool' } },
    });
    expect(one.status).toBe(201);
    await client.resources.create('r-1', [
      { resource: { node_name: 'pve2', props: { StorPoolName: 'thinpool' } } },
    ]);
    const diskfulNodes = async () =>
      (await client.resources.list('r-1'))
        .filter((r) => !r.flags?.includes('DISKLESS'))
        .map((r) => r.node_name)
        .sort();
    expect(await diskfulNodes()).toEqual(['pve1', 'pve2']);
    expect((await client.resources.get('r-1', 'pve1')).node_name).toBe('pve1');
    expect(await client.resources.getOrUndefined('r-1', 'pve9')).toBeUndefined();

    // Two diskful replicas got a tie-breaker on pve3; make-available turns it into a wanted diskless.
    const attach = await client.resources.makeAvailable('r-1', 'pve3', { diskful: false });
    expect(attach.status).toBe(200);
    expect((await client.resources.get('r-1', 'pve3')).flags ?? []).not.toContain('TIE_BREAKER');
    const ready = await client.wait.resourceReady('r-1', 'pve3', { timeoutMs: 10_000, intervalMs: 50 });
    expect(ready.volumes?.[0]?.device_path).toMatch(/^\/dev\/drbd\d+$/);
    const view = await client.resources.view({ resources: ['r-1'], nodes: ['pve3'] });
    expect(view.map((r) => r.flags?.includes('DRBD_DISKLESS'))).toEqual([true]);

    await client.resources.toggleDisk('r-1', 'pve3', {
      operation: 'INTO_DRBD_DISKFUL',
      storage_pool: 'thinpool',
    });
    const diskful = (await client.resources.view({ resources: ['r-1'], nodes: ['pve3'] }))[0];
    expect(diskful?.flags?.includes('DRBD_DISKLESS') ?? false).toBe(false);

    await client.resources.modify('r-1', 'pve1', { override_props: { 'Aux/x': '1' } });
    expect((await client.resources.get('r-1', 'pve1')).props?.['Aux/x']).toBe('1');
    expect((await client.resources.volumes('r-1', 'pve1')).map((v) => v.volume_number)).toEqual([0]);
    expect((await client.resources.volume('r-1', 'pve1', 0)).storage_pool_name).toBe('thinpool');
    await client.resources.modifyVolume('r-1', 'pve1', 0, { override_props: { 'Aux/v': '1' } });
    expect((await client.resources.volume('r-1', 'pve1', 0)).props?.['Aux/v']).toBe('1');

    await client.resources.deactivate('r-1', 'pve3');
    expect((await client.resources.get('r-1', 'pve3')).flags).toContain('INACTIVE');
    await client.resources.activate('r-1', 'pve3');
    expect((await client.resources.get('r-1', 'pve3')).flags ?? []).not.toContain('INACTIVE');

    expect(await diskfulNodes()).toEqual(['pve1', 'pve2', 'pve3']);
    await client.resources.delete('r-1', 'pve3', { keepTiebreaker: true });
    // With two diskful replicas left, pve3 is either gone or kept as their tie-breaker.
    expect(await diskfulNodes()).toEqual(['pve1', 'pve2']);
    expect((await client.resources.getOrUndefined('r-1', 'pve3'))?.flags ?? ['TIE_BREAKER']).toContain(
      'TIE_BREAKER',
    );
    const placed = await client.resources.autoplace('r-1', { select_filter: { place_count: 3 } });
    expect(placed.status).toBe(201);
    expect(await diskfulNodes()).toEqual(['pve1', 'pve2', 'pve3']);
  });

  it('waits until a resource is no longer in use', async () => {
    await spawnVolume('busy-1');
    const node = (await client.resources.list('busy-1'))[0]!.node_name!;
    expect((await emulator.control.openDevice(node, 'busy-1', 'rw')).status).toBe(200);
    const blocked = await client.wait
      .notInUse('busy-1', { timeoutMs: 300, intervalMs: 50 })
      .catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(WaitTimeoutError);
    expect((blocked as Error).message).toContain(`in use on ${node}`);
    const refused = (await client.resourceDefinitions
      .delete('busy-1')
      .catch((e: unknown) => e)) as LinstorApiError;
    expect(refused.has(FAIL_IN_USE)).toBe(true);
    const waiting = client.wait.notInUse('busy-1', { timeoutMs: 10_000, intervalMs: 50 });
    await emulator.control.closeDevice(node, 'busy-1');
    await expect(waiting).resolves.toBeUndefined();
  });

  it('sets properties on a resource connection', async () => {
    await spawnVolume('mig-1');
    const [a, b] = (await client.resources.list('mig-1')).map((r) => r.node_name!);
    await client.resourceConnections.modify('mig-1', a!, b!, {
      override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes', 'DrbdOptions/Net/protocol': 'C' },
    });
    const connection = await client.resourceConnections.get('mig-1', a!, b!);
    expect(connection?.props?.['DrbdOptions/Net/allow-two-primaries']).toBe('yes');
    const all = await client.resourceConnections.list('mig-1');
    expect(all.some((c) => c.props?.['DrbdOptions/Net/protocol'] === 'C')).toBe(true);
  });
});

describe('snapshots', () => {
  it('creates, lists, views, modifies, restores, rolls back and deletes snapshots', async () => {
    await spawnVolume('snap-src');
    await spawnVolume('snap-src2');
    const created = await client.snapshots.create('snap-src', {
      name: 'snap1',
      snapshot_definition_props: { 'Aux/why': 'test' },
    });
    expect(created.status).toBe(201);
    expect((await client.snapshots.list('snap-src')).map((s) => s.name)).toEqual(['snap1']);
    const snap = await client.snapshots.get('snap-src', 'snap1');
    expect(snap.flags).toContain('SUCCESSFUL');
    expect(await client.snapshots.getOrUndefined('snap-src', 'nope')).toBeUndefined();
    await client.snapshots.modify('snap-src', 'snap1', { override_props: { 'Aux/k': 'v' } });

    await client.snapshots.createMulti({
      snapshots: [
        { resource_name: 'snap-src', name: 'multi' },
        { resource_name: 'snap-src2', name: 'multi' },
      ],
    });
    const view = await client.snapshots.view({ resources: ['snap-src', 'snap-src2'] });
    expect(
      view
        .filter((s) => s.name === 'multi')
        .map((s) => s.resource_name)
        .sort(),
    ).toEqual(['snap-src', 'snap-src2']);

    await client.resourceDefinitions.create({ resource_definition: { name: 'restored' } });
    await client.snapshots.restoreVolumeDefinitions('snap-src', 'snap1', { to_resource: 'restored' });
    await client.snapshots.restoreResources('snap-src', 'snap1', { to_resource: 'restored' });
    expect((await client.resources.list('restored')).length).toBeGreaterThanOrEqual(2);

    const rollback = await client.snapshots.rollback('snap-src', 'multi');
    expect(rollback.status).toBe(200);

    await client.snapshots.delete('snap-src', 'snap1');
    expect(await client.snapshots.getOrUndefined('snap-src', 'snap1')).toBeUndefined();
    expect((await client.snapshots.delete('snap-src', 'snap1')).has(WARN_NOT_FOUND)).toBe(true);
  });
});

describe('key-value store and error reports', () => {
  it('modifies, reads, lists and deletes a key-value store instance', async () => {
    await client.keyValueStore.modify('linstor-hv', { override_props: { 'vm/100': 'owner-a' } });
    expect(await client.keyValueStore.get('linstor-hv')).toEqual({ 'vm/100': 'owner-a' });
    expect((await client.keyValueStore.list()).map((k) => k.name)).toContain('linstor-hv');
    await client.keyValueStore.delete('linstor-hv');
    expect(await client.keyValueStore.get('linstor-hv')).toEqual({});
  });

  it('reports a failed clone as CloneFailedError and finds its error report', async () => {
    await spawnVolume('src-2');
    const node = (await client.resources.list('src-2')).find((r) => !r.flags?.includes('DISKLESS'))!
      .node_name!;
    await emulator.control.nodeOffline(node);
    const started = Date.now() - 1000;
    await client.resourceDefinitions.clone('src-2', { name: 'clone-2' }).catch(() => undefined);
    const failed = await client.wait
      .cloneComplete('src-2', 'clone-2', { timeoutMs: 20_000, intervalMs: 50 })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CloneFailedError);
    expect((failed as Error).message).toBe(
      "Cloning resource definition 'src-2' into 'clone-2' failed on the controller; delete 'clone-2' and check the controller's error reports.",
    );

    // The controller records the report right after it marks the clone FAILED, so it may lag a poll.
    const report = await pollUntil(
      'the clone error report',
      async () => {
        const reports = await client.errorReports.list({ since: started, withContent: true });
        const found = reports.find((r) => r.text?.includes("'clone-2' failed"));
        return found
          ? { done: true, value: found }
          : { done: false, state: `${reports.length} other reports` };
      },
      { timeoutMs: 5000, intervalMs: 20 },
    );
    expect(report?.filename).toMatch(/^ErrorReport-.+\.log$/);
    const id = report!.filename!.replace(/^ErrorReport-/, '').replace(/\.log$/, '');
    expect((await client.errorReports.get(id))?.text).toContain("'clone-2' failed");
    expect(await client.errorReports.get('no-such-report')).toBeUndefined();
  });
});

describe('promotion events', () => {
  it('starts with the current state and reports changes when a node opens the device', async () => {
    await spawnVolume('prom-1');
    const nodes = (await client.resources.list('prom-1'))
      .filter((r) => !r.flags?.includes('DISKLESS'))
      .map((r) => r.node_name!);
    const [writer, peer] = nodes;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 10_000);
    const seen: { resource_name?: string; node_name?: string; may_promote?: boolean }[] = [];
    let opened = false;
    for await (const change of client.events.promotion({ signal: abort.signal })) {
      if (change.resource_name !== 'prom-1') continue;
      seen.push(change);
      if (!opened && nodes.every((n) => seen.some((c) => c.node_name === n))) {
        opened = true;
        // Before anyone opens the device, every diskful replica may be promoted.
        const initial = seen.filter((c) => nodes.includes(c.node_name!));
        expect(initial.map((c) => c.node_name).sort()).toEqual([...nodes].sort());
        expect(initial.every((c) => c.may_promote === true)).toBe(true);
        expect((await emulator.control.openDevice(writer!, 'prom-1', 'rw')).status).toBe(200);
      }
      if (opened && change.node_name === peer && change.may_promote === false) break;
    }
    clearTimeout(timer);
    expect(opened).toBe(true);
    expect(seen.at(-1)).toEqual({ resource_name: 'prom-1', node_name: peer, may_promote: false });
  });
});

describe('raw requests', () => {
  it('sends any request and returns the lossless body', async () => {
    const reply = await client.request<{ name: string }[]>('GET', '/v1/nodes', {
      query: { nodes: ['pve1'] },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.map((n) => n.name)).toEqual(['pve1']);
    const raw = await client.request('GET', '/v1/nodes/none', { throwOnError: false });
    expect(raw.status).toBe(404);
    expect(raw.entries[0]?.message).toContain('none');
  });
});
