/**
 * The other image datastore actions through the installed remotes tree: stat, monitor, import over
 * http with gzip (and NO_DECOMPRESS), image snapshots (revert to an older one, flatten, delete),
 * export's IMPORT_INFO, and mkswap's swap signature.
 */

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { actionData } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, MiB, SYSTEM_DS, sha256, sha256Of, useTestbed, writeDevice } from './harness';

const bed = useTestbed();

async function diskfulHost(resource: string): Promise<string> {
  const view = await bed().client.resources.view({ resources: [resource] });
  const node = view.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
  return `one-host-${node.slice(3)}`;
}

describe('stat and monitor', () => {
  it('reports the virtual size of a qcow2 file in MB and the capacity in MiB', async () => {
    const b = bed();
    const qcow2 = join(b.dir, 'staging', 'sparse.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '300M']);
    const stat = await b.runDs(
      'stat',
      actionData({ image: { id: 0, path: qcow2, sizeMb: 1, datastoreId: IMAGE_DS }, datastore: b.imageDs() }),
      0,
    );
    expect(stat, stat.stderr).toMatchObject({ code: 0, stdout: '300' });
    const monitor = await b.runDs('monitor', actionData({ datastore: b.imageDs() }), IMAGE_DS);
    expect(monitor.code, monitor.stderr).toBe(0);
    expect(monitor.stdout).toMatch(/^USED_MB=\d+\nTOTAL_MB=153600\nFREE_MB=\d+\n$/);
  });
});

describe('import over http', () => {
  it('decompresses a gzip download, or keeps it as is with NO_DECOMPRESS', async () => {
    const b = bed();
    const raw = Buffer.alloc(2 * MiB);
    randomBytes(512 * 1024).copy(raw);
    const gz = gzipSync(raw);
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Length': gz.length });
      res.end(req.method === 'HEAD' ? undefined : gz);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/image.raw.gz`;
    try {
      const md5 = createHash('md5').update(gz).digest('hex');
      const cp = await b.runDs(
        'cp',
        actionData({
          image: { id: 80, path: url, sizeMb: 2, md5, datastoreId: IMAGE_DS },
          datastore: b.imageDs({ limitTransferBw: '100M' }),
        }),
        80,
      );
      expect(cp, cp.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-80 raw' });
      expect(
        await sha256Of(b.device(await diskfulHost('OpenNebula-Image-80'), 'OpenNebula-Image-80'), 2 * MiB),
      ).toBe(sha256(raw));
      const kept = await b.runDs(
        'cp',
        actionData({
          image: { id: 81, path: url, sizeMb: 2, datastoreId: IMAGE_DS },
          datastore: b.imageDs({ noDecompress: true }),
        }),
        81,
      );
      expect(kept, kept.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-81 raw' });
      const device = b.device(await diskfulHost('OpenNebula-Image-81'), 'OpenNebula-Image-81');
      expect(readFileSync(device).subarray(0, gz.length).equals(gz)).toBe(true);
    } finally {
      server.close();
    }
  });
});

describe('image snapshots and export', () => {
  it('reverts an image to an older snapshot, flattens it, and exports it with a valid IMPORT_INFO', async () => {
    const b = bed();
    const file = join(b.dir, 'staging', 'persistent-snap.img');
    await writeFile(file, Buffer.alloc(2 * MiB));
    const ds = b.imageDs();
    const doc = (extra: Record<string, unknown>) =>
      actionData({
        image: {
          id: 90,
          source: 'OpenNebula-Image-90',
          sizeMb: 2,
          datastoreId: IMAGE_DS,
          persistent: true,
          ...extra,
        },
        datastore: ds,
      });
    expect((await b.runDs('cp', doc({ path: file, source: undefined }), 90)).code).toBe(0);
    await b.putDatastore(ds);
    await b.putVm({
      id: 91,
      disks: [
        {
          diskId: 0,
          source: 'OpenNebula-Image-90',
          imageId: 90,
          persistent: true,
          sizeMb: 2,
          datastoreId: IMAGE_DS,
        },
      ],
    });
    const sys = b.sysDir(91);
    expect(
      (
        await b.run('tm', 'ln', [
          'one-frontend:OpenNebula-Image-90',
          `one-host-1:${sys}/disk.0`,
          '91',
          String(IMAGE_DS),
        ])
      ).code,
    ).toBe(0);
    const disk = join(b.vmDir('one-host-1', 91), 'disk.0');
    const versions = [0, 1, 2].map(() => randomBytes(2 * MiB));
    for (const [id, data] of versions.slice(0, 2).entries()) {
      await writeDevice(disk, data);
      const snap = await b.run('tm', 'snap_create', [
        `one-host-1:${sys}/disk.0`,
        String(id),
        '91',
        String(IMAGE_DS),
      ]);
      expect(snap.code, snap.stderr).toBe(0);
    }
    await writeDevice(disk, versions[2]!);
    expect(
      (await b.run('tm', 'mvds', [`one-host-1:${sys}/disk.0`, 'OpenNebula-Image-90', '91', String(IMAGE_DS)]))
        .code,
    ).toBe(0);
    // snap_create recorded each snapshot's size on the image's definition for tm monitor.
    const sizeRecords = async () =>
      Object.keys((await b.client.resourceDefinitions.get('OpenNebula-Image-90')).props ?? {})
        .filter((key) => key.startsWith('Aux/one/SNAPSHOT_SIZE/'))
        .sort();
    expect(await sizeRecords()).toEqual(['Aux/one/SNAPSHOT_SIZE/0', 'Aux/one/SNAPSHOT_SIZE/1']);
    // The image's own snapshot actions see the snapshots the VM took (PERSISTENT_SNAPSHOTS).
    const revert = await b.runDs('snap_revert', doc({ targetSnapshot: 0 }), 90);
    expect(revert, revert.stderr).toMatchObject({ code: 0, stdout: '' });
    const host = await diskfulHost('OpenNebula-Image-90');
    expect(await sha256Of(b.device(host, 'OpenNebula-Image-90'), 2 * MiB)).toBe(sha256(versions[0]!));
    const flatten = await b.runDs('snap_flatten', doc({ targetSnapshot: 1 }), 90);
    expect(flatten, flatten.stderr).toMatchObject({ code: 0, stdout: '' });
    expect(await sha256Of(b.device(host, 'OpenNebula-Image-90'), 2 * MiB)).toBe(sha256(versions[1]!));
    expect(await b.client.snapshots.list('OpenNebula-Image-90')).toEqual([]);
    expect(await sizeRecords()).toEqual([]);
    const del = await b.runDs('snap_delete', doc({ targetSnapshot: 1 }), 90);
    expect(del.code, del.stderr).toBe(0);

    const exported = await b.runDs('export', doc({}), 5);
    expect(exported.code, exported.stderr).toBe(0);
    const info =
      /^<IMPORT_INFO><IMPORT_SOURCE><!\[CDATA\[ssh:\/\/([^:]+):([^\]]+)\]\]><\/IMPORT_SOURCE><MD5><!\[CDATA\[([0-9a-f]{32})\]\]><\/MD5><SIZE><!\[CDATA\[2\]\]><\/SIZE><FORMAT><!\[CDATA\[raw\]\]><\/FORMAT><DISPOSE><!\[CDATA\[NO\]\]><\/DISPOSE><\/IMPORT_INFO>$/.exec(
        exported.stdout,
      );
    expect(info, exported.stdout).not.toBeNull();
    expect(createHash('md5').update(readFileSync(info![2]!)).digest('hex')).toBe(info![3]);
  });
});

describe('mkswap', () => {
  it('makes a volatile swap disk', async () => {
    const b = bed();
    await b.putDatastore(b.systemDs());
    await b.putVm({ id: 95, disks: [{ diskId: 1, sizeMb: 4, datastoreId: SYSTEM_DS, type: 'swap' }] });
    const run = await b.run('tm', 'mkswap', [
      '4',
      `one-host-2:${b.sysDir(95)}/disk.1`,
      '95',
      String(SYSTEM_DS),
    ]);
    expect(run, run.stderr).toMatchObject({ code: 0, stdout: '' });
    const data = readFileSync(join(b.vmDir('one-host-2', 95), 'disk.1'));
    expect(data.subarray(4086, 4096).toString('latin1')).toBe('SWAPSPACE2');
  });
});
