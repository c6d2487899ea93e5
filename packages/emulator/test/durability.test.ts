/**
 * Crash durability: a stream of mutations (spawn, snapshot, snapshot delete, RD delete) runs
 * against the emulator process, which is killed with SIGKILL in the middle. After a restart on the
 * same data directory, every object must be complete or absent, every acknowledged change must be
 * there, and the data files must match the records.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nameKey } from '@linstor-hv/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPlane } from '../src/dataplane';
import type { RdRec, RscRec, SnapRec, VdRec } from '../src/domain/model';
import { openJournalStore } from '../src/infra/journal-store';
import type { Store } from '../src/infra/store';
import { STATE_DIR, startEmulator } from '../src/start';
import { type SpawnedEmulator, spawnEmulatorProcess } from '../src/testing';
import { devicePath, resourcesOf, sha256File, writeRandom } from './data-helpers';
import { call } from './http-helpers';

const VOLUME_KIB = 4096;
const WORKERS = 4;
const REPLICAS = 2;

interface Ledger {
  /** RDs whose spawn was acknowledged (201) and not deleted since. */
  spawned: Set<string>;
  /** RDs whose delete was acknowledged (200). */
  deleted: Set<string>;
  /** Snapshots (rd/snap) acknowledged as created and not deleted since. */
  snapshots: Set<string>;
  /** Snapshots whose delete was acknowledged. */
  snapshotsDeleted: Set<string>;
  acknowledged: number;
  /** sha256 of the data written through a node's device after the spawn was acknowledged. */
  checksums: Map<string, string>;
}

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'emu-durability-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** One worker: spawn, snapshot, delete the snapshot, delete the RD — in a loop until the emulator dies. */
async function worker(emu: SpawnedEmulator, id: number, round: number, ledger: Ledger): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const rd = `dur-r${round}-w${id}-${i}`;
    try {
      const spawned = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
        resource_definition_name: rd,
        volume_sizes: [VOLUME_KIB],
      });
      expect(spawned.status, spawned.text).toBe(201);
      ledger.spawned.add(rd);
      ledger.acknowledged++;
      if (i % 2 === 0) {
        // Keep half of them, with data written through the first diskful node, as a VM would.
        const [first] = (await resourcesOf(emu.url, rd)).filter((r) => !(r.flags ?? []).includes('DISKLESS'));
        const device = devicePath(dataDir, first!.node_name, rd);
        await writeRandom(device, 64 * 1024, 64 * 1024);
        ledger.checksums.set(rd, await sha256File(device));
        continue;
      }
      const snap = await call(emu.url, 'POST', `/v1/resource-definitions/${rd}/snapshots`, {
        name: 'before',
      });
      expect(snap.status, snap.text).toBe(201);
      ledger.snapshots.add(`${rd}/before`);
      ledger.acknowledged++;
      if (i % 4 === 1) continue; // keep some snapshots
      const snapDel = await call(emu.url, 'DELETE', `/v1/resource-definitions/${rd}/snapshots/before`);
      expect(snapDel.status, snapDel.text).toBe(200);
      ledger.snapshots.delete(`${rd}/before`);
      ledger.snapshotsDeleted.add(`${rd}/before`);
      ledger.acknowledged++;
      const del = await call(emu.url, 'DELETE', `/v1/resource-definitions/${rd}`);
      expect(del.status, del.text).toBe(200);
      ledger.spawned.delete(rd);
      ledger.deleted.add(rd);
      ledger.acknowledged++;
    } catch (e) {
      if (await isDead(emu)) return;
      throw e;
    }
  }
}

async function isDead(emu: SpawnedEmulator): Promise<boolean> {
  const outcome = await Promise.race([
    emu.exited.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 2000)),
  ]);
  return outcome === true;
}

/** Structural completeness straight from the committed records. */
function checkRecords(store: Store): string[] {
  const problems: string[] = [];
  for (const rd of store.list<RdRec>('rds')) {
    const key = nameKey(rd.name);
    const vds = store.list<VdRec>('vds', [key]);
    if (vds.length !== 1) problems.push(`${rd.name}: ${vds.length} volume definitions`);
    const resources = store.list<RscRec>('resources', [key]);
    const diskful = resources.filter((r) => !r.flags.includes('DISKLESS'));
    if (diskful.length !== REPLICAS) problems.push(`${rd.name}: ${diskful.length} diskful replicas`);
    for (const rsc of resources) {
      if (rsc.volumes.length !== vds.length)
        problems.push(`${rd.name}@${rsc.nodeName}: ${rsc.volumes.length} volumes`);
      if (store.get('rscByNode', [nameKey(rsc.nodeName), key]) === undefined) {
        problems.push(`${rd.name}@${rsc.nodeName}: missing from the node index`);
      }
    }
    for (const snap of store.list<SnapRec>('snapshots', [key])) {
      if (!snap.flags.includes('SUCCESSFUL')) problems.push(`${rd.name}/${snap.name}: not SUCCESSFUL`);
      if (snap.volumes.length !== 1) problems.push(`${rd.name}/${snap.name}: ${snap.volumes.length} volumes`);
    }
  }
  for (const rd of store.list<RscRec>('resources')) {
    if (!store.get('rds', [nameKey(rd.rdName)]))
      problems.push(`resource ${rd.rdName}@${rd.nodeName} without its RD`);
  }
  // DRBD numbers: every resource holds its ports on its node and every VD its minor, and nothing
  // else holds one.
  let heldPorts = 0;
  for (const rsc of store.list<RscRec>('resources')) {
    for (const port of rsc.tcpPorts ?? []) {
      heldPorts++;
      if (store.get('nodePorts', [nameKey(rsc.nodeName), String(port)]) !== nameKey(rsc.rdName))
        problems.push(`${rsc.rdName}@${rsc.nodeName}: port ${port} not held`);
    }
    if (!rsc.tcpPorts?.length) problems.push(`${rsc.rdName}@${rsc.nodeName}: no port`);
  }
  for (const vd of store.list<VdRec>('vds')) {
    const holder = store.get<{ rdKey: string; vlmNr: number }>('drbdMinors', [String(vd.minor)]);
    if (holder?.rdKey !== nameKey(vd.rdName) || holder.vlmNr !== vd.volumeNumber) {
      problems.push(`${vd.rdName}/${vd.volumeNumber}: minor ${vd.minor} not held`);
    }
  }
  if (store.count('nodePorts') !== heldPorts) problems.push('leaked DRBD ports');
  if (store.count('drbdMinors') !== store.count('vds')) problems.push('leaked DRBD minors');
  return problems;
}

