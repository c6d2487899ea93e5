/**
 * Disk changes of a deployed resource (toggle-disk, make-available with a disk, migrate-disk):
 * giving a diskless resource a disk and taking it away, with the pool accounting.
 */
import {
  type ApiCallRc,
  FAIL_INSUFFICIENT_REPLICA_COUNT,
  FAIL_NOT_FOUND_STOR_POOL,
  MASK_MOD,
  MASK_RSC,
  MODIFIED,
  nameKey,
  PROP_STOR_POOL_NAME,
  sameName,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { pickPoolOnNode } from './candidates';
import { chargePool, checkFreeSpace, notConnected } from './deployment';
import { isDiskless, isOnline, rscsOf, vdsOf } from './lookup';
import { checkSameKindAsPeers } from './mixing';
import type { RdRec, RscRec } from './model';
import { DFLT_DISKLESS_POOL, getPool } from './pools';

/**
 * Gives a diskless resource a disk (toggle-disk INTO_DRBD_DISKFUL, make-available diskful:true):
 * the storage pool is `poolName` or the placer's choice on that node; volume data comes from the
 * peers (the shared volume file).
 */
export function addDisk(
  ctx: EmulatorContext,
  rsc: RscRec,
  poolName: string | undefined,
  opMask: bigint,
  entries: ApiCallRc[],
): RscRec {
  const mask = opMask | MASK_RSC;
  const rd = ctx.store.get<RdRec>('rds', [nameKey(rsc.rdName)])!;
  const chosen = poolName ?? pickPoolOnNode(ctx, rd, rsc.nodeName, opMask);
  const pool = getPool(ctx, rsc.nodeName, chosen);
  if (!pool || pool.providerKind === 'DISKLESS') {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_STOR_POOL | mask, `Storage pool '${chosen}' on node '${rsc.nodeName}' not found.`),
    );
  }
  const vds = vdsOf(ctx, rd.name);
  checkSameKindAsPeers(ctx, rd, rsc.nodeName, pool.providerKind, mask);
  checkFreeSpace(ctx, rd, rsc.nodeName, pool, vds, mask);
  const next: RscRec = {
    ...rsc,
    flags: rsc.flags.filter((f) => !['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER'].includes(f)),
    drbdClient: undefined,
    props: { ...rsc.props, [PROP_STOR_POOL_NAME]: pool.name },
    volumes: rsc.volumes.map((v) => ({ ...v, poolName: pool.name })),
  };
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], next);
  for (const vd of vds) chargePool(ctx, rd, rsc.nodeName, pool.name, vd.sizeKib, 1);
  entries.push(
    entry(
      MODIFIED | MASK_MOD | MASK_RSC,
      `Resource '${rd.name}' on node '${rsc.nodeName}' now has a disk in storage pool '${pool.name}'.`,
      {
        objRefs: { RscDfn: rd.name, Node: rsc.nodeName },
      },
    ),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MASK_MOD | MASK_RSC));
  return next;
}

/**
 * Removes the disk of a diskful resource (toggle-disk INTO_DRBD_DISKLESS): refused when no other
 * diskful replica would keep the data (FAIL_INSUFFICIENT_REPLICA_COUNT).
 */
export function removeDisk(
  ctx: EmulatorContext,
  rsc: RscRec,
  entries: ApiCallRc[],
  opts: { drbdClient?: boolean } = {},
): RscRec {
  const mask = MASK_MOD | MASK_RSC;
  const otherDiskful = rscsOf(ctx, rsc.rdName).filter(
    (r) => !isDiskless(r) && !sameName(r.nodeName, rsc.nodeName),
  );
  if (otherDiskful.length === 0) {
    throw new ApiCallError(
      entry(
        FAIL_INSUFFICIENT_REPLICA_COUNT | mask,
        `Resource '${rsc.rdName}' on node '${rsc.nodeName}' is the last replica with a disk.`,
        { correction: 'Add a diskful replica on another node first.' },
      ),
    );
  }
  const vds = vdsOf(ctx, rsc.rdName);
  const rd = ctx.store.get<RdRec>('rds', [nameKey(rsc.rdName)])!;
  for (const v of rsc.volumes) {
    const vd = vds.find((d) => d.volumeNumber === v.volumeNumber);
    if (vd) chargePool(ctx, rd, rsc.nodeName, v.poolName, vd.sizeKib, -1);
  }
  const props = { ...rsc.props, [PROP_STOR_POOL_NAME]: DFLT_DISKLESS_POOL };
  const next: RscRec = {
    ...rsc,
    flags: [...new Set([...rsc.flags, 'DISKLESS', 'DRBD_DISKLESS'])],
    props,
    volumes: rsc.volumes.map((v) => ({ ...v, poolName: DFLT_DISKLESS_POOL })),
    drbdClient: opts.drbdClient ? true : undefined,
  };
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], next);
  entries.push(
    entry(MODIFIED | mask, `Resource '${rsc.rdName}' on node '${rsc.nodeName}' is now diskless.`, {
      objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName },
    }),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, mask));
  return next;
}
