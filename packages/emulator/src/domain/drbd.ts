/**
 * DRBD number allocation: TCP ports per resource on its node, minor numbers per volume definition,
 * node ids per resource. Allocation is deterministic (lowest free number first) and numbers freed
 * by a delete are reused, as LINSTOR's number pools do.
 *
 * Ports, as linstor-server allocates them since 1.31: every node has its own pool
 * (`Node.getTcpPortPool`, range `TcpPortAutoRange` of the node, else the controller's), and a DRBD
 * resource takes its ports from its node's pool when its layer data is made
 * (`DrbdRscData.initPorts`): the `drbd_tcp_ports` asked for, else the RD's `drbd_port` and the
 * peers' ports when free there, else the lowest free one (`BitmapPool.autoAllocate`). The RD holds
 * no port.
 *
 * Collections (added to model.ts's list):
 *   nodePorts   [nodeKey, String(port)] -> rdKey     (which resource holds a port on a node)
 *   drbdMinors  [String(minor)]  -> {rdKey, vlmNr}    (which VD holds a minor)
 *   counters    ['drbd']         -> DrbdNumbersRec    (minor cursor and free list)
 *   counters    ['ports', nodeKey] -> PortHintRec     (every port of the range below `lowFree` is taken)
 */
import {
  FAIL_INVLD_MINOR_NR,
  FAIL_POOL_EXHAUSTED_MINOR_NR,
  FAIL_UNKNOWN_ERROR,
  MASK_ERROR,
  nameKey,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import type { NodeRec, RdRec, RscRec } from './model';
import { controllerProps } from './props';

/** ApiConsts.FAIL_POOL_EXHAUSTED_RSC_LAYER_ID (804), what a resource without a free port gets. */
export const FAIL_POOL_EXHAUSTED_RSC_LAYER_ID = 804n | MASK_ERROR;

/**
 * Default port range. LINSTOR's own default is 7000-7999; the emulator's is wider so that the
 * 10,000-RD scale benchmark fits. Set the controller prop `TcpPortAutoRange` to narrow it.
 */
export const DEFAULT_PORT_RANGE = { first: 7000, last: 65535 };
/** LINSTOR's default `MinorNrAutoRange`. */
export const DEFAULT_MINOR_RANGE = { first: 1000, last: 49999 };

/** The minor cursor and free list (`nextPort`/`freePorts` are left over in older data directories). */
interface DrbdNumbersRec {
  nextPort?: number;
  freePorts?: number[];
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
    ? { ...rec, freeMinors: [...rec.freeMinors] }
    : { nextMinor: DEFAULT_MINOR_RANGE.first, freeMinors: [] };
}

function allocateMinorNumber(
  ctx: EmulatorContext,
  range: Range,
  preferred: number | undefined,
  owner: unknown,
): number {
  const rec = numbers(ctx);
  const free = rec.freeMinors;
  const inUse = (n: number) => ctx.store.get('drbdMinors', [String(n)]) !== undefined;
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
    let next = Math.max(rec.nextMinor, range.first);
    // Bounded walk past numbers taken explicitly by callers.
    while (chosen === undefined && next <= range.last) {
      if (!inUse(next)) chosen = next;
      next++;
    }
    rec.nextMinor = next;
    if (chosen === undefined) return -1;
  }
  ctx.store.put('drbdMinors', [String(chosen)], owner);
  ctx.store.put('counters', ['drbd'], rec);
  return chosen;
}

interface PortHintRec {
  /** The range start the hint was computed for. */
  first: number;
  /** Every port from `first` below this one is taken on the node. */
  lowFree: number;
}

/** The node's `TcpPortAutoRange`, else the controller's, else the default. */
function portRange(ctx: EmulatorContext, nodeName: string): Range {
  const node = ctx.store.get<NodeRec>('nodes', [nameKey(nodeName)]);
  const controllerRange = parseRange(controllerProps(ctx).TcpPortAutoRange, DEFAULT_PORT_RANGE);
  return parseRange(node?.props.TcpPortAutoRange, controllerRange);
}

function portTaken(ctx: EmulatorContext, nodeKey: string, port: number): boolean {
  return ctx.store.get('nodePorts', [nodeKey, String(port)]) !== undefined;
}

function takePort(ctx: EmulatorContext, nodeKey: string, port: number, rdKey: string): void {
  ctx.store.put('nodePorts', [nodeKey, String(port)], rdKey);
}

/** The lowest free port of the range on a node (-1 when none is), kept cheap by the node's hint. */
function lowestFreePort(ctx: EmulatorContext, nodeKey: string, range: Range): number {
  const hint = ctx.store.get<PortHintRec>('counters', ['ports', nodeKey]);
  let port = hint && hint.first === range.first ? Math.max(hint.lowFree, range.first) : range.first;
  while (port <= range.last && portTaken(ctx, nodeKey, port)) port++;
  ctx.store.put<PortHintRec>('counters', ['ports', nodeKey], { first: range.first, lowFree: port });
  return port <= range.last ? port : -1;
}

