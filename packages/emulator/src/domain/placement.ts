/**
 * The autoplacer as a pure function (linstor-api.md §2.4, §2.7): picks nodes and storage pools for
 * new diskful replicas from candidates the caller collected. Rules: node_name_list, storage_pool /
 * storage_pool_list, provider_list, enough placeable space in the pool, online and not evicted,
 * replicas_on_same / replicas_on_different / x_replicas_on_different_map against the existing
 * replicas and each other. Ranking follows LINSTOR's default weights (most free space first); ties
 * go to the pool with the least volume size placed in it (so fresh thin pools fill evenly), then
 * to node and pool names, so placement is deterministic.
 */
import { type AutoSelectFilter, nameKey, type Props, type ProviderKind, sameName } from '@linstor-hv/api';

export interface CandidatePool {
  name: string;
  providerKind: ProviderKind;
  /** Free KiB used for ranking. */
  freeKib: number;
  /** KiB of volume sizes already placed in the pool (second ranking key: least reserved first). */
  reservedKib?: number;
  /** Largest volume set (KiB) the pool accepts now (thin pools include over-subscription). */
  placeableKib: number;
}

export interface CandidateNode {
  name: string;
  props: Props;
  online: boolean;
  /** Node flags; EVICTED, EVACUATE and DELETE nodes are never chosen. */
  flags: readonly string[];
  pools: readonly CandidatePool[];
}

export interface PlacementInput {
  rdName: string;
  filter: AutoSelectFilter;
  /** Replicas to add. */
  count: number;
  /** Sum of the RD's volume sizes (KiB) a pool must hold. */
  neededKib: number;
  /** Nodes that may receive a replica (the caller already removed nodes that hold the resource). */
  candidates: readonly CandidateNode[];
  /** Props of the nodes that already hold diskful replicas (constrain same/different rules). */
  existingReplicaProps: readonly Props[];
  /**
   * Storage drivers of the existing diskful replicas and whether two drivers may back one volume
   * (domain/mixing.ts); pools that do not mix with them or with an earlier pick are skipped.
   */
  drivers?: { existing: readonly ProviderKind[]; mix: (a: ProviderKind, b: ProviderKind) => boolean };
}

export interface PlacementPick {
  nodeName: string;
  poolName: string;
}

export type PlacementResult = { ok: true; picks: PlacementPick[] } | { ok: false; details: string };

const EXCLUDED_NODE_FLAGS = new Set(['EVICTED', 'EVACUATE', 'DELETE']);

/** The storage pool names a filter allows, or undefined when any diskful pool will do. */
export function filterPoolNames(filter: AutoSelectFilter): string[] | undefined {
  const names = [...(filter.storage_pool_list ?? [])];
  if (filter.storage_pool && !names.some((n) => sameName(n, filter.storage_pool!))) {
    names.push(filter.storage_pool);
  }
  return names.length ? names : undefined;
}

interface KeyRule {
  key: string;
  value?: string;
}

function parseKeyRules(list: readonly string[] | undefined): KeyRule[] {
  return (list ?? []).map((raw) => {
    const eq = raw.indexOf('=');
    return eq < 0 ? { key: raw } : { key: raw.slice(0, eq), value: raw.slice(eq + 1) };
  });
}

/** Picks nodes and pools, or explains (as LINSTOR's FAIL_NOT_ENOUGH_NODES details) why it cannot. */
export function place(input: PlacementInput): PlacementResult {
  const { filter } = input;
  const poolNames = filterPoolNames(filter)?.map(nameKey);
  const providers = filter.provider_list?.map((p) => p.toUpperCase());
  const nodeList = filter.node_name_list?.length ? new Set(filter.node_name_list.map(nameKey)) : undefined;
  const same = parseKeyRules(filter.replicas_on_same);
  const different = parseKeyRules(filter.replicas_on_different);
  const xDifferent = Object.entries(filter.x_replicas_on_different_map ?? {});

  // Best pool per eligible node.
  const ranked: { node: CandidateNode; pool: CandidatePool }[] = [];
  for (const node of input.candidates) {
    if (!node.online || node.flags.some((f) => EXCLUDED_NODE_FLAGS.has(f))) continue;
    if (nodeList && !nodeList.has(nameKey(node.name))) continue;
    if (
      !same.every(
        (r) => node.props[r.key] !== undefined && (r.value === undefined || node.props[r.key] === r.value),
      )
    ) {
      continue;
    }
    const pools = node.pools
      .filter((p) => p.providerKind !== 'DISKLESS')
      .filter((p) => !poolNames || poolNames.includes(nameKey(p.name)))
      .filter((p) => !providers || providers.includes(p.providerKind))
      .filter((p) => p.placeableKib >= input.neededKib)
      .filter(
        (p) => !input.drivers || input.drivers.existing.every((k) => input.drivers!.mix(p.providerKind, k)),
      )
      .sort(
        (a, b) =>
          b.freeKib - a.freeKib ||
          (a.reservedKib ?? 0) - (b.reservedKib ?? 0) ||
          a.name.localeCompare(b.name),
      );
    const best = pools[0];
    if (best) ranked.push({ node, pool: best });
  }
  ranked.sort(
    (a, b) =>
      b.pool.freeKib - a.pool.freeKib ||
      (a.pool.reservedKib ?? 0) - (b.pool.reservedKib ?? 0) ||
      a.node.name.localeCompare(b.node.name),
  );

  const sameFixed = new Map<string, string>();
  for (const props of input.existingReplicaProps) {
    for (const r of same) {
      const v = props[r.key];
      if (v !== undefined && !sameFixed.has(r.key)) sameFixed.set(r.key, v);
    }
  }

  const picks = choose(input, ranked, same, sameFixed, different, xDifferent);
  if (picks) return { ok: true, picks };
  return { ok: false, details: criteria(input, poolNames ? filterPoolNames(filter)! : undefined) };
}

