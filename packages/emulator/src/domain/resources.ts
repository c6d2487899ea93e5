/**
 * The resource verbs of the REST API (linstor-api.md §2.7) on top of ./deployment.ts,
 * ./tie-breaker.ts, ./autoplacer.ts and ./disks.ts: create (with tie-breaker takeover), the
 * `/v1/view/resources` selection, make-available, toggle-disk and migrate-disk, activate and
 * deactivate, delete. Route handlers (routes/resources.ts) run them inside a store transaction;
 * each appends the controller's reply entries to `entries`.
 */
import {
  type ApiCallRc,
  DELETED,
  FAIL_IN_USE,
  FAIL_INVLD_LAYER_STACK,
  FAIL_INVLD_REQUEST,
  INFO_PROP_SET,
  INFO_RSC_ALREADY_EXISTS,
  INFO_TIE_BREAKER_TAKEOVER,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC,
  MODIFIED,
  nameKey,
  PROP_AUTO_TIEBREAKER,
  type ResourceCreate,
  type ResourceMakeAvailable,
  sameName,
  WARN_RSC_ALREADY_DISKLESS,
  WARN_RSC_ALREADY_HAS_DISK,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { pickPoolOnNode } from './candidates';
import { deployResource, inUseError, isInUse, notConnected, undeployResource } from './deployment';
import { addDisk, removeDisk } from './disks';
import { nameFilter, propsFilter, queryList } from './filters';
import {
  byName,
  getRsc,
  isDiskless,
  isOnline,
  isTieBreaker,
  keysWithProps,
  rdsByFilter,
  requireNode,
  requireRsc,
  rscsOf,
  vdsOf,
} from './lookup';
import type { RdRec, RscRec } from './model';
import { DFLT_DISKLESS_POOL, getPool } from './pools';
import { files, rdKeysOfNode } from './storage';
import {
  reconcileTieBreaker,
  setRdProp,
  takeOverAsTieBreaker,
  takeOverTieBreaker,
  tieBreakerEnabled,
  tieBreakerWanted,
} from './tie-breaker';

const CRT_RSC = MASK_CRT | MASK_RSC;
const MOD_RSC = MASK_MOD | MASK_RSC;

/**
 * Creates one resource on `nodeName` from a ResourceCreate body (diskless flags, StorPoolName). A
 * resource already there is handled as `CtrlRscCrtApiHelper.createResourceDb` does: a DRBD
 * diskless one is turned into the wanted one (see convertDiskless), any other aborts the call with
 * INFO_RSC_ALREADY_EXISTS (HTTP 201, nothing changed).
 */
export function createResource(
  ctx: EmulatorContext,
  rd: RdRec,
  body: ResourceCreate,
  nodeName: string,
  entries: ApiCallRc[],
): void {
  const flags = (body.resource?.flags ?? []).map((f) => String(f).toUpperCase());
  const layers = (body.layer_list ?? []).map((l) => String(l).toUpperCase());
  if (layers.length && !layers.every((l) => rd.layerStack.includes(l) || ['DRBD', 'STORAGE'].includes(l))) {
    throw new ApiCallError(
      entry(
        FAIL_INVLD_LAYER_STACK | CRT_RSC,
        `The layer list ${JSON.stringify(layers)} does not fit resource definition '${rd.name}'.`,
      ),
    );
  }
  const existing = getRsc(ctx, rd.name, nodeName);
  if (existing?.flags.includes('DRBD_DISKLESS')) {
    convertDiskless(ctx, rd, existing, body, flags, entries);
    return;
  }
  if (existing) {
    // resourceFactory.create throws LinStorDataAlreadyExistsException, which createResource turns
    // into INFO_RSC_ALREADY_EXISTS (since linstor-server 6f6a5c16, "do not report an error if
    // resource already exists"): the transaction is aborted, the reply is a success.
    throw new ApiCallError(
      entry(
        INFO_RSC_ALREADY_EXISTS | CRT_RSC,
        `A resource '${rd.name}' on node '${existing.nodeName}' already exists.`,
        {
          cause: 'Resource already exists',
          details: `Node(s): '${nodeName}', Resource: '${rd.name}'`,
          objRefs: { RscDfn: rd.name },
        },
      ),
      201,
    );
  }
  // drbd_client asks for a diskless client unless StorPoolName names a diskful pool on that node.
  const namedPool = body.resource?.props?.StorPoolName;
  const namedPoolDiskful = namedPool ? getPool(ctx, nodeName, namedPool)?.providerKind !== 'DISKLESS' : false;
  const diskless =
    flags.includes('DRBD_DISKLESS') ||
    flags.includes('NVME_INITIATOR') ||
    flags.includes('DISKLESS') ||
    (body.drbd_client === true && !namedPoolDiskful);
  const extra = flags.filter((f) => !['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER'].includes(f));
  deployResource(
    ctx,
    {
      rdName: rd.name,
      nodeName,
      diskless,
      // Only DRBD_DISKLESS, or DISKLESS with a layer list naming DRBD, makes a DRBD diskless client.
      withoutDrbdDisklessFlag:
        flags.includes('DISKLESS') && !flags.includes('DRBD_DISKLESS') && !layers.includes('DRBD'),
      props: body.resource?.props,
      flags: extra,
      drbdClient: body.drbd_client === true,
      nodeId: body.drbd_node_id,
      ports: { fixed: body.drbd_tcp_ports, count: body.drbd_tcp_port_count },
    },
    entries,
  );
}

/**
 * A create on a node where the RD already has a DRBD diskless resource (a tie-breaker, a client or
 * a user's diskless), as `CtrlRscCrtApiHelper.createResourceDb` handles `rscForToggleDiskful`: the
 * request's props are not written (`fillProperties` runs only for a new resource). Asked diskful
 * (no diskless flag, no diskless StorPoolName, no `drbd_client: true`), the tie-breaker flag goes
 * and a toggle-disk INTO_DRBD_DISKFUL gives it a disk (its own replies, MASK_MOD). Asked
 * diskless, the tie-breaker flag goes and `drbd_client` sets or clears the client flag; only a
 * change updates the satellites ("Updated resource ..." for this node, "Update of resource ...
 * applied on node ..." for the others), no change answers nothing. INFO_TIE_BREAKER_TAKEOVER is
 * the delete path's entry (`CtrlRscAutoTieBreakerHelper.takeover`), never the create's.
 */
function convertDiskless(
  ctx: EmulatorContext,
  rd: RdRec,
  existing: RscRec,
  body: ResourceCreate,
  flags: readonly string[],
  entries: ApiCallRc[],
): void {
  const namedPool = body.resource?.props?.StorPoolName;
  const diskless =
    flags.some((f) => ['DISKLESS', 'DRBD_DISKLESS', 'NVME_INITIATOR', 'EBS_INITIATOR'].includes(f)) ||
    (namedPool !== undefined && getPool(ctx, existing.nodeName, namedPool)?.providerKind === 'DISKLESS') ||
    body.drbd_client === true;
  if (flags.includes('INACTIVE')) setActive(ctx, rd, existing, false, entries);
  let current = getRsc(ctx, rd.name, existing.nodeName) ?? existing;
  if (!diskless) {
    if (isTieBreaker(current)) current = takeOverTieBreaker(ctx, current);
    addDisk(ctx, current, namedPool, MASK_MOD, entries);
    return;
  }
  let changed = false;
  if (isTieBreaker(current)) {
    current = takeOverTieBreaker(ctx, current);
    changed = true;
  }
  if (body.drbd_client !== undefined && (current.drbdClient === true) !== body.drbd_client) {
    current = { ...current, drbdClient: body.drbd_client ? true : undefined };
    ctx.store.put('resources', [nameKey(rd.name), nameKey(current.nodeName)], current);
    changed = true;
  }
  if (changed) entries.push(...satelliteUpdates(ctx, rd, current.nodeName));
}

/**
 * What `CtrlSatelliteUpdateCaller.updateSatellites(rscDfn)` combined by
 * `CtrlResponseUtils.combineResponses` answers inside a resource create: per node of the RD, in
 * node order, MODIFIED "Updated resource 'rd' on 'node'" for the changed node and "Update of
 * resource 'rd' on 'changed' applied on node 'other'" for the others; offline ones are not
 * connected.
 */
function satelliteUpdates(ctx: EmulatorContext, rd: RdRec, changedNode: string): ApiCallRc[] {
  const out: ApiCallRc[] = [];
  const nodes = rscsOf(ctx, rd.name)
    .map((r) => r.nodeName)
    .sort((a, b) => nameKey(a).localeCompare(nameKey(b)));
  for (const node of nodes) {
    if (!isOnline(ctx, node)) {
      out.push(notConnected(node, CRT_RSC));
      continue;
    }
    const message = sameName(node, changedNode)
      ? `Updated resource '${rd.name}' on '${node}'`
      : `Update of resource '${rd.name}' on '${changedNode}' applied on node '${node}'`;
    out.push(entry(MODIFIED | CRT_RSC, message, { objRefs: { RscDfn: rd.name } }));
  }
  return out;
}

/** An RD with one of its resources. */
export interface RdResource {
  rd: RdRec;
  rsc: RscRec;
}

/**
 * The `/v1/view/resources` selection (query `resources`, `nodes`, `storage_pools`, `props`),
 * ordered as the controller lists it (by resource name, then node name), using the store's prefix
 * lookups and props index for plain-name filters so a narrow query never walks every resource.
 */
export function selectResources(ctx: EmulatorContext, query: URLSearchParams): RdResource[] {
  const rscValues = queryList(query, 'resources');
  const nodeFilter = nameFilter(queryList(query, 'nodes'));
  const poolFilter = nameFilter(queryList(query, 'storage_pools'));
  const propsValues = queryList(query, 'props');
  const props = propsFilter(propsValues);
  const rdFilter = nameFilter(rscValues);
  const byRdThenNode = (pairs: RdResource[]) =>
    byName(pairs, ({ rd, rsc }) => `${nameKey(rd.name)}\u0000${nameKey(rsc.nodeName)}`);
  const plainNames = (rdFilter && !rdFilter.hasRegex) || (nodeFilter && !nodeFilter.hasRegex);
  const propsKeys = plainNames ? undefined : keysWithProps(ctx, 'resources', propsValues);
  let pairs: RdResource[];
  if (rdFilter && !rdFilter.hasRegex) {
    pairs = rdsByFilter(ctx, rscValues).flatMap((rd) => rscsOf(ctx, rd.name).map((rsc) => ({ rd, rsc })));
  } else if (nodeFilter && !nodeFilter.hasRegex) {
    pairs = nodeFilter.exactKeys.flatMap((nodeKey) =>
      rdKeysOfNode(ctx, nodeKey).flatMap((rdKey) => {
        const rd = ctx.store.get<RdRec>('rds', [rdKey]);
        const rsc = ctx.store.get<RscRec>('resources', [rdKey, nodeKey]);
        return rd && rsc && (!rdFilter || rdFilter.matches(rd.name)) ? [{ rd, rsc }] : [];
      }),
    );
    pairs = byRdThenNode(pairs);
  } else if (propsKeys) {
    // An exact key=value props filter: only the resources the props index lists under it.
    pairs = byRdThenNode(
      propsKeys.flatMap((key) => {
        const rsc = ctx.store.get<RscRec>('resources', key);
        const rd = rsc && ctx.store.get<RdRec>('rds', [key[0]!]);
        return rd && rsc && (!rdFilter || rdFilter.matches(rd.name)) ? [{ rd, rsc }] : [];
      }),
    );
  } else {
    pairs = rdsByFilter(ctx, rscValues).flatMap((rd) => rscsOf(ctx, rd.name).map((rsc) => ({ rd, rsc })));
  }
  return pairs.filter(
    ({ rsc }) =>
      (!nodeFilter || nodeFilter.matches(rsc.nodeName)) &&
      (!poolFilter || rsc.volumes.some((v) => poolFilter.matches(v.poolName))) &&
      (!props || props(rsc.props)),
  );
}

/**
 * make-available (linstor-api.md §2.7; linstor-server
 * `controller/.../apicallhandler/controller/CtrlRscMakeAvailableApiCallHandler.java`), case by case:
 *  - the resource exists: a different layer list is refused; an inactive one is activated; a DRBD
 *    diskless one gets a disk when `diskful` is asked; otherwise (a tie-breaker just loses its flag)
 *    "Resource already deployed as requested";
 *  - it does not exist: diskless when not asked for a disk and an active diskful peer exists, else
 *    diskful in the pool the placer picks on that node within the RG's settings.
 */
export function makeAvailable(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  body: ResourceMakeAvailable,
  entries: ApiCallRc[],
): void {
  const node = requireNode(ctx, nodeName, CRT_RSC);
  const layers = (body.layer_list ?? []).map((l) => String(l).toUpperCase());
  const wantDisk = body.diskful === true;
  const existing = getRsc(ctx, rd.name, node.name);
  if (existing) {
    if (layers.length && layers.join(',') !== rd.layerStack.join(',')) {
      throw new ApiCallError(
        entry(FAIL_INVLD_LAYER_STACK | CRT_RSC, 'Layerstack of deployed resource does not match'),
      );
    }
    if (existing.flags.includes('INACTIVE')) {
      setActive(ctx, rd, existing, true, entries);
    } else if (existing.flags.includes('DRBD_DISKLESS') && wantDisk) {
      addDisk(ctx, existing, undefined, MASK_CRT, entries);
    } else {
      // A tie-breaker becomes a wanted diskless resource; the controller says nothing else about it.
      if (isTieBreaker(existing)) takeOverTieBreaker(ctx, existing);
      entries.push(
        entry(CRT_RSC, 'Resource already deployed as requested', {
          objRefs: { RscDfn: rd.name, Node: node.name },
        }),
      );
    }
    reconcileTieBreaker(ctx, rd, entries);
    return;
  }
  const activeDiskfulPeer = rscsOf(ctx, rd.name).some((r) => !isDiskless(r) && !r.flags.includes('INACTIVE'));
  if (!wantDisk && activeDiskfulPeer) {
    // Resources made available without a disk are DRBD clients, as the controller creates them.
    deployResource(ctx, { rdName: rd.name, nodeName: node.name, diskless: true, drbdClient: true }, entries);
  } else {
    const poolName = pickPoolOnNode(ctx, rd, node.name, MASK_CRT);
    deployResource(ctx, { rdName: rd.name, nodeName: node.name, poolName }, entries);
  }
  reconcileTieBreaker(ctx, rd, entries);
}

/** The toggle-disk operations (ToggleDiskRequest.operation, and the deprecated per-path forms). */
export type ToggleOp = 'INTO_DRBD_DISKFUL' | 'INTO_DRBD_DISKLESS' | 'INTO_DRBD_CLIENT';

/** A ToggleDiskRequest's `operation`, or FAIL_INVLD_REQUEST naming it. */
export function parseToggleOp(operation: string | undefined): ToggleOp {
  const op = String(operation ?? '').toUpperCase();
  if (op === 'INTO_DRBD_DISKFUL' || op === 'INTO_DRBD_DISKLESS' || op === 'INTO_DRBD_CLIENT') return op;
  throw new ApiCallError(
    entry(FAIL_INVLD_REQUEST | MOD_RSC, `Unknown toggle-disk operation '${operation ?? ''}'.`),
  );
}

/** What toggleDisk changes. */
export interface ToggleOptions {
  /** Storage pool for the new disk (default: the placer's choice on that node). */
  poolName?: string;
  /** migrate-disk: the node whose resource goes once this one has its disk. */
  migrateFrom?: string;
}

/**
 * toggle-disk / migrate-disk: gives a diskless resource a disk (taking over a tie-breaker, and
 * removing the resource on `migrateFrom`, refused while that one is in use) or takes the disk away
 * (refused for the last diskful replica). A resource already as asked only gets a warning.
 */
export function toggleDisk(
  ctx: EmulatorContext,
  rd: RdRec,
  rsc: RscRec,
  op: ToggleOp,
  opts: ToggleOptions,
  entries: ApiCallRc[],
): void {
  const refs = { RscDfn: rd.name, Node: rsc.nodeName };
  if (op === 'INTO_DRBD_DISKFUL') {
    if (!isDiskless(rsc)) {
      entries.push(
        entry(
          WARN_RSC_ALREADY_HAS_DISK | MOD_RSC,
          `Resource '${rd.name}' on node '${rsc.nodeName}' already has a disk.`,
          { objRefs: refs },
        ),
      );
      return;
    }
    const wanted = isTieBreaker(rsc) ? takeOverTieBreaker(ctx, rsc) : rsc;
    addDisk(ctx, wanted, opts.poolName, MASK_MOD, entries);
    if (opts.migrateFrom) {
      const source = requireRsc(ctx, rd.name, opts.migrateFrom, MOD_RSC);
      if (isInUse(ctx, rd.name, source.nodeName)) throw inUseError(rd.name, source.nodeName, MOD_RSC);
      undeployResource(ctx, source);
      entries.push(
        entry(
          MODIFIED | MOD_RSC,
          `Resource '${rd.name}' migrated from node '${source.nodeName}' to '${rsc.nodeName}'.`,
          { objRefs: refs },
        ),
      );
    }
  } else {
    if (isDiskless(rsc)) {
      entries.push(
        entry(
          WARN_RSC_ALREADY_DISKLESS | MOD_RSC,
          `Resource '${rd.name}' on node '${rsc.nodeName}' is already diskless.`,
          { objRefs: refs },
        ),
      );
      return;
    }
    removeDisk(ctx, rsc, entries, { drbdClient: op === 'INTO_DRBD_CLIENT' });
  }
  reconcileTieBreaker(ctx, rd, entries, MASK_MOD);
}

/**
 * activate (clears INACTIVE: the device comes back on the node) or deactivate (sets it, refused
 * while in use: the device goes away).
 */
export function setActive(
  ctx: EmulatorContext,
  rd: RdRec,
  rsc: RscRec,
  active: boolean,
  entries: ApiCallRc[],
): void {
  const inactive = rsc.flags.includes('INACTIVE');
  if (active === inactive) {
    if (!active && isInUse(ctx, rd.name, rsc.nodeName)) throw inUseError(rd.name, rsc.nodeName, MOD_RSC);
    const flags = active ? rsc.flags.filter((f) => f !== 'INACTIVE') : [...rsc.flags, 'INACTIVE'];
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], { ...rsc, flags });
    const volumes = vdsOf(ctx, rd.name).map((vd) => ({ volumeNumber: vd.volumeNumber, minor: vd.minor }));
    if (active) files.link(ctx, rsc.nodeName, rd.name, volumes);
    else files.unlink(ctx, rsc.nodeName, rd.name, volumes);
  }
  entries.push(
    entry(
      MODIFIED | MOD_RSC,
      `Resource '${rd.name}' on node '${rsc.nodeName}' ${active ? 'activated' : 'deactivated'}.`,
      { objRefs: { RscDfn: rd.name, Node: rsc.nodeName } },
    ),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_RSC));
}

/** Options of deleteResource. */
export interface DeleteOptions {
  /** `keep_tiebreaker=true`: a tie-breaker the delete would remove stays (and auto tie-breaking is on). */
  keepTiebreaker?: boolean;
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
    throw inUseError(rsc.rdName, rsc.nodeName, mask, {
      cause: 'Resource is mounted/in use.',
      correction: `Un-mount resource '${rsc.rdName}' on the node '${rsc.nodeName}'.`,
    });
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
