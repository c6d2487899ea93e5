/**
 * Live migration (`tm premigrate`, `postmigrate`, `failmigrate`, called by the VMM driver with the
 * VM template on stdin). Each LINSTOR disk goes through core's migration protocol: the target is
 * attached and dual-primary is allowed for the migrating pair only (on their resource connection)
 * while QEMU hands over; post/failmigrate remove it again and detach the side that lost the VM.
 *
 * When this driver is the system datastore's TM (no 6th argument) it also copies the VM
 * directory's own files and calls the other TMs of the VM's disks, as `migrate_other` in
 * tm_common.sh does (with the template on stdin, which addon-linstor never passed on); when another
 * system TM called us (6th argument), only our own disks are handled.
 */

import type { ActionContext } from '../../context';
import { vmDiskVolume } from '../../disks';
import { copyVmDir, linkDisk, removeVmDir, unlinkDisk } from '../../hosts';
import { OneError } from '../../protocol';
import type { TmMigrateRequest } from '../../requests/tm';
import type { VmDisk } from '../../vm';

export const DRIVER_NAME = 'linstor';

type Phase = 'premigrate' | 'postmigrate' | 'failmigrate';

/** Our disks: those of TM_MAD linstor, and volatile disks when we are the system TM. */
function ourDisks(request: TmMigrateRequest): VmDisk[] {
  return request.vm.disks.filter(
    (d) =>
      d.tmMad === DRIVER_NAME ||
      (d.tmMad === undefined && d.source === undefined && request.callingTm === undefined),
  );
}

async function eachDisk(
  ctx: ActionContext,
  request: TmMigrateRequest,
  work: (disk: VmDisk, volume: Awaited<ReturnType<typeof vmDiskVolume>>) => Promise<void>,
): Promise<void> {
  for (const disk of ourDisks(request)) {
    const volume = await vmDiskVolume(ctx, request.vmId, disk.diskId, disk.datastoreId ?? request.dsId);
    await work(disk, volume);
  }
}

/** Runs the same action of the other TMs of the VM's disks (`migrate_other`), template on stdin. */
async function migrateOthers(ctx: ActionContext, request: TmMigrateRequest, phase: Phase): Promise<void> {
  if (request.callingTm !== undefined) return;
  const others = [
    ...new Set(
      request.vm.disks.map((d) => d.tmMad).filter((t): t is string => t !== undefined && t !== DRIVER_NAME),
    ),
  ];
  for (const tm of others) {
    if (!/^[a-z0-9_]{1,32}$/.test(tm)) throw new OneError(`The disk TM_MAD '${tm}' is not a driver name.`);
    const script = `${ctx.config.remotesDir}/tm/${tm}/${phase}`;
    ctx.log.info(`calling tm/${tm}/${phase} for its disks`);
    await ctx
      .localExecutor()
      .run(
        [
          script,
          request.sourceHost,
          request.targetHost,
          request.vmDir,
          String(request.vmId),
          String(request.dsId),
          DRIVER_NAME,
        ],
        ctx.runOptions({ input: request.templateBase64 }),
      );
  }
}

export async function tmPremigrate(ctx: ActionContext, request: TmMigrateRequest): Promise<undefined> {
  const from = ctx.nodeOf(request.sourceHost);
  const to = ctx.nodeOf(request.targetHost);
  if (request.callingTm === undefined) {
    await copyVmDir(ctx, request.sourceHost, request.vmDir, request.targetHost, request.vmDir);
  }
  await eachDisk(ctx, request, async (disk, { service, name }) => {
    const attached = await ctx.locked(request.targetHost, name, () =>
      service.beginMigration(name, from, to, ctx.call()),
    );
    await linkDisk(ctx, request.targetHost, attached.devicePath, `${request.vmDir}/disk.${disk.diskId}`);
    ctx.log.info(`${name} ready on ${request.targetHost} for the migration`);
  });
  await migrateOthers(ctx, request, 'premigrate');
  return undefined;
}

/**
 * Ends a migration on one side: core's commit (the VM now runs on the target) or abort (it stays
 * on the source), then the side that lost the VM drops its links and, as system TM, its directory.
 */
async function finishMigration(
  ctx: ActionContext,
  request: TmMigrateRequest,
  phase: 'postmigrate' | 'failmigrate',
): Promise<undefined> {
  const from = ctx.nodeOf(request.sourceHost);
  const to = ctx.nodeOf(request.targetHost);
  const loser = phase === 'postmigrate' ? request.sourceHost : request.targetHost;
  await eachDisk(ctx, request, async (disk, { service, name }) => {
    await ctx.locked(loser, name, () =>
      phase === 'postmigrate'
        ? service.commitMigration(name, from, to, ctx.call())
        : service.abortMigration(name, from, to, ctx.call()),
    );
    await unlinkDisk(ctx, loser, `${request.vmDir}/disk.${disk.diskId}`);
  });
  await migrateOthers(ctx, request, phase);
  if (request.callingTm === undefined) await removeVmDir(ctx, loser, request.vmDir);
  return undefined;
}

export function tmPostmigrate(ctx: ActionContext, request: TmMigrateRequest): Promise<undefined> {
  return finishMigration(ctx, request, 'postmigrate');
}

export function tmFailmigrate(ctx: ActionContext, request: TmMigrateRequest): Promise<undefined> {
  return finishMigration(ctx, request, 'failmigrate');
}
