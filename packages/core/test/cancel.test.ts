/**
 * Cancellation: a verb whose signal aborts mid-way stops between its steps, undoes what it did
 * (the undo has a budget of its own, the aborted signal does not stop it), fails with the code
 * VOLUME_ABORTED, and leaves nothing the orphan audit finds; the same call repeated then succeeds.
 *
 * For each request that changes something in a clean run, the case is repeated with that request
 * held back by the emulator (a `delay` fault) and the signal aborted while it waits: every
 * request before it has been answered, so the abort lands exactly between two known steps. A
 * change already sent is not cut off (the controller would apply it anyway), so when the held-back
 * change is the verb's last one the verb finishes, and its result must then be complete.
 */

import { describe, expect, it } from 'vitest';
import { VolumeError } from '../src/errors';
import { deviceSha256, MiB, pattern, sha256, useCluster, writeDevice } from './cluster';
import { cleanRunSteps, exactPath, orphans, repeatSucceeds, type VerbCase } from './steps';

const cluster = useCluster();
const SIZE = MiB;
/** How long the emulator holds the step back; the abort comes long before it ends. */
const HOLD_MS = 1500;

/** Aborts once `count` requests have been answered (the held-back one is the next). */
async function abortAfter(count: number, controller: AbortController, done: () => boolean): Promise<void> {
  while (!done()) {
    if ((await cluster.emulator.control.requests()).length >= count) {
      controller.abort();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs the case clean to learn its steps, then aborts it before each changing step; returns problems. */
async function abortEverywhere(verb: VerbCase): Promise<{ cases: number; problems: string[] }> {
  const { control } = cluster.emulator;
  const steps = await cleanRunSteps(cluster, verb);
  const problems: string[] = [];
  for (const step of steps) {
    const label = `abort before ${step.method} ${step.path}`;
    await control.reset();
    await verb.setup();
    await control.clearRequests();
    await control.addFault({
      method: step.method,
      pathRegex: exactPath(step.path),
      action: 'delay',
      delayMs: HOLD_MS,
      times: 1,
    });
    const controller = new AbortController();
    // Set when the verb settles: a verb that polls (a clone's status) may make fewer requests than
    // in the clean run and finish before the count is reached; the wait must end with it.
    let finished = false;
    const outcome = verb.run(controller.signal).then(
      () => undefined,
      (error: unknown) => error,
    );
    void outcome.then(() => {
      finished = true;
    });
    await abortAfter(step.index, controller, () => finished);
    const failure = await outcome;
    await control.clearFaults();
    if (failure === undefined) {
      // The held-back change was the last one: the verb had nothing left to stop, and finished.
      await verb.verify();
      continue;
    }
    if (!(failure instanceof VolumeError) || failure.code !== 'VOLUME_ABORTED') {
      problems.push(
        `${label}: expected VOLUME_ABORTED, got ${(failure as Error).name}: ${(failure as Error).message}`,
      );
    } else if (failure.outcome === 'unknown') {
      problems.push(`${label}: the undo did not finish: ${failure.message}`);
    }
    const left = await orphans(cluster);
    if (left) problems.push(`${label}: the aborted verb left ${left}`);
    await repeatSucceeds(cluster, verb, label, problems);
  }
  return { cases: steps.length, problems };
}

describe('an aborted signal stops a verb between steps and undoes it', { timeout: 300_000 }, () => {
  it('create with a preferred node', async () => {
    const { cases, problems } = await abortEverywhere({
      setup: async () => {},
      run: (signal) =>
        cluster.service.create({ name: 'a-create', sizeKib: 1024, preferredNode: 'pve2' }, { signal }),
      verify: async () => {
        const info = await cluster.service.info('a-create');
        expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
        expect(info.replicas.filter((r) => r.diskful)).toHaveLength(2);
      },
    });
    expect(cases).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  it('clone with the clone API', async () => {
    let source = '';
    const { cases, problems } = await abortEverywhere({
      setup: async () => {
        await cluster.service.create({ name: 'a-src', sizeBytes: SIZE, preferredNode: 'pve1' });
        const data = pattern(SIZE);
        source = sha256(data);
        await writeDevice(cluster.service.devicePath('a-src', 'pve1'), data);
      },
      run: (signal) => cluster.service.clone({ source: 'a-src', name: 'a-clone' }, { signal }),
      verify: async () => {
        const info = await cluster.service.info('a-clone');
        expect(info.props['Aux/linstor-hv/pending']).toBeUndefined();
        const replica = info.replicas.find((r) => r.diskful);
        expect(replica).toBeDefined();
        expect(await deviceSha256(cluster.service.devicePath('a-clone', replica?.node ?? ''), SIZE)).toBe(
          source,
        );
      },
    });
    expect(cases).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
  });

  it('rollback to an older snapshot (restore + copy)', async () => {
    let written = '';
    const { cases, problems } = await abortEverywhere({
      setup: async () => {
        await cluster.service.create({ name: 'a-rollback', sizeBytes: SIZE, preferredNode: 'pve1' });
        const path = cluster.service.devicePath('a-rollback', 'pve1');
        const first = pattern(SIZE);
        written = sha256(first);
        await writeDevice(path, first);
        await cluster.service.createSnapshot('a-rollback', 'old');
        await writeDevice(path, pattern(SIZE));
        await cluster.service.createSnapshot('a-rollback', 'new');
      },
      run: (signal) => cluster.service.rollback('a-rollback', 'old', { signal }),
      verify: async () => {
        expect(await deviceSha256(cluster.service.devicePath('a-rollback', 'pve1'), SIZE)).toBe(written);
      },
    });
    expect(cases).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  it('begin a migration', async () => {
    const { cases, problems } = await abortEverywhere({
      setup: async () => {
        await cluster.service.create({ name: 'a-mig', sizeKib: 1024, preferredNode: 'pve1' });
        await cluster.emulator.control.openDevice('pve1', 'a-mig', 'rw');
      },
      run: (signal) => cluster.service.beginMigration('a-mig', 'pve1', 'pve3', { signal }),
      verify: async () => {
        expect((await cluster.service.info('a-mig')).migration).toMatchObject({ from: 'pve1', to: 'pve3' });
      },
      leavesWorkInProgress: true,
    });
    expect(cases).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
  });

  it('an already aborted signal changes nothing', async () => {
    await cluster.emulator.control.reset();
    await cluster.emulator.control.clearRequests();
    const failure = await cluster.service
      .create({ name: 'a-never', sizeKib: 1024 }, { signal: AbortSignal.abort() })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(VolumeError);
    expect((failure as VolumeError).code).toBe('VOLUME_ABORTED');
    const changes = (await cluster.emulator.control.requests()).filter((r) => r.method !== 'GET');
    expect(changes).toEqual([]);
    expect(await cluster.client.resourceDefinitions.getOrUndefined('a-never')).toBeUndefined();
  });
});
