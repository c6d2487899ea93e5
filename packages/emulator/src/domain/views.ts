/**
 * Wire views (response objects) of resource groups, volume groups, resource definitions, volume
 * definitions, resources and volumes, shaped like the controller's JSON (empty fields are dropped
 * by the JSON writer). Resource views carry the DRBD layer data, live state (left out while the
 * node is offline) and `effective_props`.
 */
import { type AutoSelectFilter, nameKey } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { JsonArrayOfParts, toControllerJson } from '../http/json';
import type { Store, StoreReads } from '../infra/store';
import { mayPromote, type PromoteFacts } from './devices';
import { drbdDevicePath } from './drbd';
import { type DiskfulSizes, diskfulSizes } from './drbd-size';
import { isDiskless, isOnline, rscsOf, vdsOf } from './lookup';
import type { OpenRec, PoolRec, RdRec, RgRec, RscRec, RscVolumeRec, VdRec, VgRec } from './model';
import { filterPoolNames } from './placement';
import { getPool, isThin } from './pools';
import { effectiveProps, type PropsLayer, rdPropsLayers } from './props';
import { dataPlane } from './storage';

const AL_STRIPES = 1;
const AL_STRIPE_SIZE_KIB = 32;

/**
 * The select filter as the controller writes it for a resource group (linstor-server
 * `controller/.../api/rest/v1/serializer/Json.java` `apiToResourceGroup`): `storage_pool_list`
 * whenever there are pools, `storage_pool` too only when the list has exactly one entry, and only
 * the fields it serialises (empty ones left out).
 */
export function rgSelectFilterView(filter: AutoSelectFilter): Record<string, unknown> {
  const pools = filterPoolNames(filter) ?? [];
  const nonEmpty = <T>(list: readonly T[] | undefined) => (list?.length ? list : undefined);
  return {
    place_count: filter.place_count ?? undefined,
    storage_pool: pools.length === 1 ? pools[0] : undefined,
    storage_pool_list: nonEmpty(pools),
    not_place_with_rsc: nonEmpty(filter.not_place_with_rsc),
    not_place_with_rsc_regex: filter.not_place_with_rsc_regex || undefined,
    replicas_on_same: nonEmpty(filter.replicas_on_same),
    replicas_on_different: nonEmpty(filter.replicas_on_different),
    x_replicas_on_different_map:
      filter.x_replicas_on_different_map && Object.keys(filter.x_replicas_on_different_map).length
        ? filter.x_replicas_on_different_map
        : undefined,
    layer_stack: nonEmpty(filter.layer_stack),
    provider_list: nonEmpty(filter.provider_list),
    diskless_on_remaining: filter.diskless_on_remaining ?? undefined,
  };
}

/** `ResourceGroup` view. */
export function rgView(rg: RgRec): Record<string, unknown> {
  return {
    name: rg.name,
    description: rg.description,
    props: rg.props,
    select_filter: rgSelectFilterView(rg.selectFilter),
    uuid: rg.uuid,
    peer_slots: rg.peerSlots,
  };
}

/** `VolumeGroup` view. */
export function vgView(vg: VgRec): Record<string, unknown> {
  return { volume_number: vg.volumeNumber, props: vg.props, uuid: vg.uuid, flags: vg.flags };
}

/** `ResourceDefinition` view; VDs only when asked for (`with_volume_definitions`). */
export function rdView(ctx: EmulatorContext, rd: RdRec, withVds = false): Record<string, unknown> {
  return {
    name: rd.name,
    external_name: rd.externalName,
    props: rd.props,
    flags: rd.flags,
    layer_data: rdLayerData(ctx, rd),
    uuid: rd.uuid,
    resource_group_name: rd.rgName,
    volume_definitions: withVds ? vdViews(ctx, rd, vdsOf(ctx, rd.name)) : undefined,
  };
}

/**
 * The DRBD data of a resource definition, as its layer data and each resource's DRBD layer show
 * it. Ports belong to the resources (`tcp_ports`) since LINSTOR 1.31; the RD keeps only a port
 * given as `drbd_port`, and `Json.pojoToDrbdRscDfnLayer` writes -1 (COMPAT_RD_PORT) without one.
 */
