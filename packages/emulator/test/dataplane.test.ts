import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyByScan, DataPlane } from '../src/dataplane';
import type { RscRec, SnapRec, VdRec } from '../src/domain/model';
import { openJournalStore } from '../src/infra/journal-store';

const MIB = 1024 * 1024;

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Writes `data` at byte `offset` of the file behind `path` (through a symlink, as a hypervisor would). */
async function writeAt(path: string, offset: number, data: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
}

async function readAt(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

let dataDir: string;
let dp: DataPlane;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'emu-dp-'));
  dp = new DataPlane(dataDir);
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('volumes', () => {
  it('creates a sparse file of exactly size_kib KiB whose allocation grows only when written', async () => {
    dp.createVolume('vm-1', 0, 100 * 1024 * 1024); // 100 GiB
    const path = dp.volumePath('vm-1', 0);
    expect(statSync(path).size).toBe(100 * 1024 * 1024 * 1024);
    expect(dp.allocatedKib('vm-1', 0)).toBeLessThan(64);

    await writeAt(path, 7 * MIB, randomBytes(2 * MIB));
    const allocated = dp.allocatedKib('vm-1', 0);
    expect(allocated).toBeGreaterThanOrEqual(2048);
    expect(allocated).toBeLessThan(4096);
  });

  it('keeps the data of an existing volume when a second replica is created', async () => {
    dp.createVolume('vm-1', 0, 1024);
    const pattern = randomBytes(4096);
    await writeAt(dp.volumePath('vm-1', 0), 0, pattern);
    dp.createVolume('VM-1', 0, 1024); // names are case-insensitive: same volume
    expect(sha256(await readAt(dp.volumePath('vm-1', 0), 0, 4096))).toBe(sha256(pattern));
  });

  it('grows a volume without touching its data and never shrinks it', async () => {
    dp.createVolume('vm-1', 0, 1024);
    const pattern = randomBytes(1000);
    await writeAt(dp.volumePath('vm-1', 0), 500, pattern);
    dp.resizeVolume('vm-1', 0, 4096);
    expect(statSync(dp.volumePath('vm-1', 0)).size).toBe(4096 * 1024);
    dp.resizeVolume('vm-1', 0, 2048);
    expect(statSync(dp.volumePath('vm-1', 0)).size).toBe(4096 * 1024);
    expect((await readAt(dp.volumePath('vm-1', 0), 500, 1000)).equals(pattern)).toBe(true);
  });

  it('deletes a volume file and reports 0 KiB allocated afterwards', () => {
    dp.createVolume('vm-1', 0, 1024);
    dp.deleteVolume('vm-1', 0);
    expect(existsSync(dp.volumePath('vm-1', 0))).toBe(false);
    expect(dp.allocatedKib('vm-1', 0)).toBe(0);
  });
});

describe('device links', () => {
  it('data written through node A is read through node B, by-res and minor paths alike', async () => {
    dp.createVolume('vm-1', 0, 8 * 1024);
    dp.linkDevice('pve1', 'vm-1', 0, 1000);
    dp.linkDevice('pve2', 'vm-1', 0, 1000);
    const pattern = randomBytes(3 * MIB);
    await writeAt(dp.devicePath('pve1', 'vm-1', 0), MIB, pattern);

    expect(dp.devicePath('pve2', 'vm-1', 0)).toBe(join(dataDir, 'nodes/pve2/dev/drbd/by-res/vm-1/0'));
    expect(sha256(await readAt(dp.devicePath('pve2', 'vm-1', 0), MIB, 3 * MIB))).toBe(sha256(pattern));
    expect(dp.minorDevicePath('pve2', 1000)).toBe(join(dataDir, 'nodes/pve2/dev/drbd1000'));
    expect(sha256(await readAt(dp.minorDevicePath('pve2', 1000), MIB, 3 * MIB))).toBe(sha256(pattern));
  });

  it('unlinking a node removes only that node device paths', () => {
    dp.createVolume('vm-1', 0, 1024);
    dp.linkResource('pve1', 'vm-1', [{ volumeNumber: 0, minor: 1000 }]);
    dp.linkResource('pve2', 'vm-1', [{ volumeNumber: 0, minor: 1000 }]);
    dp.unlinkResource('pve1', 'vm-1', [{ volumeNumber: 0, minor: 1000 }]);
    expect(existsSync(dp.devicePath('pve1', 'vm-1', 0))).toBe(false);
    expect(existsSync(dp.minorDevicePath('pve1', 1000))).toBe(false);
    expect(existsSync(join(dataDir, 'nodes/pve1/dev/drbd/by-res/vm-1'))).toBe(false);
    expect(existsSync(dp.devicePath('pve2', 'vm-1', 0))).toBe(true);
  });
});

