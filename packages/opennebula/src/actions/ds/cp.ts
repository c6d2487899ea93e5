/**
 * `ds cp`: imports an image (http(s), local file, ssh) into a new LINSTOR volume
 * `OpenNebula-Image-<id>` and prints `<SOURCE> raw`. The image streams from the front-end to one
 * diskful host; any non-raw image (qcow2, vmdk, vdi, vhdx) is converted to raw there with
 * qemu-img, so the volume always holds raw data that LINSTOR snapshots and clones handle well.
 */

import type { Readable } from 'node:stream';
import { DataCopyError } from '@linstor-hv/core';
import type { ActionContext } from '../../context';
import { attachOn, detachFrom, importHost, MIB, preferredImportNode, undoCreateOnFailure } from '../../disks';
import { decompressed, hashesFor, hashing, openSource, rateLimited } from '../../import/source';
import { writeImage } from '../../import/write';
import { imageName, oneTags } from '../../names';
import type { DsCpRequest } from '../../requests/ds';

export async function dsCp(ctx: ActionContext, request: DsCpRequest): Promise<string> {
  const { datastore, imageId } = request;
  const service = ctx.service(datastore);
  const name = imageName(imageId);
  // Opened before anything is created: a restricted or unreadable path leaves nothing behind.
  const raw = await openSource(ctx, request.source, datastore);
  // A source that fails while the volume is still being created (an ssh read of a missing file)
  // must not crash the action with the create half done: the error is kept (Node's `errored`)
  // and thrown once the volume exists, so the undo removes it.
  raw.on('error', () => undefined);
  try {
    const preferredNode = preferredImportNode(ctx, datastore, imageId);
    const created = await service.create(
      {
        name,
        sizeBytes: request.sizeMb * MIB,
        props: oneTags({ imageId, dsId: datastore.id }),
        ...(preferredNode ? { preferredNode } : {}),
      },
      ctx.call(),
    );
    ctx.log.info(
      `${created.existed ? 'reusing' : 'created'} ${name} (${request.sizeMb} MB) on ${created.diskfulNodes.join(', ')}`,
    );
    // A failed import leaves an unusable image: its volume goes even when a repeat found it.
    await undoCreateOnFailure(ctx, service, created, () => importInto(ctx, request, raw, created), {
      alwaysDelete: true,
    });
  } finally {
    raw.destroy();
  }
  return `${name} raw`;
}

async function importInto(
  ctx: ActionContext,
  request: DsCpRequest,
  raw: Readable,
  created: {
    name: string;
    diskfulNodes: readonly string[];
    existed: boolean;
    sizeBytes: number;
    resourceName: string;
    warnings: readonly string[];
  },
): Promise<void> {
  if (raw.errored) throw raw.errored;
  const service = ctx.service(request.datastore);
  const host = importHost(ctx, request.datastore, created);
  const attached = await attachOn(ctx, service, created.name, host);
  try {
    const hashes = hashesFor(request.md5, request.sha1);
    let stream: Readable = raw;
    if (request.datastore.limitTransferBps !== undefined) {
      ctx.log.info(`transfer limited to ${request.datastore.limitTransferBps} bytes/s (LIMIT_TRANSFER_BW)`);
      stream = stream.pipe(rateLimited(request.datastore.limitTransferBps));
    }
    stream = stream.pipe(hashing(Object.values(hashes)));
    if (!request.datastore.noDecompress) stream = await decompressed(ctx, stream);
    await writeImage(
      ctx,
      service,
      { host, devicePath: attached.devicePath, sizeBytes: created.sizeBytes },
      stream,
    );
    checkSum('MD5', request.md5, hashes.md5?.digest('hex'));
    checkSum('SHA1', request.sha1, hashes.sha1?.digest('hex'));
  } finally {
    if (attached.created) await detachFrom(ctx, service, created.name, host).catch(() => undefined);
  }
}

function checkSum(kind: string, expected: string | undefined, actual: string | undefined): void {
  if (expected !== undefined && actual !== expected) {
    throw new DataCopyError(
      `The image's ${kind} is ${actual ?? 'unknown'}, not ${expected} as the image template says; the download is corrupt or not the expected file.`,
    );
  }
}