function drbdRdData(rd: RdRec): Record<string, unknown> {
  return {
    peer_slots: rd.peerSlots,
    al_stripes: AL_STRIPES,
    al_stripe_size_kib: AL_STRIPE_SIZE_KIB,
    port: rd.drbdRdPort ?? -1,
    transport_type: 'IP',
    secret: rd.drbdSecret,
    down: false,
  };
}

/** DeviceLayerKind's order, in which `ResourceDefinition.getApiData` sorts the layers it lists. */
const LAYER_ORDER = ['DRBD', 'LUKS', 'NVME', 'WRITECACHE', 'CACHE', 'BCACHE', 'STORAGE'];

/** True when the RD has DRBD layer data (see RdRec.drbdLayerData; older records: a stack naming DRBD). */
export function hasDrbdLayerData(ctx: EmulatorContext, rd: RdRec): boolean {
  return (
    rd.drbdLayerData === true ||
    rd.layerStack.includes('DRBD') ||
    ctx.store.count('resources', [nameKey(rd.name)]) > 0
  );
}

/** The layers of the stack and those with data, in layer order; only DRBD carries data. */
function rdLayerKinds(ctx: EmulatorContext, rd: RdRec): { type: string; drbd: boolean }[] {
  const drbd = hasDrbdLayerData(ctx, rd);
  const kinds = new Set(rd.layerStack);
  if (drbd) kinds.add('DRBD');
  return [...kinds]
    .sort((a, b) => LAYER_ORDER.indexOf(a) - LAYER_ORDER.indexOf(b))
    .map((type) => ({ type, drbd: drbd && type === 'DRBD' }));
}

function rdLayerData(ctx: EmulatorContext, rd: RdRec): Record<string, unknown>[] {
  return rdLayerKinds(ctx, rd).map(({ type, drbd }) => (drbd ? { type, data: drbdRdData(rd) } : { type }));
}

/**
 * `VolumeDefinition` view: its layers follow the RD's (`VolumeDefinition.getApiData`), DRBD with
 * the minor number once the RD has DRBD data.
 */
function vdView(vd: VdRec, layers: readonly { type: string; drbd: boolean }[]): Record<string, unknown> {
  return {
    volume_number: vd.volumeNumber,
    size_kib: vd.sizeKib,
    props: vd.props,
    flags: vd.flags,
    layer_data: layers.map(({ type, drbd }) =>
      drbd ? { type, data: { volume_number: vd.volumeNumber, minor_number: vd.minor } } : { type },
    ),
    uuid: vd.uuid,
  };
}

/** `VolumeDefinition` views of an RD's volume definitions. */
export function vdViews(ctx: EmulatorContext, rd: RdRec, vds: readonly VdRec[]): Record<string, unknown>[] {
  const layers = rdLayerKinds(ctx, rd);
  return vds.map((vd) => vdView(vd, layers));
}

/** What the views need about one volume of a resource. */
interface VolumeFacts {
  vd: VdRec;
  vol: RscVolumeRec;
  pool: PoolRec | undefined;
  diskless: boolean;
  /** The storage layer's allocation (also the volume's, as `ProviderUtils.getAllocatedSize` sums it). */
  allocatedKib: number | undefined;
  /** Diskful volumes: DRBD metadata and extent rounding (domain/drbd-size.ts). */
  sizes: DiskfulSizes | undefined;
  backingDevice: string | undefined;
}

