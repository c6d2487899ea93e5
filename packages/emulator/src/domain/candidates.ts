/**
 * What the autoplacer chooses from: the candidate nodes and pools of an RD (built from the store
 * for the pure placer in ./placement.ts), the RG filter merged with a request's, and the pool the
 * placer picks on one given node.
 */
import {
  type AutoSelectFilter,
  FAIL_NOT_FOUND_STOR_POOL,
  MASK_RSC,
  nameKey,
  sameName,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { rgOf } from './deployment';
import { isDiskless, rscsOf, vdsOf } from './lookup';
import { mixingAllowed, mixingAllowedFor, peerKinds } from './mixing';
import type { NodeRec, PoolRec, RdRec } from './model';
import { type CandidateNode, type PlacementInput, place } from './placement';
import { placeableKib, poolCapacity } from './pools';
import { rdKeysOfNode } from './storage';

/** A stand-in RD of group `rgName` for placing "one more resource" of no existing definition. */
export function standInRd(rgName: string): RdRec {
  return {
    name: '',
    rgName,
    props: {},
    flags: [],
    layerStack: [],
    drbdSecret: '',
    peerSlots: 0,
    uuid: '',
    createdAt: 0,
  };
}

/** The driver constraint of a placement for the RD: its diskful replicas' kinds (except on `exceptNode`). */
export function placementDrivers(
  ctx: EmulatorContext,
  rd: RdRec,
  exceptNode?: string,
): PlacementInput['drivers'] {
  const allow = mixingAllowedFor(ctx, rd);
  return { existing: peerKinds(ctx, rd, exceptNode), mix: (a, b) => mixingAllowed(a, b, allow) };
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
    drivers: placementDrivers(ctx, rd, nodeName),
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
