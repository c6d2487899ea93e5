import { PROP_HV_CREATED_BY, type ResourceWithVolumes } from '@linstor-hv/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VolumeInUseError } from '../src/errors';
import { definitionPropInView } from '../src/service/core';
import { expectNoOrphans, startCluster, type TestCluster } from './cluster';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

/** REST requests `run` makes, as the emulator counted them. */
async function requestsOf(run: () => Promise<unknown>): Promise<number> {
  const { control } = cluster.emulator;
  await control.clearRequests();
  await run();
  return Object.values(await control.requestCounts()).reduce((a, b) => a + b, 0);
}

/** The nodes of a volume's diskful replicas, and a node without them. */
async function placement(name: string): Promise<{ diskful: string[]; other: string }> {
  const replicas = (await cluster.service.info(name)).replicas;
  const diskful = replicas.filter((r) => r.diskful).map((r) => r.node);
  const other = ['pve1', 'pve2', 'pve3'].find((n) => !diskful.includes(n)) ?? '';
  return { diskful, other };
}

describe('attach costs', () => {
  it('one request on a node with a replica, and on a node already attached', async () => {
    await cluster.service.create({ name: 'cost-1', sizeKib: 1024, preferredNode: 'pve1' });
    expect(await requestsOf(() => cluster.service.attach('cost-1', 'pve1'))).toBe(1);
    const { other } = await placement('cost-1');
    await cluster.service.attach('cost-1', other);
    let again: unknown;
    expect(
      await requestsOf(async () => {
        again = await cluster.service.attach('cost-1', other);
      }),
    ).toBe(1);
    expect(again).toMatchObject({ created: false, diskful: false });
  });

  it('two requests on a node without a resource: the view and the tagged create', async () => {
    await cluster.service.create({
      name: 'cost-2',
      sizeKib: 1024,
      preferredNode: 'pve1',
      props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    const { other } = await placement('cost-2');
    expect((await cluster.service.info('cost-2')).replicas.map((r) => r.node)).not.toContain(other);
    let attached: { devicePath: string; created: boolean } | undefined;
    expect(
      await requestsOf(async () => {
        attached = await cluster.service.attach('cost-2', other);
      }),
    ).toBe(2);
    expect(attached).toMatchObject({
      created: true,
      devicePath: `${cluster.deviceRoot(other)}/drbd/by-res/cost-2/0`,
    });
    const requests = await cluster.emulator.control.requests();
    expect(requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect((await cluster.service.info('cost-2')).replicas.find((r) => r.node === other)).toMatchObject({
      diskful: false,
      tieBreaker: false,
      attachedByOwner: true,
    });
    expect(await cluster.service.detach('cost-2', other)).toEqual({ removed: true });
  });

  it('three requests on a tie-breaker: the view, the tag, then make-available', async () => {
    await cluster.service.create({ name: 'cost-3', sizeKib: 1024, preferredNode: 'pve1' });
    const { other } = await placement('cost-3');
    expect((await cluster.service.info('cost-3')).replicas.find((r) => r.node === other)?.tieBreaker).toBe(
      true,
    );
    let attached: { created: boolean } | undefined;
    expect(
      await requestsOf(async () => {
        attached = await cluster.service.attach('cost-3', other);
      }),
    ).toBe(3);
    expect(attached?.created).toBe(true);
    // Tag first: whichever step a crash interrupts, a wanted diskless is never left untagged.
    const requests = await cluster.emulator.control.requests();
    expect(
      requests.map((r) => `${r.method} ${r.path.replace(/^\/v1\/resource-definitions\/[^/]+/, '')}`),
    ).toEqual([
      `GET /v1/view/resources`,
      `PUT /resources/${other}`,
      `POST /resources/${other}/make-available`,
    ]);
    expect((await cluster.service.info('cost-3')).replicas.find((r) => r.node === other)).toMatchObject({
      diskful: false,
      tieBreaker: false,
      attachedByOwner: true,
    });
    expect(await requestsOf(() => cluster.service.attach('cost-3', other))).toBe(1);
  });

  it('reads the migration record from the view: a running migration costs nothing more', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'cost-4', sizeKib: 1024, preferredNode: 'pve1' });
    const { diskful } = await placement('cost-4');
    const target = diskful.find((n) => n !== 'pve1') ?? '';
    await emulator.control.openDevice('pve1', 'cost-4', 'rw');
    await service.beginMigration('cost-4', 'pve1', target);
    expect((await emulator.control.openDevice(target, 'cost-4', 'rw')).status).toBe(200);
    expect(await requestsOf(() => service.attach('cost-4', target))).toBe(1);
    expect((await service.info('cost-4')).migration).toBeDefined();
    await emulator.control.closeDevice('pve1', 'cost-4');
    await service.commitMigration('cost-4', 'pve1', target);
    await emulator.control.closeDevice(target, 'cost-4');
  });
});

