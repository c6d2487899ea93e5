import type { Props } from '@linstor-hv/api';
import type { LinstorClient } from '@linstor-hv/client';
import type { GroupPlacement } from '../capacity';
import type { ProgressCallback } from '../copy/progress';
import type { HostExecutor } from '../exec/types';

/** How a {@link VolumeService} is bound to a controller, a resource group and an owner. */
export interface VolumeServiceOptions {
  /** The LINSTOR client (one per controller configuration). */
  readonly client: LinstorClient;
  /** The resource group new volumes are spawned from. */
  readonly resourceGroup: string;
  /** The platform creating volumes: `proxmox`, `opennebula`, `cinder`. Written into ownership tags. */
  readonly platform: string;
  /** One installation of the platform (storage id, datastore id, backend); part of the ownership tags. */
  readonly ownerId?: string;
  /** Where a node's `/dev` is (default `/dev` on every node); tests point it at the emulator's trees. */
  readonly deviceRoot?: (node: string) => string;
  /** The executor that runs commands (dd, qemu-img, `test -e`) on a node (default: this machine). */
  readonly executorFor?: (node: string) => HostExecutor;
  /** Deadlines of the waits, in ms. */
  readonly deadlines?: Partial<ServiceDeadlines>;
  /** Thin over-subscription ratio used by {@link GroupCapacity} (default LINSTOR's 20). */
  readonly overSubscriptionRatio?: number;
  /**
   * Where the service remembers resource groups' placements (default: its own map). A resident
   * process that makes a service per call shares one map between the services of one controller
   * configuration, so placements outlive the call.
   */
  readonly placementCache?: PlacementCache;
}

/** Resource groups' placements by group-name key, with when they were read. */
export type PlacementCache = Map<
  string,
  { readonly at: number; readonly placement: Promise<GroupPlacement> }
>;

/** How long the service waits for LINSTOR and the hosts (ms). */
export interface ServiceDeadlines {
  /** A volume to be closed everywhere before delete and rollback (default 10 s). */
  readonly notInUseMs: number;
  /** A by-res device path to appear after attach (default 15 s). */
  readonly deviceMs: number;
  /** A clone to reach COMPLETE (default 10 min). */
  readonly cloneMs: number;
  /**
   * At most this many reads of a clone's status, spread over `cloneMs` (pauses growing
   * geometrically), so a clone's requests are bounded whatever the copy takes. Default: no bound
   * (pauses grow to 2 s and stay there).
   */
  readonly clonePolls?: number;
  /** A resize to be visible on every replica (default 60 s). */
  readonly resizeMs: number;
  /**
   * How long a begun migration whose guest is still open only on the source counts as starting
   * rather than abandoned (default 10 min); after that the next operation heals it.
   */
  readonly migrationGraceMs: number;
}

/** A size, given exactly once, in bytes or in KiB. Bytes are rounded up to whole KiB, never down. */
export type SizeSpec =
  | { readonly sizeBytes: number; readonly sizeKib?: never }
  | { readonly sizeKib: number; readonly sizeBytes?: never };

/** What {@link VolumeService.create} is asked to make. */
export type CreateRequest = SizeSpec & {
  /** The platform's name for the volume (mapped to a LINSTOR name by `resourceNameFor`). */
  readonly name: string;
  /** A node that should hold a diskful replica (the hypervisor that will run the guest). */
  readonly preferredNode?: string;
  /** Further properties for the resource definition (e.g. `Aux/pm/vmid`, `DrbdOptions/ExactSize`). */
  readonly props?: Props;
  /**
   * The attempt id of an earlier call whose reply was lost (from its result or error), to resume
   * exactly that attempt; when unset, an id derived from the name and the preferred node (the same
   * call repeated on the same node resumes). Another attempt's unfinished volume is never taken
   * over while it may still be running.
   */
  readonly attempt?: string;
  /**
   * Marks a volume that only serves one operation (its purpose, e.g. `one-restore`) with
   * `Aux/linstor-hv/temporary`, so the orphan sweep removes it when a crashed operation left it,
   * once older than the grace period and open nowhere. The operation deletes it when done.
   */
  readonly temporary?: string;
};

