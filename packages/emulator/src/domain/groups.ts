/**
 * Resource groups and volume groups: create/modify/delete, `spawn` (RD + VDs + autoplace, all in
 * one transaction), `query-size-info` and `adjust` (linstor-api.md §2.4).
 */
import {
  type ApiCallRc,
  type AutoSelectFilter,
  CREATED,
  DELETED,
  FAIL_EXISTS_RSC_DFN,
  FAIL_EXISTS_RSC_GRP,
  FAIL_EXISTS_VLM_GRP,
  FAIL_INVLD_PLACE_COUNT,
  FAIL_INVLD_VLM_NR,
  FAIL_INVLD_VLM_SIZES,
  FAIL_NOT_ENOUGH_NODES,
  INFO_NO_RSC_SPAWNED,
  MASK_CRT,
  MASK_DEL,
  MASK_INFO,
  MASK_MOD,
  MASK_RSC_GRP,
  MASK_VLM_GRP,
  MODIFIED,
  nameKey,
  type QuerySizeInfoResponse,
  type ResourceGroup,
  type ResourceGroupModify,
  type ResourceGroupSpawn,
  type VolumeGroup,
  type VolumeGroupModify,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { autoplaceRd } from './autoplacer';
import { mergeFilter, placementCandidates, placementDrivers, standInRd } from './candidates';
import { createRd, createVd, rdsOfGroup } from './definitions';
import { checkRgName, newUuid } from './lookup';
import type { NodeRec, PoolRec, RgRec, VgRec } from './model';
import { place } from './placement';
import { isThin, oversubscriptionRatio, poolCapacity } from './pools';
import { applyPropsModify } from './props';

const CRT_RG = MASK_CRT | MASK_RSC_GRP;
const MOD_RG = MASK_MOD | MASK_RSC_GRP;
const DEL_RG = MASK_DEL | MASK_RSC_GRP;

/**
 * A resource group without a place count has 2, as the controller gives every group (DfltRscGrp
 * too): linstor-server `server/src/main/java/com/linbit/linstor/core/objects/AutoSelectorConfig.java`
 * stores `replicaCountRef == null ? 2 : replicaCountRef`.
 */
export function withDefaultPlaceCount(filter: AutoSelectFilter): AutoSelectFilter {
  return filter.place_count === undefined || filter.place_count === null
    ? { ...filter, place_count: 2 }
    : filter;
}

/** `POST /v1/resource-groups`; props in the body are ignored, as the controller does. */
export function createRg(ctx: EmulatorContext, body: ResourceGroup, entries: ApiCallRc[]): RgRec {
  const name = checkRgName(body.name, CRT_RG);
  if (ctx.store.get<RgRec>('rgs', [nameKey(name)])) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_RSC_GRP | CRT_RG, `A resource group with the name '${name}' already exists.`, {
        cause: `The resource group '${name}' already exists`,
        objRefs: { RscGrp: name },
      }),
    );
  }
  const rg: RgRec = {
    name,
    description: body.description || undefined,
    props: {},
    selectFilter: withDefaultPlaceCount(mergeFilter({}, body.select_filter)),
    peerSlots: body.peer_slots,
    uuid: newUuid(),
  };
  ctx.store.put('rgs', [nameKey(name)], rg);
  entries.push(
    entry(CREATED | CRT_RG, `New resource group '${name}' created.`, {
      details: `Resource group '${name}' UUID is: ${rg.uuid}`,
      objRefs: { RscGrp: name, UUID: rg.uuid },
    }),
  );
  return rg;
}

/** `PUT /v1/resource-groups/{rg}`: description, props, select filter fields (merged), peer slots. */
export function modifyRg(
  ctx: EmulatorContext,
  rg: RgRec,
  body: ResourceGroupModify,
  entries: ApiCallRc[],
): RgRec {
  const next: RgRec = { ...rg, props: applyPropsModify(rg.props, body, MOD_RG) };
  if (body.description !== undefined) next.description = body.description || undefined;
  if (body.select_filter) next.selectFilter = mergeFilter(rg.selectFilter, body.select_filter);
  if (body.peer_slots !== undefined) next.peerSlots = body.peer_slots;
  ctx.store.put('rgs', [nameKey(rg.name)], next);
  entries.push(
    entry(MODIFIED | MOD_RG, `Resource group '${rg.name}' modified.`, {
      details: `Resource group '${rg.name}' UUID is: ${rg.uuid}`,
      objRefs: { RscGrp: rg.name, UUID: rg.uuid },
    }),
  );
  return next;
}