describe('attach where the volume is open elsewhere', () => {
  it('refuses on request, naming the node', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'busy-1', sizeKib: 1024, preferredNode: 'pve1' });
    const { other } = await placement('busy-1');
    await emulator.control.openDevice('pve1', 'busy-1', 'rw');
    try {
      const failure = await service
        .attach('busy-1', other, { whenOpenElsewhere: 'refuse' })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(VolumeInUseError);
      expect(failure).toMatchObject({ kind: 'in-use', nodes: ['pve1'] });
      expect((failure as Error).message).toBe(
        `Attaching volume 'busy-1' on node '${other}' failed: the volume is open on 'pve1'.`,
      );
      // The default attaches anyway (DRBD keeps a second writer out).
      expect((await service.attach('busy-1', other)).created).toBe(true);
      expect(await service.detach('busy-1', other)).toEqual({ removed: true });
    } finally {
      await emulator.control.closeDevice('pve1', 'busy-1');
    }
  });

  it('begins a live migration from that node when asked to migrate', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'busy-2', sizeKib: 1024, preferredNode: 'pve1' });
    const { other } = await placement('busy-2');
    await emulator.control.openDevice('pve1', 'busy-2', 'rw');
    expect((await emulator.control.openDevice(other, 'busy-2', 'rw')).status).not.toBe(200);
    const attached = await service.attach('busy-2', other, { whenOpenElsewhere: 'migrate' });
    expect(attached.devicePath).toBe(`${cluster.deviceRoot(other)}/drbd/by-res/busy-2/0`);
    expect((await service.info('busy-2')).migration).toMatchObject({ from: 'pve1', to: other });
    expect((await emulator.control.openDevice(other, 'busy-2', 'rw')).status).toBe(200);
    await emulator.control.closeDevice('pve1', 'busy-2');
    await service.commitMigration('busy-2', 'pve1', other);
    expect((await service.info('busy-2')).migration).toBeUndefined();
    await emulator.control.closeDevice(other, 'busy-2');
    await expectNoOrphans(cluster.client);
  });
});

describe('attach racing another owner', () => {
  it('reports an attachment another owner made between the read and the create as not created, and keeps it', async () => {
    await cluster.service.create({
      name: 'race-1',
      sizeKib: 1024,
      preferredNode: 'pve1',
      props: { 'DrbdOptions/auto-add-quorum-tiebreaker': 'False' },
    });
    const { other } = await placement('race-1');
    const rival = cluster.serviceWith({ ownerId: 'suite-2' });
    // The rival's attach lands after our read and before our create: LINSTOR then converts (here:
    // keeps) the diskless resource and answers 201 without writing our props.
    const { client } = cluster;
    const racing = new Proxy(client, {
      get(target, key, receiver) {
        if (key !== 'resources') return Reflect.get(target, key, receiver);
        return {
          ...target.resources,
          createOnNode: async (...args: Parameters<typeof target.resources.createOnNode>) => {
            await rival.attach('race-1', other);
            return target.resources.createOnNode(...args);
          },
        };
      },
    });
    const ours = cluster.serviceWith({ client: racing });
    expect(await ours.attach('race-1', other)).toMatchObject({ created: false, diskful: false });
    // Not ours to remove: our detach keeps it, the rival's removes it.
    expect(await cluster.service.detach('race-1', other)).toEqual({ removed: false, kept: 'not-ours' });
    expect(await rival.detach('race-1', other)).toEqual({ removed: true });
  });
});

describe('definitionPropInView', () => {
  const key = 'Aux/linstor-hv/migration';
  const resource = (effective?: ResourceWithVolumes['effective_props']): ResourceWithVolumes => ({
    name: 'r',
    node_name: 'n',
    ...(effective ? { effective_props: effective } : {}),
  });

  it('finds the definition value under either spelling of its type, also when overridden', () => {
    expect(
      definitionPropInView([resource({ [key]: { type: 'RESOURCE_DEFINITION', value: 'a' } })], key),
    ).toBe('a');
    expect(definitionPropInView([resource({ [key]: { type: 'RSC_DFN', value: 'b' } })], key)).toBe('b');
    expect(
      definitionPropInView(
        [resource({ [key]: { type: 'RESOURCE', value: 'x', other: [{ type: 'RSC_DFN', value: 'c' }] } })],
        key,
      ),
    ).toBe('c');
    expect(definitionPropInView([resource({ [key]: { type: 'RSC_GRP', value: 'g' } })], key)).toBeNull();
  });

  it('says null when the view shows effective props without the key, undefined when it shows none', () => {
    expect(
      definitionPropInView([resource({ [PROP_HV_CREATED_BY]: { type: 'RESOURCE', value: 'x' } })], key),
    ).toBeNull();
    expect(definitionPropInView([resource()], key)).toBeUndefined();
    expect(definitionPropInView([], key)).toBeUndefined();
  });
});

it('leaves nothing behind once the volumes are deleted', async () => {
  for (const name of ['cost-1', 'cost-2', 'cost-3', 'cost-4', 'busy-1', 'busy-2', 'race-1']) {
    expect((await cluster.service.delete(name)).existed).toBe(true);
  }
  await expectNoOrphans(cluster.client);
});
