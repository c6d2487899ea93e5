/**
 * The status cache the Perl plugin reads on every `status` call (pvestatd asks every 10 s on every
 * node): the storage's figures in bytes and what its pools can do. Written atomically, so a reader
 * never sees half a file.
 */

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What the Perl side reads. */
export interface StatusFigures {
  /** Bytes of volume data the group can hold (after replication). */
  total: number;
  /** Bytes still free. */
  avail: number;
  /** `total − avail`. */
  used: number;
  capabilities: {
    /** The group's pools can take snapshots (everything but thick LVM). */
    snapshots: boolean;
    /** Thin provisioning (qemu-img may skip zeroes: `sparseinit`). */
    thin: boolean;
  };
  /** When the figures were read (ISO time), for people reading the file. */
  fetchedAt: string;
}

/** Writes the figures to `file` (temporary file in the same directory, then rename). */
export async function writeStatusCache(file: string, figures: StatusFigures): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(figures)}\n`, { mode: 0o644 });
  await rename(temporary, file);
}
