/**
 * Resources (an RD deployed on a node): deploy and remove with their data-plane side (device
 * links, volume files, pool accounting), the autoplacer run against the store, the automatic
 * diskless tie-breaker, and disk toggling. Handlers and E3's snapshot-restore / clone code call
 * these inside a store transaction; each appends the controller's reply entries to `entries`.
 */
import {
  type ApiCallRc,
  type AutoSelectFilter,
  CREATED,
  DELETED,
  FAIL_EXISTS_RSC,
  FAIL_IN_USE,
  FAIL_INSUFFICIENT_REPLICA_COUNT,
  FAIL_INVLD_LAYER_STACK,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_ENOUGH_NODES,
  FAIL_NOT_FOUND_DFLT_STOR_POOL,
  FAIL_NOT_FOUND_RSC,
  FAIL_NOT_FOUND_STOR_POOL,
  FAIL_POOL_EXHAUSTED_NODE_ID,
  INFO_PROP_SET,
  INFO_TIE_BREAKER_CREATED,
  INFO_TIE_BREAKER_DELETING,
  INFO_TIE_BREAKER_TAKEOVER,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC,
  MODIFIED,
  nameKey,
  PROP_AUTO_TIEBREAKER,
  PROP_STOR_POOL_NAME,
  type Props,
  sameName,
  WARN_NOT_CONNECTED,
  WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER,
  WARN_RSC_ALREADY_DEPLOYED,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { allocateNodeId } from './drbd';
import {
  getRsc,
  isDiskless,
  isOnline,
  isTieBreaker,
  newUuid,
  requireNode,
  requirePool,
  requireRd,
  rscsOf,
  vdsOf,
} from './lookup';
import type { NodeRec, OpenRec, PoolRec, RdRec, RgRec, RscRec, RscVolumeRec, VdRec } from './model';
import { type CandidateNode, filterPoolNames, type PlacementPick, place } from './placement';
import { addReserved, DFLT_DISKLESS_POOL, getPool, placeableKib, poolCapacity } from './pools';
import { effectiveProp, rdPropsLayers, validateProps } from './props';
import { files, rdKeysOfNode } from './storage';

/** What deployResource creates. */
export interface DeployOptions {
  rdName: string;
  nodeName: string;
  /** Storage pool for a diskful resource; default: the `StorPoolName` prop chain, then the RG's filter. */
  poolName?: string;
  /** Deploy without a disk (DRBD client). */
  diskless?: boolean;
  /**
   * A diskless resource created with only the generic DISKLESS flag (no layer_list naming DRBD):
   * the controller then does not add DRBD_DISKLESS (linstor-api.md §2.7).
   */
  withoutDrbdDisklessFlag?: boolean;
  /**
   * A diskless DRBD client (`drbd_client`, make-available): it does not vote, so it does not make
   * the automatic tie-breaker unnecessary.
   */
  drbdClient?: boolean;
  /** Extra flags, e.g. 'TIE_BREAKER' (the diskless flags are added by `diskless`). */
  flags?: string[];
  /** Resource props (validated). */
  props?: Props;
  /** A DRBD node id asked for by the client; default: the lowest free one. */
  nodeId?: number;
  /** Op bits for the reply entries (default MASK_CRT). */
  opMask?: bigint;
}

/** The resource group record of an RD (falls back to an empty group when it vanished). */
export function rgOf(ctx: EmulatorContext, rd: RdRec): RgRec {
  return (
    ctx.store.get<RgRec>('rgs', [nameKey(rd.rgName)]) ?? {
      name: rd.rgName,
      props: {},
      selectFilter: {},
      uuid: '',
    }
  );
}

/** True while the hypervisor has the resource's device open on that node. */
export function isInUse(ctx: EmulatorContext, rdName: string, nodeName: string): boolean {
  return ctx.store.get<OpenRec>('openDevices', [nameKey(rdName), nameKey(nodeName)]) !== undefined;
}

function opRsc(opMask: bigint): bigint {
  return opMask | MASK_RSC;
}

/**
 * The pool a diskful resource uses when none is given: the `StorPoolName` prop (resource, RD, RG,
 * node, controller), else the RG filter's storage pool, else LINSTOR's `DfltStorPool`.
 */
export function defaultPoolName(ctx: EmulatorContext, rd: RdRec, node: NodeRec, props: Props = {}): string {
  const chain = rdPropsLayers(ctx, rd);
  const fromProps =
    props[PROP_STOR_POOL_NAME] ??
    effectiveProp(chain.slice(1), PROP_STOR_POOL_NAME) ??
    node.props[PROP_STOR_POOL_NAME];
  if (fromProps) return fromProps;
  const filterPools = filterPoolNames(rgOf(ctx, rd).selectFilter);
  return filterPools?.[0] ?? effectiveProp(chain.slice(0, 1), PROP_STOR_POOL_NAME) ?? 'DfltStorPool';
}

/**
 * Refuses a diskful placement the pool cannot hold, naming the first volume that does not fit.
 * The controller reports this as FAIL_INVLD_VLM_SIZE (linstor-server#425 shows
 * -4611686018407202610 = ERROR|CRT|RSC|206 with this text).
 */
function checkFreeSpace(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  pool: PoolRec,
  vds: readonly VdRec[],
  mask: bigint,
): void {
  const room = placeableKib(ctx, pool);
  let needed = 0;
  for (const vd of vds) {
    needed += vd.sizeKib;
    if (needed > room) {
      throw new ApiCallError(
        entry(
          FAIL_INVLD_VLM_SIZE | mask,
          `Not enough free space available for volume ${vd.volumeNumber} of resource '${rd.name}'`,
          {
            details: `Storage pool '${pool.name}' on node '${nodeName}' can take ${room} KiB; ${needed} KiB are needed.`,
            objRefs: { RscDfn: rd.name, Node: nodeName, VlmNr: String(vd.volumeNumber) },
          },
        ),
      );
    }
  }
}

/**
 * Deploys resource definition `rdName` on a node (diskful in a storage pool, or diskless), with
 * its device links on that node, the volume files, and the pool accounting. Appends the
 * controller's entries ("registered", "created"/"ready", or WARN_NOT_CONNECTED when the node is
 * offline). Throws FAIL_EXISTS_RSC, FAIL_NOT_FOUND_*, FAIL_INVLD_VLM_SIZE (not enough space).
 */
export function deployResource(ctx: EmulatorContext, opts: DeployOptions, entries: ApiCallRc[]): RscRec {
  const opMask = opts.opMask ?? MASK_CRT;
  const mask = opRsc(opMask);
  const rdKey = nameKey(opts.rdName);
  const rd = requireRd(ctx, opts.rdName, mask);
  const node = requireNode(ctx, opts.nodeName, mask);
  const existing = getRsc(ctx, rd.name, node.name);
  if (existing) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_RSC | mask, `Resource '${rd.name}' on node '${node.name}' already exists.`, {
        cause: `A resource with the name '${rd.name}' already exists on node '${node.name}'.`,
      }),
    );
  }
  validateProps(opts.props, mask);
  const props: Props = { ...(opts.props ?? {}) };
  const vds = vdsOf(ctx, rd.name);

  let pool: PoolRec | undefined;
  if (opts.diskless) {
    const requested = opts.poolName ?? props[PROP_STOR_POOL_NAME];
    const candidate = requested ? getPool(ctx, node.name, requested) : undefined;
    pool =
      candidate?.providerKind === 'DISKLESS'
        ? candidate
        : requirePool(ctx, node.name, DFLT_DISKLESS_POOL, mask);
  } else {
    const poolName = opts.poolName ?? defaultPoolName(ctx, rd, node, props);
    pool = getPool(ctx, node.name, poolName);
    if (!pool) {
      const code = poolName === 'DfltStorPool' ? FAIL_NOT_FOUND_DFLT_STOR_POOL : FAIL_NOT_FOUND_STOR_POOL;
      throw new ApiCallError(
        entry(code | mask, `Storage pool '${poolName}' on node '${node.name}' not found.`),
      );
    }
    if (pool.providerKind === 'DISKLESS') {
      opts = { ...opts, diskless: true };
    } else {
      checkFreeSpace(ctx, rd, node.name, pool, vds, mask);
    }
  }
  // Diskless resources name their diskless pool too, as the controller records it.
  props[PROP_STOR_POOL_NAME] = pool.name;

  const nodeId = opts.nodeId ?? allocateNodeId(ctx, rd.name);
  if (nodeId < 0 || rscsOf(ctx, rd.name).some((r) => r.drbdNodeId === nodeId)) {
    throw new ApiCallError(
      entry(
        FAIL_POOL_EXHAUSTED_NODE_ID | mask,
        `No free DRBD node id for resource '${rd.name}' on node '${node.name}'.`,
      ),
    );
  }
  const flags = opts.diskless
    ? opts.withoutDrbdDisklessFlag
      ? ['DISKLESS']
      : ['DISKLESS', 'DRBD_DISKLESS']
    : [];
  for (const f of opts.flags ?? []) if (!flags.includes(f)) flags.push(f);
  const rsc: RscRec = {
    rdName: rd.name,
    nodeName: node.name,
    props,
    flags,
    drbdNodeId: nodeId,
    drbdClient: opts.diskless && opts.drbdClient ? true : undefined,
    volumes: vds.map((vd) => volumeRec(vd, pool!.name)),
    uuid: newUuid(),
    createdAt: ctx.now(),
  };
  ctx.store.put('resources', [rdKey, nameKey(node.name)], rsc);
  ctx.store.put('rscByNode', [nameKey(node.name), rdKey], { rdKey });
  if (!opts.diskless) for (const vd of vds) addReserved(ctx, node.name, pool.name, vd.sizeKib);

  for (const vd of vds) files.createVolume(ctx, rd.name, vd.volumeNumber, vd.sizeKib);
  files.link(
    ctx,
    node.name,
    rd.name,
    vds.map((vd) => ({ volumeNumber: vd.volumeNumber, minor: vd.minor })),
  );

  const refs = { RscDfn: rd.name, Node: node.name };
  entries.push(
    entry(CREATED | mask, `New resource '${rd.name}' on node '${node.name}' registered.`, {
      details: `Resource '${rd.name}' on node '${node.name}' UUID is: ${rsc.uuid}`,
      objRefs: refs,
    }),
  );
  if (!node.online) {
    entries.push(notConnected(node.name, mask));
  } else {
    entries.push(entry(CREATED | mask, `Created resource '${rd.name}' on '${node.name}'`, { objRefs: refs }));
    if (rscsOf(ctx, rd.name).length > 1) {
      entries.push(entry(CREATED | mask, `Resource '${rd.name}' on '${node.name}' ready`, { objRefs: refs }));
    }
  }
  return rsc;
}

