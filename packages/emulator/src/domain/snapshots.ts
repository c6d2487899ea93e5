/**
 * Snapshots (linstor-api.md §2.8): create (one RD or several at once), list, view, modify, delete,
 * and rollback. A snapshot's data is one sparse copy per volume (replicas are identical, so one
 * copy serves every node that holds the snapshot); the record lists the nodes that hold it.
 *
 * Data ordering: snapshot files are written before the store transaction commits and removed
 * after it committed (see dataplane/data-plane.ts), so a crash leaves only orphans.
 */
import {
  type ApiCallRc,
  CREATED,
  DELETED,
  FAIL_EXISTS_SNAPSHOT_DFN,
  FAIL_INVLD_REQUEST,
  FAIL_INVLD_SNAPSHOT_NAME,
  FAIL_NOT_CONNECTED,
  FAIL_NOT_FOUND_RSC,
  FAIL_NOT_FOUND_SNAPSHOT,
  FAIL_NOT_FOUND_SNAPSHOT_DFN,
  FAIL_SNAPSHOTS_NOT_SUPPORTED,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_SNAPSHOT,
  MODIFIED,
  nameKey,
  nameProblem,
  PROP_ZFS_ROLLBACK_STRATEGY,
  type Props,
  type PropsModify,
  SNAPSHOT_NAME_RULE,
  type Snapshot,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { inUseError } from './deployment';
import { nameFilter } from './filters';
import { getRsc, isDiskless, isOnline, newUuid, requireRd, rscsOf, vdsOf } from './lookup';
import type { CountersRec, OpenRec, PoolRec, RdRec, RscRec, SnapNodeRec, SnapRec } from './model';
import { DFLT_DISKLESS_POOL, getPool, supportsSnapshots } from './pools';
import { applyPropsModify, controllerProps, validateProps } from './props';
import { dataPlane } from './storage';

export const CRT_SNAPSHOT = MASK_CRT | MASK_SNAPSHOT;
export const MOD_SNAPSHOT = MASK_MOD | MASK_SNAPSHOT;
export const DEL_SNAPSHOT = MASK_DEL | MASK_SNAPSHOT;

/** Provider kinds whose rollback is ZFS's: only to the newest snapshot unless a strategy allows more. */
const ZFS_KINDS: ReadonlySet<string> = new Set(['ZFS', 'ZFS_THIN']);

/** One snapshot to take: of resource definition `rdName`, named `name`, on `nodes` (default: every diskful node). */
export interface SnapshotRequest {
  rdName: string;
  name: unknown;
  nodes?: readonly string[];
  props?: Props;
}

/** The snapshot record, or undefined. */
export function getSnapshot(ctx: EmulatorContext, rdName: string, snapName: string): SnapRec | undefined {
  return ctx.store.get<SnapRec>('snapshots', [nameKey(rdName), nameKey(snapName)]);
}

/** All snapshots of a resource definition, oldest first (a prefix lookup). */
export function snapshotsOf(ctx: EmulatorContext, rdName: string): SnapRec[] {
  return ctx.store.list<SnapRec>('snapshots', [nameKey(rdName)]).sort((a, b) => a.seq - b.seq);
}

/** The snapshot, or throws FAIL_NOT_FOUND_SNAPSHOT_DFN (404) with the caller's op/object bits. */
export function requireSnapshot(
  ctx: EmulatorContext,
  rd: RdRec,
  snapName: string,
  opObjMask: bigint,
): SnapRec {
  const snap = getSnapshot(ctx, rd.name, snapName);
  if (!snap) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_SNAPSHOT_DFN | opObjMask,
        `Snapshot definition '${snapName}' of resource definition '${rd.name}' not found.`,
      ),
    );
  }
  return snap;
}

/**
 * Takes the requested snapshots, all or none, inside the caller's store transaction: validates
 * every request first, then copies the data, then writes the records. If anything fails after data
 * was copied, the copies are removed before the error propagates (and the transaction rolls back).
 */
