/**
 * `ds mkfs`: an empty datablock `OpenNebula-Image-<id>`, with a filesystem when FS is set (FS_OPTS
 * passed to mkfs), or a qcow2 header when FORMAT is qcow2. `save_as` (disk-saveas) only names the
 * image: `tm cpds` fills it later, so nothing is created here.
 */

import type { ActionContext } from '../../context';
import { attachOn, detachFrom, importHost, MIB, preferredImportNode, undoCreateOnFailure } from '../../disks';
import { imageName, oneTags } from '../../names';
import { OneProtocolError } from '../../protocol';
import type { DsMkfsRequest } from '../../requests/ds';

export async function dsMkfs(ctx: ActionContext, request: DsMkfsRequest): Promise<string> {
  const name = imageName(request.imageId);
  if (request.format === 'save_as') return name;
  if (request.format === 'qcow2' && request.fs !== undefined) {
    throw new OneProtocolError(
      'A qcow2 datablock cannot be given a filesystem on a block device; use FORMAT=raw with FS.',
    );
  }
  const service = ctx.service(request.datastore);
  const preferredNode = preferredImportNode(ctx, request.datastore, request.imageId);
  const created = await service.create(
    {
      name,
      sizeBytes: request.sizeMb * MIB,
      props: oneTags({ imageId: request.imageId, dsId: request.datastore.id }),
      ...(preferredNode ? { preferredNode } : {}),
    },
    ctx.call(),
  );
  if (request.fs === undefined && request.format === 'raw') return name;
  await undoCreateOnFailure(ctx, service, created, async () => {
    const host = importHost(ctx, request.datastore, created);
    const attached = await attachOn(ctx, service, name, host);
    try {
      await formatDevice(
        ctx,
        host,
        attached.devicePath,
        request.format,
        request.sizeMb,
        request.fs,
        request.fsOpts,
      );
    } finally {
      if (attached.created) await detachFrom(ctx, service, name, host).catch(() => undefined);
    }
  });
  return name;
}

/** Writes a filesystem, swap signature or qcow2 header onto a device on a host. */
export async function formatDevice(
  ctx: ActionContext,
  host: string,
  device: string,
  format: string,
  sizeMb: number,
  fs: string | undefined,
  fsOpts: readonly string[] = [],
): Promise<void> {
  const executor = ctx.executor(host);
  if (format === 'swap') {
    ctx.log.info(`mkswap on ${device} (${host})`);
    await executor.run(['mkswap', device], ctx.runOptions());
  } else if (format === 'qcow2') {
    ctx.log.info(`qcow2 header on ${device} (${host})`);
    await executor.run(['qemu-img', 'create', '-f', 'qcow2', device, `${sizeMb}M`], ctx.runOptions());
  }
  if (fs !== undefined && format !== 'swap') {
    ctx.log.info(`mkfs -t ${fs} on ${device} (${host})`);
    // -F / -f: the target is a whole block device (or a file standing in for one), not a partition.
    const force = fs.startsWith('ext') ? ['-F'] : fs === 'xfs' || fs === 'btrfs' ? ['-f'] : [];
    await executor.run(['mkfs', '-t', fs, ...force, ...fsOpts, device], ctx.runOptions());
  }
}