/** The WARN_NOT_CONNECTED entry for a change that involves an offline node. */
export function notConnected(nodeName: string, opObjMask: bigint): ApiCallRc {
  return entry(WARN_NOT_CONNECTED | opObjMask, `No active connection to satellite '${nodeName}'`, {
    details:
      'The controller is trying to (re-) establish a connection to the satellite. The controller stored the changes and as soon the satellite is connected, it will receive this update.',
    objRefs: { Node: nodeName },
  });
}

function volumeRec(vd: VdRec, poolName: string): RscVolumeRec {
  return { volumeNumber: vd.volumeNumber, poolName, props: {}, flags: [], uuid: newUuid() };
}

/**
 * Removes a resource from its node: record, index, pool accounting, device links, and the volume
 * files when it was the RD's last resource. No guards (see deleteResource for the API's rules).
 */
export function undeployResource(ctx: EmulatorContext, rsc: RscRec): void {
  const rdKey = nameKey(rsc.rdName);
  const nodeKey = nameKey(rsc.nodeName);
  const vds = vdsOf(ctx, rsc.rdName);
  if (!isDiskless(rsc)) {
    for (const v of rsc.volumes) {
      const vd = vds.find((d) => d.volumeNumber === v.volumeNumber);
      if (vd) addReserved(ctx, rsc.nodeName, v.poolName, -vd.sizeKib);
    }
  }
  ctx.store.delete('resources', [rdKey, nodeKey]);
  ctx.store.delete('rscByNode', [nodeKey, rdKey]);
  ctx.store.delete('openDevices', [rdKey, nodeKey]);
  for (const other of rscsOf(ctx, rsc.rdName)) {
    const a = nameKey(other.nodeName);
    ctx.store.delete('rscConns', a < nodeKey ? [rdKey, a, nodeKey] : [rdKey, nodeKey, a]);
  }
  files.unlink(
    ctx,
    rsc.nodeName,
    rsc.rdName,
    vds.map((vd) => ({ volumeNumber: vd.volumeNumber, minor: vd.minor })),
  );
  if (ctx.store.count('resources', [rdKey]) === 0) {
    for (const vd of vds) files.deleteVolume(ctx, rsc.rdName, vd.volumeNumber);
  }
}

