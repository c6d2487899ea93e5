/**
 * Wire types of the LINSTOR REST API v1 objects that linstor-hv reads or writes
 * (schemas in the official OpenAPI contract; field notes in linstor-api.md §2, §4).
 * Every response field is optional because the controller omits empty values (NON_EMPTY).
 * `ret_code` is a bigint: the client parses it losslessly, the emulator writes it exactly.
 */

export type Props = Record<string, string>;

export interface ApiCallRc {
  ret_code: bigint;
  message: string;
  cause?: string;
  details?: string;
  correction?: string;
  error_report_ids?: string[];
  obj_refs?: Record<string, string>;
  created_at?: string;
}

export type ApiCallRcList = ApiCallRc[];

export interface PropsModify {
  override_props?: Props;
  delete_props?: string[];
  delete_namespaces?: string[];
}

export interface ControllerVersion {
  version?: string;
  git_hash?: string;
  build_time?: string;
  rest_api_version?: string;
}

export type ProviderKind =
  | 'DISKLESS'
  | 'LVM'
  | 'LVM_THIN'
  | 'ZFS'
  | 'ZFS_THIN'
  | 'FILE'
  | 'FILE_THIN'
  | 'SPDK'
  | 'REMOTE_SPDK'
  | 'EBS_TARGET'
  | 'EBS_INIT'
  | 'STORAGE_SPACES'
  | 'STORAGE_SPACES_THIN'
  | 'EXOS';

export type LayerType = 'DRBD' | 'LUKS' | 'STORAGE' | 'NVME' | 'WRITECACHE' | 'CACHE' | 'BCACHE' | 'OPENFLEX';

export interface NetInterface {
  name: string;
  address: string;
  satellite_port?: number;
  satellite_encryption_type?: string;
  is_active?: boolean;
  uuid?: string;
}

export interface Node {
  name: string;
  /** The server writes the enum name upper-case ("SATELLITE"); compare case-insensitively. */
  type: string;
  flags?: string[];
  props?: Props;
  net_interfaces?: NetInterface[];
  connection_status?: string;
  uuid?: string;
  storage_providers?: ProviderKind[];
  resource_layers?: LayerType[];
  eviction_timestamp?: number;
  platform?: string;
  os_variant?: string;
}

export interface NodeModify extends PropsModify {
  node_type?: string;
}

export interface StoragePool {
  storage_pool_name: string;
  node_name?: string;
  provider_kind: ProviderKind;
  props?: Props;
  static_traits?: Record<string, string>;
  /** KiB; Long.MAX on DISKLESS pools (kept as number: harmless precision loss there). */
  free_capacity?: number;
  total_capacity?: number;
  free_space_mgr_name?: string;
  uuid?: string;
  reports?: ApiCallRc[];
  supports_snapshots?: boolean;
  shared_space?: string;
  external_locking?: boolean;
}

export interface AutoSelectFilter {
  place_count?: number;
  additional_place_count?: number;
  node_name_list?: string[];
  storage_pool?: string;
  storage_pool_list?: string[];
  storage_pool_diskless_list?: string[];
  not_place_with_rsc?: string[];
  not_place_with_rsc_regex?: string;
  replicas_on_same?: string[];
  replicas_on_different?: string[];
  x_replicas_on_different_map?: Record<string, number>;
  layer_stack?: string[];
  provider_list?: string[];
  diskless_on_remaining?: boolean;
  diskless_type?: string;
  overprovision?: number;
  port_count?: number;
}

export interface ResourceGroup {
  name: string;
  description?: string;
  props?: Props;
  select_filter?: AutoSelectFilter;
  uuid?: string;
  peer_slots?: number;
}

export interface ResourceGroupModify extends PropsModify {
  description?: string;
  select_filter?: AutoSelectFilter;
  peer_slots?: number;
}

export interface VolumeGroup {
  volume_number?: number;
  props?: Props;
  uuid?: string;
  flags?: string[];
}

export interface VolumeGroupModify extends PropsModify {
  flags?: string[];
}

export interface ResourceGroupSpawn {
  resource_definition_name: string;
  resource_definition_external_name?: string;
  /** KiB, one per volume group. */
  volume_sizes?: number[];
  select_filter?: AutoSelectFilter;
  partial?: boolean;
  definitions_only?: boolean;
  peer_slots?: number;
  volume_passphrases?: string[];
  resource_definition_props?: Props;
}

export interface QuerySizeInfoRequest {
  select_filter?: AutoSelectFilter;
  ignore_cache_older_than_sec?: number;
}