async function withStore<T>(fn: (store: Store) => T): Promise<T> {
  const store = await openJournalStore(join(dataDir, STATE_DIR));
  try {
    return fn(store);
  } finally {
    await store.close();
  }
}

describe('durability under SIGKILL', () => {
  // Round 3 snapshots the state every ~16 KiB of journal, so the kill may also hit a compaction.
  for (const [round, killAfterAcks, journalLimit] of [
    [1, 12, undefined],
    [2, 37, undefined],
    [3, 45, 16_384],
  ] as const) {
    it(`round ${round}: kill after ${killAfterAcks} acknowledged mutations${journalLimit ? ' with frequent snapshots' : ''}, restart, find a consistent state`, async () => {
      const ledger: Ledger = {
        spawned: new Set(),
        deleted: new Set(),
        snapshots: new Set(),
        snapshotsDeleted: new Set(),
        acknowledged: 0,
        checksums: new Map(),
      };
      const emu = await spawnEmulatorProcess({ dataDir, journalLimit });
      const workers = Array.from({ length: WORKERS }, (_, id) => worker(emu, id, round, ledger));
      for (let i = 0; i < 12_000 && ledger.acknowledged < killAfterAcks; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(ledger.acknowledged).toBeGreaterThanOrEqual(killAfterAcks);
      expect(await emu.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      await Promise.all(workers);
      // The round with a small journal limit really wrote snapshots before it was killed.
      if (journalLimit) expect(existsSync(join(dataDir, STATE_DIR, 'snapshot.json'))).toBe(true);

      // Before any repair: committed records never point at missing data.
      const beforeRepair = await withStore((store) => ({
        problems: checkRecords(store),
        report: new DataPlane(dataDir).checkConsistency(store),
      }));
      expect(beforeRepair.problems).toEqual([]);
      expect(beforeRepair.report.missingFiles).toEqual([]);

      const restarted = await spawnEmulatorProcess({ dataDir, journalLimit });
      try {
        for (const rd of ledger.spawned) {
          const r = await call(restarted.url, 'GET', `/v1/resource-definitions/${rd}`);
          expect(r.status, `${rd} was acknowledged`).toBe(200);
        }
        for (const rd of ledger.deleted) {
          expect((await call(restarted.url, 'GET', `/v1/resource-definitions/${rd}`)).status).toBe(404);
        }
        for (const s of ledger.snapshots) {
          const [rd, snap] = s.split('/');
          expect(
            (await call(restarted.url, 'GET', `/v1/resource-definitions/${rd}/snapshots/${snap}`)).status,
          ).toBe(200);
        }
        for (const s of ledger.snapshotsDeleted) {
          const [rd, snap] = s.split('/');
          const r = await call(restarted.url, 'GET', `/v1/resource-definitions/${rd}/snapshots/${snap}`);
          expect(r.status).toBe(404);
        }
        // Data written before the crash reads back the same through every diskful node.
        expect(ledger.checksums.size).toBeGreaterThan(0);
        for (const [rd, sum] of ledger.checksums) {
          const nodes = (await resourcesOf(restarted.url, rd)).filter(
            (r) => !(r.flags ?? []).includes('DISKLESS'),
          );
          expect(nodes).toHaveLength(REPLICAS);
          for (const node of nodes)
            expect(await sha256File(devicePath(dataDir, node.node_name, rd))).toBe(sum);
        }
        // The restarted emulator accepts new work on the recovered state.
        const more = await call(restarted.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
          resource_definition_name: `dur-r${round}-after`,
          volume_sizes: [VOLUME_KIB],
        });
        expect(more.status, more.text).toBe(201);
      } finally {
        expect(await restarted.kill('SIGTERM')).toEqual({ code: 0, signal: null });
      }

      // After the startup repair: records complete, files and device links exactly as the records say.
      const afterRepair = await withStore((store) => ({
        problems: checkRecords(store),
        report: new DataPlane(dataDir).checkConsistency(store),
      }));
      expect(afterRepair.problems).toEqual([]);
      expect(afterRepair.report).toEqual({
        orphanFiles: [],
        orphanLinks: [],
        missingFiles: [],
        missingLinks: [],
        wrongSizeFiles: [],
      });
      const inProcess = await startEmulator({ dataDir });
      try {
        expect(inProcess.startupReport).toEqual({
          orphanFiles: [],
          orphanLinks: [],
          missingFiles: [],
          missingLinks: [],
          wrongSizeFiles: [],
        });
      } finally {
        await inProcess.stop();
      }
    }, 120_000);
  }
});
