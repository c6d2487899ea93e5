/**
 * Fault injection at every mutating step of each multi-step verb: for each step the verb is run
 * once with the emulator failing that request (an error reply, the connection dropped before the
 * change, or dropped after it was committed), then repeated. The repeat must succeed with the right
 * data, and after a failed verb that undoes its steps nothing may be left for the orphan audit.
 *
 * Every case starts from a reset emulator with the same names, so the request paths seen in a
 * clean run identify the steps exactly. When one verb sends the very same request twice, the
 * fault hits its first occurrence.
 */

import type { FaultAction } from '@linstor-hv/emulator';
import { describe, expect, it } from 'vitest';
import { VolumeError } from '../src/errors';
import { ServiceCore } from '../src/service/core';
import { restoreIntoTemporary, temporaryName } from '../src/service/temporary';
import {
  deviceSha256,
  MiB,
  OWNER,
  PLATFORM,
  pattern,
  sha256,
  type TestCluster,
  useCluster,
  writeDevice,
} from './cluster';
import { cleanRunSteps, exactPath, orphans, repeatSucceeds, type VerbCase } from './steps';

const cluster = useCluster();
const SIZE = MiB;

/** The service internals bound like the cluster's service, to stage what a dead process left. */
function internalsOf(test: TestCluster): ServiceCore {
  return new ServiceCore({
    client: test.client,
    resourceGroup: 'linstor-hv',
    platform: PLATFORM,
    ownerId: OWNER,
    deviceRoot: test.deviceRoot,
  });
}
const ACTIONS: readonly FaultAction[] = ['error', 'drop-before', 'drop-after'];

interface FaultCase extends VerbCase {
  /** The verb undoes its own steps on failure, so a failure must leave nothing behind. */
  undoes: boolean;
}

/** Runs the verb clean to learn its steps, then once per step and fault; returns the problems found. */
async function injectEverywhere(verb: FaultCase): Promise<{ steps: string[]; problems: string[] }> {
  const { control } = cluster.emulator;
  const steps = await cleanRunSteps(cluster, verb);
  expect(steps.length, 'the clean run made no change to fault').toBeGreaterThan(0);
  const problems: string[] = [];
  for (const step of steps) {
    for (const action of ACTIONS) {
      const label = `${action} at ${step.method} ${step.path}`;
      await control.reset();
      await verb.setup();
      await control.addFault({
        method: step.method,
        pathRegex: exactPath(step.path),
        action,
        times: 1,
        ...(action === 'error' ? { status: 500, message: 'injected failure' } : {}),
      });
      let failure: unknown;
      try {
        await verb.run();
      } catch (error) {
        failure = error;
      }
      await control.clearFaults();
      if (failure !== undefined && !(failure instanceof VolumeError)) {
        problems.push(
          `${label}: threw a ${(failure as Error).name}, not a VolumeError: ${(failure as Error).message}`,
        );
      }
      if (failure !== undefined && verb.undoes) {
        const left = await orphans(cluster);
        if (left) problems.push(`${label}: the failed verb left ${left}`);
      }
      await repeatSucceeds(cluster, verb, label, problems);
    }
  }
  return { steps: steps.map((s) => `${s.method} ${s.path}`), problems };
}

async function replicaCount(name: string): Promise<number> {
  return (await cluster.service.info(name)).replicas.filter((r) => r.diskful).length;
}

