/**
 * The OpenNebula part of `linstor-hv demo`: the installed `linstor` remotes tree driven the way
 * oned drives it (argv and the base64 document on stdin), on a sandbox front-end whose hosts
 * one-host-1..3 are the emulated nodes pve1..3: image import, a VM disk clone, a snapshot and a
 * revert, a live migration, an in-place restore from a backup (disk and vTPM state), and the
 * delete, with the data checked by sha256 after each step.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { EmulatorControl } from '@linstor-hv/emulator';
import {
  actionData,
  b64,
  createSandbox,
  installBackupDatastore,
  type OneSandbox,
  sha256Of,
  vmXml,
  writeDevice,
} from '@linstor-hv/opennebula/sandbox';
import { type DemoStep, progressLine } from './demo-steps';
import type { ProgramIo } from './io';

const MiB = 1024 * 1024;
const IMAGE_ID = 7;
const VM_ID = 42;
const NODES = { 'one-host-1': 'pve1', 'one-host-2': 'pve2', 'one-host-3': 'pve3' };
const BACKUP_DS = 102;
const BACKUP_IMAGE = 95;
const run = promisify(execFile);

function randomImage(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  randomBytes(256 * 1024).copy(data, 0);
  return data;
}

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * Runs the OpenNebula steps on a running emulator, prints them and their table; returns the exit
 * code of this part (0 when every step did what it should).
 */
export async function runOpenNebulaDemo(
  io: ProgramIo,
  emulator: { url: string; dataDir: string; control: EmulatorControl },
  formatTable: (steps: readonly DemoStep[]) => string,
): Promise<number> {
  const steps: DemoStep[] = [];
  await io.writeStdout(
    '\nlinstor-hv demo: OpenNebula hosts one-host-1..3 are pve1..3; oned is played by the remotes tree\n',
  );
  const onStep = (s: DemoStep) => {
    steps.push(s);
    void io.writeStdout(progressLine(s));
  };
  const failed = await runSteps(emulator, onStep);
  await io.writeStdout(`\n${formatTable(steps)}\n`);
  await io.writeStdout(
    failed > 0
      ? '\nOpenNebula part FAILED\n'
      : `\nOpenNebula part passed: ${steps.length} steps, nothing left behind\n`,
  );
  return failed > 0 ? 1 : 0;
}