/** `DELETE /v1/resource-groups/{rg}`: WARN_NOT_FOUND when absent; refused while RDs use it. */
export function deleteRg(ctx: EmulatorContext, rgName: string, entries: ApiCallRc[]): void {
  const rg = ctx.store.get<RgRec>('rgs', [nameKey(rgName)]);
  if (!rg) {
    entries.push(
      entry(WARN_NOT_FOUND | DEL_RG, `Resource group '${rgName}' not found.`, {
        objRefs: { RscGrp: rgName },
      }),
    );
    return;
  }
  if (rdsOfGroup(ctx, rg).length > 0) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_RSC_DFN | DEL_RG,
        `Cannot delete resource group '${rg.name}' because it has existing resource definitions.`,
        { objRefs: { RscGrp: rg.name } },
      ),
    );
  }
  for (const vg of vgsOf(ctx, rg)) ctx.store.delete('vgs', [nameKey(rg.name), String(vg.volumeNumber)]);
  ctx.store.delete('rgs', [nameKey(rg.name)]);
  entries.push(
    entry(DELETED | DEL_RG, `Resource group '${rg.name}' deleted.`, {
      details: `Resource group '${rg.name}' UUID was: ${rg.uuid}`,
      objRefs: { RscGrp: rg.name, UUID: rg.uuid },
    }),
  );
}

/** The volume groups of a resource group, by number. */
export function vgsOf(ctx: EmulatorContext, rg: RgRec): VgRec[] {
  return ctx.store.list<VgRec>('vgs', [nameKey(rg.name)]).sort((a, b) => a.volumeNumber - b.volumeNumber);
}

const CRT_VG = MASK_CRT | MASK_VLM_GRP;
const MOD_VG = MASK_MOD | MASK_VLM_GRP;
const DEL_VG = MASK_DEL | MASK_VLM_GRP;

/** `POST .../volume-groups`: refused while the group has RDs; number given or the lowest free. */
export function createVg(ctx: EmulatorContext, rg: RgRec, body: VolumeGroup, entries: ApiCallRc[]): VgRec {
  const existing = new Set(vgsOf(ctx, rg).map((v) => v.volumeNumber));
  let nr = body.volume_number;
  if (nr === undefined || nr === null) {
    nr = 0;
    while (existing.has(nr)) nr++;
  }
  if (!Number.isInteger(nr) || nr < 0 || nr > 65535) {
    throw new ApiCallError(entry(FAIL_INVLD_VLM_NR | CRT_VG, `Invalid volume number ${nr}.`));
  }
  if (existing.has(nr)) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_VLM_GRP | CRT_VG,
        `Volume group with number '${nr}' of resource group '${rg.name}' already exists.`,
      ),
    );
  }
  if (rdsOfGroup(ctx, rg).length > 0) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_RSC_DFN | CRT_VG,
        `Volume group cannot be created while the resource group '${rg.name}' has resource definitions.`,
      ),
    );
  }
  const vg: VgRec = {
    rgName: rg.name,
    volumeNumber: nr,
    props: applyPropsModify({}, { override_props: body.props }, CRT_VG),
    flags: [...(body.flags ?? [])],
    uuid: newUuid(),
  };
  ctx.store.put('vgs', [nameKey(rg.name), String(nr)], vg);
  entries.push(
    entry(CREATED | CRT_VG, `New volume group with number '${nr}' of resource group '${rg.name}' created.`, {
      details: `Volume group with number '${nr}' of resource group '${rg.name}' UUID is: ${vg.uuid}`,
      objRefs: { RscGrp: rg.name, VlmNr: String(nr) },
    }),
  );
  return vg;
}