/** Options of deleteResource. */
export interface DeleteOptions {
  /** `keep_tiebreaker=true`: a tie-breaker the delete would remove stays (and auto tie-breaking is on). */
  keepTiebreaker?: boolean;
}

/**
 * True when the RD's resources call for a tie-breaker, as the controller counts: an even number (at
 * least two) of diskful replicas and no diskless resource that votes (tie-breakers and DRBD clients
 * do not count), with quorum on.
 */
export function tieBreakerWanted(ctx: EmulatorContext, rd: RdRec, rscs: readonly RscRec[]): boolean {
  if (effectiveProp(rdPropsLayers(ctx, rd), 'DrbdOptions/Resource/quorum') === 'off') return false;
  const diskful = rscs.filter((r) => !isDiskless(r)).length;
  const voters = rscs.filter((r) => isDiskless(r) && !isTieBreaker(r) && !r.drbdClient).length;
  return diskful >= 2 && diskful % 2 === 0 && voters === 0;
}

/** True unless `DrbdOptions/auto-add-quorum-tiebreaker` is False along the RD's props chain. */
export function tieBreakerEnabled(ctx: EmulatorContext, rd: RdRec): boolean {
  const auto = effectiveProp(rdPropsLayers(ctx, rd), PROP_AUTO_TIEBREAKER);
  return auto === undefined || auto.toLowerCase() !== 'false';
}