/** The steps; returns how many failed. */
async function runSteps(
  emulator: { url: string; dataDir: string; control: EmulatorControl },
  onStep: (step: DemoStep) => void,
): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url));
  const sandbox = await createSandbox(
    { emulator, bundle: process.argv[1] ?? join(here, 'linstor-hv.mjs'), nodes: NODES },
    resolve(here, '..', '..', '..', 'packages', 'opennebula', 'remotes'),
  );
  let failed = 0;
  const step = async (name: string, work: (s: OneSandbox) => Promise<string>) => {
    await emulator.control.clearRequests();
    const started = Date.now();
    let result: string;
    let ok = true;
    try {
      result = await work(sandbox);
    } catch (error) {
      ok = false;
      failed++;
      result = error instanceof Error ? error.message : String(error);
    }
    const counts = await emulator.control.requestCounts();
    const rest = Object.values(counts).reduce((a, b) => a + b, 0);
    onStep({ step: `OpenNebula: ${name}`, result, ok, ms: Date.now() - started, rest });
    return ok;
  };
  const expectOk = async (run: Promise<{ code: number; stdout: string; stderr: string }>) => {
    const result = await run;
    if (result.code !== 0) throw new Error(result.stderr.trim().split('\n').at(-1) ?? `exit ${result.code}`);
    return result.stdout;
  };
  const sys = sandbox.sysDir(VM_ID);
  const disk0 = (host: string) => join(sandbox.vmDir(host, VM_ID), 'disk.0');
  const rd = `OpenNebula-Image-${IMAGE_ID}-vm${VM_ID}-disk0`;
  const image = randomImage(8 * MiB);
  const snapshotData = randomImage(8 * MiB);
  const disks = [
    { diskId: 0, source: `OpenNebula-Image-${IMAGE_ID}`, imageId: IMAGE_ID, sizeMb: 8, datastoreId: 100 },
  ];
  try {
    await sandbox.putDatastore(sandbox.imageDs());
    await sandbox.putDatastore(sandbox.systemDs());
    await sandbox.putVm({ id: VM_ID, disks });
    const imageFile = join(sandbox.dir, 'staging', 'image.raw');
    await writeFile(imageFile, image);

    (await step('image import (ds cp)', async (s) => {
      const stdout = await expectOk(
        s.runDs(
          'cp',
          actionData({
            image: { id: IMAGE_ID, path: imageFile, sizeMb: 8, datastoreId: 100 },
            datastore: s.imageDs(),
          }),
          IMAGE_ID,
        ),
      );
      return `printed '${stdout}'`;
    })) &&
      (await step('VM disk clone (tm clone)', async (s) => {
        await expectOk(
          s.run('tm', 'clone', [
            `one-frontend:OpenNebula-Image-${IMAGE_ID}`,
            `one-host-1:${sys}/disk.0`,
            String(VM_ID),
            '100',
          ]),
        );
        if ((await sha256Of(disk0('one-host-1'), 8 * MiB)) !== digest(image))
          throw new Error('the clone does not hold the image');
        return `${rd} on one-host-1, sha256 = image`;
      })) &&
      (await step('disk snapshot and revert (tm snap_create, snap_revert)', async (s) => {
        await writeDevice(disk0('one-host-1'), snapshotData);
        await expectOk(s.run('tm', 'snap_create', [`one-host-1:${sys}/disk.0`, '0', String(VM_ID), '100']));
        await writeDevice(disk0('one-host-1'), randomImage(8 * MiB));
        await expectOk(s.run('tm', 'snap_revert', [`one-host-1:${sys}/disk.0`, '0', String(VM_ID), '100']));
        if ((await sha256Of(disk0('one-host-1'), 8 * MiB)) !== digest(snapshotData))
          throw new Error('the revert did not restore the snapshot');
        return 'OpenNebula-Snap-0 taken, disk overwritten, reverted: sha256 = snapshot';
      })) &&
      (await step('live migration one-host-1 → one-host-2 (tm premigrate, postmigrate)', async (s) => {
        const template = b64(vmXml({ id: VM_ID, disks }));
        const args = ['one-host-1', 'one-host-2', sys, String(VM_ID), '101'];
        await emulator.control.openDevice('pve1', rd, 'rw');
        await expectOk(s.run('tm', 'premigrate', args, template));
        const second = await emulator.control.openDevice('pve2', rd, 'rw');
        if (second.status !== 200)
          throw new Error(
            `the target could not open the disk while the source had it: ${JSON.stringify(second.body)}`,
          );
        await emulator.control.closeDevice('pve1', rd);
        await expectOk(s.run('tm', 'postmigrate', args, template));
        await emulator.control.closeDevice('pve2', rd);
        if ((await sha256Of(disk0('one-host-2'), 8 * MiB)) !== digest(snapshotData))
          throw new Error('the data differs after the migration');
        return 'both open during the handover (dual-primary for the pair only), sha256 unchanged';
      })) &&
      (await step('backup restore, disk and vTPM (tm restore)', async (s) => {
        const backup = await installBackupDatastore(s, {
          dsId: BACKUP_DS,
          imageId: BACKUP_IMAGE,
          vmId: VM_ID,
        });
        // The backup holds the disk as it is now and a vTPM state (tar zcf disk.tpm.0 -C <vmdir> tpm).
        const backupData = (await readFile(disk0('one-host-2'))).subarray(0, 8 * MiB);
        await writeFile(join(backup.dir, 'disk.0.0'), backupData);
        const tpmState = randomBytes(4096);
        await mkdir(join(backup.dir, 'saved', 'tpm'), { recursive: true });
        await writeFile(join(backup.dir, 'saved', 'tpm', 'tpm2-00.permall'), tpmState);
        await run('tar', ['zcf', join(backup.dir, 'disk.tpm.0'), '-C', join(backup.dir, 'saved'), 'tpm']);
        await backup.setListing({ 0: backup.url('disk.0.0'), tpm: backup.url('disk.tpm.0') });
        // The guest writes after the backup, then the VM is powered off and restored.
        await writeDevice(disk0('one-host-2'), randomImage(8 * MiB));
        await expectOk(
          s.run('tm', 'restore', [`one-host-2:${sys}`, String(VM_ID), String(BACKUP_IMAGE), '0', '-1']),
        );
        if ((await sha256Of(disk0('one-host-2'), 8 * MiB)) !== digest(backupData))
          throw new Error('the disk does not hold the backup');
        const restoredTpm = await readFile(join(s.vmDir('one-host-2', VM_ID), 'tpm', 'tpm2-00.permall'));
        if (digest(restoredTpm) !== digest(tpmState)) throw new Error("the vTPM state is not the backup's");
        return 'disk overwritten after the backup, restored in place: sha256 = backup, vTPM state = backup';
      })) &&
      (await step('delete (tm delete, ds rm)', async (s) => {
        await expectOk(s.run('tm', 'delete', [`one-host-2:${sys}/disk.0`, String(VM_ID), '100']));
        await expectOk(s.run('tm', 'delete', [`one-host-2:${sys}`, String(VM_ID), '101']));
        const rm = actionData({
          image: { id: IMAGE_ID, source: `OpenNebula-Image-${IMAGE_ID}`, sizeMb: 8, datastoreId: 100 },
          datastore: s.imageDs(),
        });
        await expectOk(s.runDs('rm', rm, IMAGE_ID));
        return `${rd} and OpenNebula-Image-${IMAGE_ID} deleted`;
      }));
  } finally {
    await sandbox.remove();
  }
  return failed;
}
