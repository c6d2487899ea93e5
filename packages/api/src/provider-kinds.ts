/**
 * What a storage pool's provider kind can do, decided once for every package (core's capacity and
 * clone paths, the Proxmox status, the emulator). The sets follow LINSTOR's own table of kinds,
 * `DeviceProviderKind` in linstor-server (`server/src/main/java/com/linbit/linstor/storage/kinds/`).
 */

import type { ProviderKind } from './wire';

/**
 * Kinds that allocate space only when data is written. DISKLESS is "very thin" in LINSTOR's table
 * but holds no data, so it is left out: callers ask this about pools that store volumes.
 */
export const THIN_PROVIDER_KINDS: ReadonlySet<ProviderKind> = new Set<ProviderKind>([
  'LVM_THIN',
  'ZFS_THIN',
  'FILE_THIN',
  'STORAGE_SPACES_THIN',
]);

/**
 * Kinds whose pools take snapshots (LINSTOR's `isSnapshotSupported`). FILE is one of them:
 * linstor-server's `FileDriverKind.isSnapshotSupported()` returns true and `DeviceProviderKind.FILE`
 * is built with snapshot support, so an older copy of this list that refused FILE was wrong. Thick
 * LVM, DISKLESS, SPDK, REMOTE_SPDK and EXOS take none (LINSTOR answers FAIL_SNAPSHOTS_NOT_SUPPORTED);
 * kinds LINSTOR added later are assumed to take none until a pool says otherwise
 * (`supports_snapshots`).
 */
export const SNAPSHOT_PROVIDER_KINDS: ReadonlySet<ProviderKind> = new Set<ProviderKind>([
  'LVM_THIN',
  'ZFS',
  'ZFS_THIN',
  'FILE',
  'FILE_THIN',
]);

/** True for a kind that allocates on write (see {@link THIN_PROVIDER_KINDS}). */
export function isThinProviderKind(kind: string | undefined): boolean {
  return kind !== undefined && THIN_PROVIDER_KINDS.has(kind as ProviderKind);
}

/** True for a kind whose pools take snapshots (see {@link SNAPSHOT_PROVIDER_KINDS}). */
export function takesSnapshots(kind: string | undefined): boolean {
  return kind !== undefined && SNAPSHOT_PROVIDER_KINDS.has(kind as ProviderKind);
}