describe('snapshots, restore, rollback and clone', () => {
  it('rolls a volume back to the snapshot content after it was overwritten', async () => {
    dp.createVolume('vm-1', 0, 16 * 1024);
    dp.linkDevice('pve1', 'vm-1', 0, 1000);
    const device = dp.devicePath('pve1', 'vm-1', 0);
    await writeAt(device, 0, randomBytes(16 * MIB));
    const original = sha256(readFileSync(device));

    await dp.snapshotVolume('vm-1', 'snap1', 0);
    await writeAt(device, 5 * MIB, randomBytes(MIB));
    expect(sha256(readFileSync(device))).not.toBe(original);

    await dp.rollbackVolume('vm-1', 'snap1', 0);
    expect(sha256(readFileSync(device))).toBe(original);
    expect(sha256(readFileSync(dp.snapshotPath('vm-1', 'snap1', 0)))).toBe(original);
  });

  it('keeps a grown size on rollback to an older, smaller snapshot', async () => {
    dp.createVolume('vm-1', 0, 1024);
    await writeAt(dp.volumePath('vm-1', 0), 0, Buffer.from('before'));
    await dp.snapshotVolume('vm-1', 's', 0);
    dp.resizeVolume('vm-1', 0, 2048);
    await dp.rollbackVolume('vm-1', 's', 0, 2048);
    expect(statSync(dp.volumePath('vm-1', 0)).size).toBe(2048 * 1024);
    expect((await readAt(dp.volumePath('vm-1', 0), 0, 6)).toString()).toBe('before');
  });

  it('snapshots of a huge, mostly empty volume stay sparse', async () => {
    dp.createVolume('vm-big', 0, 100 * 1024 * 1024); // 100 GiB
    await writeAt(dp.volumePath('vm-big', 0), 50 * 1024 * MIB, randomBytes(MIB));
    await dp.snapshotVolume('vm-big', 'snap1', 0);
    expect(statSync(dp.snapshotPath('vm-big', 'snap1', 0)).size).toBe(100 * 1024 * MIB);
    expect(dp.snapshotAllocatedKib('vm-big', 'snap1', 0)).toBeLessThan(4096);
    expect(['reflink', 'cp-sparse', 'scan']).toContain(dp.lastCopyMethod);
  });

  it('a snapshot restore and a clone carry the source sha256', async () => {
    dp.createVolume('vm-1', 0, 4 * 1024);
    await writeAt(dp.volumePath('vm-1', 0), 0, randomBytes(4 * MIB));
    const source = sha256(readFileSync(dp.volumePath('vm-1', 0)));
    await dp.snapshotVolume('vm-1', 'snap1', 0);
    await writeAt(dp.volumePath('vm-1', 0), 0, randomBytes(MIB)); // the source moves on

    dp.createVolume('restored', 0, 4 * 1024);
    await dp.restoreSnapshot('vm-1', 'snap1', 0, 'restored');
    expect(sha256(readFileSync(dp.volumePath('restored', 0)))).toBe(source);

    const current = sha256(readFileSync(dp.volumePath('vm-1', 0)));
    await dp.cloneVolume('vm-1', 0, 'vm-2');
    expect(sha256(readFileSync(dp.volumePath('vm-2', 0)))).toBe(current);
  });

  it('deleting a snapshot removes its files', async () => {
    dp.createVolume('vm-1', 0, 1024);
    await dp.snapshotVolume('vm-1', 'snap1', 0);
    dp.deleteSnapshot('vm-1', 'SNAP1');
    expect(existsSync(dp.snapshotPath('vm-1', 'snap1', 0))).toBe(false);
    expect(existsSync(join(dataDir, 'snapshots', 'VM-1'))).toBe(false);
  });

  it('the portable scan copy writes only non-zero chunks and copies byte-exactly', async () => {
    const src = join(dataDir, 'src.img');
    const dst = join(dataDir, 'dst.img');
    const size = 64 * MIB + 12345; // not a multiple of the chunk size
    writeFileSync(src, '');
    await writeAt(src, size - 1, Buffer.from([7]));
    await writeAt(src, 9 * MIB + 3, randomBytes(100_000));
    await copyByScan(src, dst);
    expect(statSync(dst).size).toBe(size);
    expect(sha256(readFileSync(dst))).toBe(sha256(readFileSync(src)));
    expect((statSync(dst).blocks * 512) / 1024).toBeLessThan(16 * 1024);
  });
});

