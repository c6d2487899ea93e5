/**
 * A resource group's placement as a one-shot `ds monitor`/`tm monitor` read it, kept in a file so
 * the next one-shot monitor within ten minutes (what a bridge keeps in memory, core's limit for
 * capacity placements) reads only the pool view. One file per controller list and group under
 * `<lockDir>/placements`; a file missing, unreadable, of another shape, too old or from the future
 * is ignored, and writing it is best effort.
 */

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GroupPlacement } from '@linstor-hv/core';

/** How long a one-shot monitor reuses a placement an earlier one read. */
export const PLACEMENT_REUSE_MS = 10 * 60_000;

function fileOf(dir: string, controllers: string, group: string): string {
  const key = createHash('sha256')
    .update(`${controllers}\n${group.toLowerCase()}`)
    .digest('hex')
    .slice(0, 24);
  return join(dir, 'placements', `${key}.json`);
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The placement recorded less than {@link PLACEMENT_REUSE_MS} ago, else undefined. */
export async function readPlacementFile(
  dir: string,
  controllers: string,
  group: string,
  now = Date.now(),
): Promise<GroupPlacement | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(fileOf(dir, controllers, group), 'utf8'));
  } catch {
    return undefined;
  }
  const { readAt, placement } = (parsed ?? {}) as { readAt?: unknown; placement?: Record<string, unknown> };
  if (typeof readAt !== 'number' || readAt > now || now - readAt >= PLACEMENT_REUSE_MS) return undefined;
  if (
    !placement ||
    typeof placement.replicas !== 'number' ||
    !Number.isInteger(placement.replicas) ||
    placement.replicas < 1 ||
    !isStrings(placement.storagePools) ||
    !isStrings(placement.nodes)
  )
    return undefined;
  return { replicas: placement.replicas, storagePools: placement.storagePools, nodes: placement.nodes };
}

/** Records a placement just read (written whole through a rename; failures are ignored). */
export async function writePlacementFile(
  dir: string,
  controllers: string,
  group: string,
  placement: GroupPlacement,
  now = Date.now(),
): Promise<void> {
  const file = fileOf(dir, controllers, group);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(join(dir, 'placements'), { recursive: true, mode: 0o700 });
    await writeFile(temp, JSON.stringify({ readAt: now, placement }), { mode: 0o600 });
    await rename(temp, file);
  } catch {
    // Best effort: the next one-shot monitor reads the group again.
  }
}
