/**
 * `tm restore` (6.10+) through the installed remotes tree, as OpenNebula's own TMs run it: the
 * backup datastore's `ls -i <increment>` (documents on stdin, JSON on stdout) and downloader.sh
 * stand-ins in the remotes tree, a qcow2 and a raw backup disk, checked at the data level: every
 * disk restored, one disk restored, and a failed download rolling back what was already written.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmDiskFixture } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, importImage, MiB, SYSTEM_DS, sha256, sha256Of, useTestbed, writeDevice } from './harness';

const bed = useTestbed();
const VM = 91;
const BACKUP_DS = 102;
const BACKUP_IMAGE = 95;
const DISKS: VmDiskFixture[] = [
  { diskId: 0, source: 'OpenNebula-Image-90', imageId: 90, sizeMb: 4, datastoreId: IMAGE_DS },
  { diskId: 1, sizeMb: 4, datastoreId: SYSTEM_DS },
];
const RDS = [`OpenNebula-Image-90-vm${VM}-disk0`, `OpenNebula-Volatile-vm${VM}-disk1`];

async function ok(run: Promise<{ code: number; stdout: string; stderr: string }>): Promise<void> {
  const result = await run;
  expect(result, result.stderr).toMatchObject({ code: 0, stdout: '' });
}

const disk = (n: number) => join(bed().vmDir('one-host-1', VM), `disk.${n}`);
const hashes = async () => [await sha256Of(disk(0), 4 * MiB), await sha256Of(disk(1), 4 * MiB)];

/** Fills both disks with new data (the guest writing after the backup); returns their hashes. */
async function writeDisks(): Promise<string[]> {
  const data = [randomBytes(4 * MiB), randomBytes(4 * MiB)];
  await writeDevice(disk(0), data[0]!);
  await writeDevice(disk(1), data[1]!);
  return data.map(sha256);
}

/** What the backup datastore's `ls` prints next (disk id → URL). */
async function listing(disks: Record<string, string>): Promise<void> {
  await writeFile(join(bed().dir, 'backup', 'listing.json'), JSON.stringify(disks));
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

    // The backup datastore: its driver's ls and OpenNebula's downloader.sh, as stand-ins that log.
    await b.putXml(
      'datastore',
      BACKUP_DS,
      `<DATASTORE><ID>${BACKUP_DS}</ID><NAME>backups</NAME><DS_MAD><![CDATA[fakebk]]></DS_MAD><TM_MAD><![CDATA[-]]></TM_MAD><BASE_PATH><![CDATA[/var/lib/one//datastores/${BACKUP_DS}]]></BASE_PATH><TYPE>3</TYPE><TEMPLATE><DS_MAD><![CDATA[fakebk]]></DS_MAD><TYPE><![CDATA[BACKUP_DS]]></TYPE></TEMPLATE></DATASTORE>`,
    );
    await b.putXml(
      'image',
      BACKUP_IMAGE,
      `<IMAGE><ID>${BACKUP_IMAGE}</ID><NAME>vm${VM}-backup</NAME><TYPE>6</TYPE><FORMAT><![CDATA[raw]]></FORMAT><DATASTORE_ID>${BACKUP_DS}</DATASTORE_ID><DATASTORE>backups</DATASTORE><SOURCE><![CDATA[3ffce7]]></SOURCE></IMAGE>`,
    );
    await mkdir(join(b.remotes, 'datastore', 'fakebk'), { recursive: true });
    const ls = join(b.remotes, 'datastore', 'fakebk', 'ls');
    await writeFile(
      ls,
      `#!/bin/sh\necho "$*" > '${dir}/ls.args'\ncat > '${dir}/ls.stdin'\ncat '${dir}/listing.json'\n`,
    );
    const downloader = join(b.remotes, 'datastore', 'downloader.sh');
    await writeFile(
      downloader,
      `#!/bin/sh\n[ "$1" = --nodecomp ] && [ "$3" = - ] || { echo "unexpected: $*" >&2; exit 2; }\necho "$2" >> '${dir}/downloads'\nexec cat "\${2#rsync://${BACKUP_DS}//0:3ffce7}"\n`,
    );
    await chmod(ls, 0o755);
    await chmod(downloader, 0o755);
  });

  it('restores every disk of the backup in place and leaves no snapshot behind', async () => {
    const b = bed();
    expect(await writeDisks()).not.toEqual(backup);
    await listing({ 0: url('disk.0.0'), 1: url('disk.1.0'), tpm: url('disk.tpm.0') });
    const result = await restore('0', '-1');
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: '' });
    expect(await hashes()).toEqual(backup);
    expect(result.stderr).toContain('writing the qcow2 image');
    expect(await restoreSnapshots()).toEqual([]);
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
    // The vTPM state is not a disk: not downloaded.
    expect((await readFile(join(dir, 'downloads'), 'utf8')).trim().split('\n')).toEqual([
      url('disk.0.0'),
      url('disk.1.0'),
    ]);
  });

  it('restores only the disk asked for', async () => {
    const now = await writeDisks();
    await listing({ 0: url('disk.0.0'), 1: url('disk.1.0') });
    await ok(restore('-1', '1'));
    expect(await hashes()).toEqual([now[0], backup[1]]);
    expect(await restoreSnapshots()).toEqual([]);
  });

  it('rolls every disk back when one cannot be read, and says which', async () => {
    const now = await writeDisks();
    await listing({ 0: url('disk.0.0'), 1: url('missing.1.0') });
    const result = await restore('0', '-1');
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^linstor tm restore: .*missing\.1\.0/);
    expect(await hashes()).toEqual(now);
    expect(await restoreSnapshots()).toEqual([]);
  });

  it('refuses a listing that is not a disk map, before touching any disk', async () => {
    const now = await hashes();
    await listing({ '0; rm -rf /': url('disk.0.0') });
    const result = await restore('0', '-1');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('not a disk URL');
    expect(await hashes()).toEqual(now);
    expect(await restoreSnapshots()).toEqual([]);
  });
});