function setRdProp(ctx: EmulatorContext, rd: RdRec, key: string, value: string): RdRec {
  const next = { ...rd, props: { ...rd.props, [key]: value } };
  ctx.store.put('rds', [nameKey(rd.name)], next);
  return next;
}

/** Turns a resource that is being deleted into the tie-breaker (its disk, if any, goes). */
function takeOverAsTieBreaker(ctx: EmulatorContext, rsc: RscRec, entries: ApiCallRc[]): void {
  let current = rsc;
  if (!isDiskless(current)) current = removeDisk(ctx, current, []);
  ctx.store.put<RscRec>('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], {
    ...current,
    flags: ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER'],
    drbdClient: undefined,
  });
  entries.push(
    entry(
      INFO_TIE_BREAKER_TAKEOVER | MASK_DEL | MASK_RSC,
      'The given resource will not be deleted but will be taken over as a linstor managed tiebreaker resource.',
      { objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName } },
    ),
  );
}

/**
 * `DELETE .../resources/{node}`: refused while in use, or for the last diskful resource while
 * diskless ones remain. The controller's tie-breaker rules apply: when the remaining resources
 * need a tie-breaker and have none, the resource is kept as the tie-breaker instead of deleted; a
 * tie-breaker deleted on purpose stays with `keep_tiebreaker`, otherwise it goes and automatic
 * tie-breaking is switched off on the RD; a tie-breaker no longer needed is removed.
 */
export function deleteResource(
  ctx: EmulatorContext,
  rsc: RscRec,
  opts: DeleteOptions,
  entries: ApiCallRc[],
): void {
  const mask = MASK_DEL | MASK_RSC;
  let rd = ctx.store.get<RdRec>('rds', [nameKey(rsc.rdName)])!;
  if (isInUse(ctx, rsc.rdName, rsc.nodeName)) {
    throw new ApiCallError(
      entry(FAIL_IN_USE | mask, `Resource '${rsc.rdName}' on node '${rsc.nodeName}' is still in use.`, {
        cause: 'Resource is mounted/in use.',
        correction: `Un-mount resource '${rsc.rdName}' on the node '${rsc.nodeName}'.`,
      }),
    );
  }
  const others = rscsOf(ctx, rsc.rdName).filter((r) => !sameName(r.nodeName, rsc.nodeName));
  if (!isDiskless(rsc) && !others.some((r) => !isDiskless(r)) && others.some((r) => isDiskless(r))) {
    throw new ApiCallError(
      entry(
        FAIL_IN_USE | mask,
        `Last resource of '${rsc.rdName}' with disk still has diskless resources attached.`,
        {
          cause: 'Resource still has diskless users.',
          correction: 'Before deleting this resource, delete the diskless resources attached to it.',
        },
      ),
    );
  }
  let enabled = tieBreakerEnabled(ctx, rd);
  if (!enabled && opts.keepTiebreaker) {
    rd = setRdProp(ctx, rd, PROP_AUTO_TIEBREAKER, 'True');
    entries.push(
      entry(INFO_PROP_SET | mask, 'Autotiebreaker automatically enabled due to --keep-tiebreaker'),
    );
    enabled = true;
  }
  const wanted = enabled && tieBreakerWanted(ctx, rd, others);
  const otherBreaker = others.find((r) => isTieBreaker(r));
  if (wanted && isTieBreaker(rsc)) {
    if (opts.keepTiebreaker) {
      entries.push(
        entry(
          INFO_TIE_BREAKER_TAKEOVER | mask,
          'The given resource will not be deleted but will be taken over as a linstor managed tiebreaker resource.',
          { objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName } },
        ),
      );
      return;
    }
    rd = setRdProp(ctx, rd, PROP_AUTO_TIEBREAKER, 'False');
    entries.push(
      entry(
        INFO_PROP_SET | mask,
        `Disabling auto-tiebreaker on resource-definition '${rd.name}' as tiebreaker resource was manually deleted`,
      ),
    );
  } else if (
    wanted &&
    !otherBreaker &&
    isOnline(ctx, rsc.nodeName) &&
    getPool(ctx, rsc.nodeName, DFLT_DISKLESS_POOL)
  ) {
    takeOverAsTieBreaker(ctx, rsc, entries);
    return;
  }
  undeployResource(ctx, rsc);
  entries.push(
    entry(DELETED | mask, `Resource '${rsc.rdName}' on node '${rsc.nodeName}' deleted.`, {
      details: `Resource '${rsc.rdName}' on node '${rsc.nodeName}' UUID was: ${rsc.uuid}`,
      objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName },
    }),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, mask));
  reconcileTieBreaker(ctx, rd, entries, MASK_DEL);
}