export async function createSnapshots(
  ctx: EmulatorContext,
  requests: readonly SnapshotRequest[],
): Promise<ApiCallRc[]> {
  const planned: SnapRec[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    const snap = planSnapshot(ctx, req);
    const id = `${nameKey(snap.rdName)}\u0000${nameKey(snap.name)}`;
    if (seen.has(id)) throw existsError(snap.rdName, snap.name);
    seen.add(id);
    planned.push(snap);
  }

  const plane = dataPlane(ctx);
  const copied: SnapRec[] = [];
  try {
    for (const snap of planned) {
      copied.push(snap);
      for (const v of snap.volumes) await plane.snapshotVolume(snap.rdName, snap.name, v.volumeNumber);
    }
  } catch (err) {
    for (const snap of copied) plane.deleteSnapshot(snap.rdName, snap.name);
    throw err;
  }
  // Should the transaction still roll back, the copies go with its records.
  for (const snap of planned) {
    ctx.store.onRollback(() => {
      if (!getSnapshot(ctx, snap.rdName, snap.name)) plane.deleteSnapshot(snap.rdName, snap.name);
    });
  }

  const entries: ApiCallRc[] = [];
  for (const snap of planned) {
    ctx.store.put('snapshots', [nameKey(snap.rdName), nameKey(snap.name)], snap);
    entries.push(
      entry(CRT_SNAPSHOT | CREATED, `New snapshot '${snap.name}' of resource '${snap.rdName}' registered.`, {
        details: `Snapshot '${snap.name}' of resource '${snap.rdName}' UUID is: ${snap.uuid}`,
        objRefs: { RscDfn: snap.rdName, Snapshot: snap.name, UUID: snap.uuid },
      }),
      entry(
        CRT_SNAPSHOT | CREATED,
        `Snapshot '${snap.name}' of resource '${snap.rdName}' taken on node(s) '${snapNodeNames(snap)}'.`,
      ),
    );
  }
  return entries;
}

function snapNodeNames(snap: SnapRec): string {
  return snap.nodes.map((n) => n.nodeName).join(', ');
}

function existsError(rdName: string, snapName: string): ApiCallError {
  return new ApiCallError(
    entry(
      FAIL_EXISTS_SNAPSHOT_DFN | CRT_SNAPSHOT,
      `A snapshot definition with the name '${snapName}' already exists in resource definition '${rdName}'.`,
    ),
  );
}

/** Validates one request and builds its record (nothing is written). */
function planSnapshot(ctx: EmulatorContext, req: SnapshotRequest): SnapRec {
  const rd = requireRd(ctx, req.rdName, CRT_SNAPSHOT);
  const name = typeof req.name === 'string' ? req.name : '';
  const problem = nameProblem(name, SNAPSHOT_NAME_RULE);
  if (problem) {
    throw new ApiCallError(
      entry(FAIL_INVLD_SNAPSHOT_NAME | CRT_SNAPSHOT, `The specified snapshot name '${name}' is invalid.`, {
        cause: problem,
      }),
    );
  }
  if (getSnapshot(ctx, rd.name, name)) throw existsError(rd.name, name);
  validateProps(req.props, CRT_SNAPSHOT);

  const resources = snapshotResources(ctx, rd, req.nodes);
  const now = ctx.now();
  const nodes: SnapNodeRec[] = [];
  for (const rsc of resources) {
    if (!isOnline(ctx, rsc.nodeName)) {
      throw new ApiCallError(
        entry(FAIL_NOT_CONNECTED | CRT_SNAPSHOT, `No active connection to satellite '${rsc.nodeName}'`, {
          details: `The snapshot '${name}' of resource '${rd.name}' cannot be taken on '${rsc.nodeName}'.`,
        }),
      );
    }
    const pool = rscPool(ctx, rsc);
    nodes.push({ nodeName: rsc.nodeName, poolName: pool.name, createdAt: now, uuid: newUuid() });
  }

  return {
    rdName: rd.name,
    name,
    props: { ...(req.props ?? {}) },
    rdProps: { ...rd.props },
    flags: ['SUCCESSFUL'],
    volumes: vdsOf(ctx, rd.name).map((vd) => ({ volumeNumber: vd.volumeNumber, sizeKib: vd.sizeKib })),
    nodes,
    seq: nextSnapSeq(ctx),
    uuid: newUuid(),
  };
}

