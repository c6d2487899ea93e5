/**
 * Writing an image stream onto a volume's device on a host, as raw data: raw and qcow2 stream
 * through core's copy (qemu-img for qcow2); vmdk, vdi and vhdx, which qemu-img reads only from a
 * seekable file, are staged on the host, converted onto the device and removed. Shared by `ds cp`
 * (imports) and `tm restore` (backups).
 */

import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { VolumeService } from '@linstor-hv/core';
import type { ActionContext } from '../context';
import { imageFormatOf, peek } from './source';

export async function writeImage(
  ctx: ActionContext,
  service: VolumeService,
  target: { host: string; devicePath: string; sizeBytes: number },
  stream: Readable,
): Promise<void> {
  const { host, devicePath } = target;
  const node = ctx.nodeOf(host);
  const format = imageFormatOf(await peek(stream, 1024));
  ctx.log.info(`writing the ${format} image to ${devicePath} on ${host}`);
  if (format === 'raw' || format === 'qcow2') {
    await service.copy(
      node,
      { stream, format },
      { path: devicePath },
      { targetBytes: target.sizeBytes, stagingDir: ctx.config.stagingDir, ...ctx.call() },
    );
    return;
  }
  const staged = `${ctx.config.stagingDir.replace(/\/+$/, '')}/linstor-hv-import-${randomBytes(6).toString('hex')}.${format}`;
  const executor = ctx.executor(host);
  try {
    await executor.run(['dd', `of=${staged}`, 'bs=4M', 'status=none'], ctx.runOptions({ input: stream }));
    await service.copy(
      node,
      { path: staged, format },
      { path: devicePath },
      { targetBytes: target.sizeBytes, ...ctx.call() },
    );
  } finally {
    await executor.run(['rm', '-f', staged]).catch(() => undefined);
  }
}