function volumeFacts(
  ctx: EmulatorContext,
  rd: RdRec,
  rsc: RscRec,
  vds: VdRec[],
  poolOf: (nodeName: string, poolName: string) => PoolRec | undefined = (n, p) => getPool(ctx, n, p),
  allocatedOf: (rdName: string, vlmNr: number) => number = (r, v) => dataPlane(ctx).allocatedKib(r, v),
): VolumeFacts[] {
  const out: VolumeFacts[] = [];
  for (const vol of rsc.volumes) {
    const vd = vds.find((d) => d.volumeNumber === vol.volumeNumber);
    if (!vd) continue;
    const pool = poolOf(rsc.nodeName, vol.poolName);
    const diskless = isDiskless(rsc);
    // A diskless volume reports 0 allocated (clients such as `linstor node describe` read it).
    let allocatedKib: number | undefined = 0;
    let sizes: DiskfulSizes | undefined;
    if (!diskless && pool) {
      sizes = diskfulSizes(vd.sizeKib, rd.peerSlots, pool.providerKind);
      allocatedKib = isThin(pool.providerKind) ? allocatedOf(rd.name, vd.volumeNumber) : sizes.storageKib;
    }
    out.push({
      vd,
      vol,
      pool,
      diskless,
      allocatedKib,
      sizes,
      backingDevice: diskless ? undefined : backingDevice(rd, vd, pool),
    });
  }
  return out;
}

/** The storage device LINSTOR would create: LVM `/dev/<vg>/<rsc>_00000`, ZFS `/dev/zvol/<pool>/<rsc>_00000`. */
function backingDevice(rd: RdRec, vd: VdRec, pool: PoolRec | undefined): string | undefined {
  if (!pool) return undefined;
  const suffix = `${rd.name}_${String(vd.volumeNumber).padStart(5, '0')}`;
  const p = pool.props;
  switch (pool.providerKind) {
    case 'LVM':
      return `/dev/${p['StorDriver/LvmVg'] ?? pool.name}/${suffix}`;
    case 'LVM_THIN':
      return `/dev/${p['StorDriver/LvmVg'] ?? pool.name}/${suffix}`;
    case 'ZFS':
      return `/dev/zvol/${p['StorDriver/ZPool'] ?? pool.name}/${suffix}`;
    case 'ZFS_THIN':
      return `/dev/zvol/${p['StorDriver/ZPoolThin'] ?? pool.name}/${suffix}`;
    case 'FILE':
    case 'FILE_THIN':
      return `${p['StorDriver/FileDir'] ?? `/var/lib/linstor/${pool.name}`}/${suffix}.img`;
    default:
      return undefined;
  }
}

function drbdVolume(f: VolumeFacts, online: boolean): Record<string, unknown> {
  return {
    drbd_volume_definition: { volume_number: f.vd.volumeNumber, minor_number: f.vd.minor },
    device_path: drbdDevicePath(f.vd.minor),
    backing_device: f.backingDevice,
    meta_disk: f.diskless ? undefined : 'internal',
    allocated_size_kib: f.sizes ? f.sizes.drbdAllocatedKib : f.allocatedKib,
    usable_size_kib: f.sizes?.drbdUsableKib ?? f.vd.sizeKib,
    disk_state: online ? (f.diskless ? 'Diskless' : 'UpToDate') : undefined,
  };
}

function storageVolume(f: VolumeFacts): Record<string, unknown> {
  return {
    volume_number: f.vd.volumeNumber,
    device_path: f.backingDevice,
    allocated_size_kib: f.allocatedKib,
    usable_size_kib: f.sizes?.storageKib,
  };
}

/** A memoised value with the store reads that made it (replayed into a running trackReads on reuse). */
interface Memo<T> {
  value: T;
  reads: StoreReads;
}

/** The per-RD facts the views of its resources share. */
interface RdFacts {
  vds: VdRec[];
  rscs: RscRec[];
  layers: PropsLayer[];
  opens: OpenRec[];
}

/**
 * Per-request memo for views of many resources: node online states, pools, allocated sizes, and
 * per RD its volume definitions, resources, props chain and open devices, so that a list view
 * reads each once. Each memo keeps the store reads it made and replays them when reused, so that a
 * view computed under `store.trackReads` depends on them even when another view read them first;
 * allocated sizes (read from the data files, not the store) are recorded for the running
 * `trackAllocated` instead.
 */
export class ViewCache {
  private readonly online = new Map<string, Memo<boolean>>();
  private readonly pools = new Map<string, Memo<PoolRec | undefined>>();
  private readonly allocated = new Map<string, number>();
  private readonly perRd = new Map<string, Memo<RdFacts>>();
  private allocatedReads: AllocatedRead[] | undefined;

  constructor(private readonly ctx: EmulatorContext) {}

