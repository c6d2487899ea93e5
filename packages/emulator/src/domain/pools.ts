/**
 * Storage pools: provider traits, capacity accounting and the `StoragePool` wire view.
 *
 * Capacity (KiB): a thick pool (LVM, ZFS, FILE) reserves the full size of every volume placed in it,
 * so free = total − reserved; a thin pool (LVM_THIN, ZFS_THIN, FILE_THIN) only loses what was
 * really written, so free = total − the data plane's allocated sizes. DISKLESS reports Long.MAX.
 */
import { isThinProviderKind, nameKey, type ProviderKind, takesSnapshots } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { notConnected } from './codes';
import type { NodeRec, PoolRec, PoolUsageRec } from './model';
import { controllerProps } from './props';
import { poolAllocatedKib } from './storage';

/** Long.MAX: what the controller reports as free and total capacity of a DISKLESS pool. */
export const DISKLESS_CAPACITY = 9223372036854775807n;

/** The name of the diskless pool every satellite has. */
export const DFLT_DISKLESS_POOL = 'DfltDisklessStorPool';

/** LINSTOR's default `MaxOversubscriptionRatio` for thin pools. */
export const DEFAULT_OVERSUBSCRIPTION_RATIO = 20;

/** Provider kinds the emulator can host volumes in (plus DISKLESS). */
export const HOSTED_KINDS: readonly ProviderKind[] = [
  'DISKLESS',
  'LVM',
  'LVM_THIN',
  'ZFS',
  'ZFS_THIN',
  'FILE',
  'FILE_THIN',
];
/** The same, to check a requested kind. */
export const SUPPORTED_KINDS: ReadonlySet<string> = new Set(HOSTED_KINDS);

/** True for thin-provisioned provider kinds (the one table in `@linstor-hv/api`). */
export function isThin(kind: ProviderKind): boolean {
  return isThinProviderKind(kind);
}

/** True when the provider kind can take snapshots (the one table in `@linstor-hv/api`). */
export function supportsSnapshots(kind: ProviderKind): boolean {
  return takesSnapshots(kind);
}

/** The pool record, or undefined. */
export function getPool(ctx: EmulatorContext, nodeName: string, poolName: string): PoolRec | undefined {
  return ctx.store.get<PoolRec>('pools', [nameKey(nodeName), nameKey(poolName)]);
}

/** KiB of volume sizes placed in the pool. */
export function reservedKib(ctx: EmulatorContext, nodeName: string, poolName: string): number {
  return ctx.store.get<PoolUsageRec>('poolUsage', [nameKey(nodeName), nameKey(poolName)])?.reservedKib ?? 0;
}

/** Adds `deltaKib` (may be negative) to the sizes placed in a pool; call inside a transaction. */
export function addReserved(
  ctx: EmulatorContext,
  nodeName: string,
  poolName: string,
  deltaKib: number,
): void {
  const key = [nameKey(nodeName), nameKey(poolName)];
  const next = Math.max(0, reservedKib(ctx, nodeName, poolName) + deltaKib);
  if (next === 0) ctx.store.delete('poolUsage', key);
  else ctx.store.put<PoolUsageRec>('poolUsage', key, { reservedKib: next });
}

/** Capacity of a pool in KiB; DISKLESS pools report Long.MAX (a bigint, written exactly). */
export interface PoolCapacity {
  totalKib: number | bigint;
  freeKib: number | bigint;
  reservedKib: number;
}

/** Current capacity of a pool (see the module comment for thin vs thick). */
export function poolCapacity(ctx: EmulatorContext, pool: PoolRec): PoolCapacity {
  if (pool.providerKind === 'DISKLESS' || pool.totalKib === undefined) {
    return { totalKib: DISKLESS_CAPACITY, freeKib: DISKLESS_CAPACITY, reservedKib: 0 };
  }
  const reserved = reservedKib(ctx, pool.nodeName, pool.name);
  const used = isThin(pool.providerKind) ? poolAllocatedKib(ctx, pool.nodeName, pool.name) : reserved;
  return { totalKib: pool.totalKib, freeKib: Math.max(0, pool.totalKib - used), reservedKib: reserved };
}

/** The controller's thin over-subscription ratio (`MaxOversubscriptionRatio`, default 20). */
export function oversubscriptionRatio(ctx: EmulatorContext): number {
  const v = Number(controllerProps(ctx).MaxOversubscriptionRatio);
  return Number.isFinite(v) && v >= 1 ? v : DEFAULT_OVERSUBSCRIPTION_RATIO;
}

/**
 * The largest volume (KiB) one more placement in this pool may have: thick pools their free space;
 * thin pools free × ratio, bounded by total × ratio − reserved (LINSTOR's over-subscription rule).
 */
export function placeableKib(ctx: EmulatorContext, pool: PoolRec, cap = poolCapacity(ctx, pool)): number {
  if (typeof cap.freeKib === 'bigint') return Number.MAX_SAFE_INTEGER;
  if (!isThin(pool.providerKind)) return cap.freeKib;
  const ratio = oversubscriptionRatio(ctx);
  return Math.max(0, Math.min(cap.freeKib * ratio, (cap.totalKib as number) * ratio - cap.reservedKib));
}

/**
 * The wire `StoragePool` of a pool record. A pool whose node is offline has no capacity and one
 * WARN_NOT_CONNECTED report, as `CtrlStorPoolListApiCallHandler.assembleList` answers for a
 * satellite without a connection (bare code, no object bits; the list itself stays HTTP 200).
 */
export function poolView(ctx: EmulatorContext, pool: PoolRec): Record<string, unknown> {
  const snapshots = supportsSnapshots(pool.providerKind);
  const traits: Record<string, string> = { SupportsSnapshots: String(snapshots) };
  if (pool.providerKind !== 'DISKLESS') traits.Provisioning = isThin(pool.providerKind) ? 'Thin' : 'Fat';
  const node = ctx.store.get<NodeRec>('nodes', [nameKey(pool.nodeName)]);
  const nodeName = node?.name ?? pool.nodeName;
  const cap = node?.online ? poolCapacity(ctx, pool) : undefined;
  return {
    storage_pool_name: pool.name,
    node_name: nodeName,
    provider_kind: pool.providerKind,
    props: pool.props,
    static_traits: traits,
    free_capacity: cap?.freeKib,
    total_capacity: cap?.totalKib,
    free_space_mgr_name: `${nodeName};${pool.name}`,
    uuid: pool.uuid,
    reports: cap ? undefined : [notConnected(nodeName, 0n, false)],
    supports_snapshots: snapshots,
    external_locking: false,
  };
}
