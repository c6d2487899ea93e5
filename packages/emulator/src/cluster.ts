/**
 * The cluster description (nodes with their storage pools, resource groups) and the bootstrap that
 * writes it into an empty store on first start. Every node also gets `DfltDisklessStorPool`, and
 * `DfltRscGrp` always exists, as on a real controller.
 */
import { randomUUID } from 'node:crypto';
import {
  type AutoSelectFilter,
  nameKey,
  nameProblem,
  nodeNameProblem,
  type Props,
  type ProviderKind,
  RESOURCE_GROUP_NAME_RULE,
  STORAGE_POOL_NAME_RULE,
} from '@linstor-hv/api';
import { DEFAULT_RG } from './domain/definitions';
import { withDefaultPlaceCount } from './domain/groups';
import type { CountersRec, NodeRec, PoolRec, PropsRec, RgRec } from './domain/model';
import { DFLT_DISKLESS_POOL, HOSTED_KINDS } from './domain/pools';
import type { Store } from './infra/store';

/** Every node's diskless pool (one definition, shared with the domain modules). */
export const DISKLESS_POOL_NAME = DFLT_DISKLESS_POOL;
/** The resource group RDs join when created without one. */
export const DEFAULT_RESOURCE_GROUP = DEFAULT_RG;

export interface ClusterPool {
  name: string;
  provider_kind: ProviderKind;
  /** Capacity in KiB (ignored for DISKLESS). */
  total_kib?: number;
  props?: Props;
}

export interface ClusterNode {
  name: string;
  /** SATELLITE (default), COMBINED, CONTROLLER or AUXILIARY. */
  type?: string;
  /** The satellite address shown in `net_interfaces`; never contacted. */
  address: string;
  props?: Props;
  pools?: ClusterPool[];
}

export interface ClusterResourceGroup {
  name: string;
  description?: string;
  select_filter?: AutoSelectFilter;
  props?: Props;
}

/** A cluster as the emulator creates it on first start (the JSON of `--cluster FILE`). */
export interface ClusterDescription {
  nodes: ClusterNode[];
  resource_groups?: ClusterResourceGroup[];
  /** Controller properties to start with. */
  controller_props?: Props;
}

const GIB_IN_KIB = 1024 * 1024;
const NODE_TYPES = ['SATELLITE', 'COMBINED', 'CONTROLLER', 'AUXILIARY'];
/** Every provider kind LINSTOR knows: a description may also name the ones the emulator cannot host. */
const PROVIDER_KINDS: readonly ProviderKind[] = [
  ...HOSTED_KINDS,
  'SPDK',
  'REMOTE_SPDK',
  'EBS_TARGET',
  'EBS_INIT',
  'STORAGE_SPACES',
  'STORAGE_SPACES_THIN',
  'EXOS',
];

/** Three satellites pve1..pve3, each with a 100 GiB LVM-thin and a 20 GiB thick LVM pool. */
export function threeNodeCluster(): ClusterDescription {
  const nodes: ClusterNode[] = [1, 2, 3].map(
    (i): ClusterNode => ({
      name: `pve${i}`,
      type: 'SATELLITE',
      address: `10.0.0.${i}`,
      pools: [
        {
          name: 'thinpool',
          provider_kind: 'LVM_THIN',
          total_kib: 100 * GIB_IN_KIB,
          props: { 'StorDriver/LvmVg': 'linstor_vg', 'StorDriver/ThinPool': 'thinpool' },
        },
        {
          name: 'thickpool',
          provider_kind: 'LVM',
          total_kib: 20 * GIB_IN_KIB,
          props: { 'StorDriver/LvmVg': 'linstor_thick' },
        },
      ],
    }),
  );
  return {
    nodes,
    resource_groups: [
      { name: 'linstor-hv', select_filter: { place_count: 2, storage_pool: 'thinpool' } },
      { name: 'linstor-hv-thick', select_filter: { place_count: 2, storage_pool: 'thickpool' } },
    ],
  };
}

/** Resolves a preset name or returns the description itself (checked). */
export function resolveCluster(cluster: ClusterDescription | string | undefined): ClusterDescription {
  if (cluster === undefined || cluster === 'three-node') return threeNodeCluster();
  if (typeof cluster === 'string') throw new Error(`unknown cluster preset '${cluster}' (known: three-node)`);
  const problem = clusterProblem(cluster);
  if (problem) throw new Error(`invalid cluster description: ${problem}`);
  return cluster;
}

