import type { Props } from '@linstor-hv/api';
import type { GroupCapacity, GroupPlacement } from '../capacity';
import { type CopyOptions, type CopyResult, type CopySource, type CopyTarget, copyData } from '../copy/copy';
import type { ProgressCallback } from '../copy/progress';
import { wrapFailure } from '../failure';
import { type SweepOptions, type SweepReport, sweepOrphans } from '../sweep';
import { type AdoptedVolume, adoptVolume, releaseVolume } from './adopt';
import { abortMigration, attachVolume, beginMigration, commitMigration, detachVolume } from './attach';
import { type CapacityOptions, groupCapacity } from './capacity';
import { cloneVolume } from './clone';
import { type ClusterIdentity, checkController, clusterIdentity } from './cluster';
import { callOf, ServiceCore, type SignalOptions } from './core';
import { type DeactivateResult, deactivateVolume } from './deactivate';
import { type EnsureGroupResult, ensureGroup, type GroupShape, moveToGroup } from './groups';
import { findNode, type HostIdentity } from './nodes';
import { type PropsUpdate, updateVolumeProps } from './props';
import { type VolumeSize, volumeSize } from './size';
import { attachSnapshot, detachSnapshot } from './snapshot-view';
import { canRollback, createSnapshot, deleteSnapshot, listSnapshots, rollback } from './snapshots';
import type {
  AttachOptions,
  AttachResult,
  CloneRequest,
  CreateRequest,
  CreateResult,
  DeleteOptions,
  DetachResult,
  RollbackCheck,
  SizeSpec,
  SnapshotInfo,
  VolumeInfo,
  VolumeServiceOptions,
  VolumeSummary,
} from './types';
import { type OwnerUsage, ownerUsage, type UsageOptions } from './usage';
import { type VolumeUsage, type VolumeUsageOptions, volumeUsage } from './volume-usage';
import { createVolume, deleteVolume, listVolumes, resizeVolume, volumeInfo } from './volumes';

/**
 * Volumes as hypervisor platforms see them, on one LINSTOR controller configuration and one
 * resource group. Volumes are named by the platform's names (mapped to LINSTOR names
 * deterministically). Every verb is safe to repeat after a crash or a lost reply, and a verb that
 * fails midway undoes its own steps; errors are {@link VolumeError}s with LINSTOR's words.
 */
export class VolumeService {
  private readonly core: ServiceCore;

  constructor(options: VolumeServiceOptions) {
    this.core = new ServiceCore(options);
  }

  /** The resource group new volumes are spawned from. */
  get resourceGroup(): string {
    return this.core.group;
  }

  /** The LINSTOR resource-definition name a platform volume name maps to. */
  resourceName(name: string): string {
    return this.core.resourceName(name);
  }

  /** The by-res device path of a volume on a node (whether or not it exists there now). */
  devicePath(name: string, node: string): string {
    return this.core.devicePath(node, this.core.resourceName(name));
  }

  /** Creates a volume with the group's replica count, or fails leaving nothing behind. */
  create(request: CreateRequest, options: SignalOptions = {}): Promise<CreateResult> {
    return createVolume(this.core, request, options);
  }

  /** Deletes a volume and its snapshots once nobody has it open; already gone succeeds. */
  delete(name: string, options: DeleteOptions = {}): Promise<{ existed: boolean }> {
    return deleteVolume(this.core, name, options);
  }

  /** Grows a volume to exactly the given size; shrinking is refused. */
  resize(
    name: string,
    size: SizeSpec,
    options: SignalOptions = {},
  ): Promise<{ sizeBytes: number; changed: boolean }> {
    return resizeVolume(this.core, name, size, options);
  }

  /** Size, replicas by node with disk state, in-use nodes, allocation and snapshots of a volume. */
  info(name: string, options: SignalOptions = {}): Promise<VolumeInfo> {
    return volumeInfo(this.core, name, options);
  }

  /** The size of a volume as asked for, from one request (see {@link volumeSize}). */
  size(name: string, options: SignalOptions = {}): Promise<VolumeSize> {
    return volumeSize(this.core, name, options);
  }

