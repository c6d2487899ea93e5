/**
 * The largest volume a placement could have (linstor-server's QueryMaxVlmSize.java,
 * CtrlQueryMaxVlmSizeHelper): `OPTIONS /v1/query-max-volume-size` with a select filter, and the
 * deprecated `GET /v1/resource-groups/{rg}/query-max-volume-size` with the group's filter. As the
 * controller does, the autoplacer runs once per storage pool name (the filter's pools, or every
 * pool definition): each placement that succeeds is one candidate with its nodes, whether all
 * chosen pools are thin, and the smallest size any of them still takes (thin pools with the
 * over-subscription ratio). No candidate at all is FAIL_NOT_ENOUGH_NODES (HTTP 500); a filter
 * without `place_count` is FAIL_INVLD_PLACE_COUNT. Also `POST /v1/resource-groups/adjustall`.
 */
import {
  type ApiCallRc,
  type AutoSelectFilter,
  FAIL_INVLD_PLACE_COUNT,
  FAIL_NOT_ENOUGH_NODES,
  MASK_MOD,
  MASK_RSC_GRP,
  nameKey,
  type ResourceGroupAdjust,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { mergeFilter, placementCandidates, placementDrivers, standInRd } from '../domain/candidates';
import { adjustRg } from '../domain/groups';
import { requireRg } from '../domain/lookup';
import type { PoolRec, RgRec } from '../domain/model';
import { place } from '../domain/placement';
import { DEFAULT_OVERSUBSCRIPTION_RATIO, isThin } from '../domain/pools';
import { entry, replyEntries } from '../http/apicall';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { badRequestBody, objectBody, withObjectBody } from './body';

function diskfulPoolNames(ctx: EmulatorContext): string[] {
  const names = new Map<string, string>();
  for (const pool of ctx.store.list<PoolRec>('pools')) {
    if (pool.providerKind !== 'DISKLESS' && !names.has(nameKey(pool.name)))
      names.set(nameKey(pool.name), pool.name);
  }
  return [...names.values()];
}

function maxVolumeSize(ctx: EmulatorContext, filter: AutoSelectFilter, rgName: string): EmuReply {
  const count = filter.place_count;
  if (count === undefined || count === null) {
    return replyEntries([entry(FAIL_INVLD_PLACE_COUNT, 'Replica count is required for this operation')], 500);
  }
  const pools = filter.storage_pool_list?.length
    ? filter.storage_pool_list
    : filter.storage_pool
      ? [filter.storage_pool]
      : diskfulPoolNames(ctx);
  const rd = standInRd(rgName);
  const candidates: Record<string, unknown>[] = [];
  for (const poolName of pools) {
    const only: AutoSelectFilter = { ...filter, storage_pool: poolName, storage_pool_list: [poolName] };
    const nodes = placementCandidates(ctx, rd, only);
    const result = place({
      rdName: '',
      filter: only,
      count,
      neededKib: 0,
      candidates: nodes,
      existingReplicaProps: [],
      drivers: placementDrivers(ctx, rd),
    });
    if (!result.ok) continue;
    let smallest = Number.MAX_SAFE_INTEGER;
    let allThin = true;
    for (const pick of result.picks) {
      const pool = nodes.find((n) => n.name === pick.nodeName)?.pools.find((p) => p.name === pick.poolName);
      if (!pool) continue;
      smallest = Math.min(smallest, pool.placeableKib);
      allThin &&= isThin(pool.providerKind);
    }
    candidates.push({
      storage_pool: poolName,
      max_volume_size_kib: smallest,
      node_names: result.picks.map((p) => p.nodeName),
      all_thin: allThin,
    });
  }
  if (candidates.length === 0) {
    return replyEntries([entry(FAIL_NOT_ENOUGH_NODES, 'Not enough nodes')], 500);
  }
  candidates.sort((a, b) => String(a.storage_pool).localeCompare(String(b.storage_pool)));
  return {
    status: 200,
    json: { candidates, default_max_oversubscription_ratio: DEFAULT_OVERSUBSCRIPTION_RATIO },
  };
}

export const maxVolumeSizeRoutes: RouteDef[] = [
  route({
    method: 'OPTIONS',
    template: '/v1/query-max-volume-size',
    handler: (req, ctx) => {
      const filter = objectBody<AutoSelectFilter>(req.body);
      return filter ? maxVolumeSize(ctx, filter, '') : badRequestBody();
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-groups/{rg}/query-max-volume-size',
    handler: (req, ctx) => {
      const rg = requireRg(ctx, req.params.rg);
      return maxVolumeSize(ctx, mergeFilter(rg.selectFilter, undefined), rg.name);
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-groups/adjustall',
    handler: withObjectBody((body: ResourceGroupAdjust, _req, ctx) => {
      const entries: ApiCallRc[] = [];
      const groups = ctx.store.list<RgRec>('rgs').sort((a, b) => a.name.localeCompare(b.name));
      for (const rg of groups)
        adjustRg(ctx, requireRg(ctx, rg.name, MASK_MOD | MASK_RSC_GRP), body.select_filter, entries);
      return replyEntries(entries, 200);
    }),
  }),
];