  private memo<T>(map: Map<string, Memo<T>>, key: string, compute: () => T): T {
    const hit = map.get(key);
    if (hit) {
      this.ctx.store.noteReads(hit.reads);
      return hit.value;
    }
    const made = this.ctx.store.trackReads(compute);
    map.set(key, made);
    return made.value;
  }

  /** True when the node is online. */
  isOnline(nodeName: string): boolean {
    return this.memo(this.online, nameKey(nodeName), () => isOnline(this.ctx, nodeName));
  }

  /** KiB a volume's data file really allocates; its replicas share the file, so it is read once. */
  allocatedKib(rdName: string, vlmNr: number): number {
    const key = `${nameKey(rdName)}/${vlmNr}`;
    let kib = this.allocated.get(key);
    if (kib === undefined) {
      kib = dataPlane(this.ctx).allocatedKib(rdName, vlmNr);
      this.allocated.set(key, kib);
    }
    this.allocatedReads?.push({ rdName, vlmNr, kib });
    return kib;
  }

  /**
   * Runs `fn` and returns its value with the allocated sizes it read (allocatedKib), which a
   * cached view must find unchanged to be reused. Not nested.
   */
  trackAllocated<T>(fn: () => T): { value: T; allocated: AllocatedRead[] } {
    const allocated: AllocatedRead[] = [];
    this.allocatedReads = allocated;
    try {
      return { value: fn(), allocated };
    } finally {
      this.allocatedReads = undefined;
    }
  }

  /** A storage pool record. */
  pool(nodeName: string, poolName: string): PoolRec | undefined {
    const key = `${nameKey(nodeName)}\u0000${nameKey(poolName)}`;
    return this.memo(this.pools, key, () => getPool(this.ctx, nodeName, poolName));
  }

  /** The memoized facts devices.mayPromote reads about an RD. */
  promoteFacts(rd: RdRec): PromoteFacts {
    return {
      isOnline: (nodeName) => this.isOnline(nodeName),
      rscs: () => this.rd(rd).rscs,
      opens: () => this.rd(rd).opens,
    };
  }

  /** The RD's VDs, resources, props chain (controller → RG → RD) and open devices. */
  rd(rd: RdRec): RdFacts {
    const key = nameKey(rd.name);
    return this.memo(this.perRd, key, () => ({
      vds: vdsOf(this.ctx, rd.name),
      rscs: rscsOf(this.ctx, rd.name),
      layers: rdPropsLayers(this.ctx, rd),
      opens: this.ctx.store.list<OpenRec>('openDevices', [key]),
    }));
  }
}

/** An allocated size a view used. */
interface AllocatedRead {
  rdName: string;
  vlmNr: number;
  kib: number;
}

/** Options of rscView. */
export interface RscViewOptions {
  /** Include `volumes[]` (the `/v1/view/resources` shape). */
  withVolumes?: boolean;
  /** Memo shared by the views of one request. */
  cache?: ViewCache;
}

