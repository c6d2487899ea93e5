/**
 * A VM's life on LINSTOR through the installed remotes tree, checked at the data level (sha256):
 * image import → VM disk clone, volatile disk, context ISO → snapshots → revert to an older
 * snapshot → live migration → resize → save-as from a snapshot (cpds) → persistent disk released
 * (mvds) → delete; plus stop/resume without copying to the front-end and the monitor payload.
 */

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { actionData, b64, type VmDiskFixture, vmXml } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, MiB, SYSTEM_DS, sha256, sha256Of, useTestbed, writeDevice } from './harness';

const bed = useTestbed();
const VM = 50;

function pattern(bytes: number): Buffer {
  const data = Buffer.alloc(bytes);
  randomBytes(128 * 1024).copy(data, 0);
  randomBytes(64 * 1024).copy(data, bytes / 2);
  return data;
}

const disks: VmDiskFixture[] = [
  { diskId: 0, source: 'OpenNebula-Image-40', imageId: 40, sizeMb: 4, datastoreId: IMAGE_DS },
  { diskId: 1, sizeMb: 8, datastoreId: SYSTEM_DS, fs: 'ext4', type: 'fs' },
  {
    diskId: 3,
    source: 'OpenNebula-Image-42',
    imageId: 42,
    persistent: true,
    sizeMb: 2,
    datastoreId: IMAGE_DS,
  },
];

async function ok(
  run: Promise<{ code: number; stdout: string; stderr: string }>,
  stdout = '',
): Promise<void> {
  const result = await run;
  expect(result, result.stderr).toMatchObject({ code: 0, stdout });
}