/** The resources a snapshot is taken on: the listed nodes, or every diskful resource of the RD. */
function snapshotResources(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeNames: readonly string[] | undefined,
): RscRec[] {
  if (nodeNames && nodeNames.length > 0) {
    return nodeNames.map((nodeName) => {
      const rsc = getRsc(ctx, rd.name, nodeName);
      if (!rsc) {
        throw new ApiCallError(
          entry(FAIL_NOT_FOUND_RSC | CRT_SNAPSHOT, `Resource '${rd.name}' on node '${nodeName}' not found.`),
        );
      }
      if (isDiskless(rsc)) throw notSupported(rd.name, rsc.nodeName, DFLT_DISKLESS_POOL, 'DISKLESS');
      return rsc;
    });
  }
  const diskful = rscsOf(ctx, rd.name).filter((r) => !isDiskless(r));
  if (diskful.length === 0) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_RSC | CRT_SNAPSHOT,
        `Resource definition '${rd.name}' has no resource with a disk to snapshot.`,
      ),
    );
  }
  return diskful;
}

/** The pool holding a diskful resource's volumes; refuses pools that cannot take snapshots. */
function rscPool(ctx: EmulatorContext, rsc: RscRec): PoolRec {
  const poolNames = rsc.volumes.map((v) => v.poolName);
  if (poolNames.length === 0 && rsc.props.StorPoolName) poolNames.push(rsc.props.StorPoolName);
  let first: PoolRec | undefined;
  for (const poolName of poolNames) {
    const pool = getPool(ctx, rsc.nodeName, poolName);
    const kind = pool?.providerKind ?? 'DISKLESS';
    if (!pool || !supportsSnapshots(kind)) throw notSupported(rsc.rdName, rsc.nodeName, poolName, kind);
    first ??= pool;
  }
  if (!first) throw notSupported(rsc.rdName, rsc.nodeName, DFLT_DISKLESS_POOL, 'DISKLESS');
  return first;
}

function notSupported(rdName: string, nodeName: string, poolName: string, kind: string): ApiCallError {
  return new ApiCallError(
    entry(
      FAIL_SNAPSHOTS_NOT_SUPPORTED | CRT_SNAPSHOT,
      `Storage pool '${poolName}' on node '${nodeName}' does not support snapshots.`,
      {
        cause: `The storage provider ${kind} of resource '${rdName}' on node '${nodeName}' cannot take snapshots.`,
        correction: 'Use a thin-provisioned storage pool (LVM_THIN, ZFS, ZFS_THIN or FILE_THIN).',
      },
    ),
  );
}

function nextSnapSeq(ctx: EmulatorContext): number {
  const counters = ctx.store.get<CountersRec>('counters', ['ids']) ?? { nextSnapSeq: 1, nextErrorReport: 0 };
  const seq = counters.nextSnapSeq;
  ctx.store.put<CountersRec>('counters', ['ids'], { ...counters, nextSnapSeq: seq + 1 });
  return seq;
}

/** The wire `Snapshot` of a record, optionally with only the per-node entries of `onlyNodes`. */
export function snapshotView(snap: SnapRec, onlyNodes?: (nodeName: string) => boolean): Snapshot {
  const nodes = onlyNodes ? snap.nodes.filter((n) => onlyNodes(n.nodeName)) : snap.nodes;
  return {
    name: snap.name,
    resource_name: snap.rdName,
    nodes: nodes.map((n) => n.nodeName),
    props: snap.props,
    snapshot_definition_props: snap.props,
    resource_definition_props: snap.rdProps,
    flags: snap.flags,
    volume_definitions: snap.volumes.map((v) => ({ volume_number: v.volumeNumber, size_kib: v.sizeKib })),
    uuid: snap.uuid,
    snapshots: nodes.map((n) => ({
      snapshot_name: snap.name,
      node_name: n.nodeName,
      create_timestamp: n.createdAt,
      uuid: n.uuid,
      snapshot_volumes: snap.volumes.map((v) => ({ vlm_nr: v.volumeNumber })),
    })),
  };
}

/**
 * `GET /v1/view/snapshots` filtering: by resources (direct prefix lookups when only plain names are
 * given), snapshot names and nodes (a snapshot is listed with the entries of the matching nodes).
 */
