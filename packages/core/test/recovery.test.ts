/**
 * What the soak found (issue 10), each as a case of its own:
 * - an undo that meets a controller which is away for a while (restarting after a SIGKILL) keeps
 *   trying within its budget instead of giving up after two quick refusals and leaving a pending
 *   definition (a create's, a clone's);
 * - a create or clone whose last step landed while its reply was lost (and the controller then went
 *   away) has succeeded, so it says so, instead of failing and leaving a finished volume that a
 *   repeat calls "already exists";
 * - a migration commit cut off after the source's attachment went, before the record did, is
 *   finished by its repeat, and does not block the next migration ("Resource … not found");
 * - clones carry attempt ids: of concurrent clones into one name exactly one wins, and a repeat
 *   resumes only its own attempt.
 */

import { describe, expect, it } from 'vitest';
import { VolumeError } from '../src/errors';
import { expectNoOrphans, stagePendingAttempt, useCluster } from './cluster';

const cluster = useCluster();

/** The controller "away" for `times` requests of `method` on `path` (connections dropped unanswered). */
function away(method: string, path: string, times: number) {
  return cluster.emulator.control.addFault({ method, pathRegex: path, action: 'drop-before', times });
}

/** `times` refusals (500) of `method` on `path`. */
function refuse(method: string, path: string, times: number) {
  return cluster.emulator.control.addFault({
    method,
    pathRegex: path,
    action: 'error',
    status: 500,
    message: 'injected failure',
    times,
  });
}

async function pendingMark(name: string): Promise<string | undefined> {
  const definition = await cluster.client.resourceDefinitions.getOrUndefined(name);
  return definition?.props?.['Aux/linstor-hv/pending'];
}