/** The error of a port that cannot be had, as CtrlRscLayerDataFactory.ensureStackDataExists words it. */
function portError(opObjMask: bigint, exhausted: boolean): ApiCallError {
  if (!exhausted) {
    // ValueInUseException / ValueOutOfRangeException end in the generic `catch (Exception exc)`.
    return new ApiCallError(
      entry(FAIL_UNKNOWN_ERROR | opObjMask, 'An exception occurred while creating layer data'),
    );
  }
  return new ApiCallError(
    entry(
      FAIL_POOL_EXHAUSTED_RSC_LAYER_ID | opObjMask,
      'No TCP/IP port number could be allocated for the resource',
      {
        cause: 'The pool of free TCP/IP port numbers is exhausted',
        correction:
          '- Adjust the TcpPortAutoRange controller configuration value to extend the range\n' +
          '  of TCP/IP port numbers used for automatic allocation\n' +
          '- Delete unused resource definitions that occupy TCP/IP port numbers from the range\n' +
          '  used for automatic allocation\n',
      },
    ),
  );
}

/** What allocateResourcePorts takes from a ResourceCreate. */
export interface PortRequest {
  /** `drbd_tcp_ports`: exactly these (refused when taken or outside the range). */
  fixed?: readonly number[];
  /** `drbd_tcp_port_count` (default: as many as `fixed`, else 1). */
  count?: number;
}

/**
 * Allocates the TCP ports of a new DRBD resource of `rd` on `nodeName` (see the module comment).
 * Throws FAIL_POOL_EXHAUSTED_RSC_LAYER_ID when the node's range is used up, FAIL_UNKNOWN_ERROR for
 * a fixed port that is taken or outside the range (with the caller's op/object bits).
 */
export function allocateResourcePorts(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  opObjMask: bigint,
  request: PortRequest = {},
): number[] {
  const nodeKey = nameKey(nodeName);
  const rdKey = nameKey(rd.name);
  const range = portRange(ctx, nodeName);
  const fixed = request.fixed ?? [];
  const count = request.count ?? (fixed.length > 0 ? fixed.length : 1);
  const ports: number[] = [];
  for (const port of fixed) {
    if (ports.includes(port)) continue;
    if (port < range.first || port > range.last || portTaken(ctx, nodeKey, port))
      throw portError(opObjMask, false);
    takePort(ctx, nodeKey, port, rdKey);
    ports.push(port);
  }
  const preferred: number[] = [];
  if (rd.drbdRdPort !== undefined) preferred.push(rd.drbdRdPort);
  for (const peer of ctx.store.list<RscRec>('resources', [rdKey])) preferred.push(...(peer.tcpPorts ?? []));
  for (const port of preferred) {
    if (ports.length >= count) break;
    if (ports.includes(port) || port < range.first || port > range.last || portTaken(ctx, nodeKey, port))
      continue;
    takePort(ctx, nodeKey, port, rdKey);
    ports.push(port);
  }
  while (ports.length < count) {
    const port = lowestFreePort(ctx, nodeKey, range);
    if (port < 0) throw portError(opObjMask, true);
    takePort(ctx, nodeKey, port, rdKey);
    ports.push(port);
  }
  return ports.sort((a, b) => a - b);
}

/** Returns a resource's ports to its node's pool. */
export function releaseResourcePorts(ctx: EmulatorContext, nodeName: string, ports: readonly number[]): void {
  const nodeKey = nameKey(nodeName);
  let low = Number.POSITIVE_INFINITY;
  for (const port of ports) {
    if (!portTaken(ctx, nodeKey, port)) continue;
    ctx.store.delete('nodePorts', [nodeKey, String(port)]);
    low = Math.min(low, port);
  }
  const hint = ctx.store.get<PortHintRec>('counters', ['ports', nodeKey]);
  if (hint && low < hint.lowFree)
    ctx.store.put<PortHintRec>('counters', ['ports', nodeKey], { ...hint, lowFree: low });
}

/**
 * Drops the port an RD held in data directories written before ports moved to the resources
 * (`drbdPorts` [String(port)] -> rdKey).
 */
export function releaseLegacyRdPort(ctx: EmulatorContext, rd: RdRec): void {
  if (rd.drbdPort !== undefined) ctx.store.delete('drbdPorts', [String(rd.drbdPort)]);
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
  const minor = allocateMinorNumber(ctx, range, preferred, { rdKey: nameKey(rdName), vlmNr });
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
  if (ctx.store.get('drbdMinors', [String(minor)]) === undefined) return;
  ctx.store.delete('drbdMinors', [String(minor)]);
  const rec = numbers(ctx);
  if (!rec.freeMinors.includes(minor)) rec.freeMinors.push(minor);
  ctx.store.put('counters', ['drbd'], rec);
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
