/**
 * `tm restore` (6.10+): a VM's disks replaced in place by a backup, the VM powered off. As
 * OpenNebula's own TMs do, the backup datastore's driver lists the backup (`ls -i <increment>`,
 * the datastore, VM and backup image documents on stdin, a JSON map of disk id → URL on stdout)
 * and its downloader.sh reads each disk; the backup's vTPM state (`tpm`, a tar.gz of the VM
 * directory's `tpm/`) comes back with disk 0, as OpenNebula's TMs restore it.
 *
 * The VM keeps either its old disks and vTPM or the backup's:
 * - a disk on snapshot-capable pools gets a safety snapshot, the backup is written onto its device
 *   (qcow2 and other formats converted to raw), and a failure rolls it back;
 * - a disk on pools without snapshots (thick LVM) cannot be rolled back, so its backup is first
 *   written into a temporary volume beside it (same group, so same pools) and copied onto the disk
 *   only once every download has succeeded (what OpenNebula's lvm TM does with files on the host);
 *   a read failure then changes nothing. Operators of thick pools expect restore to work, as it
 *   does with OpenNebula's lvm TM, so refusing was not the choice;
 * - the vTPM archive is downloaded and checked first, and replaces `tpm/` last.
 * Snapshots and temporary volumes go once all is written; a repeat after a crash finds the safety
 * snapshots (still holding the data from before the first attempt) and replaces a temporary volume.
 */

import type { Readable } from 'node:stream';
import { VOLUME_ERROR_CODES, VolumeError, type VolumeService } from '@linstor-hv/core';
import type { ActionContext } from '../../context';
import { attachOn } from '../../disks';
import { commandStream } from '../../import/source';
import { writeImage } from '../../import/write';
import { oneTags, PROP_ONE_RESTORE_OF } from '../../names';
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

/** One disk being restored: in place under a safety snapshot, or staged in a temporary volume. */
interface DiskRestore {
  readonly diskId: number;
  readonly service: VolumeService;
  readonly name: string;
  readonly url: string;
  readonly sizeBytes: number;
  readonly mode: 'snapshot' | 'staged';
}

/** The platform name of a thick disk's staging volume (deterministic, so a repeat replaces it). */
export function stagingName(vmId: number, diskId: number): string {
  return `OpenNebula-Restore-vm${vmId}-disk${diskId}`;
}

/**
 * The staging volume's props: the DS id and the disk it restores (no VM_ID/DISK_ID, so the monitor
 * does not count it as a VM disk). It is created temporary: a crashed attempt's is replaced by the
 * next restore of the VM, or removed by the bridge's orphan sweep once older than its grace period.
 */
function stagingProps(dsId: number, disk: string): Record<string, string> {
  return { ...oneTags({ dsId }), [PROP_ONE_RESTORE_OF]: disk };
}

function isNotSupported(error: unknown): boolean {
  return error instanceof VolumeError && error.code === VOLUME_ERROR_CODES.VOLUME_NOT_SUPPORTED;
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
    if (disk.datastoreId === undefined)
      throw new OneProtocolError(`Disk ${disk.diskId} of VM ${vm.id} has no DATASTORE_ID.`);
    return { disk, datastoreId: disk.datastoreId, url: listing.get(id)! };
  });
  // As OpenNebula's TMs: the vTPM state comes back only with disk 0.
  const tpmUrl = wanted.includes('0') ? listing.get('tpm') : undefined;
  const tpm = tpmUrl === undefined ? undefined : new VtpmRestore(ctx, host, request.vmDir.path);

  const restores: DiskRestore[] = [];
  const staged: DiskRestore[] = [];
  let overwriting: DiskRestore | undefined;
  try {
    for (const { disk, datastoreId, url } of disks) {
      const service = ctx.service(await ctx.onedatastore(datastoreId));
      const { name } = diskResource(vm.id, disk);
      const { sizeBytes } = await service.info(name, ctx.call());
      let mode: DiskRestore['mode'] = 'snapshot';
      try {
        await service.createSnapshot(name, RESTORE_SNAPSHOT, ctx.call());
      } catch (error) {
        if (!isNotSupported(error)) throw error;
        mode = 'staged';
      }
      const restore = { diskId: disk.diskId, service, name, url, sizeBytes, mode };
      restores.push(restore);
      if (mode === 'staged') {
        staged.push(restore);
        ctx.log.info(
          `disk ${disk.diskId} (${name}) is on pools without snapshots: its backup is staged first`,
        );
        await stageBackup(ctx, restore, vm.id, datastoreId, host);
      }
    }
    if (tpm) await tpm.download(tpmUrl!);
    for (const restore of restores.filter((r) => r.mode === 'snapshot')) {
      const { devicePath } = await attachOn(ctx, restore.service, restore.name, host);
      ctx.log.info(`restoring disk ${restore.diskId} (${restore.name}) from ${restore.url}`);
      await writeImage(
        ctx,
        restore.service,
        { host, devicePath, sizeBytes: restore.sizeBytes },
        download(ctx, restore.url),
      );
    }
    for (const restore of staged) {
      overwriting = restore;
      const staging = await attachOn(ctx, restore.service, stagingName(vm.id, restore.diskId), host);
      const { devicePath } = await attachOn(ctx, restore.service, restore.name, host);
      ctx.log.info(`restoring disk ${restore.diskId} (${restore.name}) from its staged backup`);
      await restore.service.copy(
        ctx.nodeOf(host),
        { path: staging.devicePath, format: 'raw' },
        { path: devicePath },
        { targetBytes: restore.sizeBytes, ...ctx.call() },
      );
    }
    overwriting = undefined;
    if (tpm) await tpm.replace();
  } catch (error) {
    const notes: string[] = [];
    for (const { service, name } of restores.filter((r) => r.mode === 'snapshot').reverse()) {
      try {
        await service.rollback(name, RESTORE_SNAPSHOT, ctx.undoCall());
        await service.deleteSnapshot(name, RESTORE_SNAPSHOT, ctx.undoCall());
        ctx.log.info(`${name} rolled back to its data from before the restore`);
      } catch (undo) {
        notes.push(
          `Rolling ${name} back failed too (${(undo as Error).message}); its data from before the restore is its snapshot ${RESTORE_SNAPSHOT}.`,
        );
      }
    }
    for (const restore of staged) await removeStaging(ctx, restore, vm.id, notes);
    if (overwriting)
      notes.push(
        `Disk ${overwriting.diskId} (${overwriting.name}, pools without snapshots) was partly overwritten; run the restore again to finish it.`,
      );
    await tpm?.discard();
    if (error instanceof Error && notes.length > 0) error.message += ` ${notes.join(' ')}`;
    throw error;
  }
  for (const { service, name, mode } of restores)
    if (mode === 'snapshot') await service.deleteSnapshot(name, RESTORE_SNAPSHOT, ctx.call());
  const notes: string[] = [];
  for (const restore of staged) await removeStaging(ctx, restore, vm.id, notes);
  for (const note of notes) ctx.log.info(note);
  ctx.log.info(
    `restored ${restores.length} disk(s)${tpm ? ' and the vTPM state' : ''} of VM ${vm.id} from backup image ${request.backupImageId}`,
  );
  return undefined;
}