/**
 * Keeps the automatic tie-breaker right after a change: when the resources call for one
 * (tieBreakerWanted) and none exists, a diskless TIE_BREAKER goes on an online node without the
 * resource (INFO_TIE_BREAKER_CREATED, or WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER when no node can
 * hold it); when they do not, an existing tie-breaker on an online node is removed
 * (INFO_TIE_BREAKER_DELETING).
 */
export function reconcileTieBreaker(
  ctx: EmulatorContext,
  rd: RdRec,
  entries: ApiCallRc[],
  opMask = MASK_CRT,
): void {
  const current = ctx.store.get<RdRec>('rds', [nameKey(rd.name)]) ?? rd;
  const all = rscsOf(ctx, current.name);
  const breakers = all.filter((r) => isTieBreaker(r));
  const wanted = tieBreakerEnabled(ctx, current) && tieBreakerWanted(ctx, current, all);
  if (!wanted) {
    for (const tb of breakers) {
      if (!isOnline(ctx, tb.nodeName) || isInUse(ctx, tb.rdName, tb.nodeName)) continue;
      undeployResource(ctx, tb);
      entries.push(
        entry(INFO_TIE_BREAKER_DELETING | MASK_DEL | MASK_RSC, 'Tie breaker marked for deletion', {
          objRefs: { RscDfn: current.name, Node: tb.nodeName },
        }),
      );
    }
    return;
  }
  if (breakers.length > 0) return;
  const taken = new Set(all.map((r) => nameKey(r.nodeName)));
  const candidates = ctx.store
    .list<NodeRec>('nodes')
    .filter(
      (n) =>
        n.online &&
        !taken.has(nameKey(n.name)) &&
        !n.flags.some((f) => ['EVICTED', 'EVACUATE', 'DELETE'].includes(f)),
    )
    .filter((n) => getPool(ctx, n.name, DFLT_DISKLESS_POOL) !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
  const target = candidates[0];
  if (!target) {
    entries.push(
      entry(
        WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER | opMask | MASK_RSC,
        `Could not find suitable node to automatically create a tie breaking resource for '${current.name}'.`,
        { objRefs: { RscDfn: current.name } },
      ),
    );
    return;
  }
  deployResource(
    ctx,
    { rdName: current.name, nodeName: target.name, diskless: true, flags: ['TIE_BREAKER'] },
    entries,
  );
  entries.push(
    entry(
      INFO_TIE_BREAKER_CREATED | MASK_CRT | MASK_RSC,
      `Tie breaker resource '${current.name}' created on ${target.name}`,
      { objRefs: { RscDfn: current.name, Node: target.name } },
    ),
  );
}

/**
 * Turns an existing tie-breaker into a wanted diskless resource (explicit create or
 * make-available on its node): the TIE_BREAKER flag goes, INFO_TIE_BREAKER_TAKEOVER is reported.
 */
export function takeOverTieBreaker(ctx: EmulatorContext, rsc: RscRec, entries: ApiCallRc[]): RscRec {
  const next = { ...rsc, flags: rsc.flags.filter((f) => f !== 'TIE_BREAKER') };
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], next);
  entries.push(
    entry(
      INFO_TIE_BREAKER_TAKEOVER | MASK_CRT | MASK_RSC,
      `Tie breaker resource '${rsc.rdName}' on node '${rsc.nodeName}' taken over as a diskless resource.`,
      { objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName } },
    ),
  );
  return next;
}

/** The RG's select filter with `override`'s set fields on top (request values win). */
export function mergeFilter(
  base: AutoSelectFilter,
  override: AutoSelectFilter | undefined,
): AutoSelectFilter {
  const merged: AutoSelectFilter = { ...base };
  for (const [k, v] of Object.entries(override ?? {})) {
    if (v !== undefined && v !== null) (merged as Record<string, unknown>)[k] = v;
  }
  return merged;
}