function choose(
  input: PlacementInput,
  ranked: { node: CandidateNode; pool: CandidatePool }[],
  same: KeyRule[],
  sameFixed: Map<string, string>,
  different: KeyRule[],
  xDifferent: [string, number][],
): PlacementPick[] | undefined {
  // replicas_on_same: all picks share one value per key (the existing replicas' value when there
  // are any); value groups are tried in the order of their best-ranked node.
  const groups = new Map<string, { node: CandidateNode; pool: CandidatePool }[]>();
  for (const c of ranked) {
    if (same.some((r) => sameFixed.has(r.key) && c.node.props[r.key] !== sameFixed.get(r.key))) continue;
    const g = groupOf(c.node, same);
    const members = groups.get(g);
    if (members) members.push(c);
    else groups.set(g, [c]);
  }
  for (const members of groups.values()) {
    const picks = greedy(input, members, different, xDifferent);
    if (picks) return picks;
  }
  return undefined;
}

function groupOf(node: CandidateNode, same: KeyRule[]): string {
  return same.map((r) => node.props[r.key] ?? '').join('\u0000');
}

function greedy(
  input: PlacementInput,
  ranked: { node: CandidateNode; pool: CandidatePool }[],
  different: KeyRule[],
  xDifferent: [string, number][],
): PlacementPick[] | undefined {
  const usedValues = new Map<string, Set<string>>();
  const valueCounts = new Map<string, Map<string, number>>();
  const note = (props: Props) => {
    for (const r of different) {
      const v = props[r.key];
      if (v !== undefined) usedValues.set(r.key, (usedValues.get(r.key) ?? new Set()).add(v));
    }
    for (const [key] of xDifferent) {
      const v = props[key];
      if (v === undefined) continue;
      const counts = valueCounts.get(key) ?? new Map<string, number>();
      counts.set(v, (counts.get(v) ?? 0) + 1);
      valueCounts.set(key, counts);
    }
  };
  for (const props of input.existingReplicaProps) note(props);
  const picks: PlacementPick[] = [];
  const pickedKinds: ProviderKind[] = [];
  const mix = input.drivers?.mix;
  for (const { node, pool } of ranked) {
    if (picks.length >= input.count) break;
    if (mix && pickedKinds.some((k) => !mix(pool.providerKind, k))) continue;
    if (
      different.some((r) => node.props[r.key] !== undefined && usedValues.get(r.key)?.has(node.props[r.key]!))
    ) {
      continue;
    }
    if (
      xDifferent.some(([key, max]) => {
        const v = node.props[key];
        return v !== undefined && (valueCounts.get(key)?.get(v) ?? 0) >= max;
      })
    ) {
      continue;
    }
    picks.push({ nodeName: node.name, poolName: pool.name });
    pickedKinds.push(pool.providerKind);
    note(node.props);
  }
  return picks.length >= input.count ? picks : undefined;
}

/** A Java-style list rendering (`[a, b]`), as the controller prints lists in its texts. */
function javaList(items: readonly unknown[]): string {
  return `[${items.map(String).join(', ')}]`;
}

/**
 * The FAIL_NOT_ENOUGH_NODES `details` the controller writes: the basic criteria (the pool lines
 * only when a storage pool list was given), then the auto-place configuration that was used
 * (the additional replica count being the number still to place, and the resource itself among
 * the resources not to place with).
 */
function criteria(input: PlacementInput, poolNames: string[] | undefined): string {
  const f = input.filter;
  const lines = ['Not enough nodes fulfilling the following auto-place criteria:'];
  if (poolNames) {
    lines.push(` * has a deployed storage pool named ${javaList(poolNames)}`);
    lines.push(` * the storage pools have to have at least '${input.neededKib}' free space`);
  }
  lines.push(' * the current access context has enough privileges to use the node and the storage pool');
  lines.push(' * the node is online');
  lines.push('', 'Auto-place configuration details:');
  const config: [string, unknown][] = [
    ['Replica count', f.place_count],
    ['Additional replica count', input.count],
    ['Node name', f.node_name_list?.length ? javaList(f.node_name_list) : undefined],
    ['Storage pool name', poolNames ? javaList(poolNames) : undefined],
    [
      'Storage pool diskless name',
      f.storage_pool_diskless_list?.length ? javaList(f.storage_pool_diskless_list) : undefined,
    ],
    ['Do not place with resource', javaList([...(f.not_place_with_rsc ?? []), input.rdName])],
    ['Do not place with resource (regex)', f.not_place_with_rsc_regex],
    [
      'Replicas on nodes with same property',
      f.replicas_on_same?.length ? javaList(f.replicas_on_same) : undefined,
    ],
    [
      'Replicas on nodes with different property',
      f.replicas_on_different?.length ? javaList(f.replicas_on_different) : undefined,
    ],
    ['Layer stack', f.layer_stack?.length ? javaList(f.layer_stack) : undefined],
    ['Allowed Provider', f.provider_list?.length ? javaList(f.provider_list) : undefined],
    ['Diskless on remaining', f.diskless_on_remaining],
  ];
  for (const [label, value] of config)
    if (value !== undefined && value !== null) lines.push(`   ${label}: ${String(value)}`);
  return lines.join('\n');
}