/** `PUT .../volume-groups/{nr}`: props and flags (`-FLAG` removes). */
export function modifyVg(
  ctx: EmulatorContext,
  vg: VgRec,
  body: VolumeGroupModify,
  entries: ApiCallRc[],
): VgRec {
  const next: VgRec = { ...vg, props: applyPropsModify(vg.props, body, MOD_VG) };
  for (const f of body.flags ?? []) {
    if (f.startsWith('-')) next.flags = next.flags.filter((x) => x !== f.slice(1));
    else if (!next.flags.includes(f)) next.flags = [...next.flags, f];
  }
  ctx.store.put('vgs', [nameKey(vg.rgName), String(vg.volumeNumber)], next);
  entries.push(
    entry(
      MODIFIED | MOD_VG,
      `Volume group with number '${vg.volumeNumber}' of resource group '${vg.rgName}' modified.`,
      {
        objRefs: { RscGrp: vg.rgName, VlmNr: String(vg.volumeNumber) },
      },
    ),
  );
  return next;
}

/** `DELETE .../volume-groups/{nr}`: WARN_NOT_FOUND when absent. */
export function deleteVg(ctx: EmulatorContext, rg: RgRec, nr: number, entries: ApiCallRc[]): void {
  const key = [nameKey(rg.name), String(nr)];
  const refs = { RscGrp: rg.name, VlmNr: String(nr) };
  if (!ctx.store.get<VgRec>('vgs', key)) {
    entries.push(
      entry(
        WARN_NOT_FOUND | DEL_VG,
        `Volume group with number '${nr}' of resource group '${rg.name}' not found.`,
        {
          objRefs: refs,
        },
      ),
    );
    return;
  }
  ctx.store.delete('vgs', key);
  entries.push(
    entry(DELETED | DEL_VG, `Volume group with number '${nr}' of resource group '${rg.name}' deleted.`, {
      objRefs: refs,
    }),
  );
}

/**
 * `POST /v1/resource-groups/{rg}/spawn`: creates the RD (with `resource_definition_props` set in
 * the same transaction) and one VD per size, then autoplaces with the RG filter merged with the
 * request's, unless `definitions_only` or no place_count (INFO_NO_RSC_SPAWNED).
 */
export function spawn(ctx: EmulatorContext, rg: RgRec, body: ResourceGroupSpawn, entries: ApiCallRc[]): void {
  const vgs = vgsOf(ctx, rg);
  const sizes = body.volume_sizes ?? [];
  if (vgs.length === 0 && body.partial !== true) {
    entries.push(
      entry(
        MASK_INFO | MASK_CRT | MASK_RSC_GRP,
        "Resource-group doesn't have any volume-groups, automatically assume partial mode.",
        { objRefs: { RscGrp: rg.name } },
      ),
    );
  }
  const partial = vgs.length === 0 || body.partial === true;
  if (sizes.length !== vgs.length && !partial) {
    throw new ApiCallError(
      entry(
        FAIL_INVLD_VLM_SIZES | MASK_CRT | MASK_RSC_GRP,
        `Invalid count of volume sizes to spawn resource group '${rg.name}'`,
        {
          details: `The resource group '${rg.name}' has ${vgs.length} Volume groups, but only ${sizes.length} sizes were provided.`,
          correction: "Either provide the correct count of volume sizes or use the 'partial' option",
        },
      ),
    );
  }
  const rd = createRd(
    ctx,
    {
      resource_definition: {
        name: body.resource_definition_name,
        external_name: body.resource_definition_external_name,
        resource_group_name: rg.name,
        props: body.resource_definition_props,
      },
      drbd_peer_slots: body.peer_slots,
    },
    entries,
  );
  sizes.forEach((size, i) => {
    const vg = vgs[i];
    createVd(
      ctx,
      rd,
      { volume_definition: { size_kib: size, volume_number: vg?.volumeNumber ?? i } },
      entries,
      { baseProps: vg?.props, baseFlags: vg?.flags },
    );
  });
  const filter = mergeFilter(rg.selectFilter, body.select_filter);
  if (body.definitions_only || !filter.place_count) {
    const reasons: string[] = [];
    if (!filter.place_count) {
      reasons.push('No autoplace configuration in the given resource group (at least place-count required)');
    }
    if (body.definitions_only) reasons.push('--definitions-only was set');
    const shown = body.resource_definition_external_name
      ? `${rd.name}(${body.resource_definition_external_name})`
      : rd.name;
    entries.push(
      entry(
        INFO_NO_RSC_SPAWNED | MASK_CRT | MASK_RSC_GRP,
        `Resource definition ${shown} and ${sizes.length} created but no resources deployed`,
        { cause: reasons.join(' and '), objRefs: { RscDfn: rd.name } },
      ),
    );
    return;
  }
  autoplaceRd(ctx, rd, { filter, disklessOnRemaining: filter.diskless_on_remaining }, entries);
}

