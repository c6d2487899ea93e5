/**
 * Capacity of a resource group as a platform should report it (the model is stated in the
 * package README, "Capacity model"). Everything is computed from one storage-pool view, so a
 * status poll costs one request however many volumes exist.
 */

import {
  type ApiCallRc,
  FAIL_NOT_CONNECTED,
  isErrorCode,
  isThinProviderKind,
  type Node,
  nameKey,
  type ResourceGroup,
  type StoragePool,
  sameCode,
  sameName,
  takesSnapshots,
  WARN_NOT_CONNECTED,
} from '@linstor-hv/api';

/** LINSTOR's default place count when a resource group sets none. */
export const DEFAULT_PLACE_COUNT = 2;
/** LINSTOR's default `MaxOversubscriptionRatio` for thin pools. */
export const DEFAULT_OVERSUBSCRIPTION_RATIO = 20;

/** Where a resource group places its diskful replicas. */
export interface GroupPlacement {
  /** Diskful replicas per volume (`place_count`). */
  readonly replicas: number;
  /** The group's storage pools; empty means "any pool with a disk". */
  readonly storagePools: readonly string[];
  /** Nodes the group may use; empty means all nodes. */
  readonly nodes: readonly string[];
}

/** How the group's pools provision space. */
export type Provisioning = 'thin' | 'thick' | 'mixed' | 'none';

/** Capacity of a resource group. All figures are bytes of volume data (after replication). */
export interface GroupCapacity {
  /** The most volume data the group's online pools can hold with `replicas` copies of each byte. */
  readonly totalBytes: number;
  /** How much more volume data can be written (thin: physically; see `provisionableBytes`). */
  readonly freeBytes: number;
  /** `totalBytes − freeBytes`. */
  readonly usedBytes: number;
  /** The largest single volume a new create could get (each replica needs it on its own node). */
  readonly maxVolumeBytes: number;
  /** Thin groups: volume size that may be provisioned (`totalBytes × ratio`); equals totalBytes when thick. */
  readonly provisionableBytes: number;
  readonly provisioning: Provisioning;
  /** The thin over-subscription ratio used (1 for thick). */
  readonly overSubscriptionRatio: number;
  readonly replicas: number;
  /** Nodes whose pools count. */
  readonly onlineNodes: readonly string[];
  /** Nodes with a pool of the group whose figures are missing (offline satellite): not counted. */
  readonly offlineNodes: readonly string[];
  /** Every counted pool takes snapshots (false when no pool counts). */
  readonly snapshots: boolean;
}

const KIB = 1024;

/** The placement rules of a resource group, as its select filter states them. */
export function placementOf(group: ResourceGroup): GroupPlacement {
  const filter = group.select_filter ?? {};
  const pools = new Set<string>(filter.storage_pool_list ?? []);
  if (filter.storage_pool) pools.add(filter.storage_pool);
  return {
    replicas: filter.place_count ?? DEFAULT_PLACE_COUNT,
    storagePools: [...pools],
    nodes: filter.node_name_list ?? [],
  };
}

/**
 * The most data `replicas`-way replication can store on nodes with these free amounts, when no
 * node may hold two copies of the same byte: the largest x with Σ min(cᵢ, x) ≥ r·x, which is
 * min over k < r of (sum without the k largest) / (r − k). Fewer nodes than replicas give 0.
 */
export function replicatedSpace(perNode: readonly number[], replicas: number): number {
  if (replicas <= 0) return 0;
  const sorted = [...perNode].sort((a, b) => b - a);
  let best = Number.POSITIVE_INFINITY;
  let rest = sorted.reduce((sum, v) => sum + v, 0);
  for (let k = 0; k < replicas; k++) {
    best = Math.min(best, rest / (replicas - k));
    rest -= sorted[k] ?? 0;
  }
  return Math.floor(best);
}

function isUnreachable(reports: readonly ApiCallRc[] | undefined): boolean {
  return (reports ?? []).some(
    (r) =>
      sameCode(r.ret_code, WARN_NOT_CONNECTED) ||
      sameCode(r.ret_code, FAIL_NOT_CONNECTED) ||
      isErrorCode(r.ret_code),
  );
}