describe('undo while the controller is away', { timeout: 120_000 }, () => {
  it('a create that fails leaves nothing although its undo first finds no controller', async () => {
    const { service, emulator } = cluster;
    await refuse('POST', '^/v1/resource-definitions/undo-create/autoplace$', 5);
    await away('DELETE', '^/v1/resource-definitions/undo-create$', 8);
    try {
      const failure = await service
        .create({ name: 'undo-create', sizeKib: 1024, preferredNode: 'pve1' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(VolumeError);
      expect((failure as VolumeError).message).not.toMatch(/Cleaning up failed too/);
      expect((failure as VolumeError).outcome).toBe('undone');
    } finally {
      await emulator.control.clearFaults();
    }
    expect(await cluster.client.resourceDefinitions.getOrUndefined('undo-create')).toBeUndefined();
    await expectNoOrphans(cluster.client);
    expect((await service.create({ name: 'undo-create', sizeKib: 1024 })).existed).toBe(false);
    await service.delete('undo-create');
  });

  it('a clone from a snapshot that fails leaves no pending target although its undo first finds no controller', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'undo-src', sizeKib: 1024, preferredNode: 'pve1' });
    await service.createSnapshot('undo-src', 'base');
    await refuse('POST', '^/v1/resource-definitions/undo-src/snapshot-restore-resource/', 5);
    await away('DELETE', '^/v1/resource-definitions/undo-clone$', 8);
    try {
      const failure = await service
        .clone({ source: 'undo-src', snapshot: 'base', name: 'undo-clone' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(VolumeError);
      expect((failure as VolumeError).message).not.toMatch(/Cleaning up failed too/);
    } finally {
      await emulator.control.clearFaults();
    }
    expect(await pendingMark('undo-clone')).toBeUndefined();
    expect(await cluster.client.resourceDefinitions.getOrUndefined('undo-clone')).toBeUndefined();
    await expectNoOrphans(cluster.client);
    const again = await service.clone({ source: 'undo-src', snapshot: 'base', name: 'undo-clone' });
    expect(again.existed).toBe(false);
    await service.delete('undo-clone');
  });
});

/**
 * The last step (the pending mark removed) lands but its reply is lost, and the client's repeats of
 * it find no controller: what a verb sees when the controller is SIGKILLed right after a commit.
 */
async function lastStepLandsUnanswered(path: string) {
  await cluster.emulator.control.addFault({ method: 'PUT', pathRegex: path, action: 'drop-after', times: 1 });
  await away('PUT', path, 8);
}

describe('the last step landed, then the controller went away', { timeout: 120_000 }, () => {
  it('a create reports success, and its repeat finds it', async () => {
    const { service, emulator } = cluster;
    await lastStepLandsUnanswered('^/v1/resource-definitions/lost-last$');
    try {
      const created = await service.create({ name: 'lost-last', sizeKib: 1024, preferredNode: 'pve2' });
      expect(created).toMatchObject({ existed: false, sizeBytes: 1024 * 1024 });
      expect(created.diskfulNodes).toHaveLength(2);
    } finally {
      await emulator.control.clearFaults();
    }
    expect(await pendingMark('lost-last')).toBeUndefined();
    expect((await service.list()).map((v) => v.name)).toContain('lost-last');
    await service.delete('lost-last');
  });

  it('a clone reports success', async () => {
    const { service, emulator } = cluster;
    await service.create({ name: 'lost-src', sizeKib: 1024, preferredNode: 'pve1' });
    await service.createSnapshot('lost-src', 'base');
    await lastStepLandsUnanswered('^/v1/resource-definitions/lost-clone$');
    try {
      const cloned = await service.clone({ source: 'lost-src', snapshot: 'base', name: 'lost-clone' });
      expect(cloned.existed).toBe(false);
    } finally {
      await emulator.control.clearFaults();
    }
    expect(await pendingMark('lost-clone')).toBeUndefined();
    await service.delete('lost-clone');
    await expectNoOrphans(cluster.client);
  });
});

describe('a migration commit cut off after the source left', { timeout: 120_000 }, () => {
  /**
   * A guest on pve2 (diskless attachment) moved to pve1, which holds the only replica; the commit
   * removed pve2's attachment, then removing the migration record failed.
   */
  async function cutCommit(name: string) {
    const { client, emulator } = cluster;
    if (!(await client.resourceGroups.getOrUndefined('one-replica'))) {
      await client.resourceGroups.create({
        name: 'one-replica',
        select_filter: { place_count: 1, storage_pool: 'thinpool', node_name_list: ['pve1'] },
      });
    }
    const service = cluster.serviceWith({ resourceGroup: 'one-replica' });
    await service.create({ name, sizeKib: 1024 });
    await service.attach(name, 'pve2');
    await emulator.control.openDevice('pve2', name, 'rw');
    await service.attach(name, 'pve1', { whenOpenElsewhere: 'migrate' });
    await emulator.control.openDevice('pve1', name, 'rw');
    await emulator.control.closeDevice('pve2', name);
    await refuse('PUT', `^/v1/resource-definitions/${name}$`, 4);
    try {
      await expect(service.commitMigration(name, 'pve2', 'pve1')).rejects.toThrow(VolumeError);
    } finally {
      await emulator.control.clearFaults();
    }
    const info = await service.info(name);
    expect(info.replicas.map((r) => r.node)).toEqual(['pve1']);
    expect(info.migration).toMatchObject({ from: 'pve2', to: 'pve1' });
    return service;
  }

  it('its repeat finishes it', async () => {
    const service = await cutCommit('mig-cut-1');
    await service.commitMigration('mig-cut-1', 'pve2', 'pve1');
    expect((await service.info('mig-cut-1')).migration).toBeUndefined();
    await cluster.emulator.control.closeDevice('pve1', 'mig-cut-1');
    await service.delete('mig-cut-1');
    await expectNoOrphans(cluster.client);
  });

  it('the next migration starts, and commits', async () => {
    const service = await cutCommit('mig-cut-2');
    const { emulator } = cluster;
    const target = await service.attach('mig-cut-2', 'pve3', { whenOpenElsewhere: 'migrate' });
    expect(target.created).toBe(true);
    expect((await service.info('mig-cut-2')).migration).toMatchObject({ from: 'pve1', to: 'pve3' });
    await emulator.control.openDevice('pve3', 'mig-cut-2', 'rw');
    await emulator.control.closeDevice('pve1', 'mig-cut-2');
    await service.commitMigration('mig-cut-2', 'pve1', 'pve3');
    expect((await service.info('mig-cut-2')).migration).toBeUndefined();
    await emulator.control.closeDevice('pve3', 'mig-cut-2');
    await service.detach('mig-cut-2', 'pve3');
    await service.delete('mig-cut-2');
    await expectNoOrphans(cluster.client);
  });
});

describe('clone attempt ids', { timeout: 180_000 }, () => {
  it('five concurrent clones into one name: one clones, the others change nothing', async () => {
    const { service } = cluster;
    await service.create({ name: 'race-src', sizeKib: 1024, preferredNode: 'pve1' });
    await service.createSnapshot('race-src', 'base');
    for (const [round, snapshot] of [
      [0, 'base'],
      [1, undefined],
      [2, 'base'],
    ] as const) {
      const name = `race-clone-${round}`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          service.clone({
            source: 'race-src',
            ...(snapshot ? { snapshot } : {}),
            name,
            attempt: `caller-${i}`,
          }),
        ),
      );
      const created = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.existed);
      expect(created, `round ${round}`).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'fulfilled') continue;
        expect(outcome.reason).toBeInstanceOf(VolumeError);
        expect((outcome.reason as VolumeError).code, (outcome.reason as Error).message).toBe(
          'VOLUME_ALREADY_EXISTS',
        );
      }
      const info = await service.info(name);
      expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
      expect(info.replicas.filter((r) => r.diskful)).toHaveLength(2);
      await service.delete(name);
    }
    await expectNoOrphans(cluster.client);
  });

  it("resumes its own attempt, refuses another live one's, and replaces a dead one's", async () => {
    const { client, service } = cluster;
    await service.create({ name: 'att-src', sizeKib: 1024, preferredNode: 'pve1' });
    await service.createSnapshot('att-src', 'base');
    const pending = (attempt: string, createdAt: Date) =>
      stagePendingAttempt(client, 'att-clone', 'clone', attempt, createdAt);
    const clone = (attempt?: string) =>
      service.clone({
        source: 'att-src',
        snapshot: 'base',
        name: 'att-clone',
        ...(attempt ? { attempt } : {}),
      });
    await pending('other', new Date());
    const refused = await clone().catch((error: unknown) => error);
    expect((refused as VolumeError).code).toBe('VOLUME_ALREADY_EXISTS');
    expect((await client.resourceDefinitions.get('att-clone')).props?.['Aux/linstor-hv/attempt']).toBe(
      'other',
    );
    const resumed = await clone('other');
    expect(resumed).toMatchObject({ existed: false, attempt: 'other' });
    expect(resumed.diskfulNodes).toHaveLength(2);
    await service.delete('att-clone');
    await pending('dead', new Date(Date.now() - 60 * 60_000));
    const replaced = await clone();
    expect(replaced.existed).toBe(false);
    expect(replaced.attempt).not.toBe('dead');
    await service.delete('att-clone');
    await expectNoOrphans(client);
  });
});