  /** The volumes this owner created in the group (one filtered request); see {@link listVolumes}. */
  list(
    options: { props?: readonly string[]; allGroups?: boolean } & SignalOptions = {},
  ): Promise<VolumeSummary[]> {
    return listVolumes(this.core, options);
  }

  /** Sets and removes platform properties of a volume (one read, one change); returns them afterwards. */
  updateProps(name: string, update: PropsUpdate, options: SignalOptions = {}): Promise<Props> {
    return updateVolumeProps(this.core, name, update, options);
  }

  /** Takes a snapshot on all diskful replicas. */
  createSnapshot(
    volume: string,
    snapshot: string,
    options: { props?: Props } & SignalOptions = {},
  ): Promise<SnapshotInfo & { existed: boolean }> {
    return createSnapshot(this.core, volume, snapshot, options);
  }

  /** Snapshots of a volume, oldest first. */
  listSnapshots(volume: string, options: SignalOptions = {}): Promise<SnapshotInfo[]> {
    return listSnapshots(this.core, volume, options);
  }

  /** Deletes a snapshot; already gone succeeds. */
  deleteSnapshot(
    volume: string,
    snapshot: string,
    options: SignalOptions = {},
  ): Promise<{ existed: boolean }> {
    return deleteSnapshot(this.core, volume, snapshot, options);
  }

  /** Whether a rollback to `snapshot` will work, how, and which newer snapshots block a native one. */
  canRollback(
    volume: string,
    snapshot: string,
    options: { allowCopy?: boolean } & SignalOptions = {},
  ): Promise<RollbackCheck> {
    return canRollback(this.core, volume, snapshot, options);
  }

  /** Rolls back to a snapshot (native for the newest; by restore + copy for older ones). */
  rollback(
    volume: string,
    snapshot: string,
    options: { allowCopy?: boolean; onProgress?: ProgressCallback } & SignalOptions = {},
  ): Promise<{ method: 'native' | 'copy' }> {
    return rollback(this.core, volume, snapshot, options);
  }

  /**
   * Makes a snapshot readable on a node (restored into a temporary volume, attached there); the
   * view stays until {@link detachSnapshot} or the volume's delete.
   */
  attachSnapshot(
    volume: string,
    snapshot: string,
    node: string,
    options: SignalOptions = {},
  ): Promise<AttachResult & { resourceName: string }> {
    return attachSnapshot(this.core, volume, snapshot, node, options);
  }

  /** Removes a snapshot's view; already gone succeeds. */
  detachSnapshot(
    volume: string,
    snapshot: string,
    options: SignalOptions = {},
  ): Promise<{ existed: boolean }> {
    return detachSnapshot(this.core, volume, snapshot, options);
  }

  /** Clones a volume or snapshot into a new volume (possibly another group, possibly larger). */
  clone(request: CloneRequest, options: SignalOptions = {}): Promise<CreateResult> {
    return cloneVolume(this.core, request, options);
  }

  /**
   * Makes a volume available on a node and returns its device path once it exists: one request
   * where the node has a resource, two where it has none, three where it has a tie-breaker.
   */
  attach(name: string, node: string, options: AttachOptions & SignalOptions = {}): Promise<AttachResult> {
    return attachVolume(this.core, name, node, options);
  }

  /** Removes this owner's diskless attachment on a node; replicas and tie-breakers stay. */
  detach(name: string, node: string, options: SignalOptions = {}): Promise<DetachResult> {
    return detachVolume(this.core, name, node, options);
  }

  /**
   * Deactivates a volume on a node the platform is done with: ends a live migration recorded for
   * that node (commit on its source, abort on its target), else detaches (one request on a replica).
   */
  deactivate(name: string, node: string, options: SignalOptions = {}): Promise<DeactivateResult> {
    return deactivateVolume(this.core, name, node, options);
  }

  /** Starts a live migration: target attached, dual-primary allowed for that pair only. */
  beginMigration(name: string, from: string, to: string, options: SignalOptions = {}): Promise<AttachResult> {
    return beginMigration(this.core, name, from, to, options);
  }

  /** Ends a live migration on the target: options removed, source's diskless attachment removed. */
  commitMigration(name: string, from: string, to: string, options: SignalOptions = {}): Promise<void> {
    return commitMigration(this.core, name, from, to, options);
  }