/** Returns what is wrong with a cluster description, or undefined when it is usable. */
export function clusterProblem(cluster: ClusterDescription): string | undefined {
  if (!cluster || !Array.isArray(cluster.nodes)) return 'it needs a "nodes" list';
  const nodeNames = new Set<string>();
  for (const node of cluster.nodes) {
    const problem = typeof node?.name === 'string' ? nodeNameProblem(node.name) : 'a node has no name';
    if (problem) return problem;
    if (nodeNames.has(nameKey(node.name))) return `node '${node.name}' is listed twice`;
    nodeNames.add(nameKey(node.name));
    if (typeof node.address !== 'string' || node.address === '') return `node '${node.name}' has no address`;
    if (node.type !== undefined && !NODE_TYPES.includes(node.type.toUpperCase())) {
      return `node '${node.name}' has unknown type '${node.type}'`;
    }
    const poolNames = new Set<string>([nameKey(DISKLESS_POOL_NAME)]);
    for (const pool of node.pools ?? []) {
      const poolProblem = nameProblem(pool.name, STORAGE_POOL_NAME_RULE);
      if (poolProblem) return poolProblem;
      if (poolNames.has(nameKey(pool.name)))
        return `pool '${pool.name}' is listed twice on node '${node.name}'`;
      poolNames.add(nameKey(pool.name));
      if (!PROVIDER_KINDS.includes(pool.provider_kind)) {
        return `pool '${pool.name}' on node '${node.name}' has unknown provider_kind '${pool.provider_kind}'`;
      }
      const sized = pool.provider_kind !== 'DISKLESS';
      if (sized && (!Number.isSafeInteger(pool.total_kib) || (pool.total_kib ?? 0) <= 0)) {
        return `pool '${pool.name}' on node '${node.name}' needs a positive total_kib`;
      }
    }
  }
  const groupNames = new Set<string>([nameKey(DEFAULT_RESOURCE_GROUP)]);
  for (const rg of cluster.resource_groups ?? []) {
    const problem = nameProblem(rg.name, RESOURCE_GROUP_NAME_RULE);
    if (problem) return problem;
    if (groupNames.has(nameKey(rg.name))) return `resource group '${rg.name}' is listed twice`;
    groupNames.add(nameKey(rg.name));
  }
  return undefined;
}

/** The node record a new satellite gets (used by the bootstrap and by `POST /v1/nodes`). */
export function newNodeRecord(name: string, type: string, address: string, props: Props = {}): NodeRec {
  return {
    name,
    type: type.toUpperCase(),
    props: { CurStltConnName: 'default', NodeUname: name, ...props },
    address,
    online: true,
    flags: [],
    uuid: randomUUID(),
  };
}

/** The diskless pool every node has. */
export function disklessPoolRecord(nodeName: string): PoolRec {
  return { name: DISKLESS_POOL_NAME, nodeName, providerKind: 'DISKLESS', props: {}, uuid: randomUUID() };
}

/** True when the store has never been bootstrapped (no controller record yet). */
export function isEmptyState(store: Store): boolean {
  return store.get<PropsRec>('controller', ['props']) === undefined;
}

/** Writes the cluster into the store (in one transaction); call only on an empty state. */
export async function bootstrapCluster(store: Store, cluster: ClusterDescription): Promise<void> {
  await store.transaction(() => {
    store.put<PropsRec>('controller', ['props'], { props: { ...cluster.controller_props } });
    store.put<CountersRec>('counters', ['ids'], { nextSnapSeq: 1, nextErrorReport: 0 });
    for (const node of cluster.nodes) {
      const nodeKey = nameKey(node.name);
      store.put(
        'nodes',
        [nodeKey],
        newNodeRecord(node.name, node.type ?? 'SATELLITE', node.address, node.props),
      );
      store.put('pools', [nodeKey, nameKey(DISKLESS_POOL_NAME)], disklessPoolRecord(node.name));
      for (const pool of node.pools ?? []) {
        const rec: PoolRec = {
          name: pool.name,
          nodeName: node.name,
          providerKind: pool.provider_kind,
          props: { ...pool.props },
          uuid: randomUUID(),
        };
        if (pool.provider_kind !== 'DISKLESS') rec.totalKib = pool.total_kib;
        store.put('pools', [nodeKey, nameKey(pool.name)], rec);
      }
    }
    const groups: ClusterResourceGroup[] = [
      { name: DEFAULT_RESOURCE_GROUP },
      ...(cluster.resource_groups ?? []),
    ];
    for (const rg of groups) {
      const rec: RgRec = {
        name: rg.name,
        props: { ...rg.props },
        selectFilter: withDefaultPlaceCount({ ...rg.select_filter }),
        uuid: randomUUID(),
      };
      if (rg.description) rec.description = rg.description;
      store.put('rgs', [nameKey(rg.name)], rec);
    }
  });
}
