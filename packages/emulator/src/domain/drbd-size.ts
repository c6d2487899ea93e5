/**
 * Sizes of a diskful DRBD volume with internal metadata, as the controller computes them
 * (linstor-server `server/.../layer/drbd/DrbdLayerSizeCalculator.java` over `drbd/md/MetaData.java`,
 * and `layer/storage/StorageLayerSizeCalculator.java` for the storage layer's rounding):
 *
 *   DRBD allocated  = gross = the VD size (aligned to the bitmap block) + internal metadata
 *   storage usable  = gross rounded up to the pool's allocation granularity (LVM extent, ZFS block)
 *   DRBD usable     = what DRBD offers on that storage: the rounded size minus its metadata
 *
 * Metadata = activity log (1 stripe of 32 KiB) + a 4 KiB superblock + one bitmap per peer slot
 * (one bit per 4 KiB block, each peer's bitmap aligned to 8 bytes), aligned to 4 KiB. All sizes KiB.
 */
import { isThinProviderKind, type ProviderKind } from '@linstor-hv/api';

/** Activity log: `FIXME_AL_STRIPES` × `FIXME_AL_STRIPE_SIZE` in DrbdLayerSizeCalculator. */
const AL_KIB = 32;
const SUPERBLOCK_KIB = 4;
const ALIGN_KIB = 4;
/** DRBD's default bitmap granularity: one bit covers 4 KiB. */
const BITMAP_BLOCK_KIB = 4;
const PEER_BITMAP_ALIGN_BYTES = 8;
const MIN_GROSS_KIB = 68;

const ceilAlign = (value: number, alignment: number) => Math.ceil(value / alignment) * alignment;
const floorAlign = (value: number, alignment: number) => Math.floor(value / alignment) * alignment;

/** KiB of bitmaps that cover `coveredKib` for `peers` peer slots. */
function bitmapKib(coveredKib: number, peers: number): number {
  const bytesPerPeer = ceilAlign(Math.ceil(coveredKib / (BITMAP_BLOCK_KIB * 8)), PEER_BITMAP_ALIGN_BYTES);
  return ceilAlign(Math.ceil((bytesPerPeer * peers) / 1024), ALIGN_KIB);
}

function metadataKib(bitmap: number): number {
  return ceilAlign(bitmap + AL_KIB + SUPERBLOCK_KIB, ALIGN_KIB);
}

/**
 * Internal metadata for a device that must offer `netKib`: the bitmap has to cover the data and
 * the metadata itself, so it grows until it does (`getBitmapInternalSizeNet`).
 */
function metadataForNetKib(netKib: number, peers: number): number {
  const net = ceilAlign(netKib, ALIGN_KIB);
  let gross = net + AL_KIB + SUPERBLOCK_KIB;
  let bitmap = 0;
  let covered = 0;
  while (covered < gross) {
    const bytesPerPeer = ceilAlign(Math.ceil(gross / (BITMAP_BLOCK_KIB * 8)), PEER_BITMAP_ALIGN_BYTES);
    covered = bytesPerPeer * BITMAP_BLOCK_KIB * 8;
    bitmap = ceilAlign(Math.ceil((bytesPerPeer * peers) / 1024), ALIGN_KIB);
    gross = net + ceilAlign(AL_KIB + SUPERBLOCK_KIB + bitmap, ALIGN_KIB);
  }
  return metadataKib(bitmap);
}

/** The backing size DRBD needs to offer `netKib` (`MetaData.getGrossSize`). */
export function drbdGrossKib(netKib: number, peers: number): number {
  return Math.max(MIN_GROSS_KIB, ceilAlign(netKib, BITMAP_BLOCK_KIB) + metadataForNetKib(netKib, peers));
}

/** What DRBD offers on a backing device of `grossKib` (`MetaData.getNetSize`). */
export function drbdNetKib(grossKib: number, peers: number): number {
  return floorAlign(grossKib, ALIGN_KIB) - metadataKib(bitmapKib(ceilAlign(grossKib, ALIGN_KIB), peers));
}

/**
 * The allocation granularity the controller gives a new pool (`StorPoolControllerFactory`
 * `setDefaultProps`): the LVM extent (4 MiB), the ZFS block (8 KiB), 1 KiB for files.
 */
export function allocationGranularityKib(kind: ProviderKind): number {
  switch (kind) {
    case 'LVM':
    case 'LVM_THIN':
      return 4096;
    case 'ZFS':
    case 'ZFS_THIN':
      return 8;
    default:
      return 1;
  }
}

/** The sizes of one diskful volume of `sizeKib` on a pool of `kind`, with `peers` peer slots. */
export interface DiskfulSizes {
  /** DRBD layer `allocated_size_kib`: data plus internal metadata. */
  drbdAllocatedKib: number;
  /** DRBD layer `usable_size_kib` (and the volume's): at least the VD size. */
  drbdUsableKib: number;
  /** Storage layer `usable_size_kib` (the LV or zvol size); thick pools allocate all of it. */
  storageKib: number;
}

/** See DiskfulSizes. */
export function diskfulSizes(sizeKib: number, peers: number, kind: ProviderKind): DiskfulSizes {
  const gross = drbdGrossKib(sizeKib, peers);
  const storageKib = ceilAlign(gross, allocationGranularityKib(kind));
  return { drbdAllocatedKib: gross, drbdUsableKib: drbdNetKib(storageKib, peers), storageKib };
}

/**
 * KiB a diskful volume of `sizeKib` takes from its pool's free space. A thick pool (LVM, ZFS,
 * FILE) gives the storage layer's whole volume: the VD size plus DRBD's internal metadata, rounded
 * up to the allocation granularity (an LV of 1 GiB + 264 KiB is 257 extents); a thin pool's free
 * space follows the data written, so it is charged the VD size for over-subscription only.
 */
export function poolChargeKib(sizeKib: number, peers: number, kind: ProviderKind): number {
  if (kind === 'DISKLESS' || isThinProviderKind(kind)) return sizeKib;
  return diskfulSizes(sizeKib, peers, kind).storageKib;
}