function matches(name: string, wanted: readonly string[]): boolean {
  if (wanted.length === 0) return true;
  return wanted.some((w) => sameName(w, name));
}

/** True when a node's satellite is connected and usable for new replicas. */
export function isNodeOnline(node: Node): boolean {
  return (node.connection_status ?? '').toUpperCase() === 'ONLINE' && !(node.flags ?? []).includes('EVICTED');
}

/**
 * Computes the capacity of a group from the cluster's storage-pool view (`GET
 * /v1/view/storage-pools?cached=true`, filtered or not): only the group's pools and nodes count,
 * DISKLESS pools never, and pools whose node is offline are left out and their nodes listed in
 * `offlineNodes`. A node is offline when `nodes` (the node list) says it is not ONLINE, or when its
 * pool's figures are missing or carry a not-connected report (a cached view can still show the
 * last figures of a node that went away, so pass the node list when you have it).
 */
export function computeCapacity(
  pools: readonly StoragePool[],
  placement: GroupPlacement,
  options: { overSubscriptionRatio?: number; nodes?: readonly Node[] } = {},
): GroupCapacity {
  const down = new Set((options.nodes ?? []).filter((n) => !isNodeOnline(n)).map((n) => nameKey(n.name)));
  const ratio = options.overSubscriptionRatio ?? DEFAULT_OVERSUBSCRIPTION_RATIO;
  const totalByNode = new Map<string, number>();
  const freeByNode = new Map<string, number>();
  const largestPlacementByNode = new Map<string, number>();
  const offline = new Set<string>();
  let thin = 0;
  let thick = 0;
  let withoutSnapshots = 0;
  for (const pool of pools) {
    if (pool.provider_kind === 'DISKLESS') continue;
    const node = pool.node_name;
    if (node === undefined || !matches(node, placement.nodes)) continue;
    if (!matches(pool.storage_pool_name, placement.storagePools)) continue;
    if (
      down.has(nameKey(node)) ||
      pool.total_capacity === undefined ||
      pool.free_capacity === undefined ||
      isUnreachable(pool.reports)
    ) {
      offline.add(node);
      continue;
    }
    const isThin = isThinProviderKind(pool.provider_kind) || pool.static_traits?.Provisioning === 'Thin';
    if (!(pool.supports_snapshots ?? takesSnapshots(pool.provider_kind))) withoutSnapshots++;
    if (isThin) thin++;
    else thick++;
    const total = pool.total_capacity * KIB;
    const free = pool.free_capacity * KIB;
    totalByNode.set(node, (totalByNode.get(node) ?? 0) + total);
    freeByNode.set(node, (freeByNode.get(node) ?? 0) + free);
    // A volume's replica lives in one pool of the node, so the node's largest pool bounds it.
    const placeable = isThin ? free * ratio : free;
    largestPlacementByNode.set(node, Math.max(largestPlacementByNode.get(node) ?? 0, placeable));
  }
  for (const node of totalByNode.keys()) offline.delete(node);

  const totalBytes = replicatedSpace([...totalByNode.values()], placement.replicas);
  const freeBytes = Math.min(totalBytes, replicatedSpace([...freeByNode.values()], placement.replicas));
  const placeables = [...largestPlacementByNode.values()].sort((a, b) => b - a);
  const maxVolumeBytes = placement.replicas > 0 ? Math.floor(placeables[placement.replicas - 1] ?? 0) : 0;
  const provisioning: Provisioning =
    thin > 0 && thick > 0 ? 'mixed' : thin > 0 ? 'thin' : thick > 0 ? 'thick' : 'none';
  const effectiveRatio = provisioning === 'thin' ? ratio : 1;
  return {
    totalBytes,
    freeBytes,
    usedBytes: totalBytes - freeBytes,
    maxVolumeBytes,
    provisionableBytes: Math.floor(totalBytes * effectiveRatio),
    provisioning,
    overSubscriptionRatio: effectiveRatio,
    replicas: placement.replicas,
    onlineNodes: [...totalByNode.keys()].sort(),
    offlineNodes: [...offline].sort(),
    snapshots: thin + thick > 0 && withoutSnapshots === 0,
  };
}
