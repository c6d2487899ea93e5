/**
 * Attempt ids: concurrent creates of one explicit name (two PVE nodes allocating or importing the
 * same disk) leave exactly one winner; the others learn it exists and leave nothing. A repeat with
 * the attempt id of a call whose reply was lost resumes that attempt; another attempt's unfinished
 * volume is not taken over. A snapshot of the same name is reused only with this owner's tags.
 */

import { describe, expect, it } from 'vitest';
import { VolumeError } from '../src/errors';
import { expectNoOrphans, stagePendingAttempt, useCluster } from './cluster';

const cluster = useCluster();

describe('attempt ids', { timeout: 120_000 }, () => {
  it('five concurrent creates of one name: one creates it, the others change nothing', async () => {
    for (let round = 0; round < 3; round++) {
      const name = `race-${round}`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          cluster.service.create({ name, sizeKib: 1024, attempt: `caller-${i}` }),
        ),
      );
      const created = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.existed);
      expect(created, `round ${round}`).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') continue;
        expect(outcome.reason).toBeInstanceOf(VolumeError);
        expect((outcome.reason as VolumeError).code).toBe('VOLUME_ALREADY_EXISTS');
      }
      const info = await cluster.service.info(name);
      expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
      expect(info.replicas.filter((r) => r.diskful)).toHaveLength(2);
    }
    await expectNoOrphans(cluster.client);
  });

  it('resumes its own attempt, refuses another live one, and replaces a dead one', async () => {
    const { client, service } = cluster;
    const pending = (attempt: string, createdAt: Date) =>
      stagePendingAttempt(client, 'att-1', 'create', attempt, createdAt);
    // Another attempt, started just now: not ours to finish or remove.
    await pending('other', new Date());
    const refused = await service.create({ name: 'att-1', sizeKib: 1024 }).catch((error: unknown) => error);
    expect((refused as VolumeError).code).toBe('VOLUME_ALREADY_EXISTS');
    expect((await client.resourceDefinitions.get('att-1')).props?.['Aux/linstor-hv/attempt']).toBe('other');
    // The caller of that attempt repeats it with its id: the attempt is finished.
    const resumed = await service.create({ name: 'att-1', sizeKib: 1024, attempt: 'other' });
    expect(resumed).toMatchObject({ existed: false, attempt: 'other' });
    expect(resumed.diskfulNodes).toHaveLength(2);
    await service.delete('att-1');
    // A dead attempt (older than any verb runs) is replaced.
    await pending('dead', new Date(Date.now() - 60 * 60_000));
    const replaced = await service.create({ name: 'att-1', sizeKib: 1024 });
    expect(replaced.existed).toBe(false);
    expect(replaced.attempt).not.toBe('dead');
    await service.delete('att-1');
    await expectNoOrphans(client);
  });

  it('reuses a snapshot of the same name only when this owner took it', async () => {
    const { service } = cluster;
    await service.create({ name: 'snap-owner', sizeKib: 1024 });
    const other = cluster.serviceWith({ ownerId: 'suite-2' });
    await other.createSnapshot('snap-owner', 'daily');
    const refused = await service.createSnapshot('snap-owner', 'daily').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VolumeError);
    expect((refused as VolumeError).code).toBe('VOLUME_ALREADY_EXISTS');
    expect((await other.createSnapshot('snap-owner', 'daily')).existed).toBe(true);
    await other.deleteSnapshot('snap-owner', 'daily');
    await service.delete('snap-owner');
  });

  it('a lost reply to make-available on a migration target is settled by reading the state', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'lost-ma', sizeKib: 1024, preferredNode: 'pve1' });
    const target = (await service.info('lost-ma')).replicas.find((r) => r.tieBreaker)?.node;
    expect(target, 'LINSTOR put a tie-breaker on the third node').toBeDefined();
    await emulator.control.openDevice('pve1', 'lost-ma', 'rw');
    await emulator.control.addFault({
      method: 'POST',
      pathRegex: `^/v1/resource-definitions/lost-ma/resources/${target}/make-available$`,
      action: 'drop-after',
      times: 1,
    });
    try {
      const attached = await service.beginMigration('lost-ma', 'pve1', target ?? '');
      expect(attached.devicePath).toContain('/lost-ma/');
      expect(attached.created).toBe(true);
      expect((await service.info('lost-ma')).migration).toMatchObject({ from: 'pve1', to: target });
    } finally {
      await emulator.control.clearFaults();
    }
    await service.abortMigration('lost-ma', 'pve1', target ?? '');
    await emulator.control.closeDevice('pve1', 'lost-ma');
    await service.delete('lost-ma');
    await expectNoOrphans(cluster.client);
  });
});