describe('consistency with the committed records', () => {
  it('reconcile removes orphans, restores device links and reports missing data files', async () => {
    const store = await openJournalStore(join(dataDir, 'state'));
    try {
      await store.transaction(() => {
        for (const rd of ['vm-1', 'vm-2']) {
          const vd: Partial<VdRec> = {
            rdName: rd,
            volumeNumber: 0,
            sizeKib: 1024,
            minor: rd === 'vm-1' ? 1000 : 1001,
          };
          store.put('vds', [rd.toUpperCase(), '0'], vd);
          const rsc: Partial<RscRec> = { rdName: rd, nodeName: 'pve1', volumes: [] };
          store.put('resources', [rd.toUpperCase(), 'PVE1'], rsc);
        }
        const snap: Partial<SnapRec> = {
          rdName: 'vm-1',
          name: 'snap1',
          volumes: [{ volumeNumber: 0, sizeKib: 1024 }],
        };
        store.put('snapshots', ['VM-1', 'SNAP1'], snap);
      });
      dp.createVolume('vm-1', 0, 1024);
      await dp.snapshotVolume('vm-1', 'snap1', 0);
      // crash leftovers: data of an RD whose create never committed, an unfinished copy, a stale link
      dp.createVolume('never-committed', 0, 1024);
      const partial = `${dp.volumePath('vm-1', 0)}.partial-abcd`;
      writeFileSync(partial, 'x');
      await dp.snapshotVolume('vm-1', 'uncommitted-snap', 0);
      dp.linkDevice('pve3', 'vm-1', 0, 1000);
      mkdirSync(join(dataDir, 'nodes/pve1/dev'), { recursive: true });
      symlinkSync('/nonexistent', join(dataDir, 'nodes/pve1/dev/drbd1000'));

      const report = dp.checkConsistency(store);
      expect(report.orphanFiles.sort()).toEqual(
        [dp.volumePath('never-committed', 0), partial, dp.snapshotPath('vm-1', 'uncommitted-snap', 0)].sort(),
      );
      expect(report.orphanLinks.sort()).toEqual(
        [
          dp.devicePath('pve3', 'vm-1', 0),
          dp.minorDevicePath('pve3', 1000),
          dp.minorDevicePath('pve1', 1000),
        ].sort(),
      );
      expect(report.missingFiles).toEqual([dp.volumePath('vm-2', 0)]);
      expect(report.missingLinks.sort()).toEqual(
        [
          dp.devicePath('pve1', 'vm-1', 0),
          dp.devicePath('pve1', 'vm-2', 0),
          dp.minorDevicePath('pve1', 1001),
        ].sort(),
      );

      expect(report.wrongSizeFiles).toEqual([]);

      dp.reconcile(store);
      const after = dp.checkConsistency(store);
      expect(after).toEqual({
        orphanFiles: [],
        orphanLinks: [],
        missingFiles: [dp.volumePath('vm-2', 0)],
        missingLinks: [],
        wrongSizeFiles: [],
      });
      expect(existsSync(join(dataDir, 'volumes', 'NEVER-COMMITTED'))).toBe(false);
      expect(existsSync(join(dataDir, 'nodes/pve3/dev/drbd/by-res/vm-1'))).toBe(false);
      expect(lstatSync(dp.devicePath('pve1', 'vm-1', 0)).isSymbolicLink()).toBe(true);
      expect(readFileSync(dp.minorDevicePath('pve1', 1000)).length).toBe(1024 * 1024);
      expect(existsSync(dp.snapshotPath('vm-1', 'snap1', 0))).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('reconcile gives a volume the size its record has after a resize that never committed', async () => {
    const store = await openJournalStore(join(dataDir, 'state'));
    try {
      await store.transaction(() => {
        const vd: Partial<VdRec> = { rdName: 'vm-1', volumeNumber: 0, sizeKib: 1024, minor: 1000 };
        store.put('vds', ['VM-1', '0'], vd);
        const rsc: Partial<RscRec> = { rdName: 'vm-1', nodeName: 'pve1', volumes: [] };
        store.put('resources', ['VM-1', 'PVE1'], rsc);
      });
      dp.createVolume('vm-1', 0, 1024);
      dp.linkDevice('pve1', 'vm-1', 0, 1000);
      const pattern = randomBytes(4096);
      await writeAt(dp.volumePath('vm-1', 0), 0, pattern);
      dp.resizeVolume('vm-1', 0, 4096); // the grow's data step ran, its commit did not

      expect(dp.checkConsistency(store).wrongSizeFiles).toEqual([dp.volumePath('vm-1', 0)]);
      dp.reconcile(store);
      expect(statSync(dp.volumePath('vm-1', 0)).size).toBe(1024 * 1024);
      expect((await readAt(dp.devicePath('pve1', 'vm-1', 0), 0, 4096)).equals(pattern)).toBe(true);
      expect(dp.checkConsistency(store).wrongSizeFiles).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
