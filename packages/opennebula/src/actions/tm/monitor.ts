/**
 * `tm monitor` (a shared LINSTOR system datastore, called by the DS driver): the capacity lines on
 * stdout and, when oned asks with MONITOR_VM_DISKS=1, each VM's disk sizes sent to the monitor
 * daemon (addon-linstor sent none, so Sunstone showed no disk sizes). The sizes come from one
 * LINSTOR request (the resource view) whatever the number of disks, beside capacity's pool view
 * (and the group's placement, which a bridge keeps in memory and one-shot calls in a file, for ten
 * minutes).
 *
 * SNAPSHOT_SIZE lines come from the same view: LINSTOR's REST API reports no space per snapshot,
 * only the volume size the snapshot was taken at, and reading it would cost the snapshot view of
 * the whole cluster. So our snap_create records that size on the disk's definition
 * (`Aux/one/SNAPSHOT_SIZE/<id>`, snapshot-sizes.ts) and the snapshot deletes remove it; the
 * resource view carries the definition's properties. oned shows a snapshot as
 * `<monitored>/<size at creation>`, so a thin snapshot shows its full size, as a raw file's would.
 * Snapshots another tool took have no record and are not reported (oned shows `-`).
 */

import { PROP_HV_PLATFORM } from '@linstor-hv/api';
import type { ActionContext } from '../../context';
import { PLATFORM } from '../../context';
import { MIB } from '../../disks';
import { monitordAddress, monitordKey, monitorMessage, sendDatagram } from '../../monitord';
import { PROP_ONE_DISK_ID, PROP_ONE_SNAPSHOT_SIZE_PREFIX, PROP_ONE_VM_ID } from '../../names';
import type { DsMonitorRequest } from '../../requests/ds';
import { capacityLines } from '../ds/monitor';

const mb = (bytes: number | undefined) => Math.ceil((bytes ?? 0) / MIB);

/** The recorded snapshot sizes among a definition's properties, by snapshot id (ascending). */
function snapshotSizes(props: Readonly<Record<string, string>>): [number, number][] {
  const sizes: [number, number][] = [];
  for (const [key, value] of Object.entries(props)) {
    if (!key.startsWith(PROP_ONE_SNAPSHOT_SIZE_PREFIX)) continue;
    const id = key.slice(PROP_ONE_SNAPSHOT_SIZE_PREFIX.length);
    if (!/^\d+$/.test(id) || !/^\d+$/.test(value)) continue;
    sizes.push([Number(id), Number(value)]);
  }
  return sizes.sort(([a], [b]) => a - b);
}

/** The `VM=[ID=…,MONITOR="…"]` lines for every VM with LINSTOR disks. */
export async function vmDiskPayload(ctx: ActionContext, request: DsMonitorRequest): Promise<string> {
  const usage = await ctx
    .service(request.datastore)
    .volumeUsage({ key: PROP_HV_PLATFORM, value: PLATFORM }, [PROP_ONE_VM_ID, PROP_ONE_DISK_ID], {
      ...ctx.call(),
      snapshots: false,
      prefixes: [PROP_ONE_SNAPSHOT_SIZE_PREFIX],
    });
  const byVm = new Map<string, string[]>();
  for (const volume of usage) {
    const vmId = volume.props[PROP_ONE_VM_ID];
    const diskId = volume.props[PROP_ONE_DISK_ID];
    if (vmId === undefined || diskId === undefined) continue;
    const lines = byVm.get(vmId) ?? [];
    lines.push(`DISK_SIZE=[ID=${diskId},SIZE=${mb(volume.allocatedBytes ?? volume.sizeBytes)}]`);
    for (const [snapshotId, bytes] of snapshotSizes(volume.props)) {
      lines.push(`SNAPSHOT_SIZE=[ID=${snapshotId},DISK_ID=${diskId},SIZE=${mb(bytes)}]`);
    }
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
