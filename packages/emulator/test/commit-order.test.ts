/**
 * What the store's commit promises the rest of the emulator: files are deleted only after the
 * commit is durable (a failed or cut-off commit leaves the data of committed records in place),
 * reads see only committed state (never objects that a rollback then removes), and thin pools
 * count the real space their snapshots take.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDescription } from '../src/cluster';
import { DataPlane } from '../src/dataplane';
import { JournalStore, openJournalStore } from '../src/infra/journal-store';
import { type RunningEmulator, startEmulator } from '../src/start';
import { devicePath, sha256File, writeRandom } from './data-helpers';
import { call } from './http-helpers';

const MIB_KIB = 1024;
const GIB_KIB = 1024 * 1024;

function journalStoreOf(emu: RunningEmulator): JournalStore {
  if (!(emu.store instanceof JournalStore)) throw new Error('the emulator does not run on a JournalStore');
  return emu.store;
}

/** A promise with its resolve function, to hold a transaction open at its commit point. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('journal store: afterCommit, onRollback, read', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emu-commit-order-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs afterCommit callbacks in order once the line is on disk, and joined transactions add to the outer one', async () => {
    const store = await openJournalStore(join(dir, 'a'));
    const seen: string[] = [];
    await store.transaction(async () => {
      store.put('things', ['x'], { v: 1 });
      store.afterCommit(() => {
        // The commit is durable before this runs: the journal already holds the change.
        const journal = readFileSync(join(dir, 'a', 'journal-0.log'), 'utf8');
        seen.push(journal.includes('"things"') ? 'first, journal written' : 'first, journal empty');
      });
      await store.transaction(() => {
        store.put('things', ['y'], { v: 2 });
        store.afterCommit(() => seen.push('inner'));
      });
      expect(seen).toEqual([]); // the inner transaction joined: nothing ran at its end
      store.afterCommit(() => seen.push('last'));
      store.onRollback(() => seen.push('rollback (must not run)'));
    });
    expect(seen).toEqual(['first, journal written', 'inner', 'last']);

    // A transaction without changes commits trivially: its callbacks run too.
    await store.transaction(() => store.afterCommit(() => seen.push('no changes')));
    expect(seen.at(-1)).toBe('no changes');
    await store.close();
  });

  it('drops afterCommit callbacks on rollback and runs onRollback callbacks in reverse order', async () => {
    const store = await openJournalStore(join(dir, 'b'));
    const seen: string[] = [];
    await expect(
      store.transaction(async () => {
        store.put('things', ['x'], { v: 1 });
        store.onRollback(() => seen.push('undo 1'));
        store.afterCommit(() => seen.push('after commit (must not run)'));
        await store.transaction(() => store.onRollback(() => seen.push('undo 2')));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(seen).toEqual(['undo 2', 'undo 1']);
    expect(store.get('things', ['x'])).toBeUndefined();
    await store.close();
  });

  it('treats a commit that fails before its journal write as a rollback (the crash case)', async () => {
    const store = await openJournalStore(join(dir, 'c'));
    const seen: string[] = [];
    store.beforeCommitHook = () => {
      throw new Error('killed before the journal fsync');
    };
    await expect(
      store.transaction(() => {
        store.put('things', ['x'], { v: 1 });
        store.afterCommit(() => seen.push('delete the data (must not run)'));
        store.onRollback(() => seen.push('undo'));
      }),
    ).rejects.toThrow('killed before the journal fsync');
    expect(seen).toEqual(['undo']);
    expect(store.journalSize).toBe(0);
    store.beforeCommitHook = undefined;
    await store.close();
  });

  it('refuses afterCommit and onRollback outside a transaction', async () => {
    const store = await openJournalStore(join(dir, 'd'));
    expect(() => store.afterCommit(() => {})).toThrow(/outside a transaction/);
    expect(() => store.onRollback(() => {})).toThrow(/outside a transaction/);
    await store.close();
  });

  it('lets read() see only committed state: it waits for the running transaction, and never sees a rolled-back change', async () => {
    const store = await openJournalStore(join(dir, 'e'));
    await store.transaction(() => store.put('things', ['kept'], { v: 1 }));
    const held = gate();
    const failing = store.transaction(async () => {
      store.put('things', ['half-done'], { v: 2 });
      store.delete('things', ['kept']);
      await held.promise;
      throw new Error('rolled back');
    });
    const failed = failing.catch((e: Error) => e.message);
    let readDone = false;
    const read = store
      .read(() => store.list<{ v: number }>('things').map((t) => t.v))
      .finally(() => {
        readDone = true;
      });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readDone).toBe(false); // the transaction is still open
    held.open();
    expect(await failed).toBe('rolled back');
    expect(await read).toEqual([1]);
    // Inside a transaction, read() runs at once and sees the transaction's own changes.
    await store.transaction(async () => {
      store.put('things', ['mine'], { v: 3 });
      expect((await store.read(() => store.list<{ v: number }>('things'))).map((t) => t.v)).toEqual([1, 3]);
    });
    await store.close();
  });
});

describe('emulator: file deletions wait for the commit', () => {
  let dataDir: string;
  let emu: RunningEmulator | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'emu-commit-files-'));
  });

  afterEach(async () => {
    if (emu) journalStoreOf(emu).beforeCommitHook = undefined;
  });

  afterAll(async () => {
    await emu?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the data and device links of an RD, resource, volume and snapshot whose delete never committed', async () => {
    emu = await startEmulator({ dataDir });
    const url = emu.url;
    const spawned = await call(url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'keep-me',
      volume_sizes: [8 * MIB_KIB, 8 * MIB_KIB],
    });
    expect(spawned.status, spawned.text).toBe(201);
    const view = await call(url, 'GET', '/v1/view/resources?resources=keep-me');
    const nodes = (view.json as { node_name: string }[]).map((r) => r.node_name).sort();
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    const [nodeA, nodeB] = nodes as [string, string];
    await writeRandom(devicePath(dataDir, nodeA, 'keep-me', 0), 0, 1024 * 1024);
    await writeRandom(devicePath(dataDir, nodeA, 'keep-me', 1), 4096, 1024 * 1024);
    const snap = await call(url, 'POST', '/v1/resource-definitions/keep-me/snapshots', { name: 's1' });
    expect(snap.status, snap.text).toBe(201);
    const sums = [
      await sha256File(devicePath(dataDir, nodeB, 'keep-me', 0)),
      await sha256File(devicePath(dataDir, nodeB, 'keep-me', 1)),
    ];
    const plane = new DataPlane(dataDir);
    const snapshotFile = plane.snapshotPath('keep-me', 's1', 0);
    expect(existsSync(snapshotFile)).toBe(true);

    // The process "dies" after each handler ran but before its journal line reached the disk.
    const store = journalStoreOf(emu);
    store.beforeCommitHook = () => {
      throw new Error('killed before the journal fsync');
    };
    const attempts: [string, string][] = [
      ['DELETE', '/v1/resource-definitions/keep-me/snapshots/s1'],
      ['DELETE', `/v1/resource-definitions/keep-me/resources/${nodeA}`],
      ['DELETE', '/v1/resource-definitions/keep-me/volume-definitions/1'],
    ];
    for (const [method, path] of attempts) {
      const reply = await call(url, method, path);
      expect(reply.status, `${method} ${path}: ${reply.text}`).toBe(500);
      expect(existsSync(snapshotFile), `${method} ${path}`).toBe(true);
      for (const node of nodes) {
        expect(existsSync(devicePath(dataDir, node, 'keep-me', 0)), `${method} ${path} ${node}`).toBe(true);
        expect(existsSync(devicePath(dataDir, node, 'keep-me', 1)), `${method} ${path} ${node}`).toBe(true);
      }
    }
    // Deleting the RD itself is refused while snapshots exist; without the snapshot, commit it
    // and then let the RD delete "crash".
    store.beforeCommitHook = undefined;
    const delSnap = await call(url, 'DELETE', '/v1/resource-definitions/keep-me/snapshots/s1');
    expect(delSnap.status, delSnap.text).toBe(200);
    expect(existsSync(snapshotFile)).toBe(false); // committed: its file went after the commit
    store.beforeCommitHook = () => {
      throw new Error('killed before the journal fsync');
    };
    const delRd = await call(url, 'DELETE', '/v1/resource-definitions/keep-me');
    expect(delRd.status, delRd.text).toBe(500);
    store.beforeCommitHook = undefined;

    expect(await sha256File(devicePath(dataDir, nodeA, 'keep-me', 0))).toBe(sums[0]);
    expect(await sha256File(devicePath(dataDir, nodeA, 'keep-me', 1))).toBe(sums[1]);
    const report = plane.checkConsistency(store);
    expect(report.missingFiles).toEqual([]);
    expect(report.missingLinks).toEqual([]);

    // What a restart finds: the journal without the lost commits, and every file it references.
    await emu.stop();
    emu = await startEmulator({ dataDir });
    expect(emu.startupReport.missingFiles).toEqual([]);
    expect(emu.startupReport.missingLinks).toEqual([]);
    const after = await call(emu.url, 'GET', '/v1/view/resources?resources=keep-me');
    expect((after.json as { node_name: string }[]).map((r) => r.node_name).sort()).toEqual(nodes);
    expect(await sha256File(devicePath(dataDir, nodeB, 'keep-me', 0))).toBe(sums[0]);
    expect(await sha256File(devicePath(dataDir, nodeB, 'keep-me', 1))).toBe(sums[1]);

    // Once a delete commits, its files go.
    const del = await call(emu.url, 'DELETE', '/v1/resource-definitions/keep-me');
    expect(del.status, del.text).toBe(200);
    expect(existsSync(plane.volumePath('keep-me', 0))).toBe(false);
    for (const node of nodes) expect(existsSync(devicePath(dataDir, node, 'keep-me', 0))).toBe(false);
  });
});

describe('emulator: reads see only committed state', () => {
  let emu: RunningEmulator;

  beforeAll(async () => {
    emu = await startEmulator();
  });

  afterAll(async () => {
    await emu?.stop();
  });

  it('never shows the resources of a snapshot restore that then rolls back', async () => {
    const url = emu.url;
    const spawned = await call(url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'restore-src',
      volume_sizes: [4 * MIB_KIB],
    });
    expect(spawned.status, spawned.text).toBe(201);
    expect(
      (await call(url, 'POST', '/v1/resource-definitions/restore-src/snapshots', { name: 's1' })).status,
    ).toBe(201);
    expect(
      (await call(url, 'POST', '/v1/resource-definitions', { resource_definition: { name: 'restore-dst' } }))
        .status,
    ).toBe(201);
    const vds = await call(
      url,
      'POST',
      '/v1/resource-definitions/restore-src/snapshot-restore-volume-definition/s1',
      { to_resource: 'restore-dst' },
    );
    expect(vds.status, vds.text).toBe(200);

    // Hold the restore at its commit point (the handler has deployed everything), then fail it.
    const store = journalStoreOf(emu);
    const reached = gate();
    const release = gate();
    store.beforeCommitHook = async () => {
      store.beforeCommitHook = undefined;
      reached.open();
      await release.promise;
      throw new Error('the restore fails at its commit');
    };
    const restore = call(url, 'POST', '/v1/resource-definitions/restore-src/snapshot-restore-resource/s1', {
      to_resource: 'restore-dst',
    });
    await reached.promise;
    const during = call(url, 'GET', '/v1/view/resources?resources=restore-dst');
    const duringRd = call(url, 'GET', '/v1/resource-definitions/restore-dst/resources');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release.open();
    expect((await restore).status).toBe(500);
    const seen = await during;
    expect(seen.status).toBe(200);
    expect(seen.json).toEqual([]);
    const seenRd = await duringRd;
    expect(seenRd.status).toBe(200);
    expect(seenRd.json).toEqual([]);
    expect((await call(url, 'GET', '/v1/view/resources?resources=restore-dst')).json).toEqual([]);

    // The same restore, committed, is visible.
    const ok = await call(url, 'POST', '/v1/resource-definitions/restore-src/snapshot-restore-resource/s1', {
      to_resource: 'restore-dst',
    });
    expect(ok.status, ok.text).toBe(200);
    const after = await call(url, 'GET', '/v1/view/resources?resources=restore-dst');
    expect((after.json as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('emulator: thin pools count snapshot space', () => {
  let emu: RunningEmulator;

  beforeAll(async () => {
    const pool = { name: 'thinpool', provider_kind: 'LVM_THIN' as const, total_kib: GIB_KIB };
    const cluster: ClusterDescription = {
      nodes: [
        { name: 'pve1', type: 'SATELLITE', address: '10.0.0.1', pools: [{ ...pool }] },
        { name: 'pve2', type: 'SATELLITE', address: '10.0.0.2', pools: [{ ...pool }] },
      ],
      resource_groups: [{ name: 'two', select_filter: { place_count: 2, storage_pool: 'thinpool' } }],
    };
    emu = await startEmulator({ cluster });
  });

  afterAll(async () => {
    await emu?.stop();
  });

  /** Free capacity as a client sees it without `cached=true` (measured afresh). */
  async function freeKib(node: string): Promise<number> {
    const reply = await call(emu.url, 'GET', `/v1/view/storage-pools?nodes=${node}&storage_pools=thinpool`);
    expect(reply.status, reply.text).toBe(200);
    return (reply.json as { free_capacity: number }[])[0]!.free_capacity;
  }

  async function availableKib(): Promise<number> {
    const reply = await call(emu.url, 'POST', '/v1/resource-groups/two/query-size-info', {});
    expect(reply.status, reply.text).toBe(200);
    return (reply.json as { space_info: { available_size_in_kib: number } }).space_info.available_size_in_kib;
  }

  it('subtracts what a snapshot really allocates from the free capacity and query-size-info, and gives it back on delete', async () => {
    const url = emu.url;
    const spawned = await call(url, 'POST', '/v1/resource-groups/two/spawn', {
      resource_definition_name: 'snapspace',
      volume_sizes: [64 * MIB_KIB],
    });
    expect(spawned.status, spawned.text).toBe(201);
    await writeRandom(devicePath(emu.dataDir, 'pve1', 'snapspace'), 0, 16 * 1024 * 1024);
    const before = {
      pve1: await freeKib('pve1'),
      pve2: await freeKib('pve2'),
      available: await availableKib(),
    };
    const plane = new DataPlane(emu.dataDir);
    const volumeKib = plane.allocatedKib('snapspace', 0);
    expect(before.pve1).toBe(GIB_KIB - volumeKib);

    const snap = await call(url, 'POST', '/v1/resource-definitions/snapspace/snapshots', { name: 's1' });
    expect(snap.status, snap.text).toBe(201);
    const snapKib = plane.snapshotAllocatedKib('snapspace', 's1', 0);
    expect(snapKib).toBeGreaterThanOrEqual(16 * MIB_KIB);
    expect(plane.allocatedKib('snapspace', 0)).toBe(volumeKib);
    expect(await freeKib('pve1')).toBe(before.pve1 - snapKib);
    expect(await freeKib('pve2')).toBe(before.pve2 - snapKib);
    expect(await availableKib()).toBe(before.available - snapKib);

    const del = await call(url, 'DELETE', '/v1/resource-definitions/snapspace/snapshots/s1');
    expect(del.status, del.text).toBe(200);
    expect(await freeKib('pve1')).toBe(before.pve1);
    expect(await freeKib('pve2')).toBe(before.pve2);
    expect(await availableKib()).toBe(before.available);
  });
});
