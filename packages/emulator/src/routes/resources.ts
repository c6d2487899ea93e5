/**
 * Resources (linstor-api.md §2.7): create (array and single, 201), list per RD, get, the
 * `/v1/view/resources` status view, modify, delete (`keep_tiebreaker`), make-available,
 * toggle-disk (new and deprecated paths), autoplace (201), activate/deactivate, resource
 * connections and volumes.
 */
import {
  type ApiCallRc,
  type AutoPlaceRequest,
  FAIL_IN_USE,
  FAIL_INVLD_LAYER_STACK,
  FAIL_INVLD_REQUEST,
  FAIL_NOT_FOUND_VLM,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC,
  MASK_RSC_CONN,
  MASK_VLM,
  MODIFIED,
  nameKey,
  type PropsModify,
  type ResourceCreate,
  type ResourceMakeAvailable,
  type ResourceModify,
  type ToggleDiskRequest,
  WARN_NOT_FOUND,
  WARN_RSC_ALREADY_DISKLESS,
  WARN_RSC_ALREADY_HAS_DISK,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { promotionStates, publishPromotionChanges } from '../domain/devices';
import { nameFilter, paginate, propsFilter, queryFlag, queryList } from '../domain/filters';
import {
  byName,
  getRsc,
  isDiskless,
  isOnline,
  isTieBreaker,
  keysWithProps,
  rdsByFilter,
  requireNode,
  requireRd,
  requireRsc,
  rscsOf,
  vdsOf,
} from '../domain/lookup';
import type { RdRec, RscConnRec, RscRec } from '../domain/model';
import { getPool } from '../domain/pools';
import { applyPropsModify, rscConnKey } from '../domain/props';
import {
  addDisk,
  autoplaceRd,
  deleteResource,
  deployResource,
  isInUse,
  mergeFilter,
  notConnected,
  pickPoolOnNode,
  reconcileTieBreaker,
  removeDisk,
  rgOf,
  takeOverTieBreaker,
  undeployResource,
} from '../domain/resources';
import { files, rdKeysOfNode } from '../domain/storage';
import { rscView, rscVolumeViews, ViewCache } from '../domain/views';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import type { EmuReply, EmuRequest, RouteDef } from '../http/route';
import { badRequestBody, objectBody, withObjectBody } from './body';

const CRT_RSC = MASK_CRT | MASK_RSC;
const MOD_RSC = MASK_MOD | MASK_RSC;
const DEL_RSC = MASK_DEL | MASK_RSC;

/** Creates one resource from a ResourceCreate body (diskless flags, StorPoolName, tie-breaker takeover). */
function createOne(
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
  // drbd_client asks for a diskless client unless StorPoolName names a diskful pool on that node.
  const namedPool = body.resource?.props?.StorPoolName;
  const namedPoolDiskful = namedPool ? getPool(ctx, nodeName, namedPool)?.providerKind !== 'DISKLESS' : false;
  const diskless =
    flags.includes('DRBD_DISKLESS') ||
    flags.includes('NVME_INITIATOR') ||
    flags.includes('DISKLESS') ||
    (body.drbd_client === true && !namedPoolDiskful);
  const existing = getRsc(ctx, rd.name, nodeName);
  if (existing && isTieBreaker(existing)) {
    const taken = takeOverTieBreaker(ctx, existing, entries);
    if (!diskless) addDisk(ctx, taken, body.resource?.props?.StorPoolName, MASK_CRT, entries);
    return;
  }
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
    },
    entries,
  );
}

