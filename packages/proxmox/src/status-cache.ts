/**
 * The status cache the Perl plugin reads on every `status` call (pvestatd asks every 10 s on every
 * node): the storage's figures in bytes and what its pools can do. Written atomically, so a reader
 * never sees half a file.
 */

import { lutimesSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makePrivateDirectory, readWithoutFollowing, replacePrivateFile } from '@linstor-hv/client';

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
  /**
   * When these figures were first read (ISO time), for people reading the file; the file's time
   * says when they were last confirmed (an unchanged refresh only touches it).
   */
  fetchedAt: string;
  /**
   * The group's placement as a one-shot process read it, and when (ISO time): the next one-shot
   * refresh reuses it within {@link PLACEMENT_REUSE_MS} instead of reading the group again.
   */
  placement?: KnownPlacement;
}

/** A group's placement (core's `GroupPlacement`) with the time it was read from the controller. */
export interface KnownPlacement {
  replicas: number;
  storagePools: string[];
  nodes: string[];
  readAt: string;
}

/**
 * How long a one-shot process reuses the placement a previous one wrote: as long as the bridge
 * keeps it in memory for capacity figures (core's limit), so both transports see a changed group
 * within the same time.
 */
export const PLACEMENT_REUSE_MS = 10 * 60_000;

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && /^[\x21-\x7e]{1,255}$/.test(v));
}

/**
 * The placement in the status cache `file` when it was read less than {@link PLACEMENT_REUSE_MS}
 * ago (and not in the future); undefined when there is none, it is too old, or the file is not
 * what this module writes.
 */
export function readKnownPlacement(file: string, now = Date.now()): KnownPlacement | undefined {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const placement = (data as { placement?: unknown } | null)?.placement as
    | Partial<KnownPlacement>
    | undefined;
  if (typeof placement !== 'object' || placement === null) return undefined;
  const { replicas, storagePools, nodes, readAt } = placement;
  if (!Number.isSafeInteger(replicas) || (replicas as number) < 1) return undefined;
  if (!isNameList(storagePools) || !isNameList(nodes) || typeof readAt !== 'string') return undefined;
  const age = now - Date.parse(readAt);
  if (!(age >= 0 && age < PLACEMENT_REUSE_MS)) return undefined;
  return { replicas: replicas as number, storagePools, nodes, readAt };
}

/**
 * Writes the figures to `file`: the directory is created 0700 (an existing one is tightened to 0700,
 * and one that is a symbolic link is refused), the figures go to a new temporary file with an
 * unpredictable name created exclusively without following links, which is then renamed over `file`.
 * The few system calls on a local directory are made synchronously: each asynchronous one would
 * cost a hop through the thread pool, more than the call itself, on every status refresh.
 */
export async function writeStatusCache(file: string, figures: StatusFigures): Promise<void> {
  makePrivateDirectory(
    dirname(file),
    (directory) => `status cache directory ${directory} is not a directory (a symbolic link?); remove it`,
  );
  if (sameOnDisk(file, figures)) {
    // Replacing a file by rename makes ext4 write the new one out first (about a millisecond, more
    // on a busy disk); figures that did not change only get a new time, which is what the Perl
    // side reads as their age.
    const now = new Date();
    lutimesSync(file, now, now);
    return;
  }
  replacePrivateFile(file, `${JSON.stringify(figures)}\n`);
}

/** True when `file` (never followed if a link) holds these figures, whenever they were read. */
function sameOnDisk(file: string, figures: StatusFigures): boolean {
  let text: string;
  try {
    text = readWithoutFollowing(file);
  } catch {
    return false;
  }
  const withoutTime = (value: unknown) =>
    JSON.stringify({ ...(value as Record<string, unknown>), fetchedAt: undefined });
  try {
    return withoutTime(JSON.parse(text)) === withoutTime(figures);
  } catch {
    return false;
  }
}

/**
 * The status figures a resident bridge keeps between calls, by status cache file (one per
 * controller list and resource group): pvestatd asks every 10 s on every node, and within the
 * storage's `statuscache` the bridge answers from here without a request. Concurrent refreshes of
 * one key share one read.
 */
export class StatusMemory {
  private readonly entries = new Map<string, { figures: StatusFigures; at: number }>();
  private readonly refreshing = new Map<string, Promise<StatusFigures>>();

  /** The figures of `key` when they are younger than `maxAgeMs`. */
  fresh(key: string, maxAgeMs: number, now = Date.now()): StatusFigures | undefined {
    const entry = this.entries.get(key);
    return entry && now - entry.at < maxAgeMs ? entry.figures : undefined;
  }

  /** The last figures of `key` whatever their age, with their age in ms. */
  last(key: string, now = Date.now()): { figures: StatusFigures; ageMs: number } | undefined {
    const entry = this.entries.get(key);
    return entry && { figures: entry.figures, ageMs: Math.max(0, now - entry.at) };
  }

  /** Runs `read` (or joins the one running for `key`) and keeps its figures. */
  refresh(key: string, read: () => Promise<StatusFigures>): Promise<StatusFigures> {
    let running = this.refreshing.get(key);
    if (!running) {
      running = read()
        .then((figures) => {
          this.entries.set(key, { figures, at: Date.now() });
          return figures;
        })
        .finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, running);
    }
    return running;
  }
}