/** `Resource` / `ResourceWithVolumes` view of one resource. */
export function rscView(
  ctx: EmulatorContext,
  rd: RdRec,
  rsc: RscRec,
  opts: RscViewOptions = {},
): Record<string, unknown> {
  const cache = opts.cache ?? new ViewCache(ctx);
  const online = cache.isOnline(rsc.nodeName);
  const { vds, rscs, layers, opens } = cache.rd(rd);
  const facts = volumeFacts(
    ctx,
    rd,
    rsc,
    vds,
    (n, p) => cache.pool(n, p),
    (r, v) => cache.allocatedKib(r, v),
  );
  const self = nameKey(rsc.nodeName);
  const peers = rscs.filter((p) => nameKey(p.nodeName) !== self);
  const connections: Record<string, { connected: boolean; message: string }> = {};
  const connectedPeers: string[] = [];
  for (const peer of peers) {
    const up = online && cache.isOnline(peer.nodeName);
    connections[peer.nodeName] = { connected: up, message: up ? 'Connected' : 'Connecting' };
    if (up) connectedPeers.push(peer.nodeName);
  }
  const diskless = isDiskless(rsc);
  const open = opens.find((o) => nameKey(o.nodeName) === self);
  const layer = {
    type: 'DRBD',
    resource_name_suffix: '',
    drbd: {
      drbd_resource_definition: drbdRdData(rd),
      node_id: rsc.drbdNodeId,
      tcp_ports: rsc.tcpPorts ?? (rd.drbdPort === undefined ? undefined : [rd.drbdPort]),
      peer_slots: rd.peerSlots,
      al_stripes: AL_STRIPES,
      al_size: AL_STRIPE_SIZE_KIB,
      flags: diskless ? ['DISKLESS', 'INITIALIZED'] : ['INITIALIZED'],
      drbd_volumes: facts.map((f) => drbdVolume(f, online)),
      connections,
      promotion_score: online ? (diskless ? 1 : 10101) : undefined,
      may_promote: online ? mayPromote(ctx, rd, rsc, cache.promoteFacts(rd)) : undefined,
    },
    children: [
      {
        type: 'STORAGE',
        resource_name_suffix: '',
        storage: { storage_volumes: facts.map((f) => storageVolume(f)) },
      },
    ],
  };
  const view: Record<string, unknown> = {
    name: rd.name,
    node_name: rsc.nodeName,
    props: rsc.props,
    effective_props: effectiveProps([...layers, { type: 'RESOURCE', props: rsc.props }]),
    flags: rsc.flags,
    layer_object: layer,
    state: online ? { in_use: open !== undefined } : undefined,
    uuid: rsc.uuid,
    create_timestamp: rsc.createdAt,
  };
  if (opts.withVolumes) view.volumes = facts.map((f) => volumeView(f, online, connectedPeers));
  return view;
}

/**
 * `VolumeState.replication_states` (`Json.apiToVolumeState`): one entry per peer the satellite
 * reports a replication state for. DRBD's `Off` is dropped by `SatelliteVolumeState`, so only
 * connected peers appear; the emulator's replicas share one data file, so they are always in
 * sync (`Established`, never a `done_percentage`). Empty maps are left out like every empty field.
 */
function replicationStates(connectedPeers: readonly string[]): Record<string, unknown> | undefined {
  if (connectedPeers.length === 0) return undefined;
  const states: Record<string, { replication_state: string }> = {};
  for (const peer of connectedPeers) states[peer] = { replication_state: 'Established' };
  return states;
}

function volumeView(
  f: VolumeFacts,
  online: boolean,
  connectedPeers: readonly string[],
): Record<string, unknown> {
  return {
    volume_number: f.vd.volumeNumber,
    storage_pool_name: f.vol.poolName,
    provider_kind: f.pool?.providerKind ?? (f.diskless ? 'DISKLESS' : undefined),
    device_path: drbdDevicePath(f.vd.minor),
    allocated_size_kib: f.allocatedKib,
    usable_size_kib: f.sizes?.drbdUsableKib ?? f.vd.sizeKib,
    props: f.vol.props,
    flags: f.vol.flags,
    state: online
      ? {
          disk_state: f.diskless ? 'Diskless' : 'UpToDate',
          replication_states: replicationStates(connectedPeers),
        }
      : undefined,
    layer_data_list: [
      { type: 'DRBD', data: drbdVolume(f, online) },
      { type: 'STORAGE', data: storageVolume(f) },
    ],
    uuid: f.vol.uuid,
  };
}

/** The JSON text of one resource view (and its UTF-8 length) and what it was made from. */
interface CachedView {
  text: string;
  bytes: number;
  reads: StoreReads;
  allocated: AllocatedRead[];
}

const viewTexts = new WeakMap<Store, Map<string, CachedView>>();
/** How many resource views were built and how many reused, per store (tests read it). */
const viewTextCounts = new WeakMap<Store, { built: number; reused: number }>();

/** Views built and reused so far by rscViewsJson on this store. */
export function viewTextStats(store: Store): { built: number; reused: number } {
  return { ...(viewTextCounts.get(store) ?? { built: 0, reused: 0 }) };
}

/** Drops every cached view text of the store (the next lists build them all). */
export function forgetViewTexts(store: Store): void {
  viewTexts.delete(store);
}

