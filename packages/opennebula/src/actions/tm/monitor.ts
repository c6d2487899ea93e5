/**
 * `tm monitor` (a shared LINSTOR system datastore, called by the DS driver): the capacity lines on
 * stdout and, when oned asks with MONITOR_VM_DISKS=1, each VM's disk sizes sent to the monitor
 * daemon (addon-linstor sent none, so Sunstone showed no disk sizes). The sizes come from one
 * LINSTOR request (the resource view) whatever the number of disks, beside capacity's pool view
 * (and the group's placement, which a bridge keeps in memory and one-shot calls in a file, for ten
 * minutes).
 *
 * No SNAPSHOT_SIZE lines: oned shows a snapshot as `<monitored>/<size at creation>`, the monitored
 * figure being the space the snapshot takes (`du` of a qcow2 snapshot, `rbd du` on Ceph). LINSTOR's
 * REST API reports no space per snapshot, only the volume size the snapshot was taken at, which is
 * the second figure again and would claim a full copy for every thin snapshot; reading it cost a
 * second view of every snapshot in the cluster. Without the line oned shows `-` (not measured).
 */

import { PROP_HV_PLATFORM } from '@linstor-hv/api';
import type { ActionContext } from '../../context';
import { PLATFORM } from '../../context';
import { MIB } from '../../disks';
import { monitordAddress, monitordKey, monitorMessage, sendDatagram } from '../../monitord';
import { PROP_ONE_DISK_ID, PROP_ONE_VM_ID } from '../../names';
import type { DsMonitorRequest } from '../../requests/ds';
import { capacityLines } from '../ds/monitor';

const mb = (bytes: number | undefined) => Math.ceil((bytes ?? 0) / MIB);

/** The `VM=[ID=…,MONITOR="…"]` lines for every VM with LINSTOR disks. */
export async function vmDiskPayload(ctx: ActionContext, request: DsMonitorRequest): Promise<string> {
  const usage = await ctx
    .service(request.datastore)
    .volumeUsage({ key: PROP_HV_PLATFORM, value: PLATFORM }, [PROP_ONE_VM_ID, PROP_ONE_DISK_ID], {
      ...ctx.call(),
      snapshots: false,
    });
  const byVm = new Map<string, string[]>();
  for (const volume of usage) {
    const vmId = volume.props[PROP_ONE_VM_ID];
    const diskId = volume.props[PROP_ONE_DISK_ID];
    if (vmId === undefined || diskId === undefined) continue;
    const lines = byVm.get(vmId) ?? [];
    lines.push(`DISK_SIZE=[ID=${diskId},SIZE=${mb(volume.allocatedBytes ?? volume.sizeBytes)}]`);
    byVm.set(vmId, lines);
  }
  return [...byVm]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(
      ([vmId, lines]) =>
        `VM=[ID=${vmId},MONITOR="${Buffer.from(lines.join('\n'), 'utf8').toString('base64')}"]`,
    )
    .join('\n');
}

export async function tmMonitor(ctx: ActionContext, request: DsMonitorRequest): Promise<string> {
  const [capacity, payload] = await Promise.all([
    capacityLines(ctx, request.datastore),
    request.monitorVmDisks ? vmDiskPayload(ctx, request) : Promise.resolve(undefined),
  ]);
  if (payload !== undefined && payload !== '') {
    const monitord = await monitordAddress(ctx.config.monitordConf);
    if (!monitord) ctx.log.info('no monitord.conf found; VM disk sizes not sent');
    else {
      const key = monitord.pubkey === undefined ? undefined : await monitordKey(monitord.pubkey);
      if (monitord.pubkey !== undefined && !key)
        ctx.log.info(`monitord's PUBKEY ${monitord.pubkey} cannot be read; VM disk sizes sent unencrypted`);
      await sendDatagram(monitord.address, monitord.port, monitorMessage(payload, key));
    }
  }
  return capacity;
}
