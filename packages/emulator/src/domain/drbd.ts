/**
 * DRBD number allocation: TCP ports per resource definition, minor numbers per volume definition,
 * node ids per resource. Allocation is deterministic (lowest free number first) and numbers freed
 * by a delete are reused, as LINSTOR's number pools do.
 *
 * Collections (added to model.ts's list):
 *   drbdPorts   [String(port)]   -> rdKey             (which RD holds a port)
 *   drbdMinors  [String(minor)]  -> {rdKey, vlmNr}    (which VD holds a minor)
 *   counters    ['drbd']         -> DrbdNumbersRec    (allocation cursors and free lists)
 */
import {
  FAIL_INVLD_MINOR_NR,
  FAIL_INVLD_TCP_PORT,
  FAIL_POOL_EXHAUSTED_MINOR_NR,
  FAIL_POOL_EXHAUSTED_TCP_PORT,
  nameKey,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import type { RscRec } from './model';
import { controllerProps } from './props';

/**
 * Default port range. LINSTOR's own default is 7000-7999; the emulator's is wider so that the
 * 10,000-RD scale benchmark fits. Set the controller prop `TcpPortAutoRange` to narrow it.
 */
export const DEFAULT_PORT_RANGE = { first: 7000, last: 65535 };
/** LINSTOR's default `MinorNrAutoRange`. */
export const DEFAULT_MINOR_RANGE = { first: 1000, last: 49999 };

interface DrbdNumbersRec {
  nextPort: number;
  freePorts: number[];
  nextMinor: number;
  freeMinors: number[];
}

interface Range {
  first: number;
  last: number;
}

function parseRange(value: string | undefined, fallback: Range): Range {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(value ?? '');
  if (!m) return fallback;
  const first = Number(m[1]);
  const last = Number(m[2]);
  return first <= last ? { first, last } : fallback;
}

function numbers(ctx: EmulatorContext): DrbdNumbersRec {
  const rec = ctx.store.get<DrbdNumbersRec>('counters', ['drbd']);
  return rec
    ? { ...rec, freePorts: [...rec.freePorts], freeMinors: [...rec.freeMinors] }
    : {
        nextPort: DEFAULT_PORT_RANGE.first,
        freePorts: [],
        nextMinor: DEFAULT_MINOR_RANGE.first,
        freeMinors: [],
      };
}

function allocate(
  ctx: EmulatorContext,
  kind: 'port' | 'minor',
  range: Range,
  preferred: number | undefined,
  owner: unknown,
): number {
  const collection = kind === 'port' ? 'drbdPorts' : 'drbdMinors';
  const rec = numbers(ctx);
  const free = kind === 'port' ? rec.freePorts : rec.freeMinors;
  const inUse = (n: number) => ctx.store.get(collection, [String(n)]) !== undefined;
  let chosen: number | undefined;
  if (preferred !== undefined) {
    if (inUse(preferred)) return -1;
    chosen = preferred;
    const i = free.indexOf(preferred);
    if (i >= 0) free.splice(i, 1);
  } else {
    // Lowest freed number inside the range first, then the cursor.
    // (numbers outside the current range stay listed for when the range changes back).
    free.sort((a, b) => a - b);
    const i = free.findIndex((n) => n >= range.first && n <= range.last && !inUse(n));
    if (i >= 0) chosen = free.splice(i, 1)[0];
    let next = Math.max(kind === 'port' ? rec.nextPort : rec.nextMinor, range.first);
    // Bounded walk past numbers taken explicitly by callers.
    while (chosen === undefined && next <= range.last) {
      if (!inUse(next)) chosen = next;
      next++;
    }
    if (kind === 'port') rec.nextPort = next;
    else rec.nextMinor = next;
    if (chosen === undefined) return -1;
  }
  ctx.store.put(collection, [String(chosen)], owner);
  ctx.store.put('counters', ['drbd'], rec);
  return chosen;
}

function release(ctx: EmulatorContext, kind: 'port' | 'minor', n: number): void {
  const collection = kind === 'port' ? 'drbdPorts' : 'drbdMinors';
  if (ctx.store.get(collection, [String(n)]) === undefined) return;
  ctx.store.delete(collection, [String(n)]);
  const rec = numbers(ctx);
  const free = kind === 'port' ? rec.freePorts : rec.freeMinors;
  if (!free.includes(n)) free.push(n);
  ctx.store.put('counters', ['drbd'], rec);
}

/**
 * Allocates a DRBD TCP port for resource definition `rdName` (the preferred one when given and
 * free). Throws FAIL_POOL_EXHAUSTED_TCP_PORT when none is left, FAIL_INVLD_TCP_PORT when the
 * preferred one is taken (with the caller's op/object bits).
 */
export function allocatePort(
  ctx: EmulatorContext,
  rdName: string,
  opObjMask: bigint,
  preferred?: number,
): number {
  const range = parseRange(controllerProps(ctx).TcpPortAutoRange, DEFAULT_PORT_RANGE);
  const port = allocate(ctx, 'port', range, preferred, nameKey(rdName));
  if (port < 0) {
    const message =
      preferred !== undefined
        ? `The TCP port ${preferred} is already in use.`
        : 'No TCP port is free in the auto-allocation range.';
    const code = preferred !== undefined ? FAIL_INVLD_TCP_PORT : FAIL_POOL_EXHAUSTED_TCP_PORT;
    throw new ApiCallError(entry(code | opObjMask, message));
  }
  return port;
}

/** Returns a port to the pool (no-op when it is not allocated). */
export function releasePort(ctx: EmulatorContext, port: number): void {
  release(ctx, 'port', port);
}

/**
 * Allocates a DRBD minor number for volume `vlmNr` of `rdName` (the preferred one when given and
 * free); the device path is `/dev/drbd<minor>`. Throws FAIL_POOL_EXHAUSTED_MINOR_NR when none is left.
 */
export function allocateMinor(
  ctx: EmulatorContext,
  rdName: string,
  vlmNr: number,
  opObjMask: bigint,
  preferred?: number,
): number {
  const range = parseRange(controllerProps(ctx).MinorNrAutoRange, DEFAULT_MINOR_RANGE);
  const minor = allocate(ctx, 'minor', range, preferred, { rdKey: nameKey(rdName), vlmNr });
  if (minor < 0) {
    const message =
      preferred !== undefined
        ? `The minor number ${preferred} is already in use.`
        : 'No DRBD minor number is free in the auto-allocation range.';
    const code = preferred !== undefined ? FAIL_INVLD_MINOR_NR : FAIL_POOL_EXHAUSTED_MINOR_NR;
    throw new ApiCallError(entry(code | opObjMask, message));
  }
  return minor;
}

/** Returns a minor number to the pool (no-op when it is not allocated). */
export function releaseMinor(ctx: EmulatorContext, minor: number): void {
  release(ctx, 'minor', minor);
}

/** The lowest DRBD node id (0-31) not used by another resource of `rdName`, or -1 when all are taken. */
export function allocateNodeId(ctx: EmulatorContext, rdName: string): number {
  const used = new Set(ctx.store.list<RscRec>('resources', [nameKey(rdName)]).map((r) => r.drbdNodeId));
  for (let id = 0; id < 32; id++) if (!used.has(id)) return id;
  return -1;
}

/** The DRBD device path of a minor number. */
export function drbdDevicePath(minor: number): string {
  return `/dev/drbd${minor}`;
}
