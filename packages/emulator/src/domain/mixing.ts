/**
 * Which storage drivers may back the replicas of one volume (linstor-server
 * `server/.../storage/kinds/DeviceProviderKind.java` `isMixingAllowed`, checked on every diskful
 * placement by `CtrlStorPoolResolveHelper.checkSameKindAsPeers` and honoured by the autoplacer's
 * `SelectionManager.checkDevProviderKind`):
 *
 * - LVM, LVM_THIN, ZFS and ZFS_THIN stay among their own kind (ZFS with ZFS_THIN), and mix with
 *   one another only when `AllowMixingStoragePoolDriver` is true on the RD, its RG or the
 *   controller (most specific wins) and both satellites run DRBD 9.1.18+ (below 9.2) or 9.2.7+;
 *   the emulated satellites run a recent DRBD 9.2, so the property alone decides;
 * - FILE and FILE_THIN mix with each other, never with LVM or ZFS;
 * - a diskless peer never conflicts.
 */
import { type ApiCallRc, FAIL_INVLD_STOR_DRIVER, type ProviderKind, sameName } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { isDiskless, rscsOf } from './lookup';
import type { RdRec } from './model';
import { getPool } from './pools';
import { effectiveProp, rdPropsLayers } from './props';

/** `ApiConsts.KEY_RSC_ALLOW_MIXING_DEVICE_KIND`. */
export const ALLOW_MIXING_PROP = 'AllowMixingStoragePoolDriver';

const FAMILY: Partial<Record<ProviderKind, 'block' | 'zfs' | 'file'>> = {
  LVM: 'block',
  LVM_THIN: 'block',
  ZFS: 'zfs',
  ZFS_THIN: 'zfs',
  FILE: 'file',
  FILE_THIN: 'file',
};

/** True when replicas of one volume may live on `a` and `b` (see the module comment). */
export function mixingAllowed(a: ProviderKind, b: ProviderKind, allowMixing: boolean): boolean {
  if (a === 'DISKLESS' || b === 'DISKLESS' || a === b) return true;
  const fa = FAMILY[a];
  const fb = FAMILY[b];
  if (fa === undefined || fb === undefined) return false;
  // LVM and LVM_THIN are distinct kinds; ZFS with ZFS_THIN and FILE with FILE_THIN always mix.
  if (fa === fb && fa !== 'block') return true;
  if (fa === 'file' || fb === 'file') return false;
  return allowMixing;
}

/** `AllowMixingStoragePoolDriver` along RD → RG → controller (`spMixingPrioProps`). */
export function mixingAllowedFor(ctx: EmulatorContext, rd: RdRec): boolean {
  return effectiveProp(rdPropsLayers(ctx, rd), ALLOW_MIXING_PROP)?.toLowerCase() === 'true';
}

/** The provider kinds of the RD's diskful replicas on nodes other than `exceptNode`. */
export function peerKinds(ctx: EmulatorContext, rd: RdRec, exceptNode?: string): ProviderKind[] {
  const kinds = new Set<ProviderKind>();
  for (const rsc of rscsOf(ctx, rd.name)) {
    if (isDiskless(rsc) || (exceptNode !== undefined && sameName(rsc.nodeName, exceptNode))) continue;
    for (const v of rsc.volumes) {
      const kind = getPool(ctx, rsc.nodeName, v.poolName)?.providerKind;
      if (kind) kinds.add(kind);
    }
  }
  return [...kinds];
}

/**
 * Refuses a diskful replica on a pool of `kind` next to peers of another driver, with the
 * controller's FAIL_INVLD_STOR_DRIVER entry; its correction names the property when setting it
 * would help (`makeInvalidDriverKindError`). `mask` carries the call's op and object bits.
 */
export function checkSameKindAsPeers(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  kind: ProviderKind,
  mask: bigint,
): void {
  if (kind === 'DISKLESS') return;
  const allow = mixingAllowedFor(ctx, rd);
  for (const peer of peerKinds(ctx, rd, nodeName)) {
    if (mixingAllowed(kind, peer, allow)) continue;
    throw new ApiCallError(invalidDriverEntry(kind, peer, !allow && mixingAllowed(kind, peer, true), mask));
  }
}

function invalidDriverEntry(
  kind: ProviderKind,
  peer: ProviderKind,
  propWouldHelp: boolean,
  mask: bigint,
): ApiCallRc {
  return entry(FAIL_INVLD_STOR_DRIVER | mask, `Storage driver '${kind}' not allowed for volume.`, {
    details:
      'Using storage pools with different storage drivers on the same volume definition is not supported.',
    correction: propWouldHelp
      ? `Either use a storage pool with a driver compatible with ${peer}, or enable storage pool mixing using the property '${ALLOW_MIXING_PROP}'`
      : `Use a storage pool with the driver '${peer}'`,
  });
}