/** Collects the autoplacer's candidate nodes for an RD (nodes without a resource of it, plus tie-breaker nodes). */
export function placementCandidates(
  ctx: EmulatorContext,
  rd: RdRec,
  filter: AutoSelectFilter,
): CandidateNode[] {
  const existing = new Map(rscsOf(ctx, rd.name).map((r) => [nameKey(r.nodeName), r]));
  const avoid = new Set((filter.not_place_with_rsc ?? []).map(nameKey));
  const avoidRegex = filter.not_place_with_rsc_regex
    ? new RegExp(`^(?:${filter.not_place_with_rsc_regex})$`, 'i')
    : undefined;
  const out: CandidateNode[] = [];
  for (const node of ctx.store.list<NodeRec>('nodes')) {
    // Nodes with a diskless resource of this RD may receive its disk; diskful ones are taken.
    const rsc = existing.get(nameKey(node.name));
    if (rsc && !isDiskless(rsc)) continue;
    if (avoid.size || avoidRegex) {
      const hosted = avoid.size
        ? [...avoid].some((k) => ctx.store.get('resources', [k, nameKey(node.name)]) !== undefined)
        : false;
      if (hosted) continue;
      if (avoidRegex) {
        const keys = rdKeysOfNode(ctx, node.name);
        const names = keys.map((k) => ctx.store.get<RdRec>('rds', [k])?.name ?? k);
        if (names.some((n) => avoidRegex.test(n))) continue;
      }
    }
    const pools = ctx.store.list<PoolRec>('pools', [nameKey(node.name)]).map((p) => {
      const cap = poolCapacity(ctx, p);
      return {
        name: p.name,
        providerKind: p.providerKind,
        freeKib: typeof cap.freeKib === 'bigint' ? Number.MAX_SAFE_INTEGER : cap.freeKib,
        placeableKib: placeableKib(ctx, p, cap),
        reservedKib: cap.reservedKib,
      };
    });
    out.push({ name: node.name, props: node.props, online: node.online, flags: node.flags, pools });
  }
  return out;
}

/** Options of autoplaceRd. */
export interface AutoplaceOptions {
  /** The merged select filter (RG filter with the request's fields on top). */
  filter: AutoSelectFilter;
  /** Create diskless resources on every remaining node after the diskful ones. */
  disklessOnRemaining?: boolean;
  opMask?: bigint;
}

/** The names of nodes as the controller lists them in texts: 'a', 'b'. */
function quotedNodes(rscs: readonly RscRec[]): string {
  return rscs.map((r) => `'${r.nodeName}'`).join(', ');
}

/**
 * The autoplacer for one RD, following the controller: the replicas still to place are
 * `additional_place_count`, or `place_count` minus the diskful replicas already there (none left
 * → WARN_RSC_ALREADY_DEPLOYED; fewer wanted than exist → the same warning saying resources would
 * have to be deleted). Nodes with a diskless resource of the RD may receive its disk. Failing
 * placement throws FAIL_NOT_ENOUGH_NODES with the criteria in `details`. Then diskless resources go
 * on every remaining satellite when asked (replacing tie-breakers), and the tie-breaker is fixed.
 * Returns the picks made.
 */
export function autoplaceRd(
  ctx: EmulatorContext,
  rd: RdRec,
  opts: AutoplaceOptions,
  entries: ApiCallRc[],
): PlacementPick[] {
  const opMask = opts.opMask ?? MASK_CRT;
  const mask = opMask | MASK_RSC;
  const filter = opts.filter;
  const all = rscsOf(ctx, rd.name).filter((r) => !r.flags.includes('DELETE') && !r.flags.includes('EVICTED'));
  const diskful = all.filter((r) => !isDiskless(r));
  const additional =
    filter.additional_place_count && filter.additional_place_count > 0
      ? filter.additional_place_count
      : (filter.place_count ?? 0) - diskful.length;
  if (filter.layer_stack?.length) {
    const unsupported = filter.layer_stack.filter((l) => !['DRBD', 'STORAGE'].includes(l.toUpperCase()));
    if (unsupported.length) {
      throw new ApiCallError(
        entry(
          FAIL_INVLD_LAYER_STACK | mask,
          `The layer stack ${JSON.stringify(filter.layer_stack)} is not supported.`,
        ),
      );
    }
  }
  if (additional < 0) {
    entries.push(
      entry(
        WARN_RSC_ALREADY_DEPLOYED | mask,
        `The resource '${rd.name}' was already deployed on ${all.length} nodes: ${quotedNodes(all)}. The resource would have to be deleted from nodes to reach the placement count.`,
        { objRefs: { RscDfn: rd.name } },
      ),
    );
    return [];
  }
  if (additional === 0 && !opts.disklessOnRemaining) {
    entries.push(
      entry(
        WARN_RSC_ALREADY_DEPLOYED | mask,
        `Resource '${rd.name}' was already deployed on ${diskful.length} nodes. Skipping.`,
        {
          details: `Used nodes: ${quotedNodes(diskful)}`,
          objRefs: { RscDfn: rd.name },
        },
      ),
    );
    return [];
  }
  let picks: PlacementPick[] = [];
  if (additional > 0) {
    const neededKib = vdsOf(ctx, rd.name).reduce((s, vd) => s + vd.sizeKib, 0);
    const existingReplicaProps = diskful.map(
      (r) => ctx.store.get<NodeRec>('nodes', [nameKey(r.nodeName)])?.props ?? {},
    );
    const result = place({
      rdName: rd.name,
      filter,
      count: additional,
      neededKib,
      candidates: placementCandidates(ctx, rd, filter),
      existingReplicaProps,
    });
    if (!result.ok) {
      throw new ApiCallError(
        entry(FAIL_NOT_ENOUGH_NODES | mask, 'Not enough available nodes', {
          details: result.details,
          objRefs: { RscDfn: rd.name },
        }),
      );
    }
    picks = result.picks;
  }
  for (const pick of picks) {
    const existing = getRsc(ctx, rd.name, pick.nodeName);
    if (existing) {
      // A diskless resource (tie-breaker or client) on the chosen node receives the disk.
      const wanted = isTieBreaker(existing) ? takeOverTieBreaker(ctx, existing, entries) : existing;
      addDisk(ctx, wanted, pick.poolName, opMask, entries);
    } else {
      deployResource(
        ctx,
        { rdName: rd.name, nodeName: pick.nodeName, poolName: pick.poolName, opMask },
        entries,
      );
    }
  }
  if (opts.disklessOnRemaining) {
    if (!rscsOf(ctx, rd.name).some((r) => !isDiskless(r))) {
      throw new ApiCallError(
        entry(
          FAIL_NOT_FOUND_RSC | mask,
          "Cannot place 'diskless-on-remaining' without having diskful resources deployed",
        ),
      );
    }
    for (const node of ctx.store.list<NodeRec>('nodes')) {
      if (!['SATELLITE', 'COMBINED'].includes(node.type.toUpperCase())) continue;
      const existing = getRsc(ctx, rd.name, node.name);
      if (existing && isTieBreaker(existing)) takeOverTieBreaker(ctx, existing, entries);
      else if (!existing)
        deployResource(ctx, { rdName: rd.name, nodeName: node.name, diskless: true, opMask }, entries);
    }
  }
  const objRefs: Record<string, string> = { RscDfn: rd.name };
  picks.forEach((p, i) => {
    objRefs[`Node/${i}`] = p.nodeName;
    objRefs[`StoragePool/${i}/0`] =
      `${p.poolName},${getPool(ctx, p.nodeName, p.poolName)?.providerKind ?? ''}`;
  });
  entries.push(
    entry(CREATED | mask, `Resource '${rd.name}' successfully autoplaced on ${picks.length} nodes`, {
      details: `Used nodes (storage pool name): ${picks.map((p) => `'${p.nodeName} (${p.poolName})'`).join(', ')}`,
      objRefs,
    }),
  );
  reconcileTieBreaker(ctx, rd, entries, opMask);
  return picks;
}

