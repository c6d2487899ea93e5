/**
 * Live migration's other paths through the installed remotes tree: a migration that fails after
 * premigrate (`failmigrate`: the VM stays on the source with its data, dual-primary was allowed
 * for the migrating pair only and is gone again, nothing is left on the target), the other TMs of
 * a VM's disks called as tm_common.sh `migrate_other` does (argument 6 and the template on stdin),
 * and this driver called by another system TM (argument 6 set: only its own disks, no VM
 * directory, no further calls).
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { b64, type VmDiskFixture, vmXml } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, importImage, MiB, SYSTEM_DS, sha256, sha256Of, useTestbed, writeDevice } from './harness';

const bed = useTestbed();
const TWO_PRIMARIES = 'DrbdOptions/Net/allow-two-primaries';
const NODES = ['pve1', 'pve2', 'pve3'];
const DISK0: VmDiskFixture = {
  diskId: 0,
  source: 'OpenNebula-Image-80',
  imageId: 80,
  sizeMb: 4,
  datastoreId: IMAGE_DS,
};

async function ok(run: Promise<{ code: number; stdout: string; stderr: string }>): Promise<void> {
  const result = await run;
  expect(result, result.stderr).toMatchObject({ code: 0 });
}

/** Where a resource is deployed: `node:diskful|diskless`, sorted. */
async function placement(resource: string): Promise<string[]> {
  const resources = await bed().client.resources.view({ resources: [resource] });
  return resources
    .map((r) => `${r.node_name}:${(r.flags ?? []).includes('DISKLESS') ? 'diskless' : 'diskful'}`)
    .sort();
}

/** Every node pair of the resource whose connection allows two primaries, plus the definition's own value. */
async function dualPrimary(resource: string): Promise<{ pairs: string[]; definition: string | undefined }> {
  const pairs: string[] = [];
  for (const [i, a] of NODES.entries()) {
    for (const b of NODES.slice(i + 1)) {
      const connection = await bed().client.resourceConnections.get(resource, a, b);
      if (connection?.props?.[TWO_PRIMARIES] === 'yes') pairs.push(`${a}-${b}`);
    }
  }
  const definition = await bed().client.resourceDefinitions.get(resource);
  return { pairs, definition: definition.props?.[TWO_PRIMARIES] };
}

/** A VM with one LINSTOR disk (a clone of image 80) deployed on one-host-1, its data written by the guest. */
async function deploy(vmId: number, extraDisks: VmDiskFixture[] = []): Promise<{ rd: string; hash: string }> {
  const b = bed();
  await b.putVm({ id: vmId, disks: [DISK0, ...extraDisks] });
  await ok(
    b.run('tm', 'clone', [
      'one-frontend:OpenNebula-Image-80',
      `one-host-1:${b.sysDir(vmId)}/disk.0`,
      String(vmId),
      String(IMAGE_DS),
    ]),
  );
  const data = randomBytes(1 * MiB);
  await writeDevice(join(b.vmDir('one-host-1', vmId), 'disk.0'), data);
  const rd = `OpenNebula-Image-80-vm${vmId}-disk0`;
  expect((await b.emulator.control.openDevice('pve1', rd, 'rw')).status).toBe(200);
  return { rd, hash: sha256(data) };
}

/** A stand-in for another TM driver's migrate scripts: logs argv and stdin. */
async function otherTm(name: string): Promise<string> {
  const b = bed();
  const dir = join(b.remotes, 'tm', name);
  const log = join(b.dir, `${name}.log`);
  await mkdir(dir, { recursive: true });
  for (const phase of ['premigrate', 'postmigrate', 'failmigrate']) {
    const script = join(dir, phase);
    await writeFile(script, `#!/bin/sh\nprintf '%s %s stdin=%s\\n' "${phase}" "$*" "$(cat)" >> '${log}'\n`);
    await chmod(script, 0o755);
  }
  await writeFile(log, '');
  return log;
}