export interface QuerySizeInfoSpawnResult {
  node_name: string;
  stor_pool_name: string;
  stor_pool_oversubscription_ratio?: number;
  stor_pool_free_capacity_oversubscription_ratio?: number;
  stor_pool_total_capacity_oversubscription_ratio?: number;
}

export interface QuerySizeInfoSpaceInfo {
  max_vlm_size_in_kib: number;
  available_size_in_kib?: number;
  capacity_in_kib?: number;
  default_max_oversubscription_ratio?: number;
  max_oversubscription_ratio?: number;
  max_free_capacity_oversubscription_ratio?: number;
  max_total_capacity_oversubscription_ratio?: number;
  next_spawn_result?: QuerySizeInfoSpawnResult[];
}

export interface QuerySizeInfoResponse {
  space_info?: QuerySizeInfoSpaceInfo;
  reports?: ApiCallRc[];
}

export interface QueryAllSizeInfoRequest {
  select_filter?: AutoSelectFilter;
  ignore_cache_older_than_sec?: number;
}

export interface QueryAllSizeInfoResponse {
  result?: Record<string, QuerySizeInfoResponse>;
  reports?: ApiCallRc[];
}

export interface ResourceDefinitionLayer {
  type?: LayerType;
  data?: {
    resource_name_suffix?: string;
    peer_slots?: number;
    al_stripes?: number;
    al_stripe_size_kib?: number;
    port?: number;
    transport_type?: string;
    secret?: string;
    down?: boolean;
  };
}

export interface VolumeDefinitionLayer {
  type?: LayerType;
  data?: { volume_number?: number; minor_number?: number; resource_name_suffix?: string };
}

export interface VolumeDefinition {
  volume_number?: number;
  size_kib: number;
  props?: Props;
  flags?: string[];
  layer_data?: VolumeDefinitionLayer[];
  uuid?: string;
}

export interface ResourceDefinition {
  name?: string;
  external_name?: string;
  props?: Props;
  flags?: string[];
  layer_data?: ResourceDefinitionLayer[];
  uuid?: string;
  resource_group_name?: string;
  volume_definitions?: VolumeDefinition[];
}

export interface ResourceDefinitionCreate {
  resource_definition: ResourceDefinition;
  drbd_port?: number;
  drbd_secret?: string;
  drbd_peer_slots?: number;
  drbd_transport_type?: string;
}

export interface ResourceDefinitionModify extends PropsModify {
  drbd_port?: number;
  drbd_peer_slots?: number;
  layer_stack?: LayerType[];
  resource_group?: string;
}

export interface ResourceDefinitionCloneRequest extends PropsModify {
  name: string;
  external_name?: string;
  use_zfs_clone?: boolean;
  layer_list?: LayerType[];
  volume_passphrases?: string[];
  resource_group?: string;
}

export interface ResourceDefinitionCloneStarted {
  location: string;
  source_name: string;
  clone_name: string;
  messages?: ApiCallRc[];
}

export type CloneStatus = 'CLONING' | 'COMPLETE' | 'FAILED';

export interface ResourceDefinitionCloneStatus {
  status: CloneStatus;
}

export interface ResourceDefinitionSyncStatus {
  synced_on_all: boolean;
}

export interface VolumeDefinitionCreate {
  volume_definition: VolumeDefinition;
  drbd_minor_number?: number;
  passphrase?: string;
}

export interface VolumeDefinitionModify extends PropsModify {
  size_kib?: number;
  flags?: string[];
}

export interface DrbdConnection {
  connected?: boolean;
  message?: string;
}

export interface DrbdVolume {
  drbd_volume_definition?: { volume_number?: number; minor_number?: number; resource_name_suffix?: string };
  device_path?: string;
  backing_device?: string;
  meta_disk?: string;
  allocated_size_kib?: number;
  usable_size_kib?: number;
  disk_state?: string;
  ext_meta_stor_pool?: string;
}

export interface StorageVolume {
  volume_number?: number;
  device_path?: string;
  allocated_size_kib?: number;
  usable_size_kib?: number;
  disk_state?: string;
}

export interface ResourceLayer {
  children?: ResourceLayer[];
  resource_name_suffix?: string;
  type?: LayerType;
  drbd?: {
    drbd_resource_definition?: ResourceDefinitionLayer['data'];
    node_id?: number;
    tcp_ports?: number[];
    peer_slots?: number;
    al_stripes?: number;
    al_size?: number;
    flags?: string[];
    drbd_volumes?: DrbdVolume[];
    connections?: Record<string, DrbdConnection>;
    promotion_score?: number;
    may_promote?: boolean;
  };
  storage?: { storage_volumes?: StorageVolume[] };
}

export interface ResourceState {
  in_use?: boolean;
}

