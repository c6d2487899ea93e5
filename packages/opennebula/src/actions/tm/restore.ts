/**
 * `tm restore` (6.10+): a VM's disks replaced in place by a backup, the VM powered off. As
 * OpenNebula's own TMs do, the backup datastore's driver lists the backup (`ls -i <increment>`,
 * the datastore, VM and backup image documents on stdin, a JSON map of disk id → URL on stdout)
 * and its downloader.sh reads each disk. Each LINSTOR disk gets a snapshot first; the backup is
 * written onto the disk's device on the VM's host (qcow2 and other formats converted to raw), and
 * when any disk fails every disk restored so far is rolled back, so the VM keeps either its old
 * disks or the backup's. The snapshots go once all disks are written; a repeat after a crash finds
 * them and still holds the data from before the first attempt.
 */

import type { Readable } from 'node:stream';
import type { VolumeService } from '@linstor-hv/core';
import type { ActionContext } from '../../context';
import { attachOn } from '../../disks';
import { commandStream } from '../../import/source';
import { writeImage } from '../../import/write';
import { OneError, OneProtocolError, parseId, shown } from '../../protocol';
import type { TmRestoreRequest } from '../../requests/tm';
import { diskOf, diskResource, vmView } from '../../vm';
import { textAt } from '../../xml';
import { DRIVER_NAME } from './migrate';

/** The safety snapshot each restored disk gets while the restore runs. */
export const RESTORE_SNAPSHOT = 'OpenNebula-Restore';

/** What the backup datastore's `ls` printed: disk id (or `tpm`) → URL for downloader.sh. */
function parseListing(stdout: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new OneError(`The backup datastore's ls printed no JSON: '${shown(stdout.slice(0, 200))}'.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new OneError("The backup datastore's ls did not print a JSON object of disk URLs.");
  const disks = new Map<string, string>();
  for (const [id, url] of Object.entries(parsed)) {
    if (!/^([0-9]+|tpm)$/.test(id) || typeof url !== 'string' || !/^[a-z+]+:\/\/[^\s]+$/.test(url))
      throw new OneError(
        `The backup lists '${shown(id)}' with the URL '${shown(String(url))}', not a disk URL.`,
      );
    disks.set(id, url);
  }
  return disks;
}

interface Restored {
  readonly service: VolumeService;
  readonly name: string;
}

export async function tmRestore(ctx: ActionContext, request: TmRestoreRequest): Promise<undefined> {
  const host = request.vmDir.host;
  ctx.nodeOf(host); // an unmapped host is refused before anything is read or written
  const [vmDoc, imageDoc] = await Promise.all([
    ctx.oneDocument('onevm', request.vmId),
    ctx.oneDocument('oneimage', request.backupImageId),
  ]);
  const vm = vmView(vmDoc.document);
  const backupDs = await ctx.oneDocument(
    'onedatastore',
    parseId(textAt(imageDoc.document, 'DATASTORE_ID'), 'DATASTORE_ID of the backup image'),
  );
  const dsMad = textAt(backupDs.document, 'DS_MAD') ?? '';
  if (!/^[a-z0-9_]{1,32}$/.test(dsMad))
    throw new OneProtocolError(`The backup datastore's DS_MAD '${shown(dsMad)}' is not a driver name.`);
  const { stdout } = await ctx.localExecutor().run(
    [`${ctx.config.remotesDir}/datastore/${dsMad}/ls`, '-i', String(request.incrementId)],
    ctx.runOptions({
      input: `<DS_DRIVER_ACTION_DATA>${backupDs.text}${vmDoc.text}${imageDoc.text}</DS_DRIVER_ACTION_DATA>`,
    }),
  );
  const listing = parseListing(stdout);
  if (listing.has('tpm')) ctx.log.info('the backup holds a vTPM state; linstor-hv restores disks only');
  const wanted = [...listing.keys()].filter(
    (id) => id !== 'tpm' && (request.diskId === undefined || Number(id) === request.diskId),
  );
  if (wanted.length === 0) {
    const which = request.diskId === undefined ? 'disks' : `disk ${request.diskId}`;
    throw new OneError(
      `Backup image ${request.backupImageId} (increment ${request.incrementId}) holds no ${which}.`,
    );
  }
  const disks = wanted.map((id) => {
    const disk = diskOf(vm, Number(id));
    if (disk.tmMad !== undefined && disk.tmMad !== DRIVER_NAME)
      throw new OneError(`Disk ${id} of VM ${vm.id} is on TM ${disk.tmMad}, not linstor; restore it there.`);
    return { disk, url: listing.get(id)! };
  });

  const restored: Restored[] = [];
  try {
    for (const { disk, url } of disks) {
      if (disk.datastoreId === undefined)
        throw new OneProtocolError(`Disk ${disk.diskId} of VM ${vm.id} has no DATASTORE_ID.`);
      const datastore = await ctx.onedatastore(disk.datastoreId);
      const service = ctx.service(datastore);
      const { name } = diskResource(vm.id, disk);
      await service.createSnapshot(name, RESTORE_SNAPSHOT, ctx.call());
      restored.push({ service, name });
      const info = await service.info(name, ctx.call());
      const { devicePath } = await attachOn(ctx, service, name, host);
      ctx.log.info(`restoring disk ${disk.diskId} (${name}) from ${url}`);
      await writeImage(ctx, service, { host, devicePath, sizeBytes: info.sizeBytes }, download(ctx, url));
    }
  } catch (error) {
    for (const { service, name } of restored.reverse()) {
      try {
        await service.rollback(name, RESTORE_SNAPSHOT, ctx.undoCall());
        await service.deleteSnapshot(name, RESTORE_SNAPSHOT, ctx.undoCall());
        ctx.log.info(`${name} rolled back to its data from before the restore`);
      } catch (undo) {
        if (error instanceof Error)
          error.message += ` Rolling ${name} back failed too (${(undo as Error).message}); its data from before the restore is its snapshot ${RESTORE_SNAPSHOT}.`;
      }
    }
    throw error;
  }
  for (const { service, name } of restored) await service.deleteSnapshot(name, RESTORE_SNAPSHOT, ctx.call());
  ctx.log.info(
    `restored ${restored.length} disk(s) of VM ${vm.id} from backup image ${request.backupImageId}`,
  );
  return undefined;
}

/** downloader.sh's stream of a backup URL (rsync://, restic://, …), which only it can read. */
function download(ctx: ActionContext, url: string): Readable {
  return commandStream(ctx, ctx.localExecutor(), [
    `${ctx.config.remotesDir}/datastore/downloader.sh`,
    '--nodecomp',
    url,
    '-',
  ]);
}