describe('live migration, other paths', () => {
  it('imports the image the VMs use', async () => {
    await importImage(bed(), 80, 4);
  });

  it('failmigrate: the VM stays on the source with its data, the pair loses dual-primary, the target keeps nothing', async () => {
    const b = bed();
    const vmId = 81;
    const log = await otherTm('faketm');
    const other: VmDiskFixture = {
      diskId: 1,
      source: 'faketm-image-9',
      imageId: 9,
      sizeMb: 1,
      datastoreId: 200,
      tmMad: 'faketm',
      persistent: true,
    };
    const { rd, hash } = await deploy(vmId, [other]);
    const before = await placement(rd);
    const template = b64(vmXml({ id: vmId, disks: [DISK0, other] }));
    const args = ['one-host-1', 'one-host-2', b.sysDir(vmId), String(vmId), String(SYSTEM_DS)];

    await ok(b.run('tm', 'premigrate', args, template));
    // While QEMU hands over: two primaries allowed between source and target only.
    expect(await dualPrimary(rd)).toEqual({ pairs: ['pve1-pve2'], definition: undefined });
    expect(readlinkSync(join(b.vmDir('one-host-2', vmId), 'disk.0'))).toBe(b.device('one-host-2', rd));
    // The target's QEMU opens the disk, then the migration fails and it lets go.
    expect((await b.emulator.control.openDevice('pve2', rd, 'rw')).status).toBe(200);
    expect((await b.emulator.control.closeDevice('pve2', rd)).status).toBe(200);

    await ok(b.run('tm', 'failmigrate', args, template));
    expect(await dualPrimary(rd)).toEqual({ pairs: [], definition: undefined });
    expect(await placement(rd)).toEqual(before);
    expect(existsSync(b.vmDir('one-host-2', vmId))).toBe(false);
    const source = join(b.vmDir('one-host-1', vmId), 'disk.0');
    expect(readlinkSync(source)).toBe(b.device('one-host-1', rd));
    expect(await sha256Of(source, 1 * MiB)).toBe(hash);

    // migrate_other: the other TM was called for both phases with argument 6 and the template.
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toEqual([
      `premigrate ${args.join(' ')} linstor stdin=${template}`,
      `failmigrate ${args.join(' ')} linstor stdin=${template}`,
    ]);
    await b.emulator.control.closeDevice('pve1', rd);
    await ok(b.run('tm', 'delete', [`one-host-1:${b.sysDir(vmId)}/disk.0`, String(vmId), String(IMAGE_DS)]));
    expect(await b.client.resourceDefinitions.getOrUndefined(rd)).toBeUndefined();
  });

  it('called by another system TM (argument 6): migrates only its disks, leaves the directory and calls nobody', async () => {
    const b = bed();
    const vmId = 82;
    const log = await otherTm('faketm');
    const { rd, hash } = await deploy(vmId);
    const before = await placement(rd);
    const template = b64(vmXml({ id: vmId, disks: [DISK0] }));
    const args = ['one-host-1', 'one-host-2', b.sysDir(vmId), String(vmId), String(SYSTEM_DS), 'faketm'];
    // The calling system TM (here: faketm) copies the VM directory itself before it calls us.
    await mkdir(b.vmDir('one-host-2', vmId), { recursive: true });
    await writeFile(join(b.vmDir('one-host-1', vmId), 'deployment.0'), '<domain/>');

    await ok(b.run('tm', 'premigrate', args, template));
    expect(await dualPrimary(rd)).toEqual({ pairs: ['pve1-pve2'], definition: undefined });
    expect(existsSync(join(b.vmDir('one-host-2', vmId), 'deployment.0'))).toBe(false);
    expect((await b.emulator.control.openDevice('pve2', rd, 'rw')).status).toBe(200);
    expect((await b.emulator.control.closeDevice('pve1', rd)).status).toBe(200);

    await ok(b.run('tm', 'postmigrate', args, template));
    expect(await dualPrimary(rd)).toEqual({ pairs: [], definition: undefined });
    const target = join(b.vmDir('one-host-2', vmId), 'disk.0');
    expect(await sha256Of(target, 1 * MiB)).toBe(hash);
    // The source's link is gone but its directory is the calling TM's to remove.
    expect(existsSync(join(b.vmDir('one-host-1', vmId), 'disk.0'))).toBe(false);
    expect(existsSync(join(b.vmDir('one-host-1', vmId), 'deployment.0'))).toBe(true);
    const after = await placement(rd);
    expect(after.filter((p) => p.startsWith('pve1:'))).toEqual(
      before.filter((p) => p.startsWith('pve1:') && p.endsWith(':diskful')),
    );
    expect(readFileSync(log, 'utf8')).toBe('');
    await b.emulator.control.closeDevice('pve2', rd);
  });
});