/** Set (to anything) to recompute every reused view and fail loudly if it differs (tests set it). */
export const CHECK_VIEW_CACHE_ENV = 'LINSTOR_HV_EMULATOR_CHECK_VIEW_CACHE';

/**
 * The JSON array of the views of `pairs` (what `/v1/view/resources` and the per-RD resource list
 * send). Each resource's JSON text is kept and sent again while nothing it was made from has
 * changed: the store reads of its view (store.trackReads: its RD, resources, VDs, pools, nodes,
 * props chain, open devices, connections) and the allocated sizes of its thin volumes, which
 * are read from the data files on every request. So a list of thousands of resources costs
 * building and serialising only the views that changed.
 */
export function rscViewsJson(
  ctx: EmulatorContext,
  pairs: readonly { rd: RdRec; rsc: RscRec }[],
  opts: { withVolumes?: boolean } = {},
): JsonArrayOfParts {
  const cache = new ViewCache(ctx);
  let texts = viewTexts.get(ctx.store);
  if (!texts) {
    texts = new Map();
    viewTexts.set(ctx.store, texts);
  }
  let counts = viewTextCounts.get(ctx.store);
  if (!counts) {
    counts = { built: 0, reused: 0 };
    viewTextCounts.set(ctx.store, counts);
  }
  // Check mode: the views reused are built again too (with a memo of their own) and compared.
  const checkCache = process.env[CHECK_VIEW_CACHE_ENV] !== undefined ? new ViewCache(ctx) : undefined;
  const parts: string[] = [];
  const bytes: number[] = [];
  for (const { rd, rsc } of pairs) {
    const rdKey = nameKey(rd.name);
    const nodeKey = nameKey(rsc.nodeName);
    const key = `${opts.withVolumes ? 'V' : 'R'}\u0000${rdKey}\u0000${nodeKey}`;
    const hit = texts.get(key);
    if (
      hit &&
      ctx.store.readsCurrent(hit.reads) &&
      hit.allocated.every((a) => cache.allocatedKib(a.rdName, a.vlmNr) === a.kib)
    ) {
      if (checkCache) {
        const fresh = toControllerJson(rscView(ctx, rd, rsc, { ...opts, cache: checkCache }));
        if (fresh !== hit.text)
          throw new Error(`the cached view of '${rd.name}' on '${rsc.nodeName}' is stale`);
      }
      counts.reused++;
      parts.push(hit.text);
      bytes.push(hit.bytes);
      continue;
    }
    const made = ctx.store.trackReads(() => {
      // The caller read these two records; the view depends on them.
      ctx.store.noteRead('rds', [rdKey]);
      ctx.store.noteRead('resources', [rdKey, nodeKey]);
      return cache.trackAllocated(() => toControllerJson(rscView(ctx, rd, rsc, { ...opts, cache })));
    });
    // Views of resources that are gone are dropped wholesale now and then.
    if (texts.size > 2 * ctx.store.count('resources') + 64) texts.clear();
    const text = made.value.value;
    const entry = {
      text,
      bytes: Buffer.byteLength(text, 'utf8'),
      reads: made.reads,
      allocated: made.value.allocated,
    };
    texts.set(key, entry);
    counts.built++;
    parts.push(text);
    bytes.push(entry.bytes);
  }
  return new JsonArrayOfParts(parts, bytes);
}

/** `Volume` view of one volume of a resource (`GET .../resources/{node}/volumes[/{nr}]`). */
export function rscVolumeViews(ctx: EmulatorContext, rd: RdRec, rsc: RscRec): Record<string, unknown>[] {
  const online = isOnline(ctx, rsc.nodeName);
  const self = nameKey(rsc.nodeName);
  const connectedPeers = online
    ? rscsOf(ctx, rd.name)
        .filter((p) => nameKey(p.nodeName) !== self && isOnline(ctx, p.nodeName))
        .map((p) => p.nodeName)
    : [];
  return volumeFacts(ctx, rd, rsc, vdsOf(ctx, rd.name)).map((f) => volumeView(f, online, connectedPeers));
}
