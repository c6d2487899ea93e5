/**
 * The autoplacer run against the store (`POST .../autoplace`, spawn, RG apply): how many replicas
 * are still to place, the placement itself (./placement.ts), diskless-on-remaining, and the
 * controller's reply entries.
 */
import {
  type ApiCallRc,
  type AutoPlaceRequest,
  type AutoSelectFilter,
  CREATED,
  FAIL_INVLD_LAYER_STACK,
  FAIL_NOT_ENOUGH_NODES,
  FAIL_NOT_FOUND_RSC,
  MASK_CRT,
  MASK_RSC,
  nameKey,
  WARN_RSC_ALREADY_DEPLOYED,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { mergeFilter, placementCandidates, placementDrivers } from './candidates';
import { deployResource, rgOf } from './deployment';
import { addDisk } from './disks';
import { getRsc, isDiskless, isTieBreaker, rscsOf, vdsOf } from './lookup';
import type { NodeRec, RdRec, RscRec } from './model';
import { type PlacementPick, place } from './placement';
import { getPool } from './pools';
import { reconcileTieBreaker, takeOverTieBreaker } from './tie-breaker';

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
      drivers: placementDrivers(ctx, rd),
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
      const wanted = isTieBreaker(existing) ? takeOverTieBreaker(ctx, existing) : existing;
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
      if (existing && isTieBreaker(existing)) takeOverTieBreaker(ctx, existing);
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
 * `POST .../autoplace`: the RG's select filter with the request's set fields on top; the
 * controller copies the top-level `diskless_on_remaining` and `layer_list` into the filter
 * (linstor-server `controller/.../api/rest/v1/AutoPlace.java`).
 */
export function autoplaceFromRequest(
  ctx: EmulatorContext,
  rd: RdRec,
  body: AutoPlaceRequest,
  entries: ApiCallRc[],
): PlacementPick[] {
  const requestFilter = { ...(body.select_filter ?? {}) };
  requestFilter.diskless_on_remaining = body.diskless_on_remaining ?? false;
  if (body.layer_list?.length) requestFilter.layer_stack = body.layer_list;
  else delete requestFilter.layer_stack;
  const filter = mergeFilter(rgOf(ctx, rd).selectFilter, requestFilter);
  filter.diskless_on_remaining = requestFilter.diskless_on_remaining;
  return autoplaceRd(ctx, rd, { filter, disklessOnRemaining: filter.diskless_on_remaining }, entries);
}
