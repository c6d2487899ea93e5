import { describe, expect, it } from 'vitest';
import { diskfulSizes, drbdGrossKib, drbdNetKib } from '../src/domain/drbd-size';

// Figures worked out by hand from DRBD's metadata layout (32 KiB activity log, 4 KiB superblock,
// one bit per 4 KiB block and peer slot, 4 KiB alignment) and the pools' allocation granularity.
describe('DRBD internal metadata sizes', () => {
  it.each([
    // 1 GiB, 7 peer slots: the bitmaps cover data and metadata, 7 × 32,784 bytes → 228 KiB
    // (4 KiB aligned), + 36 KiB = 264 KiB of metadata.
    { net: 1048576, peers: 7, gross: 1048840 },
    // 1 MiB, 1 peer: the bitmap rounds up to 4 KiB, metadata 40 KiB.
    { net: 1024, peers: 1, gross: 1064 },
    // Tiny volumes still take DRBD's minimum gross size.
    { net: 4, peers: 1, gross: 68 },
    // 100 GiB, 3 peers: 3 × 3,277,104 bytes → 9,604 KiB of bitmaps, + 36 KiB.
    { net: 104857600, peers: 3, gross: 104857600 + 9640 },
  ])('$net KiB with $peers peer slot(s) needs $gross KiB', ({ net, peers, gross }) => {
    expect(drbdGrossKib(net, peers)).toBe(gross);
    expect(drbdNetKib(gross, peers)).toBeGreaterThanOrEqual(net);
  });

  it('rounds the backing device to the LVM extent and gives DRBD what fits on it', () => {
    expect(diskfulSizes(1048576, 7, 'LVM')).toEqual({
      drbdAllocatedKib: 1048840,
      storageKib: 1052672, // 257 extents of 4 MiB
      drbdUsableKib: 1052672 - 264, // DRBD offers the whole extent minus its metadata
    });
    expect(diskfulSizes(1048576, 7, 'ZFS').storageKib).toBe(1048840); // already a multiple of 8 KiB
    expect(diskfulSizes(1048572, 7, 'ZFS').storageKib).toBe(1048840);
    expect(diskfulSizes(1048576, 7, 'FILE_THIN').storageKib).toBe(1048840);
  });
});
