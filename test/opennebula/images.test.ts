/**
 * Image datastore actions through the installed remotes tree: import (cp) in every calling
 * convention, clone, rm, and a VM disk's clone/ln/delete, checked at the data level.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { actionData } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, MiB, sha256, sha256Of, useTestbed } from './harness';

const bed = useTestbed();

async function imageFile(name: string, bytes: number): Promise<{ path: string; hash: string; data: Buffer }> {
  const data = Buffer.alloc(bytes);
  randomBytes(256 * 1024).copy(data, 0);
  randomBytes(64 * 1024).copy(data, bytes - 64 * 1024);
  const path = join(bed().dir, 'staging', name);
  await writeFile(path, data);
  return { path, hash: sha256(data), data };
}

describe('ds cp', () => {
  for (const convention of ['argv', 'dash', 'stdin'] as const) {
    it(`imports a raw file and prints '<SOURCE> raw' (${convention} convention)`, async () => {
      const id = { argv: 10, dash: 11, stdin: 12 }[convention];
      const file = await imageFile(`raw-${id}.img`, 4 * MiB);
      const document = actionData({
        image: { id, path: file.path, sizeMb: 4, datastoreId: IMAGE_DS },
        datastore: bed().imageDs(),
      });
      const result = await bed().runDs('cp', document, id, convention);
      expect(result.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('INFO: '))).toEqual([]);
      expect(result).toMatchObject({ code: 0, stdout: `OpenNebula-Image-${id} raw` });
      const rd = await bed().client.resourceDefinitions.get(`OpenNebula-Image-${id}`);
      expect(rd.props).toMatchObject({ 'Aux/one/IMAGE_ID': String(id), 'Aux/one/DS_ID': String(IMAGE_DS) });
      const resources = await bed().client.resources.view({ resources: [`OpenNebula-Image-${id}`] });
      const node = resources.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
      const host = `one-host-${node.slice(3)}`;
      expect(await sha256Of(bed().device(host, `OpenNebula-Image-${id}`), 4 * MiB)).toBe(file.hash);
    });
  }

  it('converts a qcow2 image to raw with qemu-img and checks its MD5', async () => {
    const raw = await imageFile('for-qcow2.raw', 4 * MiB);
    const qcow2 = join(bed().dir, 'staging', 'image.qcow2');
    const { execFileSync } = await import('node:child_process');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw.path, qcow2]);
    const md5 = (await import('node:crypto'))
      .createHash('md5')
      .update(await (await import('node:fs/promises')).readFile(qcow2))
      .digest('hex');
    const document = actionData({
      image: { id: 13, path: qcow2, sizeMb: 4, md5, datastoreId: IMAGE_DS },
      datastore: bed().imageDs(),
    });
    const result = await bed().runDs('cp', document, 13);
    expect(result).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-13 raw' });
    const resources = await bed().client.resources.view({ resources: ['OpenNebula-Image-13'] });
    const node = resources.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
    expect(await sha256Of(bed().device(`one-host-${node.slice(3)}`, 'OpenNebula-Image-13'), 4 * MiB)).toBe(
      raw.hash,
    );
  });

  it('refuses a wrong MD5 and leaves no volume behind', async () => {
    const file = await imageFile('bad-md5.img', 1 * MiB);
    const document = actionData({
      image: { id: 14, path: file.path, sizeMb: 1, md5: '0'.repeat(32), datastoreId: IMAGE_DS },
      datastore: bed().imageDs(),
    });
    const result = await bed().runDs('cp', document, 14);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^linstor ds cp: .*MD5 is [0-9a-f]{32}, not 0{32}/,
    );
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-14')).toBeUndefined();
  });

  it('enforces RESTRICTED_DIRS and SAFE_DIRS before creating anything', async () => {
    const file = await imageFile('restricted.img', 1 * MiB);
    const restricted = bed().imageDs({ restrictedDirs: join(bed().dir, 'staging'), safeDirs: '/var/tmp' });
    const refused = await bed().runDs(
      'cp',
      actionData({
        image: { id: 15, path: file.path, sizeMb: 1, datastoreId: IMAGE_DS },
        datastore: restricted,
      }),
      15,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`Not allowed to copy images from '${file.path}'`);
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-15')).toBeUndefined();
    // The same file is allowed once its directory is listed in SAFE_DIRS.
    const safe = bed().imageDs({
      restrictedDirs: join(bed().dir, 'staging'),
      safeDirs: join(bed().dir, 'staging'),
    });
    const allowed = await bed().runDs(
      'cp',
      actionData({ image: { id: 15, path: file.path, sizeMb: 1, datastoreId: IMAGE_DS }, datastore: safe }),
      15,
    );
    expect(allowed).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-15 raw' });
    // OpenNebula's own directories are always restricted: the home of oneadmin holds one_auth.
    await writeFile(join(bed().dir, 'home', 'one_auth'), 'oneadmin:secret');
    const home = await bed().runDs(
      'cp',
      actionData({
        image: { id: 16, path: join(bed().dir, 'home', 'one_auth'), sizeMb: 1, datastoreId: IMAGE_DS },
        datastore: bed().imageDs({ restrictedDirs: '' }),
      }),
      16,
    );
    expect(home.code).not.toBe(0);
    expect(home.stderr).toContain('Not allowed to copy images from');
  });
});

describe('ds clone and rm', () => {
  it('clones an image by its SOURCE and removes both', async () => {
    const file = await imageFile('to-clone.img', 2 * MiB);
    const ds = bed().imageDs();
    expect(
      (
        await bed().runDs(
          'cp',
          actionData({ image: { id: 20, path: file.path, sizeMb: 2, datastoreId: IMAGE_DS }, datastore: ds }),
          20,
        )
      ).code,
    ).toBe(0);
    const cloned = await bed().runDs(
      'clone',
      actionData({
        image: { id: 21, path: 'OpenNebula-Image-20', cloningId: 20, sizeMb: 2, datastoreId: IMAGE_DS },
        datastore: ds,
      }),
      21,
    );
    expect(cloned).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-21 raw' });
    const view = await bed().client.resources.view({ resources: ['OpenNebula-Image-21'] });
    const node = view.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
    expect(await sha256Of(bed().device(`one-host-${node.slice(3)}`, 'OpenNebula-Image-21'), 2 * MiB)).toBe(
      file.hash,
    );
    for (const id of [21, 20]) {
      const removed = await bed().runDs(
        'rm',
        actionData({
          image: { id, source: `OpenNebula-Image-${id}`, sizeMb: 2, datastoreId: IMAGE_DS },
          datastore: ds,
        }),
        id,
      );
      expect(removed).toMatchObject({ code: 0, stdout: '' });
      expect(await bed().client.resourceDefinitions.getOrUndefined(`OpenNebula-Image-${id}`)).toBeUndefined();
    }
    // rm of an image already gone succeeds (oned may repeat it).
    const again = await bed().runDs(
      'rm',
      actionData({
        image: { id: 20, source: 'OpenNebula-Image-20', sizeMb: 2, datastoreId: IMAGE_DS },
        datastore: ds,
      }),
      20,
    );
    expect(again.code).toBe(0);
  });
});

describe('tm clone, ln, delete', () => {
  it('gives a VM its own clone, links persistent images in place, and deletes only the clone', async () => {
    const b = bed();
    const file = await imageFile('vm-base.img', 2 * MiB);
    const ds = b.imageDs();
    await b.putDatastore(ds);
    expect(
      (
        await b.runDs(
          'cp',
          actionData({ image: { id: 30, path: file.path, sizeMb: 2, datastoreId: IMAGE_DS }, datastore: ds }),
          30,
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await b.runDs(
          'cp',
          actionData({
            image: { id: 31, path: file.path, sizeMb: 2, datastoreId: IMAGE_DS, persistent: true },
            datastore: ds,
          }),
          31,
        )
      ).code,
    ).toBe(0);
    await b.putVm({
      id: 7,
      disks: [
        { diskId: 0, source: 'OpenNebula-Image-30', imageId: 30, sizeMb: 4, datastoreId: IMAGE_DS },
        {
          diskId: 1,
          source: 'OpenNebula-Image-31',
          imageId: 31,
          persistent: true,
          sizeMb: 2,
          datastoreId: IMAGE_DS,
        },
      ],
    });
    const vmDir = b.vmDir('one-host-3', 7);
    const clone = await b.run('tm', 'clone', [
      'one-frontend:OpenNebula-Image-30',
      `one-host-3:${vmDir}/disk.0`,
      '7',
      String(IMAGE_DS),
    ]);
    expect(clone).toMatchObject({ code: 0, stdout: '' });
    const ln = await b.run('tm', 'ln', [
      'one-frontend:OpenNebula-Image-31',
      `one-host-3:${vmDir}/disk.1`,
      '7',
      String(IMAGE_DS),
    ]);
    expect(ln).toMatchObject({ code: 0, stdout: '' });
    expect(readlinkSync(join(vmDir, 'disk.0'))).toBe(b.device('one-host-3', 'OpenNebula-Image-30-vm7-disk0'));
    expect(readlinkSync(join(vmDir, 'disk.1'))).toBe(b.device('one-host-3', 'OpenNebula-Image-31'));
    // The clone holds the image's data and was grown to the disk's SIZE.
    expect(await sha256Of(join(vmDir, 'disk.0'), 2 * MiB)).toBe(file.hash);
    const vd = await b.client.volumeDefinitions.get('OpenNebula-Image-30-vm7-disk0', 0);
    expect(vd.size_kib).toBe(4 * 1024);
    const rd = await b.client.resourceDefinitions.get('OpenNebula-Image-30-vm7-disk0');
    expect(rd.props).toMatchObject({
      'Aux/one/IMAGE_ID': '30',
      'Aux/one/VM_ID': '7',
      'Aux/one/DISK_ID': '0',
      'Aux/one/DS_ID': String(IMAGE_DS),
    });
    // A repeated clone (oned retried after a lost reply) succeeds and changes nothing.
    expect(
      (
        await b.run('tm', 'clone', [
          'one-frontend:OpenNebula-Image-30',
          `one-host-3:${vmDir}/disk.0`,
          '7',
          String(IMAGE_DS),
        ])
      ).code,
    ).toBe(0);

    for (const disk of [0, 1]) {
      const deleted = await b.run('tm', 'delete', [
        `one-host-3:${vmDir}/disk.${disk}`,
        '7',
        String(IMAGE_DS),
      ]);
      expect(deleted).toMatchObject({ code: 0, stdout: '', stderr: expect.not.stringMatching(/^linstor/m) });
      expect(existsSync(join(vmDir, `disk.${disk}`))).toBe(false);
    }
    expect(
      await b.client.resourceDefinitions.getOrUndefined('OpenNebula-Image-30-vm7-disk0'),
    ).toBeUndefined();
    expect(await b.client.resourceDefinitions.getOrUndefined('OpenNebula-Image-31')).toBeDefined();
    const dir = await b.run('tm', 'delete', [`one-host-3:${vmDir}`, '7', '101']);
    expect(dir.code).toBe(0);
    expect(existsSync(vmDir)).toBe(false);
  });
});