  /** Cancels a live migration: options removed, the target's attachment (if the migration made it) removed. */
  abortMigration(name: string, from: string, to: string, options: SignalOptions = {}): Promise<void> {
    return abortMigration(this.core, name, from, to, options);
  }

  /**
   * Capacity of the service's group (or another group): the cached storage-pool view and the node
   * list, read in parallel once the group's placement is known; the model is in the package README.
   * With `liveness: 'pool-view'` two requests: the placement and the whole pool view.
   */
  capacity(group = this.core.group, options: CapacityOptions = {}): Promise<GroupCapacity> {
    return groupCapacity(this.core, group, options);
  }

  /**
   * Where a group places its replicas (place count, pools, nodes), from the service's cache (one
   * request when it holds none younger than a minute); callers may keep it, e.g. to pass it to
   * {@link capacity} from another process.
   */
  placement(group = this.core.group, options: SignalOptions = {}): Promise<GroupPlacement> {
    return this.core.placement(group, callOf(options)).catch((error: unknown) => {
      throw wrapFailure(`Reading the placement of resource group '${group}' failed`, error);
    });
  }

  /** Fails (kind `unavailable`) unless the controller answers its health check. */
  checkController(options: SignalOptions = {}): Promise<void> {
    return checkController(this.core, options);
  }

  /** The LINSTOR cluster's id and the name of a resource group (default: the service's). */
  identity(group = this.core.group, options: SignalOptions = {}): Promise<ClusterIdentity> {
    return clusterIdentity(this.core, group, options);
  }

  /** Makes a resource group match a shape (created when absent, only differing fields changed). */
  ensureGroup(group: string, shape: GroupShape, options: SignalOptions = {}): Promise<EnsureGroupResult> {
    return ensureGroup(this.core, group, shape, options);
  }

  /** Moves a volume into another resource group; its replicas stay where they are. */
  moveToGroup(name: string, group: string, options: SignalOptions = {}): Promise<{ moved: boolean }> {
    return moveToGroup(this.core, name, group, options);
  }

  /** Capacity of a group plus the size and count of this owner's volumes, in two requests. */
  usage(group = this.core.group, options: UsageOptions = {}): Promise<OwnerUsage> {
    return ownerUsage(this.core, group, options);
  }

  /** Tags an existing resource definition as this owner's volume (manage); `dryRun` only checks it. */
  adopt(
    name: string,
    options: { props?: Props; dryRun?: boolean } & SignalOptions = {},
  ): Promise<AdoptedVolume> {
    return adoptVolume(this.core, name, options);
  }

  /** Removes this owner's tags from a volume, which stays in LINSTOR (unmanage). */
  release(
    name: string,
    options: { deleteProps?: readonly string[] } & SignalOptions = {},
  ): Promise<{ released: boolean }> {
    return releaseVolume(this.core, name, options);
  }

  /** The LINSTOR node of a platform host (by node property, name, NodeUname, then address). */
  findNode(host: HostIdentity, options: SignalOptions = {}): Promise<string> {
    return findNode(this.core, host, options);
  }

  /**
   * Space used by every volume whose definition has `key`=`value`, with its snapshots (two
   * requests; one with `snapshots: false`).
   */
  volumeUsage(
    selector: { key: string; value: string },
    keys: readonly string[] = [],
    options: VolumeUsageOptions = {},
  ): Promise<VolumeUsage[]> {
    return volumeUsage(this.core, selector, keys, options);
  }

  /** Copies data between device paths, files and streams on a node (dd / qemu-img, with progress). */
  copy(
    node: string,
    source: CopySource,
    target: CopyTarget,
    options: Omit<CopyOptions, 'executor'> = {},
  ): Promise<CopyResult> {
    return copyData(source, target, { ...options, executor: this.core.executor(node) });
  }

  /** Removes this owner's leftovers of unfinished attempts older than a grace period (see {@link sweepOrphans}). */
  sweepOrphans(options: Omit<SweepOptions, 'platform' | 'ownerId'> = {}): Promise<SweepReport> {
    return sweepOrphans(this.core.client, { ...options, ...this.core.ownership });
  }
}

/** Creates a {@link VolumeService}. */
export function createVolumeService(options: VolumeServiceOptions): VolumeService {
  return new VolumeService(options);
}