/** The `/v1/view/resources` selection, using the store's prefix lookups for plain-name filters. */
function selectResources(ctx: EmulatorContext, req: EmuRequest): { rd: RdRec; rsc: RscRec }[] {
  const rscValues = queryList(req.query, 'resources');
  const nodeFilter = nameFilter(queryList(req.query, 'nodes'));
  const poolFilter = nameFilter(queryList(req.query, 'storage_pools'));
  const propsValues = queryList(req.query, 'props');
  const props = propsFilter(propsValues);
  const rdFilter = nameFilter(rscValues);
  // The controller lists by resource name, then node name.
  const byRdThenNode = (pairs: { rd: RdRec; rsc: RscRec }[]) =>
    byName(pairs, ({ rd, rsc }) => `${nameKey(rd.name)}\u0000${nameKey(rsc.nodeName)}`);
  const plainNames = (rdFilter && !rdFilter.hasRegex) || (nodeFilter && !nodeFilter.hasRegex);
  const propsKeys = plainNames ? undefined : keysWithProps(ctx, 'resources', propsValues);
  let pairs: { rd: RdRec; rsc: RscRec }[];
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
 * make-available (linstor-api.md §2.7), case by case as the controller decides:
 *  - the resource exists: a different layer list is refused; an inactive one is activated; a DRBD
 *    diskless one gets a disk when `diskful` is asked; otherwise (a tie-breaker just loses its flag)
 *    "Resource already deployed as requested";
 *  - it does not exist: diskless when not asked for a disk and an active diskful peer exists, else
 *    diskful in the pool the placer picks on that node within the RG's settings.
 */
function makeAvailable(
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
      activate(ctx, rd, existing, entries);
    } else if (existing.flags.includes('DRBD_DISKLESS') && wantDisk) {
      addDisk(ctx, existing, undefined, MASK_CRT, entries);
    } else {
      if (isTieBreaker(existing)) {
        // The tie-breaker becomes a wanted diskless resource.
        ctx.store.put('resources', [nameKey(rd.name), nameKey(existing.nodeName)], {
          ...existing,
          flags: existing.flags.filter((f) => f !== 'TIE_BREAKER'),
        });
      }
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

type ToggleOp = 'INTO_DRBD_DISKFUL' | 'INTO_DRBD_DISKLESS' | 'INTO_DRBD_CLIENT';

/** toggle-disk: gives a diskless resource a disk (optionally migrating from another node) or removes it. */
function toggleDisk(
  ctx: EmulatorContext,
  req: EmuRequest,
  op: ToggleOp,
  poolName: string | undefined,
  migrateFrom: string | undefined,
): EmuReply {
  const rd = requireRd(ctx, req.params.rd!, MOD_RSC);
  const rsc = requireRsc(ctx, rd.name, req.params.node!, MOD_RSC);
  const before = promotionStates(ctx, rd);
  const entries: ApiCallRc[] = [];
  const refs = { RscDfn: rd.name, Node: rsc.nodeName };
  if (op === 'INTO_DRBD_DISKFUL') {
    if (!isDiskless(rsc)) {
      entries.push(
        entry(
          WARN_RSC_ALREADY_HAS_DISK | MOD_RSC,
          `Resource '${rd.name}' on node '${rsc.nodeName}' already has a disk.`,
          {
            objRefs: refs,
          },
        ),
      );
      return replyEntries(entries, 200);
    }
    addDisk(
      ctx,
      isTieBreaker(rsc) ? takeOverTieBreaker(ctx, rsc, entries) : rsc,
      poolName,
      MASK_MOD,
      entries,
    );
    if (migrateFrom) {
      const source = requireRsc(ctx, rd.name, migrateFrom, MOD_RSC);
      if (isInUse(ctx, rd.name, source.nodeName)) {
        throw new ApiCallError(
          entry(FAIL_IN_USE | MOD_RSC, `Resource '${rd.name}' on node '${source.nodeName}' is still in use.`),
        );
      }
      undeployResource(ctx, source);
      entries.push(
        entry(
          MODIFIED | MOD_RSC,
          `Resource '${rd.name}' migrated from node '${source.nodeName}' to '${rsc.nodeName}'.`,
          {
            objRefs: refs,
          },
        ),
      );
    }
  } else {
    if (isDiskless(rsc)) {
      entries.push(
        entry(
          WARN_RSC_ALREADY_DISKLESS | MOD_RSC,
          `Resource '${rd.name}' on node '${rsc.nodeName}' is already diskless.`,
          {
            objRefs: refs,
          },
        ),
      );
      return replyEntries(entries, 200);
    }
    removeDisk(ctx, rsc, entries, { drbdClient: op === 'INTO_DRBD_CLIENT' });
  }
  reconcileTieBreaker(ctx, rd, entries, MASK_MOD);
  publishPromotionChanges(ctx, rd, before);
  return replyEntries(entries, 200);
}

function toggleFromBody(req: EmuRequest, ctx: EmulatorContext): EmuReply {
  const body = objectBody<ToggleDiskRequest>(req.body);
  if (!body) return badRequestBody();
  const op = String(body.operation ?? '').toUpperCase();
  if (!['INTO_DRBD_DISKFUL', 'INTO_DRBD_DISKLESS', 'INTO_DRBD_CLIENT'].includes(op)) {
    throw new ApiCallError(
      entry(FAIL_INVLD_REQUEST | MOD_RSC, `Unknown toggle-disk operation '${body.operation ?? ''}'.`),
    );
  }
  return toggleDisk(ctx, req, op as ToggleOp, body.storage_pool || undefined, body.migrate_from || undefined);
}

/** Clears INACTIVE: the device comes back on the node. */
function activate(ctx: EmulatorContext, rd: RdRec, rsc: RscRec, entries: ApiCallRc[]): void {
  if (rsc.flags.includes('INACTIVE')) {
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], {
      ...rsc,
      flags: rsc.flags.filter((f) => f !== 'INACTIVE'),
    });
    files.link(ctx, rsc.nodeName, rd.name, deviceVolumes(ctx, rd));
  }
  entries.push(
    entry(MODIFIED | MOD_RSC, `Resource '${rd.name}' on node '${rsc.nodeName}' activated.`, {
      objRefs: { RscDfn: rd.name, Node: rsc.nodeName },
    }),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_RSC));
}

