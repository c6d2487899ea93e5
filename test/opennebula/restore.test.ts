/**
 * `tm restore` (6.10+) through the installed remotes tree, as OpenNebula's own TMs run it: the
 * backup datastore's `ls -i <increment>` (documents on stdin, JSON on stdout) and downloader.sh
 * stand-ins in the remotes tree, a qcow2 and two raw backup disks (one on a thick LVM group, which
 * takes no snapshots) and a vTPM archive, checked at the data level: every disk and the vTPM state
 * restored, one disk restored (the vTPM state only with disk 0), and a failed download or a bad
 * vTPM archive leaving every disk and the vTPM state as they were.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  installBackupDatastore,
  type SandboxBackup,
  type VmDiskFixture,
} from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, importImage, MiB, SYSTEM_DS, sha256, sha256Of, useTestbed, writeDevice } from './harness';

const bed = useTestbed();
const VM = 91;
const BACKUP_DS = 102;
const BACKUP_IMAGE = 95;
/** A system datastore on the thick LVM group (no snapshots). */
const THICK_DS = 103;
const DISKS: VmDiskFixture[] = [
  { diskId: 0, source: 'OpenNebula-Image-90', imageId: 90, sizeMb: 4, datastoreId: IMAGE_DS },
  { diskId: 1, sizeMb: 4, datastoreId: SYSTEM_DS },
  { diskId: 2, sizeMb: 4, datastoreId: THICK_DS },
];
const RDS = [
  `OpenNebula-Image-90-vm${VM}-disk0`,
  `OpenNebula-Volatile-vm${VM}-disk1`,
  `OpenNebula-Volatile-vm${VM}-disk2`,
];

async function ok(run: Promise<{ code: number; stdout: string; stderr: string }>): Promise<void> {
  const result = await run;
  expect(result, result.stderr).toMatchObject({ code: 0, stdout: '' });
}

const disk = (n: number) => join(bed().vmDir('one-host-1', VM), `disk.${n}`);
const hashes = async () => Promise.all(DISKS.map((d) => sha256Of(disk(d.diskId), 4 * MiB)));
const tpmState = () => join(bed().vmDir('one-host-1', VM), 'tpm', 'tpm2-00.permall');

/** Fills every disk and the vTPM state with new data (the guest running after the backup); returns their hashes. */
async function writeDisks(): Promise<string[]> {
  const data = DISKS.map(() => randomBytes(4 * MiB));
  for (const [i, d] of DISKS.entries()) await writeDevice(disk(d.diskId), data[i]!);
  await writeTpm(randomBytes(4096));
  return data.map(sha256);
}

async function writeTpm(state: Buffer): Promise<void> {
  await rm(join(bed().vmDir('one-host-1', VM), 'tpm'), { recursive: true, force: true });
  await mkdir(join(bed().vmDir('one-host-1', VM), 'tpm'), { recursive: true });
  await writeFile(tpmState(), state);
}

const tpmHash = async () => sha256(await readFile(tpmState()));

/** Linstor-hv's restore leftovers: safety snapshots, staging volumes, the vTPM download. */
async function leftovers(): Promise<string[]> {
  const staging = (await bed().client.resourceDefinitions.list())
    .map((rd) => rd.name ?? '')
    .filter((name) => /restore/i.test(name));
  const files = (await readdir(bed().vmDir('one-host-1', VM))).filter((f) => f.endsWith('.backup'));
  return [...(await restoreSnapshots()), ...staging, ...files];
}

let backupDs: SandboxBackup | undefined;

/** What the backup datastore's `ls` prints next (disk id → URL). */
async function listing(disks: Record<string, string>): Promise<void> {
  await backupDs!.setListing(disks);
}

/** `tm restore` of the backup image, as oned writes the line. */
function restore(incrementId: string, diskId: string) {
  const b = bed();
  return b.run('tm', 'restore', [
    `one-host-1:${b.sysDir(VM)}`,
    String(VM),
    String(BACKUP_IMAGE),
    incrementId,
    diskId,
  ]);
}