export function viewSnapshots(
  ctx: EmulatorContext,
  filters: { resources: readonly string[]; snapshots: readonly string[]; nodes: readonly string[] },
): Snapshot[] {
  const rscFilter = nameFilter(filters.resources);
  const snapFilter = nameFilter(filters.snapshots);
  const nodeFilter = nameFilter(filters.nodes);
  let candidates: SnapRec[];
  if (rscFilter && !rscFilter.hasRegex) {
    candidates = rscFilter.exactKeys.flatMap((rdKey) => ctx.store.list<SnapRec>('snapshots', [rdKey]));
  } else {
    candidates = ctx.store
      .list<SnapRec>('snapshots')
      .filter((s) => !rscFilter || rscFilter.matches(s.rdName));
  }
  const out: Snapshot[] = [];
  for (const snap of candidates) {
    if (snapFilter && !snapFilter.matches(snap.name)) continue;
    if (nodeFilter && !snap.nodes.some((n) => nodeFilter.matches(n.nodeName))) continue;
    out.push(snapshotView(snap, nodeFilter ? (n) => nodeFilter.matches(n) : undefined));
  }
  return out;
}

/** Changes a snapshot definition's props (`SnapshotModify`). */
export function modifySnapshot(
  ctx: EmulatorContext,
  rdName: string,
  snapName: string,
  body: PropsModify,
): ApiCallRc[] {
  const rd = requireRd(ctx, rdName, MOD_SNAPSHOT);
  const snap = requireSnapshot(ctx, rd, snapName, MOD_SNAPSHOT);
  snap.props = applyPropsModify(snap.props, body, MOD_SNAPSHOT);
  ctx.store.put('snapshots', [nameKey(rd.name), nameKey(snap.name)], snap);
  return [
    entry(MOD_SNAPSHOT | MODIFIED, `Snapshot definition '${snap.name}' of resource '${rd.name}' modified.`, {
      details: `Snapshot definition '${snap.name}' of resource '${rd.name}' UUID is: ${snap.uuid}`,
      objRefs: { RscDfn: rd.name, Snapshot: snap.name, UUID: snap.uuid },
    }),
  ];
}

/** What deleteSnapshot did. */
export interface SnapshotDeletion {
  entries: ApiCallRc[];
}

/**
 * Deletes a snapshot (on every node, or only on `nodeNames`; the definition goes with its last
 * node). A missing RD or snapshot is a 200 with WARN_NOT_FOUND, as the controller answers. The
 * snapshot's data files go once the deletion is committed (store.afterCommit).
 */
export function deleteSnapshot(
  ctx: EmulatorContext,
  rdName: string,
  snapName: string,
  nodeNames: readonly string[],
): SnapshotDeletion {
  const snap = getSnapshot(ctx, rdName, snapName);
  if (!snap) {
    return {
      entries: [
        entry(WARN_NOT_FOUND | DEL_SNAPSHOT, `Snapshot '${snapName}' of resource '${rdName}' not found.`, {
          details: 'Nothing to delete.',
        }),
      ],
    };
  }
  const key = [nameKey(snap.rdName), nameKey(snap.name)];
  const wanted = nameFilter(nodeNames);
  const remaining = wanted ? snap.nodes.filter((n) => !wanted.matches(n.nodeName)) : [];
  if (wanted && remaining.length === snap.nodes.length) {
    return {
      entries: [
        entry(
          WARN_NOT_FOUND | DEL_SNAPSHOT,
          `Snapshot '${snap.name}' of resource '${snap.rdName}' not found on node(s) '${nodeNames.join(', ')}'.`,
        ),
      ],
    };
  }
  if (remaining.length > 0) {
    const removed = snap.nodes.filter((n) => !remaining.includes(n)).map((n) => n.nodeName);
    ctx.store.put('snapshots', key, { ...snap, nodes: remaining });
    return {
      entries: [
        entry(
          DEL_SNAPSHOT | DELETED,
          `Snapshot '${snap.name}' of resource '${snap.rdName}' on node(s) '${removed.join(', ')}' deleted.`,
          { objRefs: { RscDfn: snap.rdName, Snapshot: snap.name } },
        ),
      ],
    };
  }
  ctx.store.delete('snapshots', key);
  ctx.store.afterCommit(() => {
    if (!getSnapshot(ctx, snap.rdName, snap.name)) dataPlane(ctx).deleteSnapshot(snap.rdName, snap.name);
  });
  return {
    entries: [
      entry(DEL_SNAPSHOT | DELETED, `Snapshot '${snap.name}' of resource '${snap.rdName}' deleted.`, {
        details: `Snapshot '${snap.name}' of resource '${snap.rdName}' UUID was: ${snap.uuid}`,
        objRefs: { RscDfn: snap.rdName, Snapshot: snap.name, UUID: snap.uuid },
      }),
    ],
  };
}