/** Writes a thick disk's backup into a fresh staging volume beside it (a leftover is replaced). */
async function stageBackup(
  ctx: ActionContext,
  restore: DiskRestore,
  vmId: number,
  dsId: number,
  host: string,
): Promise<void> {
  const name = stagingName(vmId, restore.diskId);
  await restore.service.delete(name, ctx.call());
  await restore.service.create(
    {
      name,
      sizeBytes: restore.sizeBytes,
      preferredNode: ctx.nodeOf(host),
      props: stagingProps(dsId, restore.name),
      temporary: 'one-restore',
    },
    ctx.call(),
  );
  const { devicePath } = await attachOn(ctx, restore.service, name, host);
  ctx.log.info(`staging the backup of disk ${restore.diskId} from ${restore.url}`);
  await writeImage(
    ctx,
    restore.service,
    { host, devicePath, sizeBytes: restore.sizeBytes },
    download(ctx, restore.url),
  );
}

async function removeStaging(ctx: ActionContext, restore: DiskRestore, vmId: number, notes: string[]) {
  const name = stagingName(vmId, restore.diskId);
  try {
    await restore.service.delete(name, ctx.undoCall());
  } catch (error) {
    notes.push(
      `The staging volume ${name} could not be removed (${(error as Error).message}); the orphan sweep removes it later.`,
    );
  }
}

/**
 * The vTPM state of a backup (`tar zcf disk.tpm.0 -C <vmdir> tpm` on the host when it was taken):
 * downloaded next to the VM directory and checked to hold only `tpm/` before any disk is touched,
 * unpacked over `<vmdir>/tpm` last (the VM is off; libvirt's swtpm picks it up at the next start).
 */
class VtpmRestore {
  private readonly file: string;

  constructor(
    private readonly ctx: ActionContext,
    private readonly host: string,
    private readonly vmDir: string,
  ) {
    this.file = `${vmDir.replace(/\/+$/, '')}/disk.tpm.backup`;
  }

  async download(url: string): Promise<void> {
    const executor = this.ctx.executor(this.host);
    this.ctx.log.info(`downloading the vTPM state from ${url}`);
    await executor.run(
      ['dd', `of=${this.file}`, 'bs=64k', 'status=none'],
      this.ctx.runOptions({ input: download(this.ctx, url) }),
    );
    const { stdout } = await executor.run(['tar', '-tzf', this.file], this.ctx.runOptions());
    const entries = stdout.split('\n').filter((line) => line !== '');
    const stray = entries.find((entry) => !/^tpm(\/|$)/.test(entry) || entry.split('/').includes('..'));
    if (entries.length === 0 || stray !== undefined)
      throw new OneError(
        `The backup's vTPM state holds '${shown(stray ?? '(nothing)')}', not the VM's tpm directory.`,
      );
  }

  async replace(): Promise<void> {
    const executor = this.ctx.executor(this.host);
    await executor.run(['rm', '-rf', `${this.vmDir.replace(/\/+$/, '')}/tpm`], this.ctx.runOptions());
    await executor.run(['tar', '-xzf', this.file, '-C', this.vmDir], this.ctx.runOptions());
    await executor.run(['rm', '-f', this.file], this.ctx.runOptions());
  }

  async discard(): Promise<void> {
    await this.ctx
      .executor(this.host)
      .run(['rm', '-f', this.file], this.ctx.runOptions())
      .catch(() => undefined);
  }
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
