/**
 * Records the emulator stores (infra/store.ts collections). One file so that every domain module
 * agrees on shapes and keys. Keys are name keys (upper-cased, see nameKey in @linstor-hv/api);
 * records keep the display case in `name` fields.
 *
 * Collections and their keys:
 *   controller        ['props']                      -> PropsRec
 *   nodes             [nodeKey]                      -> NodeRec
 *   pools             [nodeKey, poolKey]             -> PoolRec
 *   rgs               [rgKey]                        -> RgRec
 *   vgs               [rgKey, String(vlmNr)]         -> VgRec
 *   rds               [rdKey]                        -> RdRec
 *   vds               [rdKey, String(vlmNr)]         -> VdRec
 *   resources         [rdKey, nodeKey]               -> RscRec
 *   rscByNode         [nodeKey, rdKey]               -> {rdKey} (index: resources of a node; domain/resources.ts)
 *   rscConns          [rdKey, nodeKeyA, nodeKeyB]    -> RscConnRec (A < B by key)
 *   snapshots         [rdKey, snapKey]               -> SnapRec
 *   clones            [srcRdKey, cloneRdKey]         -> CloneRec
 *   kvs               [instanceKey]                  -> KvsRec
 *   errorReports      [id]                           -> ErrorReportRec
 *   counters          ['ids']                        -> CountersRec
 *   openDevices       [rdKey, nodeKey]               -> OpenRec   (the hypervisor's view: who opened a device)
 *   poolUsage         [nodeKey, poolKey]             -> PoolUsageRec (sizes placed in a pool; domain/pools.ts)
 *   nodePorts         [nodeKey, String(port)]        -> rdKey     (TCP ports of a node's resources; domain/drbd.ts)
 *   drbdPorts         [String(port)]                 -> rdKey     (data directories from before: a port per RD)
 *   drbdMinors        [String(minor)]                -> {rdKey, vlmNr} (minor allocation; domain/drbd.ts)
 *   counters          ['drbd']                       -> DRBD number cursors and free lists (domain/drbd.ts)
 *   counters          ['ports', nodeKey]             -> lowest possibly free port of a node (domain/drbd.ts)
 */
import type { AutoSelectFilter, Props, ProviderKind } from '@linstor-hv/api';

export interface PropsRec {
  props: Props;
}

export interface NodeRec {
  name: string;
  type: string; // 'SATELLITE' | 'COMBINED' | 'CONTROLLER' | 'AUXILIARY'
  props: Props;
  address: string;
  /** false while the test control API has taken the node offline. */
  online: boolean;
  flags: string[];
  uuid: string;
  /**
   * Every net interface of the node once one was created, modified or deleted through the API
   * (domain/net-interfaces.ts); absent until then, when the node has only `default` on `address`.
   */
  netInterfaces?: NetIfRec[];
}

export interface NetIfRec {
  name: string;
  address: string;
  /** Set on interfaces that carry the satellite connection (port and encryption type). */
  satellitePort?: number;
  satelliteEncryptionType?: 'PLAIN' | 'SSL';
  uuid: string;
}

export interface PoolRec {
  name: string;
  nodeName: string;
  providerKind: ProviderKind;
  props: Props;
  /** KiB; undefined for DISKLESS (reported as Long.MAX). */
  totalKib?: number;
  uuid: string;
}

export interface RgRec {
  name: string;
  description?: string;
  props: Props;
  selectFilter: AutoSelectFilter;
  peerSlots?: number;
  uuid: string;
}

export interface VgRec {
  rgName: string;
  volumeNumber: number;
  props: Props;
  flags: string[];
  uuid: string;
}

export interface RdRec {
  name: string;
  externalName?: string;
  rgName: string;
  props: Props;
  flags: string[]; // DELETE, RESTORE_TARGET, CLONING, FAILED
  /** The layer stack asked for at create or modify; empty when none was (resources then default to DRBD, STORAGE). */
  layerStack: string[];
  /**
   * The RD has DRBD layer data (domain/views.ts `hasDrbdLayerData`): set when DRBD is in the
   * stack, a `drbd_*` field was given, or its first resource was deployed. Absent in records of
   * older data directories, whose stacks always named DRBD.
   */
  drbdLayerData?: boolean;
  /** The port given as `drbd_port` (the RD's DRBD data shows -1 without one). */
  drbdRdPort?: number;
  /** Data directories from before ports moved to the resources: the port the RD held. */
  drbdPort?: number;
  drbdSecret: string;
  peerSlots: number;
  uuid: string;
  createdAt: number;
}

export interface VdRec {
  rdName: string;
  volumeNumber: number;
  sizeKib: number;
  props: Props;
  flags: string[];
  minor: number;
  uuid: string;
}

export interface RscVolumeRec {
  volumeNumber: number;
  /** Storage pool the volume lives in (DfltDisklessStorPool for diskless). */
  poolName: string;
  props: Props;
  flags: string[];
  uuid: string;
}

export interface RscRec {
  rdName: string;
  nodeName: string;
  props: Props; // StorPoolName for diskful
  /** [] diskful; ['DISKLESS','DRBD_DISKLESS'] diskless; plus 'TIE_BREAKER' for a tie-breaker; 'INACTIVE' ... */
  flags: string[];
  drbdNodeId: number;
  /** The DRBD resource's TCP ports on its node (domain/drbd.ts); absent in older records and without DRBD. */
  tcpPorts?: number[];
  /**
   * True for a diskless DRBD client (created with `drbd_client` or by make-available): clients do
   * not vote in quorum, so they do not replace the automatic tie-breaker. Absent otherwise.
   */
  drbdClient?: boolean;
  volumes: RscVolumeRec[];
  uuid: string;
  createdAt: number;
}

export interface RscConnRec {
  rdName: string;
  nodeA: string;
  nodeB: string;
  props: Props;
  flags: string[];
}

export interface SnapNodeRec {
  nodeName: string;
  poolName: string;
  createdAt: number;
  uuid: string;
}

export interface SnapRec {
  rdName: string;
  name: string;
  props: Props; // snapshot_definition_props
  rdProps: Props; // resource-definition props at snapshot time
  flags: string[]; // SUCCESSFUL, ...
  volumes: { volumeNumber: number; sizeKib: number }[];
  nodes: SnapNodeRec[];
  /** Monotonic sequence so that "newest snapshot" is well defined (ZFS rollback rule). */
  seq: number;
  uuid: string;
}

export interface CloneRec {
  srcName: string;
  cloneName: string;
  status: 'CLONING' | 'COMPLETE' | 'FAILED';
  startedAt: number;
  /**
   * This clone's own job: a clone deleted while copying and made again under the same names is
   * another clone, which the first one's job must not end (absent in records of older data dirs).
   */
  job?: string;
}

export interface KvsRec {
  name: string;
  props: Props;
}

export interface ErrorReportRec {
  id: string;
  nodeName: string;
  time: number;
  text: string;
}

export interface CountersRec {
  nextSnapSeq: number;
  nextErrorReport: number;
}

export interface OpenRec {
  rdName: string;
  nodeName: string;
  mode: 'rw' | 'ro';
}

/**
 * KiB of volume sizes placed in a storage pool (the sum of the VD sizes of every diskful volume
 * there), kept up to date by domain/resources.ts; thick pools report total minus this as free.
 */
export interface PoolUsageRec {
  reservedKib: number;
}