/** Sets INACTIVE (refused while in use): the device goes away on the node. */
function deactivate(ctx: EmulatorContext, rd: RdRec, rsc: RscRec, entries: ApiCallRc[]): void {
  if (!rsc.flags.includes('INACTIVE')) {
    if (isInUse(ctx, rd.name, rsc.nodeName)) {
      throw new ApiCallError(
        entry(FAIL_IN_USE | MOD_RSC, `Resource '${rd.name}' on node '${rsc.nodeName}' is still in use.`),
      );
    }
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], {
      ...rsc,
      flags: [...rsc.flags, 'INACTIVE'],
    });
    files.unlink(ctx, rsc.nodeName, rd.name, deviceVolumes(ctx, rd));
  }
  entries.push(
    entry(MODIFIED | MOD_RSC, `Resource '${rd.name}' on node '${rsc.nodeName}' deactivated.`, {
      objRefs: { RscDfn: rd.name, Node: rsc.nodeName },
    }),
  );
  if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_RSC));
}

/** The volume numbers and minors of an RD, as the device links need them. */
function deviceVolumes(ctx: EmulatorContext, rd: RdRec): { volumeNumber: number; minor: number }[] {
  return vdsOf(ctx, rd.name).map((vd) => ({ volumeNumber: vd.volumeNumber, minor: vd.minor }));
}

/** `activate` / `deactivate` routes. */
function setActive(ctx: EmulatorContext, req: EmuRequest, active: boolean): EmuReply {
  const rd = requireRd(ctx, req.params.rd!, MOD_RSC);
  const rsc = requireRsc(ctx, rd.name, req.params.node!, MOD_RSC);
  const entries: ApiCallRc[] = [];
  if (active) activate(ctx, rd, rsc, entries);
  else deactivate(ctx, rd, rsc, entries);
  return replyEntries(entries, 200);
}

function connView(ctx: EmulatorContext, rd: RdRec, a: RscRec, b: RscRec): Record<string, unknown> {
  const conn = ctx.store.get<RscConnRec>('rscConns', rscConnKey(rd.name, a.nodeName, b.nodeName));
  return {
    node_a: a.nodeName,
    node_b: b.nodeName,
    props: conn?.props,
    flags: conn?.flags,
    port: rd.drbdPort,
  };
}

const volumeNotFound = (rd: string, node: string, nr: string | undefined, mask: bigint) =>
  new ApiCallError(
    entry(
      FAIL_NOT_FOUND_VLM | mask,
      `Volume with number '${nr}' of resource '${rd}' on node '${node}' not found.`,
    ),
  );