describe('faults at every step', { timeout: 300_000 }, () => {
  it('create with a preferred node', async () => {
    const { steps, problems } = await injectEverywhere({
      setup: async () => {},
      run: () => cluster.service.create({ name: 'f-create', sizeKib: 1024, preferredNode: 'pve2' }),
      verify: async () => {
        const info = await cluster.service.info('f-create');
        expect(info.replicas.filter((r) => r.diskful).map((r) => r.node)).toContain('pve2');
        expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
        expect(await replicaCount('f-create')).toBe(2);
      },
      undoes: true,
    });
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(problems).toEqual([]);
  });

  it('delete with snapshots', async () => {
    const { steps, problems } = await injectEverywhere({
      setup: async () => {
        await cluster.service.create({ name: 'f-delete', sizeKib: 1024 });
        await cluster.service.createSnapshot('f-delete', 's1');
        await cluster.service.createSnapshot('f-delete', 's2');
      },
      run: () => cluster.service.delete('f-delete'),
      verify: async () => {
        expect(await cluster.client.resourceDefinitions.getOrUndefined('f-delete')).toBeUndefined();
      },
      undoes: false,
    });
    expect(steps).toHaveLength(3);
    expect(problems).toEqual([]);
  });

  let written = '';
  it('rollback to an older snapshot (restore + copy)', async () => {
    const { steps, problems } = await injectEverywhere({
      setup: async () => {
        await cluster.service.create({ name: 'f-rollback', sizeBytes: SIZE, preferredNode: 'pve1' });
        const path = cluster.service.devicePath('f-rollback', 'pve1');
        const first = pattern(SIZE);
        written = sha256(first);
        await writeDevice(path, first);
        await cluster.service.createSnapshot('f-rollback', 'old');
        await writeDevice(path, pattern(SIZE));
        await cluster.service.createSnapshot('f-rollback', 'new');
        await writeDevice(path, pattern(SIZE));
      },
      run: () => cluster.service.rollback('f-rollback', 'old'),
      verify: async () => {
        expect(await deviceSha256(cluster.service.devicePath('f-rollback', 'pve1'), SIZE)).toBe(written);
      },
      undoes: true,
    });
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  let source = '';
  const withData = async (name: string) => {
    await cluster.service.create({ name, sizeBytes: SIZE, preferredNode: 'pve1' });
    const data = pattern(SIZE);
    source = sha256(data);
    await writeDevice(cluster.service.devicePath(name, 'pve1'), data);
  };
  const cloneHas = async (name: string, bytes = SIZE) => {
    const info = await cluster.service.info(name);
    expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
    const diskful = info.replicas.filter((r) => r.diskful);
    expect(diskful).toHaveLength(2);
    for (const r of diskful)
      expect(await deviceSha256(cluster.service.devicePath(name, r.node), bytes)).toBe(source);
  };

  it('clone with the clone API', async () => {
    const { problems } = await injectEverywhere({
      setup: () => withData('f-src'),
      run: () => cluster.service.clone({ source: 'f-src', name: 'f-clone' }),
      verify: () => cloneHas('f-clone'),
      undoes: true,
    });
    expect(problems).toEqual([]);
  });

  it('clone from a snapshot, larger (restore + grow)', async () => {
    const { problems } = await injectEverywhere({
      setup: async () => {
        await withData('f-src');
        await cluster.service.createSnapshot('f-src', 'base');
        await writeDevice(cluster.service.devicePath('f-src', 'pve1'), pattern(SIZE));
      },
      run: () =>
        cluster.service.clone({ source: 'f-src', snapshot: 'base', name: 'f-clone', sizeBytes: 2 * SIZE }),
      verify: async () => {
        await cloneHas('f-clone');
        expect((await cluster.service.info('f-clone')).sizeBytes).toBe(2 * SIZE);
      },
      undoes: true,
    });
    expect(problems).toEqual([]);
  });

  it('clone into the thick group (create + copy)', async () => {
    const { steps, problems } = await injectEverywhere({
      setup: () => withData('f-src'),
      run: () =>
        cluster.service.clone({ source: 'f-src', name: 'f-clone', resourceGroup: 'linstor-hv-thick' }),
      verify: () => cloneHas('f-clone'),
      undoes: true,
    });
    expect(steps.length).toBeGreaterThanOrEqual(6);
    expect(problems).toEqual([]);
  });

  it('clone onto other nodes (temporary attachment for the copy)', async () => {
    const { steps, problems } = await injectEverywhere({
      setup: async () => {
        await cluster.client.resourceGroups.create({
          name: 'thin-12',
          select_filter: { place_count: 2, storage_pool: 'thinpool', node_name_list: ['pve1', 'pve2'] },
        });
        await cluster.client.resourceGroups.create({
          name: 'thick-3',
          select_filter: { place_count: 1, storage_pool: 'thickpool', node_name_list: ['pve3'] },
        });
        const thin = cluster.serviceWith({ resourceGroup: 'thin-12' });
        await thin.create({ name: 'f-src', sizeBytes: SIZE });
        const data = pattern(SIZE);
        source = sha256(data);
        await writeDevice(thin.devicePath('f-src', 'pve1'), data);
      },
      run: () => cluster.service.clone({ source: 'f-src', name: 'f-clone', resourceGroup: 'thick-3' }),
      verify: async () => {
        const info = await cluster.service.info('f-clone');
        expect(info.replicas.map((r) => r.node)).toEqual(['pve3']);
        expect(await deviceSha256(cluster.service.devicePath('f-clone', 'pve3'), SIZE)).toBe(source);
      },
      undoes: true,
    });
    expect(steps.some((s) => s.startsWith('POST /v1/resource-definitions/f-clone/resources/'))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('take a snapshot', async () => {
    const { problems } = await injectEverywhere({
      setup: () => cluster.service.create({ name: 'f-snap', sizeKib: 1024 }).then(() => undefined),
      run: () => cluster.service.createSnapshot('f-snap', 'before-upgrade'),
      verify: async () => {
        const snapshots = await cluster.service.listSnapshots('f-snap');
        expect(snapshots.map((s) => [s.name, s.successful])).toEqual([['before-upgrade', true]]);
      },
      undoes: true,
    });
    expect(problems).toEqual([]);
  });

  it('attach a snapshot view (restore + attach)', async () => {
    let expected = '';
    const { steps, problems } = await injectEverywhere({
      setup: async () => {
        await cluster.service.create({ name: 'f-view', sizeBytes: SIZE, preferredNode: 'pve1' });
        const data = pattern(SIZE);
        expected = sha256(data);
        await writeDevice(cluster.service.devicePath('f-view', 'pve1'), data);
        await cluster.service.createSnapshot('f-view', 'backup');
        await writeDevice(cluster.service.devicePath('f-view', 'pve1'), pattern(SIZE));
      },
      run: () => cluster.service.attachSnapshot('f-view', 'backup', 'pve3'),
      verify: async () => {
        const view = await cluster.service.attachSnapshot('f-view', 'backup', 'pve3');
        expect(await deviceSha256(view.devicePath, SIZE)).toBe(expected);
      },
      undoes: true,
      leavesWorkInProgress: true,
    });
    expect(steps.length).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  it('attach diskless', async () => {
    const { problems } = await injectEverywhere({
      setup: async () => {
        await cluster.client.resourceGroups.modify('linstor-hv', {
          select_filter: { place_count: 2, storage_pool: 'thinpool', node_name_list: ['pve1', 'pve2'] },
        });
        await cluster.service.create({ name: 'f-attach', sizeKib: 1024 });
      },
      run: () => cluster.service.attach('f-attach', 'pve3'),
      verify: async () => {
        const replica = (await cluster.service.info('f-attach')).replicas.find((r) => r.node === 'pve3');
        expect(replica).toMatchObject({ diskful: false, attachedByOwner: true });
      },
      undoes: true,
    });
    expect(problems).toEqual([]);
  });

  it('begin and commit a migration', async () => {
    const setup = async () => {
      await cluster.service.create({ name: 'f-mig', sizeKib: 1024, preferredNode: 'pve1' });
      await cluster.emulator.control.openDevice('pve1', 'f-mig', 'rw');
    };
    const target = async () => {
      const info = await cluster.service.info('f-mig');
      return ['pve2', 'pve3'].find((n) => !info.replicas.some((r) => r.node === n && r.diskful)) ?? 'pve3';
    };
    let to = '';
    const begin = await injectEverywhere({
      setup: async () => {
        await setup();
        to = await target();
      },
      run: () => cluster.service.beginMigration('f-mig', 'pve1', to),
      verify: async () => {
        expect((await cluster.emulator.control.openDevice(to, 'f-mig', 'rw')).status).toBe(200);
        await cluster.emulator.control.closeDevice(to, 'f-mig');
        expect((await cluster.service.info('f-mig')).migration).toMatchObject({ from: 'pve1', to });
      },
      undoes: true,
      leavesWorkInProgress: true,
    });
    expect(begin.problems).toEqual([]);
    const commit = await injectEverywhere({
      setup: async () => {
        await setup();
        to = await target();
        await cluster.service.beginMigration('f-mig', 'pve1', to);
        await cluster.emulator.control.openDevice(to, 'f-mig', 'rw');
        await cluster.emulator.control.closeDevice('pve1', 'f-mig');
      },
      run: () => cluster.service.commitMigration('f-mig', 'pve1', to),
      verify: async () => {
        expect((await cluster.service.info('f-mig')).migration).toBeUndefined();
        const connection = await cluster.client.resourceConnections.get('f-mig', 'pve1', to);
        expect(connection?.props?.['DrbdOptions/Net/allow-two-primaries']).toBeUndefined();
      },
      undoes: false,
    });
    expect(commit.problems).toEqual([]);
  });
});

describe('repeating a verb after the process died midway', { timeout: 120_000 }, () => {
  it('rollback finds and replaces the temporary copy a dead attempt left', async () => {
    const { service, client } = cluster;
    await cluster.emulator.control.reset();
    await service.create({ name: 'c-rb', sizeBytes: SIZE, preferredNode: 'pve1' });
    const device = service.devicePath('c-rb', 'pve1');
    const first = pattern(SIZE);
    await writeDevice(device, first);
    await service.createSnapshot('c-rb', 'old');
    await writeDevice(device, pattern(SIZE));
    await service.createSnapshot('c-rb', 'new');
    // What a process killed after the restore leaves: the temporary copy, restored and tagged.
    const leftover = temporaryName('rb', 'c-rb', 'old');
    await restoreIntoTemporary(internalsOf(cluster), 'c-rb', 'old', leftover, 'rollback:c-rb');
    expect(await orphans(cluster)).toMatch(/temporary volume left by rollback:c-rb/);
    expect(await service.rollback('c-rb', 'old')).toEqual({ method: 'copy' });
    expect(await deviceSha256(device, SIZE)).toBe(sha256(first));
    expect(await client.resourceDefinitions.getOrUndefined(leftover)).toBeUndefined();
    expect(await orphans(cluster)).toBe('');
  });

  it('clone into another group replaces a dead attempt (pending target, temporary snapshot)', async () => {
    const { service, client } = cluster;
    await cluster.emulator.control.reset();
    await service.create({ name: 'c-src', sizeBytes: SIZE, preferredNode: 'pve1' });
    const data = pattern(SIZE);
    await writeDevice(service.devicePath('c-src', 'pve1'), data);
    // The dead attempt got as far as its temporary snapshot and the pending target volume.
    await client.snapshots.create('c-src', {
      name: temporaryName('cs', 'c-src', 'c-dst'),
      snapshot_definition_props: {
        'Aux/linstor-hv/platform': PLATFORM,
        'Aux/linstor-hv/owner': OWNER,
        'Aux/linstor-hv/temporary': 'clone:c-dst',
      },
    });
    await client.resourceGroups.spawn('linstor-hv-thick', {
      resource_definition_name: 'c-dst',
      volume_sizes: [SIZE / 1024],
      resource_definition_props: {
        'Aux/linstor-hv/platform': PLATFORM,
        'Aux/linstor-hv/owner': OWNER,
        'Aux/linstor-hv/name': 'c-dst',
        'Aux/linstor-hv/pending': 'clone',
      },
    });
    expect(await orphans(cluster)).toMatch(/unfinished clone/);
    const result = await service.clone({ source: 'c-src', name: 'c-dst', resourceGroup: 'linstor-hv-thick' });
    expect(result.existed).toBe(false);
    for (const node of result.diskfulNodes) {
      expect(await deviceSha256(service.devicePath('c-dst', node), SIZE)).toBe(sha256(data));
    }
    expect(await orphans(cluster)).toBe('');
  });
});
