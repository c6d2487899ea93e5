/**
 * `ds cp` from the sources and in the formats oned hands over, through the installed remotes tree:
 * SHA1 checked (a wrong one leaves nothing), `ssh://[user@]host:/path` sources read on that host,
 * vmdk and vdi images converted to raw by the real qemu-img (nothing staged is left), and
 * LIMIT_TRANSFER_BW put in the stream. Checked at the data level.
 */

import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { actionData } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, MiB, sha256, sha256Of, useTestbed } from './harness';

const bed = useTestbed();

async function imageFile(name: string, bytes: number): Promise<{ path: string; hash: string }> {
  const data = Buffer.alloc(bytes);
  randomBytes(256 * 1024).copy(data, 0);
  randomBytes(64 * 1024).copy(data, bytes - 64 * 1024);
  const path = join(bed().dir, 'staging', name);
  await writeFile(path, data);
  return { path, hash: sha256(data) };
}

/** sha256 of the image's data on a diskful replica. */
async function importedHash(id: number, bytes: number): Promise<string> {
  const name = `OpenNebula-Image-${id}`;
  const resources = await bed().client.resources.view({ resources: [name] });
  const node = resources.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
  return sha256Of(bed().device(`one-host-${node.slice(3)}`, name), bytes);
}

function cp(
  id: number,
  path: string,
  sizeMb: number,
  extra: { sha1?: string; limitTransferBw?: string } = {},
) {
  const document = actionData({
    image: { id, path, sizeMb, datastoreId: IMAGE_DS, ...(extra.sha1 ? { sha1: extra.sha1 } : {}) },
    datastore: bed().imageDs(extra.limitTransferBw ? { limitTransferBw: extra.limitTransferBw } : {}),
  });
  return bed().runDs('cp', document, id);
}

describe('ds cp sources and formats', () => {
  it('checks the SHA1 of the downloaded file: the right one imports, a wrong one leaves nothing', async () => {
    const file = await imageFile('sha1.img', 2 * MiB);
    const sha1 = createHash('sha1')
      .update(await readFile(file.path))
      .digest('hex');
    const good = await cp(70, file.path, 2, { sha1 });
    expect(good, good.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-70 raw' });
    expect(await importedHash(70, 2 * MiB)).toBe(file.hash);

    const wrong = `${sha1.slice(0, -1)}${sha1.endsWith('0') ? '1' : '0'}`;
    const bad = await cp(71, file.path, 2, { sha1: wrong });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n').at(-1)).toBe(
      `linstor ds cp: The image's SHA1 is ${sha1}, not ${wrong} as the image template says; the download is corrupt or not the expected file.`,
    );
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-71')).toBeUndefined();
  });

  it('reads ssh://host:/path and ssh://user@host:/path on that host', async () => {
    const file = await imageFile('remote.img', 2 * MiB);
    await bed().clearSshLog();
    const plain = await cp(72, `ssh://one-host-3:${file.path}`, 2);
    expect(plain, plain.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-72 raw' });
    expect(await importedHash(72, 2 * MiB)).toBe(file.hash);
    const withUser = await cp(73, `ssh://oneadmin@one-host-2:${file.path}`, 2);
    expect(withUser, withUser.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-73 raw' });
    expect(await importedHash(73, 2 * MiB)).toBe(file.hash);
    const log = await bed().sshLog();
    expect(log).toContain(`one-host-3 cat ${file.path}`);
    expect(log).toContain(`one-host-2 cat ${file.path}`);
    // A remote file that cannot be read fails the import: a short read is never taken for the image.
    const missing = await cp(79, 'ssh://one-host-2:/nonexistent/image.img', 2);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-79')).toBeUndefined();
    // The same when the remote read fails while the volume is still being created (a slow
    // controller): the failure waits for the create and removes the volume, no crash, nothing left.
    await bed().emulator.control.addFault({
      method: 'POST',
      template: '/v1/resource-groups/{rg}/spawn',
      action: 'delay',
      delayMs: 1_500,
    });
    const early = await cp(78, 'ssh://one-host-2:/nonexistent/image.img', 2);
    await bed().emulator.control.clearFaults();
    expect(early.code).not.toBe(0);
    expect(early.stderr.trim().split('\n').at(-1)).toMatch(/^linstor ds cp: .*\/nonexistent\/image\.img/);
    expect(early.stderr).not.toMatch(/\n\s+at /);
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-78')).toBeUndefined();
    // A shell word in the host or path is refused before anything runs.
    await bed().clearSshLog();
    const injected = await cp(74, `ssh://one-host-2:${file.path};touch`, 2);
    expect(injected.code).not.toBe(0);
    expect(await bed().sshLog()).toEqual([]);
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-74')).toBeUndefined();
  });

  for (const [id, format] of [
    [75, 'vmdk'],
    [76, 'vdi'],
  ] as const) {
    it(`converts a ${format} image to raw with qemu-img on the host, leaving nothing staged`, async () => {
      const raw = await imageFile(`for-${format}.raw`, 4 * MiB);
      const image = join(bed().dir, 'staging', `image.${format}`);
      execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', format, raw.path, image]);
      await bed().clearSshLog();
      const result = await cp(id, image, 4);
      expect(result, result.stderr).toMatchObject({ code: 0, stdout: `OpenNebula-Image-${id} raw` });
      expect(result.stderr).toContain(`writing the ${format} image`);
      expect(await importedHash(id, 4 * MiB)).toBe(raw.hash);
      expect(
        (await bed().sshLog()).some((l) => l.includes('qemu-img convert') && l.includes(`-f ${format}`)),
      ).toBe(true);
      expect(
        readdirSync(join(bed().dir, 'staging')).filter((f) => f.startsWith('linstor-hv-import-')),
      ).toEqual([]);
    });
  }

  it('puts LIMIT_TRANSFER_BW into the import stream and still imports the data whole', async () => {
    const file = await imageFile('limited.img', 2 * MiB);
    // 64M: 2 MiB pass in about 30 ms; the arithmetic is pinned on a virtual clock in rate-limit.test.ts.
    const result = await cp(77, file.path, 2, { limitTransferBw: '64M' });
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-77 raw' });
    expect(result.stderr).toContain(
      `INFO: ds cp: transfer limited to ${64 * MiB} bytes/s (LIMIT_TRANSFER_BW)`,
    );
    expect(await importedHash(77, 2 * MiB)).toBe(file.hash);
    const refused = await cp(78, file.path, 2, { limitTransferBw: 'fast' });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("LIMIT_TRANSFER_BW 'fast' is not a rate such as 10M or 500K.");
    expect(await bed().client.resourceDefinitions.getOrUndefined('OpenNebula-Image-78')).toBeUndefined();
  });
});