export interface Resource {
  name?: string;
  node_name?: string;
  props?: Props;
  effective_props?: Record<string, { value?: string; type?: string; descr?: string; other?: unknown[] }>;
  flags?: string[];
  layer_object?: ResourceLayer;
  state?: ResourceState;
  uuid?: string;
  create_timestamp?: number;
}

export interface VolumeState {
  disk_state?: string;
  replication_states?: Record<string, { replication_state?: string; done_percentage?: number }>;
}

export interface VolumeLayer {
  type?: LayerType;
  data?: Record<string, unknown>;
}

export interface Volume {
  volume_number?: number;
  storage_pool_name?: string;
  provider_kind?: ProviderKind;
  device_path?: string;
  allocated_size_kib?: number;
  usable_size_kib?: number;
  props?: Props;
  flags?: string[];
  state?: VolumeState;
  layer_data_list?: VolumeLayer[];
  uuid?: string;
  reports?: ApiCallRc[];
}

export interface ResourceWithVolumes extends Resource {
  volumes?: Volume[];
  shared_name?: string;
}

export interface ResourceCreate {
  resource?: Resource;
  layer_list?: LayerType[];
  drbd_node_id?: number;
  drbd_tcp_port_count?: number;
  drbd_tcp_ports?: number[];
  snap_names?: string[];
  copy_all_snaps?: boolean;
  drbd_client?: boolean;
}

export interface ResourceModify extends PropsModify {
  drbd_tiebreaker?: boolean;
  drbd_client?: boolean;
}

export interface AutoPlaceRequest {
  diskless_on_remaining?: boolean;
  select_filter: AutoSelectFilter;
  layer_list?: LayerType[];
  snap_names?: string[];
  copy_all_snaps?: boolean;
}

export interface ResourceMakeAvailable {
  layer_list?: LayerType[];
  diskful?: boolean;
  drbd_tcp_ports?: number[];
  snap_names?: string[];
  copy_all_snaps?: boolean;
}

export type ToggleDiskOperation = 'INTO_DRBD_DISKFUL' | 'INTO_DRBD_CLIENT' | 'INTO_DRBD_DISKLESS';

export interface ToggleDiskRequest {
  operation?: ToggleDiskOperation;
  storage_pool?: string;
  migrate_from?: string;
  layer_list?: LayerType[];
}

export interface ResourceConnection {
  node_a?: string;
  node_b?: string;
  props?: Props;
  flags?: string[];
  port?: number;
  drbd_proxy_port_a?: number;
  drbd_proxy_port_b?: number;
}

export interface SnapshotVolumeDefinition {
  volume_number?: number;
  size_kib?: number;
}

export interface SnapshotVolumeNode {
  uuid?: string;
  vlm_nr?: number;
  props?: Props;
  snapshot_volume_props?: Props;
  volume_props?: Props;
  state?: string;
}

export interface SnapshotNode {
  snapshot_name?: string;
  node_name?: string;
  create_timestamp?: number;
  flags?: string[];
  uuid?: string;
  snapshot_props?: Props;
  resource_props?: Props;
  snapshot_volumes?: SnapshotVolumeNode[];
}

export interface Snapshot {
  name?: string;
  resource_name?: string;
  nodes?: string[];
  props?: Props;
  snapshot_definition_props?: Props;
  resource_definition_props?: Props;
  flags?: string[];
  volume_definitions?: SnapshotVolumeDefinition[];
  uuid?: string;
  snapshots?: SnapshotNode[];
}

export interface SnapshotModify extends PropsModify {}

export interface CreateMultiSnapshotRequest {
  snapshots: Snapshot[];
}

export interface SnapshotRestore {
  to_resource: string;
  nodes?: string[];
  stor_pool_rename?: Record<string, string>;
}

export interface SnapshotRollback {
  zfs_rollback_strategy?: 'rollback' | 'clone' | 'dynamic';
}

export interface KeyValueStore {
  name?: string;
  props?: Props;
}

export interface ErrorReport {
  node_name?: string;
  error_time: number;
  filename?: string;
  text?: string;
  module?: string;
  version?: string;
  peer?: string;
  exception?: string;
  exception_message?: string;
  origin_file?: string;
  origin_method?: string;
  origin_line?: number;
}

export interface EventMayPromoteChange {
  resource_name?: string;
  node_name?: string;
  may_promote?: boolean;
}

export interface ControllerPropsModify extends PropsModify {}

/** Body of `POST /v1/resource-groups/{rg}/adjust` (schema ResourceGroupAdjust). */
export interface ResourceGroupAdjust {
  select_filter?: AutoSelectFilter;
  snap_names?: string[];
  copy_all_snaps?: boolean;
}