/**
 * `query-size-info`: where the next spawn would go (`next_spawn_result`) and the largest volume
 * it could have: the smallest placeable size among the chosen pools (thin pools with the
 * over-subscription ratio), their smallest free and total capacity (per replica, not a sum).
 */
export function querySizeInfo(
  ctx: EmulatorContext,
  rg: RgRec,
  override?: AutoSelectFilter,
): QuerySizeInfoResponse {
  // The controller requires the group's own place count here, whatever the request's filter says.
  if (!rg.selectFilter.place_count) {
    return {
      reports: [entry(FAIL_INVLD_PLACE_COUNT | MASK_RSC_GRP, 'Replica count is required for this operation')],
    };
  }
  const filter = mergeFilter(rg.selectFilter, override);
  const count = Math.max(1, filter.place_count ?? 1);
  const fakeRd = standInRd(rg.name);
  const candidates = placementCandidates(ctx, fakeRd, filter);
  const result = place({
    rdName: `<resource group ${rg.name}>`,
    filter,
    count,
    neededKib: 0,
    candidates,
    existingReplicaProps: [],
    drivers: placementDrivers(ctx, fakeRd),
  });
  if (!result.ok) {
    return {
      space_info: { max_vlm_size_in_kib: 0 },
      reports: [
        entry(FAIL_NOT_ENOUGH_NODES | MASK_CRT | MASK_RSC_GRP, 'Not enough available nodes', {
          details: result.details,
        }),
      ],
    };
  }
  let maxVlm = Number.MAX_SAFE_INTEGER;
  let available = Number.MAX_SAFE_INTEGER;
  let capacity = Number.MAX_SAFE_INTEGER;
  let anyThin = false;
  const ratio = oversubscriptionRatio(ctx);
  for (const pick of result.picks) {
    const pool = ctx.store.get<PoolRec>('pools', [nameKey(pick.nodeName), nameKey(pick.poolName)])!;
    const cand = candidates
      .find((c) => c.name === pick.nodeName)
      ?.pools.find((p) => p.name === pick.poolName);
    const cap = poolCapacity(ctx, pool);
    if (isThin(pool.providerKind)) anyThin = true;
    maxVlm = Math.min(maxVlm, cand?.placeableKib ?? 0);
    available = Math.min(available, Number(cap.freeKib));
    capacity = Math.min(capacity, Number(cap.totalKib));
  }
  return {
    space_info: {
      max_vlm_size_in_kib: maxVlm,
      available_size_in_kib: available,
      capacity_in_kib: capacity,
      default_max_oversubscription_ratio: 20,
      max_oversubscription_ratio: anyThin ? ratio : undefined,
      next_spawn_result: result.picks.map((p) => ({
        node_name: nodeDisplayName(ctx, p.nodeName),
        stor_pool_name: p.poolName,
        stor_pool_oversubscription_ratio: ratio,
        stor_pool_free_capacity_oversubscription_ratio: ratio,
        stor_pool_total_capacity_oversubscription_ratio: ratio,
      })),
    },
  };
}

function nodeDisplayName(ctx: EmulatorContext, name: string): string {
  return ctx.store.get<NodeRec>('nodes', [nameKey(name)])?.name ?? name;
}

/** `adjust`: re-runs the autoplacer for every RD of the group; one RD's failure does not stop the others. */
export function adjustRg(
  ctx: EmulatorContext,
  rg: RgRec,
  override: AutoSelectFilter | undefined,
  entries: ApiCallRc[],
): void {
  const filter = mergeFilter(rg.selectFilter, override);
  if (!filter.place_count) return;
  for (const rd of rdsOfGroup(ctx, rg)) {
    try {
      autoplaceRd(ctx, rd, { filter, disklessOnRemaining: filter.diskless_on_remaining }, entries);
    } catch (e) {
      if (e instanceof ApiCallError) entries.push(...e.entries);
      else throw e;
    }
  }
}