describe('a VM lifecycle', () => {
  const hashes: Record<string, string> = {};

  it('imports images and deploys the VM on one-host-1', async () => {
    const b = bed();
    await b.putDatastore(b.imageDs());
    await b.putDatastore(b.systemDs());
    const base = pattern(4 * MiB);
    hashes.base = sha256(base);
    await writeFile(join(b.dir, 'staging', 'base.img'), base);
    await writeFile(join(b.dir, 'staging', 'persistent.img'), pattern(2 * MiB));
    await ok(
      b.runDs(
        'cp',
        actionData({
          image: { id: 40, path: join(b.dir, 'staging', 'base.img'), sizeMb: 4, datastoreId: IMAGE_DS },
          datastore: b.imageDs(),
        }),
        40,
      ),
      'OpenNebula-Image-40 raw',
    );
    await ok(
      b.runDs(
        'cp',
        actionData({
          image: {
            id: 42,
            path: join(b.dir, 'staging', 'persistent.img'),
            sizeMb: 2,
            datastoreId: IMAGE_DS,
            persistent: true,
          },
          datastore: b.imageDs(),
        }),
        42,
      ),
      'OpenNebula-Image-42 raw',
    );
    await b.putVm({ id: VM, disks });
    const dir = b.vmDir('one-host-1', VM);
    const sys = b.sysDir(VM);
    await ok(
      b.run('tm', 'clone', [
        'one-frontend:OpenNebula-Image-40',
        `one-host-1:${sys}/disk.0`,
        String(VM),
        String(IMAGE_DS),
      ]),
    );
    await ok(b.run('tm', 'mkimage', ['8', 'raw', `one-host-1:${sys}/disk.1`, String(VM), String(SYSTEM_DS)]));
    await ok(
      b.run('tm', 'ln', [
        'one-frontend:OpenNebula-Image-42',
        `one-host-1:${sys}/disk.3`,
        String(VM),
        String(IMAGE_DS),
      ]),
    );
    const contextFile = join(b.dir, 'staging', 'context.sh');
    await writeFile(contextFile, "ETH0_IP='10.0.0.50'\n");
    await ok(
      b.run('tm', 'context', [contextFile, `one-host-1:${sys}/disk.2`, String(VM), String(SYSTEM_DS)]),
    );

    expect(await sha256Of(join(dir, 'disk.0'), 4 * MiB)).toBe(hashes.base);
    // The volatile disk has the ext4 filesystem its FS asked for (superblock magic 0xEF53 at 1080).
    const superblock = readFileSync(join(dir, 'disk.1')).subarray(1080, 1082);
    expect(superblock.readUInt16LE(0)).toBe(0xef53);
    expect(readlinkSync(join(dir, 'disk.1'))).toBe(
      b.device('one-host-1', `OpenNebula-Volatile-vm${VM}-disk1`),
    );
    const volatile = await b.client.resourceDefinitions.get(`OpenNebula-Volatile-vm${VM}-disk1`);
    expect(volatile.props).toMatchObject({
      'Aux/one/VM_ID': String(VM),
      'Aux/one/DISK_ID': '1',
      'Aux/one/DS_ID': String(SYSTEM_DS),
    });
    // The context ISO is a plain file holding context.sh.
    expect(readFileSync(join(dir, 'disk.2')).includes(Buffer.from("ETH0_IP='10.0.0.50'"))).toBe(true);
  });

  it('takes snapshots (one live, with the guest frozen) and reverts to the older one', async () => {
    const b = bed();
    const disk0 = join(b.vmDir('one-host-1', VM), 'disk.0');
    const arg = `one-host-1:${b.sysDir(VM)}/disk.0`;
    const first = pattern(4 * MiB);
    const second = pattern(4 * MiB);
    hashes.first = sha256(first);
    hashes.second = sha256(second);
    await writeDevice(disk0, first);
    await b.emulator.control.clearRequests();
    await ok(b.run('tm', 'snap_create', [arg, '0', String(VM), String(IMAGE_DS)]));
    // The snapshot and its read, then the size record: one read and one change of the definition.
    expect(await b.emulator.control.requestCounts()).toEqual({
      'POST /v1/resource-definitions/{rd}/snapshots': 1,
      'GET /v1/resource-definitions/{rd}/snapshots/{snap}': 1,
      'GET /v1/resource-definitions': 1,
      'PUT /v1/resource-definitions/{rd}': 1,
    });
    await writeDevice(disk0, second);
    await ok(b.run('tm', 'snap_create_live', [arg, '1', String(VM), String(IMAGE_DS)]));
    expect(await b.virshLog()).toEqual([
      `-c qemu:///system domfsfreeze one-${VM}`,
      `-c qemu:///system domfsthaw one-${VM}`,
    ]);
    await writeDevice(disk0, pattern(4 * MiB));
    // Snapshot 0 is not the newest: LINSTOR cannot roll back to it, the driver restores and copies.
    await ok(b.run('tm', 'snap_revert', [arg, '0', String(VM), String(IMAGE_DS)]));
    expect(await sha256Of(disk0, 4 * MiB)).toBe(hashes.first);
    const snapshots = await b.client.snapshots.list(`OpenNebula-Image-40-vm${VM}-disk0`);
    expect(snapshots.map((s) => s.name).sort()).toEqual(['OpenNebula-Snap-0', 'OpenNebula-Snap-1']);
  });

  /** Runs tm monitor with MONITOR_VM_DISKS=1 against a monitord.conf; returns stdout and the datagram. */
  async function monitorOnce(pubkey = ''): Promise<{ stdout: string; datagram: string }> {
    const b = bed();
    const server = createSocket('udp4');
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    const received = new Promise<string>((resolve) =>
      server.once('message', (m) => resolve(m.toString('utf8'))),
    );
    await writeFile(
      join(b.dir, 'monitord.conf'),
      `NETWORK = [\n  ADDRESS = "0.0.0.0",\n  MONITOR_ADDRESS = "auto",\n  PORT = ${server.address().port},\n  THREADS = 8,\n  PUBKEY = "${pubkey}",\n  PRIKEY = ""\n]\n`,
    );
    try {
      const document = actionData({
        datastore: b.systemDs(),
        extra:
          '<DATASTORE_LOCATION>/var/lib/one//datastores</DATASTORE_LOCATION><MONITOR_VM_DISKS>1</MONITOR_VM_DISKS>',
      });
      const result = await b.run('tm', 'monitor', [String(SYSTEM_DS)], b64(document));
      expect(result.code, result.stderr).toBe(0);
      return { stdout: result.stdout, datagram: await received };
    } finally {
      server.close();
    }
  }

  /** The decoded MONITOR template of this VM in a VM=[…] payload. */
  function vmMonitor(text: string): string {
    const vm = new RegExp(`VM=\\[ID=${VM},MONITOR="([A-Za-z0-9+/=]+)"\\]`).exec(text);
    expect(vm, text).not.toBeNull();
    return Buffer.from(vm![1]!, 'base64').toString('utf8');
  }

  /** The SNAPSHOT_SIZE lines of a MONITOR template, sorted. */
  const snapshotLines = (monitor: string) =>
    monitor
      .split('\n')
      .filter((l) => l.startsWith('SNAPSHOT_SIZE='))
      .sort();

  /**
   * The VM=[…] payload's lines for this VM, as monitord merges them: each disk's allocated size and
   * both snapshots of disk 0 at the 4 MiB the disk had when they were taken (recorded by snap_create).
   */
  function checkVmPayload(text: string): void {
    const monitor = vmMonitor(text);
    expect(monitor).toMatch(/^DISK_SIZE=\[ID=0,SIZE=[1-4]\]$/m);
    expect(monitor).toMatch(/^DISK_SIZE=\[ID=1,SIZE=\d+\]$/m);
    expect(snapshotLines(monitor)).toEqual([
      'SNAPSHOT_SIZE=[ID=0,DISK_ID=0,SIZE=4]',
      'SNAPSHOT_SIZE=[ID=1,DISK_ID=0,SIZE=4]',
    ]);
  }

  it('sends the VM disk sizes to monitord and prints the capacity', async () => {
    const { stdout, datagram } = await monitorOnce();
    const capacity = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    expect(Object.keys(capacity).sort()).toEqual(['FREE_MB', 'TOTAL_MB', 'USED_MB']);
    // Three 100 GiB thin pools, two replicas: 150 GiB.
    expect(Number(capacity.TOTAL_MB)).toBe(150 * 1024);
    expect(Number(capacity.USED_MB)).toBe(Number(capacity.TOTAL_MB) - Number(capacity.FREE_MB));
    const [type, status, oid, ts, payload] = datagram.trim().split(' ');
    expect([type, status, oid, ts]).toEqual(['MONITOR_VM', 'SUCCESS', '-1', '0']);
    checkVmPayload(inflateSync(Buffer.from(payload!, 'base64')).toString('utf8'));
  });

  it("encrypts the payload with monitord's PUBKEY, block by block as monitord decrypts it", async () => {
    const b = bed();
    // 512 bits: 64-byte blocks, so this payload needs several, as a cluster's would with 2048.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
    const pubkey = join(b.dir, 'monitord-pub.pem');
    const prikey = join(b.dir, 'monitord-pri.pem');
    await writeFile(pubkey, publicKey.export({ type: 'pkcs1', format: 'pem' }));
    await writeFile(prikey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const { datagram } = await monitorOnce(pubkey);
    const [type, status, , , payload] = datagram.trim().split(' ');
    expect([type, status]).toEqual(['MONITOR_VM', 'SUCCESS']);
    const encrypted = inflateSync(Buffer.from(payload!, 'base64'));
    expect(encrypted.length % 64).toBe(0);
    expect(encrypted.length / 64).toBeGreaterThan(1);
    expect(encrypted.toString('latin1')).not.toContain('DISK_SIZE');
    // What ssl_util::rsa_private_decrypt does: each key-sized block decrypted (PKCS#1 v1.5), joined.
    const plain: Buffer[] = [];
    for (let offset = 0; offset < encrypted.length; offset += 64) {
      plain.push(
        execFileSync(
          'openssl',
          ['pkeyutl', '-decrypt', '-inkey', prikey, '-pkeyopt', 'rsa_padding_mode:pkcs1'],
          {
            input: encrypted.subarray(offset, offset + 64),
          },
        ),
      );
    }
    const text = Buffer.concat(plain).toString('utf8');
    expect(text.endsWith('"]\n')).toBe(true);
    checkVmPayload(text);
  });

  it('migrates live to one-host-2 with dual-primary only during the handover', async () => {
    const b = bed();
    const dir1 = b.vmDir('one-host-1', VM);
    const dir2 = b.vmDir('one-host-2', VM);
    const rd = `OpenNebula-Image-40-vm${VM}-disk0`;
    const control = b.emulator.control;
    for (const name of [rd, `OpenNebula-Volatile-vm${VM}-disk1`, 'OpenNebula-Image-42']) {
      expect((await control.openDevice('pve1', name, 'rw')).status).toBe(200);
    }
    const template = b64(vmXml({ id: VM, disks }));
    const args = ['one-host-1', 'one-host-2', b.sysDir(VM), String(VM), String(SYSTEM_DS)];
    await ok(b.run('tm', 'premigrate', args, template));
    // QEMU on the target opens the disks while the source still has them open, then the source lets go.
    for (const name of [rd, `OpenNebula-Volatile-vm${VM}-disk1`, 'OpenNebula-Image-42']) {
      expect((await control.openDevice('pve2', name, 'rw')).status).toBe(200);
      expect((await control.closeDevice('pve1', name)).status).toBe(200);
    }
    await ok(b.run('tm', 'postmigrate', args, template));
    expect(await sha256Of(join(dir2, 'disk.0'), 4 * MiB)).toBe(hashes.first);
    expect(readlinkSync(join(dir2, 'disk.0'))).toBe(b.device('one-host-2', rd));
    expect(readFileSync(join(dir2, 'disk.2')).includes(Buffer.from("ETH0_IP='10.0.0.50'"))).toBe(true);
    expect(existsSync(dir1)).toBe(false);
    const connection = await b.client.resourceConnections.get(rd, 'pve1', 'pve2');
    expect(connection?.props?.['DrbdOptions/Net/allow-two-primaries']).toBeUndefined();
    const definition = await b.client.resourceDefinitions.get(rd);
    expect(definition.props?.['DrbdOptions/Net/allow-two-primaries']).toBeUndefined();
    for (const name of [rd, `OpenNebula-Volatile-vm${VM}-disk1`, 'OpenNebula-Image-42'])
      await control.closeDevice('pve2', name);
  });

  it('resizes, saves a snapshot as a new image (cpds) and releases the persistent disk (mvds)', async () => {
    const b = bed();
    const dir = b.vmDir('one-host-2', VM);
    const sys = b.sysDir(VM);
    await ok(b.run('tm', 'resize', [`one-host-2:${sys}/disk.0`, '8', String(VM), String(IMAGE_DS)]));
    expect((await b.client.volumeDefinitions.get(`OpenNebula-Image-40-vm${VM}-disk0`, 0)).size_kib).toBe(
      8 * 1024,
    );
    expect(await sha256Of(join(dir, 'disk.0'), 4 * MiB)).toBe(hashes.first);

    await ok(
      b.runDs(
        'mkfs',
        actionData({
          image: { id: 41, sizeMb: 8, format: 'save_as', datastoreId: IMAGE_DS },
          datastore: b.imageDs(),
        }),
        41,
      ),
      'OpenNebula-Image-41',
    );
    expect(await b.client.resourceDefinitions.getOrUndefined('OpenNebula-Image-41')).toBeUndefined();
    await ok(
      b.run('tm', 'cpds', [
        `one-host-2:${sys}/disk.0`,
        'OpenNebula-Image-41',
        '1',
        String(VM),
        String(IMAGE_DS),
      ]),
    );
    const saved = await b.client.resources.view({ resources: ['OpenNebula-Image-41'] });
    const node = saved.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
    expect(await sha256Of(b.device(`one-host-${node.slice(3)}`, 'OpenNebula-Image-41'), 4 * MiB)).toBe(
      hashes.second,
    );

    await ok(
      b.run('tm', 'mvds', [`one-host-2:${sys}/disk.3`, 'OpenNebula-Image-42', String(VM), String(IMAGE_DS)]),
    );
    expect(existsSync(join(dir, 'disk.3'))).toBe(false);
    expect(await b.client.resourceDefinitions.getOrUndefined('OpenNebula-Image-42')).toBeDefined();
  });

  it('deletes a snapshot: its recorded size goes, tm monitor reports the other one only', async () => {
    const b = bed();
    const rd = `OpenNebula-Image-40-vm${VM}-disk0`;
    expect((await b.client.resourceDefinitions.get(rd)).props).toMatchObject({
      'Aux/one/SNAPSHOT_SIZE/0': String(4 * MiB),
      'Aux/one/SNAPSHOT_SIZE/1': String(4 * MiB),
    });
    await b.emulator.control.clearRequests();
    await ok(
      b.run('tm', 'snap_delete', [`one-host-2:${b.sysDir(VM)}/disk.0`, '1', String(VM), String(IMAGE_DS)]),
    );
    // The delete (after looking for a view restored from the snapshot), then the record's removal.
    expect(await b.emulator.control.requestCounts()).toEqual({
      'GET /v1/resource-definitions': 2,
      'DELETE /v1/resource-definitions/{rd}/snapshots/{snap}': 1,
      'PUT /v1/resource-definitions/{rd}': 1,
    });
    expect((await b.client.snapshots.list(rd)).map((s) => s.name)).toEqual(['OpenNebula-Snap-0']);
    const props = (await b.client.resourceDefinitions.get(rd)).props ?? {};
    expect(props['Aux/one/SNAPSHOT_SIZE/1']).toBeUndefined();
    const { datagram } = await monitorOnce();
    const payload = datagram.trim().split(' ')[4]!;
    const monitor = vmMonitor(inflateSync(Buffer.from(payload, 'base64')).toString('utf8'));
    // The disk grew to 8 MiB since; snapshot 0 keeps the size it was taken at.
    expect(monitor).toMatch(/^DISK_SIZE=\[ID=0,SIZE=[1-8]\]$/m);
    expect(snapshotLines(monitor)).toEqual(['SNAPSHOT_SIZE=[ID=0,DISK_ID=0,SIZE=4]']);
  });

  it('stops to the front-end and resumes on one-host-3 without copying the disks', async () => {
    const b = bed();
    const sys = b.sysDir(VM);
    await b.clearSshLog();
    for (const disk of [0, 1]) {
      const ds = String(disk === 0 ? IMAGE_DS : SYSTEM_DS);
      await ok(
        b.run('tm', 'mv', [
          `one-host-2:${sys}/disk.${disk}`,
          `one-frontend:${sys}/disk.${disk}`,
          String(VM),
          ds,
        ]),
      );
    }
    await ok(b.run('tm', 'mv', [`one-host-2:${sys}`, `one-frontend:${sys}`, String(VM), String(SYSTEM_DS)]));
    expect((await b.sshLog()).filter((l) => / dd /.test(l))).toEqual([]);
    expect(existsSync(b.vmDir('one-host-2', VM))).toBe(false);
    for (const disk of [0, 1]) {
      const ds = String(disk === 0 ? IMAGE_DS : SYSTEM_DS);
      await ok(
        b.run('tm', 'mv', [
          `one-frontend:${sys}/disk.${disk}`,
          `one-host-3:${sys}/disk.${disk}`,
          String(VM),
          ds,
        ]),
      );
    }
    await ok(b.run('tm', 'mv', [`one-frontend:${sys}`, `one-host-3:${sys}`, String(VM), String(SYSTEM_DS)]));
    const dir3 = b.vmDir('one-host-3', VM);
    expect(await sha256Of(join(dir3, 'disk.0'), 4 * MiB)).toBe(hashes.first);
    expect(readlinkSync(join(dir3, 'disk.0'))).toBe(
      b.device('one-host-3', `OpenNebula-Image-40-vm${VM}-disk0`),
    );
    expect(readFileSync(join(dir3, 'disk.2')).includes(Buffer.from("ETH0_IP='10.0.0.50'"))).toBe(true);
  });

  it('deletes the VM: its clone and volatile disk go, the images stay', async () => {
    const b = bed();
    const dir = b.vmDir('one-host-3', VM);
    const sys = b.sysDir(VM);
    await ok(b.run('tm', 'delete', [`one-host-3:${sys}/disk.0`, String(VM), String(IMAGE_DS)]));
    await ok(b.run('tm', 'delete', [`one-host-3:${sys}/disk.1`, String(VM), String(SYSTEM_DS)]));
    await ok(b.run('tm', 'delete', [`one-host-3:${sys}`, String(VM), String(SYSTEM_DS)]));
    const names = (await b.client.resourceDefinitions.list()).map((rd) => rd.name);
    expect(names).not.toContain(`OpenNebula-Image-40-vm${VM}-disk0`);
    expect(names).not.toContain(`OpenNebula-Volatile-vm${VM}-disk1`);
    expect(names).toEqual(
      expect.arrayContaining(['OpenNebula-Image-40', 'OpenNebula-Image-41', 'OpenNebula-Image-42']),
    );
    expect(existsSync(dir)).toBe(false);
    // Repeating a delete (oned retries after a lost reply) succeeds.
    await ok(b.run('tm', 'delete', [`one-host-3:${sys}/disk.0`, String(VM), String(IMAGE_DS)]));
  });
});