/**
 * The diskful pool the placer picks on one node (make-available, toggle-disk without a pool): the
 * RG's filter with the node as the only candidate. Throws FAIL_NOT_FOUND_STOR_POOL (404) with the
 * controller's text when none fits.
 */
export function pickPoolOnNode(ctx: EmulatorContext, rd: RdRec, nodeName: string, opMask: bigint): string {
  const filter = mergeFilter(rgOf(ctx, rd).selectFilter, {
    place_count: 0,
    additional_place_count: 1,
    node_name_list: [nodeName],
  });
  const candidates = placementCandidates(ctx, rd, filter).filter((c) => sameName(c.name, nodeName));
  const result = place({
    rdName: rd.name,
    filter,
    count: 1,
    neededKib: vdsOf(ctx, rd.name).reduce((s, vd) => s + vd.sizeKib, 0),
    candidates,
    existingReplicaProps: [],
  });
  if (!result.ok) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_STOR_POOL | opMask | MASK_RSC,
        `Autoplacer could not find diskful stor pool on node ${nodeName} matching resource-groups autoplace-settings`,
        { objRefs: { RscDfn: rd.name, Node: nodeName } },
      ),
    );
  }
  return result.picks[0]!.poolName;
}

/**
 * Gives a diskless resource a disk (toggle-disk INTO_DRBD_DISKFUL, make-available diskful:true):
 * the storage pool is `poolName` or the placer's choice on that node; volume data comes from the
 * peers (the shared volume file).
 */
export function addDisk(
  ctx: EmulatorContext,
  rsc: RscRec,
  poolName: string | undefined,
  opMask: bigint,
  entries: ApiCallRc[],
): RscRec {
  const mask = opMask | MASK_RSC;
  const rd = ctx.store.get<RdRec>('rds', [nameKey(rsc.rdName)])!;
  const chosen = poolName ?? pickPoolOnNode(ctx, rd, rsc.nodeName, opMask);
  const pool = getPool(ctx, rsc.nodeName, chosen);
  if (!pool || pool.providerKind === 'DISKLESS') {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_STOR_POOL | mask, `Storage pool '${chosen}' on node '${rsc.nodeName}' not found.`),
    );
  }
  const vds = vdsOf(ctx, rd.name);
  checkFreeSpace(ctx, rd, rsc.nodeName, pool, vds, mask);
  const next: RscRec = {
    ...rsc,
    flags: rsc.flags.filter((f) => !['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER'].includes(f)),
    drbdClient: undefined,
    props: { ...rsc.props, [PROP_STOR_POOL_NAME]: pool.name },
    volumes: rsc.volumes.map((v) => ({ ...v, poolName: pool.name })),
  };
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], next);
  for (const vd of vds) addReserved(ctx, rsc.nodeName, pool.name, vd.sizeKib);
  entries.push(
    entry(
      MODIFIED | MASK_MOD | MASK_RSC,
      `Resource '${rd.name}' on node '${rsc.nodeName}' now has a disk in storage pool '${pool.name}'.`,
      {
        objRefs: { RscDfn: rd.name, Node: rsc.nodeName },
      },
    ),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MASK_MOD | MASK_RSC));
  return next;
}