const url = (file: string) => `rsync://${BACKUP_DS}//0:3ffce7${join(bed().dir, 'backup', file)}`;

async function restoreSnapshots(): Promise<string[]> {
  const names: string[] = [];
  for (const rd of RDS) names.push(...(await bed().client.snapshots.list(rd)).map((s) => `${rd}/${s.name}`));
  return names;
}

let backupTpm = '';

describe('tm restore', () => {
  const backup: string[] = [];

  it('deploys a VM and keeps a backup of its disks (disk 0 as qcow2, disk 1 raw)', async () => {
    const b = bed();
    await importImage(b, 90, 4);
    await b.putVm({ id: VM, disks: DISKS });
    const sys = b.sysDir(VM);
    await ok(
      b.run('tm', 'clone', [
        'one-frontend:OpenNebula-Image-90',
        `one-host-1:${sys}/disk.0`,
        String(VM),
        String(IMAGE_DS),
      ]),
    );
    await ok(b.run('tm', 'mkimage', ['4', 'raw', `one-host-1:${sys}/disk.1`, String(VM), String(SYSTEM_DS)]));
    await b.putDatastore(b.systemDs({ id: THICK_DS, resourceGroup: 'linstor-hv-thick' }));
    await ok(b.run('tm', 'mkimage', ['4', 'raw', `one-host-1:${sys}/disk.2`, String(VM), String(THICK_DS)]));
    const thick = await b.client.resources.view({ resources: [RDS[2]!] });
    expect(thick.some((r) => r.volumes?.[0]?.provider_kind === 'LVM')).toBe(true);

    // The backup: what the disks hold now, disk 0 stored as qcow2 as OpenNebula's backups are.
    const dir = join(b.dir, 'backup');
    await mkdir(dir, { recursive: true });
    backup.push(...(await writeDisks()));
    await writeFile(join(dir, 'disk.0.raw'), await readFile(disk(0)).then((d) => d.subarray(0, 4 * MiB)));
    execFileSync('qemu-img', [
      'convert',
      '-f',
      'raw',
      '-O',
      'qcow2',
      join(dir, 'disk.0.raw'),
      join(dir, 'disk.0.0'),
    ]);
    await writeFile(join(dir, 'disk.1.0'), await readFile(disk(1)).then((d) => d.subarray(0, 4 * MiB)));
    await writeFile(join(dir, 'disk.2.0'), await readFile(disk(2)).then((d) => d.subarray(0, 4 * MiB)));
    // The vTPM state as OpenNebula's prebackup saves it: tar zcf disk.tpm.0 -C <vmdir> tpm.
    backupTpm = await tpmHash();
    execFileSync('tar', ['zcf', join(dir, 'disk.tpm.0'), '-C', b.vmDir('one-host-1', VM), 'tpm']);
    // A vTPM archive that would also write beside the VM's tpm directory.
    await mkdir(join(dir, 'evil', 'tpm'), { recursive: true });
    await mkdir(join(dir, 'evil', 'other'), { recursive: true });
    await writeFile(join(dir, 'evil', 'tpm', 'x'), 'x');
    await writeFile(join(dir, 'evil', 'other', 'y'), 'y');
    execFileSync('tar', ['zcf', join(dir, 'evil.tpm.0'), '-C', join(dir, 'evil'), 'tpm', 'other']);

    // The backup datastore: its driver's ls and OpenNebula's downloader.sh, as stand-ins that log.
    backupDs = await installBackupDatastore(b, { dsId: BACKUP_DS, imageId: BACKUP_IMAGE, vmId: VM });
  });

  it('restores every disk (the thick one staged first) and the vTPM state in place, and leaves nothing behind', async () => {
    const b = bed();
    expect(await writeDisks()).not.toEqual(backup);
    expect(await tpmHash()).not.toBe(backupTpm);
    await listing({
      0: url('disk.0.0'),
      1: url('disk.1.0'),
      2: url('disk.2.0'),
      tpm: url('disk.tpm.0'),
    });
    const result = await restore('0', '-1');
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: '' });
    expect(await hashes()).toEqual(backup);
    expect(await tpmHash()).toBe(backupTpm);
    expect(result.stderr).toContain('writing the qcow2 image');
    expect(result.stderr).toContain('disk 2 (OpenNebula-Volatile-vm91-disk2) is on pools without snapshots');
    expect(await leftovers()).toEqual([]);
    // The backup driver got what OpenNebula's TMs hand it: the increment and the three documents.
    const dir = join(b.dir, 'backup');
    expect((await readFile(join(dir, 'ls.args'), 'utf8')).trim()).toBe('-i 0');
    const stdin = await readFile(join(dir, 'ls.stdin'), 'utf8');
    expect(stdin).toMatch(
      new RegExp(
        `^<DS_DRIVER_ACTION_DATA><DATASTORE><ID>${BACKUP_DS}</ID>.*<VM><ID>${VM}</ID>.*<IMAGE><ID>${BACKUP_IMAGE}</ID>.*</DS_DRIVER_ACTION_DATA>$`,
        's',
      ),
    );
    // The thick disk's backup was read once (into its staging volume), the vTPM archive once.
    expect((await readFile(join(dir, 'downloads'), 'utf8')).trim().split('\n')).toEqual([
      url('disk.2.0'),
      url('disk.tpm.0'),
      url('disk.0.0'),
      url('disk.1.0'),
    ]);
  });

  it('restores only the disk asked for, and the vTPM state only with disk 0', async () => {
    const now = await writeDisks();
    const tpmNow = await tpmHash();
    await listing({ 0: url('disk.0.0'), 1: url('disk.1.0'), 2: url('disk.2.0'), tpm: url('disk.tpm.0') });
    await ok(restore('-1', '1'));
    expect(await hashes()).toEqual([now[0], backup[1], now[2]]);
    expect(await tpmHash()).toBe(tpmNow);
    await ok(restore('-1', '2'));
    expect(await hashes()).toEqual([now[0], backup[1], backup[2]]);
    expect(await tpmHash()).toBe(tpmNow);
    await ok(restore('-1', '0'));
    expect(await hashes()).toEqual(backup);
    expect(await tpmHash()).toBe(backupTpm);
    expect(await leftovers()).toEqual([]);
  });

  it('leaves every disk and the vTPM state as they were when a disk cannot be read, and says which', async () => {
    for (const missing of [1, 2]) {
      const now = await writeDisks();
      const tpmNow = await tpmHash();
      const disks: Record<string, string> = {
        0: url('disk.0.0'),
        1: url('disk.1.0'),
        2: url('disk.2.0'),
        tpm: url('disk.tpm.0'),
      };
      disks[missing] = url(`missing.${missing}.0`);
      await listing(disks);
      const result = await restore('0', '-1');
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(
        new RegExp(`^linstor tm restore: .*missing\\.${missing}\\.0`),
      );
      expect(await hashes()).toEqual(now);
      expect(await tpmHash()).toBe(tpmNow);
      expect(await leftovers()).toEqual([]);
    }
  });

  it('refuses a vTPM archive with anything but the tpm directory, before touching any disk', async () => {
    const now = await writeDisks();
    const tpmNow = await tpmHash();
    await listing({ 0: url('disk.0.0'), 1: url('disk.1.0'), 2: url('disk.2.0'), tpm: url('evil.tpm.0') });
    const result = await restore('0', '-1');
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^linstor tm restore: The backup's vTPM state holds 'other\/?', not the VM's tpm directory\./,
    );
    expect(await hashes()).toEqual(now);
    expect(await tpmHash()).toBe(tpmNow);
    expect(await leftovers()).toEqual([]);
  });

  it('refuses a listing that is not a disk map, before touching any disk', async () => {
    const now = await hashes();
    await listing({ '0; rm -rf /': url('disk.0.0') });
    const result = await restore('0', '-1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not a disk URL');
    expect(await hashes()).toEqual(now);
    expect(await leftovers()).toEqual([]);
  });
});