/** The rollback strategy in effect: the request's, else the RD's or controller's prop (lower-cased). */
function zfsRollbackStrategy(
  ctx: EmulatorContext,
  rd: RdRec,
  requested: string | undefined,
): string | undefined {
  const value =
    requested ?? rd.props[PROP_ZFS_ROLLBACK_STRATEGY] ?? controllerProps(ctx)[PROP_ZFS_ROLLBACK_STRATEGY];
  return value?.toLowerCase();
}

/**
 * Rolls every volume of the RD back to the snapshot. Refused while any resource is in use, when a
 * node with a disk lacks the snapshot (linstor-server#418), and on ZFS pools when newer snapshots
 * exist: `zfs rollback` only goes back to the newest snapshot. The emulator treats an unset
 * strategy like `rollback` (the conservative assumption clients such as the Cinder driver make);
 * `clone` or `dynamic` allow older snapshots.
 */
export async function rollbackSnapshot(
  ctx: EmulatorContext,
  rdName: string,
  snapName: string,
  strategy: string | undefined,
): Promise<ApiCallRc[]> {
  const rd = requireRd(ctx, rdName, MOD_SNAPSHOT);
  const snap = requireSnapshot(ctx, rd, snapName, MOD_SNAPSHOT);
  const rdKey = nameKey(rd.name);

  const open = ctx.store.list<OpenRec>('openDevices', [rdKey])[0];
  if (open) {
    throw inUseError(rd.name, open.nodeName, MOD_SNAPSHOT, {
      cause: 'The resource is opened (DRBD Primary) on that node.',
      correction: 'Close the device (stop the VM) on every node before rolling back.',
    });
  }

  const resources = rscsOf(ctx, rd.name);
  const holders = new Set(snap.nodes.map((n) => nameKey(n.nodeName)));
  for (const rsc of resources) {
    if (!isDiskless(rsc) && !holders.has(nameKey(rsc.nodeName))) {
      throw new ApiCallError(
        entry(
          FAIL_NOT_FOUND_SNAPSHOT | MOD_SNAPSHOT,
          `Snapshot '${snap.name}' of resource '${rd.name}' on node '${rsc.nodeName}' not found.`,
          {
            cause: 'Every node with a disk must hold the snapshot to roll back.',
            correction: `Delete the resource on node '${rsc.nodeName}', roll back, and create it again.`,
          },
        ),
      );
    }
  }

  const onZfs = resources.some((rsc) =>
    rsc.volumes.some((v) => {
      const pool = getPool(ctx, rsc.nodeName, v.poolName);
      return pool !== undefined && ZFS_KINDS.has(pool.providerKind);
    }),
  );
  const effective = zfsRollbackStrategy(ctx, rd, strategy);
  if (onZfs && effective !== 'clone' && effective !== 'dynamic') {
    const newer = snapshotsOf(ctx, rd.name).filter((s) => s.seq > snap.seq);
    if (newer.length > 0) {
      const names = newer.map((s) => `'${s.name}'`).join(', ');
      throw new ApiCallError(
        entry(
          FAIL_INVLD_REQUEST | MOD_SNAPSHOT,
          `Cannot roll back resource '${rd.name}' to snapshot '${snap.name}': newer snapshots exist: ${names}.`,
          {
            cause: 'ZFS can only roll back to the most recent snapshot.',
            correction: `Delete the newer snapshots, or use the zfs_rollback_strategy 'clone' or 'dynamic' (${PROP_ZFS_ROLLBACK_STRATEGY}).`,
          },
        ),
      );
    }
  }

  const plane = dataPlane(ctx);
  for (const vd of vdsOf(ctx, rd.name)) {
    if (!snap.volumes.some((v) => v.volumeNumber === vd.volumeNumber)) continue;
    await plane.rollbackVolume(rd.name, snap.name, vd.volumeNumber, vd.sizeKib);
  }
  return [
    entry(MOD_SNAPSHOT | MODIFIED, `Resource '${rd.name}' rolled back to snapshot '${snap.name}'.`, {
      objRefs: { RscDfn: rd.name, Snapshot: snap.name },
    }),
  ];
}