/**
 * Removes the disk of a diskful resource (toggle-disk INTO_DRBD_DISKLESS): refused when no other
 * diskful replica would keep the data (FAIL_INSUFFICIENT_REPLICA_COUNT).
 */
export function removeDisk(
  ctx: EmulatorContext,
  rsc: RscRec,
  entries: ApiCallRc[],
  opts: { drbdClient?: boolean } = {},
): RscRec {
  const mask = MASK_MOD | MASK_RSC;
  const otherDiskful = rscsOf(ctx, rsc.rdName).filter(
    (r) => !isDiskless(r) && !sameName(r.nodeName, rsc.nodeName),
  );
  if (otherDiskful.length === 0) {
    throw new ApiCallError(
      entry(
        FAIL_INSUFFICIENT_REPLICA_COUNT | mask,
        `Resource '${rsc.rdName}' on node '${rsc.nodeName}' is the last replica with a disk.`,
        { correction: 'Add a diskful replica on another node first.' },
      ),
    );
  }
  const vds = vdsOf(ctx, rsc.rdName);
  for (const v of rsc.volumes) {
    const vd = vds.find((d) => d.volumeNumber === v.volumeNumber);
    if (vd) addReserved(ctx, rsc.nodeName, v.poolName, -vd.sizeKib);
  }
  const props = { ...rsc.props, [PROP_STOR_POOL_NAME]: DFLT_DISKLESS_POOL };
  const next: RscRec = {
    ...rsc,
    flags: [...new Set([...rsc.flags, 'DISKLESS', 'DRBD_DISKLESS'])],
    props,
    volumes: rsc.volumes.map((v) => ({ ...v, poolName: DFLT_DISKLESS_POOL })),
    drbdClient: opts.drbdClient ? true : undefined,
  };
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], next);
  entries.push(
    entry(MODIFIED | mask, `Resource '${rsc.rdName}' on node '${rsc.nodeName}' is now diskless.`, {
      objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName },
    }),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, mask));
  return next;
}

/** Adds a volume to every resource of an RD after a VD was created (pool accounting and links). */
export function addVolumeToResources(ctx: EmulatorContext, rd: RdRec, vd: VdRec): void {
  const rscs = rscsOf(ctx, rd.name);
  if (rscs.length > 0) files.createVolume(ctx, rd.name, vd.volumeNumber, vd.sizeKib);
  for (const rsc of rscs) {
    const poolName = isDiskless(rsc)
      ? DFLT_DISKLESS_POOL
      : (rsc.props[PROP_STOR_POOL_NAME] ?? rsc.volumes[0]?.poolName ?? DFLT_DISKLESS_POOL);
    const next = {
      ...rsc,
      volumes: [...rsc.volumes.filter((v) => v.volumeNumber !== vd.volumeNumber), volumeRec(vd, poolName)],
    };
    next.volumes.sort((a, b) => a.volumeNumber - b.volumeNumber);
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], next);
    if (!isDiskless(rsc)) addReserved(ctx, rsc.nodeName, poolName, vd.sizeKib);
    files.link(ctx, rsc.nodeName, rd.name, [{ volumeNumber: vd.volumeNumber, minor: vd.minor }]);
  }
}

/** Removes a volume from every resource of an RD before its VD is deleted. */
export function removeVolumeFromResources(ctx: EmulatorContext, rd: RdRec, vd: VdRec): void {
  for (const rsc of rscsOf(ctx, rd.name)) {
    const vol = rsc.volumes.find((v) => v.volumeNumber === vd.volumeNumber);
    if (vol && !isDiskless(rsc)) addReserved(ctx, rsc.nodeName, vol.poolName, -vd.sizeKib);
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], {
      ...rsc,
      volumes: rsc.volumes.filter((v) => v.volumeNumber !== vd.volumeNumber),
    });
    files.unlink(ctx, rsc.nodeName, rd.name, [{ volumeNumber: vd.volumeNumber, minor: vd.minor }]);
  }
  files.deleteVolume(ctx, rd.name, vd.volumeNumber);
}