export const resourceRoutes: RouteDef[] = [
  {
    method: 'GET',
    template: '/v1/view/resources',
    handler: (req, ctx) => {
      const selected = paginate(selectResources(ctx, req), req.query);
      const cache = new ViewCache(ctx);
      return {
        status: 200,
        json: selected.map(({ rd, rsc }) => rscView(ctx, rd, rsc, { withVolumes: true, cache })),
      };
    },
  },
  {
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!);
      const cache = new ViewCache(ctx);
      return {
        status: 200,
        json: paginate(rscsOf(ctx, rd.name), req.query).map((rsc) => rscView(ctx, rd, rsc, { cache })),
      };
    },
  },
  {
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!);
      return { status: 200, json: rscView(ctx, rd, requireRsc(ctx, rd.name, req.params.node!)) };
    },
  },
  {
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources',
    handler: (req, ctx) => {
      if (!Array.isArray(req.body)) {
        throw new ApiCallError(
          entry(FAIL_INVLD_REQUEST | CRT_RSC, 'The request body must be a JSON array of ResourceCreate.'),
        );
      }
      const rd = requireRd(ctx, req.params.rd!, CRT_RSC);
      const before = promotionStates(ctx, rd);
      const entries: ApiCallRc[] = [];
      for (const item of req.body as ResourceCreate[]) {
        const nodeName = item?.resource?.node_name;
        if (!nodeName)
          throw new ApiCallError(entry(FAIL_INVLD_REQUEST | CRT_RSC, 'resource.node_name is required.'));
        createOne(ctx, rd, item, nodeName, entries);
      }
      reconcileTieBreaker(ctx, rd, entries);
      publishPromotionChanges(ctx, rd, before);
      return replyEntries(entries, 201);
    },
  },
  {
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    handler: withObjectBody<ResourceCreate>((body, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!, CRT_RSC);
      const before = promotionStates(ctx, rd);
      const entries: ApiCallRc[] = [];
      createOne(ctx, rd, body, req.params.node!, entries);
      reconcileTieBreaker(ctx, rd, entries);
      publishPromotionChanges(ctx, rd, before);
      return replyEntries(entries, 201);
    }),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    handler: withObjectBody<ResourceModify>((body, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!, MOD_RSC);
      const rsc = requireRsc(ctx, rd.name, req.params.node!, MOD_RSC);
      ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], {
        ...rsc,
        props: applyPropsModify(rsc.props, body, MOD_RSC),
      });
      const entries = [
        entry(MODIFIED | MOD_RSC, `Resource '${rd.name}' on node '${rsc.nodeName}' modified.`, {
          details: `Resource '${rd.name}' on node '${rsc.nodeName}' UUID is: ${rsc.uuid}`,
          objRefs: { RscDfn: rd.name, Node: rsc.nodeName },
        }),
      ];
      if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_RSC));
      return replyEntries(entries, 200);
    }),
  },
  {
    method: 'DELETE',
    template: '/v1/resource-definitions/{rd}/resources/{node}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!, DEL_RSC);
      const rsc = getRsc(ctx, rd.name, req.params.node!);
      if (!rsc) {
        return replyEntries(
          [
            entry(WARN_NOT_FOUND | DEL_RSC, `Resource '${rd.name}' on node '${req.params.node}' not found.`, {
              objRefs: { RscDfn: rd.name, Node: req.params.node! },
            }),
          ],
          200,
        );
      }
      const before = promotionStates(ctx, rd);
      const entries: ApiCallRc[] = [];
      deleteResource(ctx, rsc, { keepTiebreaker: queryFlag(req.query, 'keep_tiebreaker') }, entries);
      publishPromotionChanges(ctx, rd, before);
      return replyEntries(entries, 200);
    },
  },
  {
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}/make-available',
    handler: withObjectBody<ResourceMakeAvailable>((body, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!, CRT_RSC);
      const before = promotionStates(ctx, rd);
      const entries: ApiCallRc[] = [];
      makeAvailable(ctx, rd, req.params.node!, body, entries);
      publishPromotionChanges(ctx, rd, before);
      return replyEntries(entries, 200);
    }),
  },
  {
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/autoplace',
    handler: withObjectBody<AutoPlaceRequest>((body, req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!, CRT_RSC);
      const before = promotionStates(ctx, rd);
      // The controller copies the top-level diskless_on_remaining and layer_list into the filter.
      const requestFilter = { ...(body.select_filter ?? {}) };
      requestFilter.diskless_on_remaining = body.diskless_on_remaining ?? false;
      if (body.layer_list?.length) requestFilter.layer_stack = body.layer_list;
      else delete requestFilter.layer_stack;
      const filter = mergeFilter(rgOf(ctx, rd).selectFilter, requestFilter);
      filter.diskless_on_remaining = requestFilter.diskless_on_remaining;
      const entries: ApiCallRc[] = [];
      autoplaceRd(ctx, rd, { filter, disklessOnRemaining: filter.diskless_on_remaining }, entries);
      publishPromotionChanges(ctx, rd, before);
      return replyEntries(entries, 201);
    }),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk',
    handler: (req, ctx) => toggleFromBody(req, ctx),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskless',
    handler: (req, ctx) => toggleDisk(ctx, req, 'INTO_DRBD_DISKLESS', undefined, undefined),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskless/{pool}',
    handler: (req, ctx) => toggleDisk(ctx, req, 'INTO_DRBD_DISKLESS', undefined, undefined),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskful',
    handler: (req, ctx) => toggleDisk(ctx, req, 'INTO_DRBD_DISKFUL', undefined, undefined),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/toggle-disk/diskful/{pool}',
    handler: (req, ctx) => toggleDisk(ctx, req, 'INTO_DRBD_DISKFUL', req.params.pool, undefined),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/migrate-disk/{from}',
    handler: (req, ctx) => toggleDisk(ctx, req, 'INTO_DRBD_DISKFUL', undefined, req.params.from),
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/migrate-disk/{from}/{pool}',
    handler: (req, ctx) => toggleDisk(ctx, req, 'INTO_DRBD_DISKFUL', req.params.pool, req.params.from),
  },
  {
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}/activate',
    handler: (req, ctx) => setActive(ctx, req, true),
  },
  {
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/resources/{node}/deactivate',
    handler: (req, ctx) => setActive(ctx, req, false),
  },
  {
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resource-connections',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!);
      const rscs = rscsOf(ctx, rd.name);
      const out: Record<string, unknown>[] = [];
      for (let i = 0; i < rscs.length; i++) {
        for (let j = i + 1; j < rscs.length; j++) out.push(connView(ctx, rd, rscs[i]!, rscs[j]!));
      }
      return { status: 200, json: out };
    },
  },
  {
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resource-connections/{a}/{b}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!);
      const a = requireRsc(ctx, rd.name, req.params.a!);
      const b = requireRsc(ctx, rd.name, req.params.b!);
      return { status: 200, json: [connView(ctx, rd, a, b)] };
    },
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resource-connections/{a}/{b}',
    handler: (req, ctx) => {
      const mask = MASK_MOD | MASK_RSC_CONN;
      const body = objectBody<PropsModify>(req.body);
      if (!body) return badRequestBody();
      const rd = requireRd(ctx, req.params.rd!, mask);
      const a = requireRsc(ctx, rd.name, req.params.a!, mask);
      const b = requireRsc(ctx, rd.name, req.params.b!, mask);
      const before = promotionStates(ctx, rd);
      const key = rscConnKey(rd.name, a.nodeName, b.nodeName);
      const conn = ctx.store.get<RscConnRec>('rscConns', key) ?? {
        rdName: rd.name,
        nodeA: a.nodeName,
        nodeB: b.nodeName,
        props: {},
        flags: [],
      };
      const props = applyPropsModify(conn.props, body, mask);
      if (Object.keys(props).length === 0 && conn.flags.length === 0) ctx.store.delete('rscConns', key);
      else ctx.store.put<RscConnRec>('rscConns', key, { ...conn, props });
      publishPromotionChanges(ctx, rd, before);
      const entries = [
        entry(
          MODIFIED | mask,
          `Resource connection between '${a.nodeName}' and '${b.nodeName}' of '${rd.name}' modified.`,
          {
            objRefs: { RscDfn: rd.name, SourceNode: a.nodeName, TargetNode: b.nodeName },
          },
        ),
      ];
      for (const n of [a.nodeName, b.nodeName]) if (!isOnline(ctx, n)) entries.push(notConnected(n, mask));
      return replyEntries(entries, 200);
    },
  },
  {
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources/{node}/volumes',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!);
      const rsc = requireRsc(ctx, rd.name, req.params.node!);
      const props = propsFilter(queryList(req.query, 'props'));
      const views = rscVolumeViews(ctx, rd, rsc).filter(
        (v) => !props || props((v.props as Record<string, string>) ?? {}),
      );
      return { status: 200, json: paginate(views, req.query) };
    },
  },
  {
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/resources/{node}/volumes/{nr}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rd!);
      const rsc = requireRsc(ctx, rd.name, req.params.node!);
      const view = rscVolumeViews(ctx, rd, rsc).find((v) => String(v.volume_number) === req.params.nr);
      if (!view) throw volumeNotFound(rd.name, rsc.nodeName, req.params.nr, 0n);
      return { status: 200, json: view };
    },
  },
  {
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/resources/{node}/volumes/{nr}',
    handler: (req, ctx) => {
      const mask = MASK_MOD | MASK_VLM;
      const body = objectBody<PropsModify>(req.body);
      if (!body) return badRequestBody();
      const rd = requireRd(ctx, req.params.rd!, mask);
      const rsc = requireRsc(ctx, rd.name, req.params.node!, mask);
      const vol = rsc.volumes.find((v) => String(v.volumeNumber) === req.params.nr);
      if (!vol) throw volumeNotFound(rd.name, rsc.nodeName, req.params.nr, mask);
      const volumes = rsc.volumes.map((v) =>
        v === vol ? { ...v, props: applyPropsModify(v.props, body, mask) } : v,
      );
      ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], { ...rsc, volumes });
      const entries = [
        entry(
          MODIFIED | mask,
          `Volume with number '${vol.volumeNumber}' of resource '${rd.name}' on node '${rsc.nodeName}' modified.`,
          { objRefs: { RscDfn: rd.name, Node: rsc.nodeName, VlmNr: String(vol.volumeNumber) } },
        ),
      ];
      if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, mask));
      return replyEntries(entries, 200);
    },
  },
];