/** How {@link VolumeService.delete} waits and what else it removes. */
export interface DeleteOptions {
  /** How long to wait for the volume to be closed everywhere (default `notInUseMs`). */
  readonly deadlineMs?: number;
  /**
   * Platform names of volumes restored from the volume's snapshots (Proxmox reads a snapshot
   * through such a volume), deleted before the snapshots; gets the snapshots the delete found.
   */
  readonly alsoDelete?: ((snapshots: readonly SnapshotInfo[]) => readonly string[]) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** One replica of a volume on one node. */
export interface ReplicaInfo {
  readonly node: string;
  /** Holds a copy of the data (not diskless, not a tie-breaker). */
  readonly diskful: boolean;
  readonly tieBreaker: boolean;
  /** DRBD disk state (`UpToDate`, `Diskless`, `Inconsistent`, …); undefined when the node did not report. */
  readonly diskState: string | undefined;
  /** Open on that node; undefined when the node did not report (offline satellite). */
  readonly inUse: boolean | undefined;
  readonly storagePool: string | undefined;
  /** The DRBD device as LINSTOR names it (`/dev/drbd1000`), for hosts without udev's by-res links. */
  readonly devicePath: string | undefined;
  /** Bytes really allocated in the pool (thin pools: written data). */
  readonly allocatedBytes: number | undefined;
  /** A diskless attachment this service's owner created (removed again by `detach`). */
  readonly attachedByOwner: boolean;
}

/** A live migration in progress, as recorded in `Aux/linstor-hv/migration`. */
export interface MigrationRecord {
  readonly from: string;
  readonly to: string;
  /** Where dual-primary was allowed: the pair's resource connection, or the whole definition. */
  readonly scope: 'connection' | 'definition';
  /** The migration created the target's diskless attachment (abort removes it). */
  readonly targetAttached: boolean;
  /** Values the changed keys had before (null: unset), restored on commit and abort. */
  readonly previous: Readonly<Record<string, string | null>>;
  readonly startedAt: string;
}

/** A snapshot of a volume. */
export interface SnapshotInfo {
  /** The platform's name (from `Aux/linstor-hv/name`, else the LINSTOR name). */
  readonly name: string;
  /** The LINSTOR snapshot name. */
  readonly snapshotName: string;
  /** Creation time, epoch ms (earliest over the nodes); undefined when LINSTOR reports none. */
  readonly createdAt: number | undefined;
  readonly sizeBytes: number | undefined;
  readonly nodes: readonly string[];
  /** Usable for restore and rollback (`SUCCESSFUL`). */
  readonly successful: boolean;
  readonly props: Props;
}

/** A volume as {@link VolumeService.info} describes it. */
export interface VolumeInfo {
  /** The platform's name (from `Aux/linstor-hv/name`, else the LINSTOR name). */
  readonly name: string;
  readonly resourceName: string;
  readonly resourceGroup: string | undefined;
  readonly sizeBytes: number;
  readonly replicas: readonly ReplicaInfo[];
  /** Nodes where the volume is open. */
  readonly inUseOn: readonly string[];
  /** Bytes allocated by one copy of the data (largest over the diskful replicas). */
  readonly allocatedBytes: number | undefined;
  readonly snapshots: readonly SnapshotInfo[];
  readonly props: Props;
  /** Carries this service's ownership tags. */
  readonly owned: boolean;
  readonly migration: MigrationRecord | undefined;
}

/** A volume as {@link VolumeService.list} returns it (from one filtered request). */
export interface VolumeSummary {
  readonly name: string;
  readonly resourceName: string;
  readonly resourceGroup: string | undefined;
  readonly sizeBytes: number | undefined;
  readonly props: Props;
}

/** What a create or clone did. */
export interface CreateResult {
  readonly name: string;
  readonly resourceName: string;
  readonly sizeBytes: number;
  /** Nodes with a diskful replica. */
  readonly diskfulNodes: readonly string[];
  /** The volume already existed with this ownership and size (a repeated call); nothing was changed. */
  readonly existed: boolean;
  /** Things that went not quite as asked, in words (e.g. the preferred node could not take a replica). */
  readonly warnings: readonly string[];
  /** The attempt id written while the volume was pending (creates only). */
  readonly attempt?: string;
}

/** Whether and how a rollback to a snapshot can work. */
export interface RollbackCheck {
  readonly possible: boolean;
  /** `native`: LINSTOR's rollback (newest snapshot); `copy`: restore into a temporary volume and copy back. */
  readonly method: 'native' | 'copy' | undefined;
  /** Newer snapshots that prevent a native rollback (platform names). */
  readonly blockers: readonly string[];
  /** Why it is not possible (or why the copy method is needed). */
  readonly reason: string | undefined;
}

/** What {@link VolumeService.clone} is asked to make. */
export interface CloneRequest {
  /** The platform name of the source volume. */
  readonly source: string;
  /** Clone this snapshot of the source instead of its current data. */
  readonly snapshot?: string;
  /** The platform name of the new volume. */
  readonly name: string;
  /** The resource group of the new volume (default: the service's). */
  readonly resourceGroup?: string;
  /** A size larger than the source's (bytes, rounded up to KiB); default the source's size. */
  readonly sizeBytes?: number;
  readonly props?: Props;
  /** Progress of a data copy, when the clone needs one. */
  readonly onProgress?: ProgressCallback;
  /**
   * The attempt id of an earlier clone whose reply was lost, to resume exactly that attempt; when
   * unset, an id derived from the name and the source (the same clone repeated resumes). Another
   * attempt's unfinished clone is never taken over while it may still be running.
   */
  readonly attempt?: string;
}

/** How {@link VolumeService.attach} treats a volume that is open on another node. */
export interface AttachOptions {
  /**
   * `attach` (default): attach anyway; DRBD keeps a second writer out. `migrate`: the platform
   * is moving a running guest here, so a live migration from that node begins (see
   * `beginMigration`); open on two other nodes is refused. `refuse`: fail with a
   * `VolumeInUseError` naming the nodes.
   */
  readonly whenOpenElsewhere?: 'attach' | 'migrate' | 'refuse';
}

/** Where a volume is attached. */
export interface AttachResult {
  /** `<deviceRoot>/drbd/by-res/<resource>/0`; it exists when attach returns. */
  readonly devicePath: string;
  /** This call created a diskless attachment (false: a replica was already there). */
  readonly created: boolean;
  readonly diskful: boolean;
}

/** What detach did. */
export interface DetachResult {
  /** A diskless attachment was removed. */
  readonly removed: boolean;
  /** Why nothing was removed: `absent`, `diskful`, `tie-breaker`, `not-ours`. */
  readonly kept?: 'absent' | 'diskful' | 'tie-breaker' | 'not-ours';
}
