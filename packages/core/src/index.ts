/**
 * @linstor-hv/core: volumes as hypervisor platforms see them, on top of LINSTOR. Adapters
 * (Proxmox, OpenNebula, Cinder) translate their platform's calls into these verbs.
 */

export { type AuditScope, auditOrphans, describeOrphans, type Orphan, type OrphanReport } from './audit';
export {
  computeCapacity,
  DEFAULT_OVERSUBSCRIPTION_RATIO,
  DEFAULT_PLACE_COUNT,
  type GroupCapacity,
  type GroupPlacement,
  isNodeOnline,
  type Provisioning,
  placementOf,
  replicatedSpace,
} from './capacity';
export {
  type CopyOptions,
  type CopyProgress,
  type CopyResult,
  type CopySource,
  type CopyTarget,
  copyData,
  DataCopyError,
  type ImageFormat,
  type ProgressCallback,
  parseDdProgress,
  parseQemuImgProgress,
  probeImage,
  sniffStreamFormat,
} from './copy';
export {
  isAbortError,
  type LinstorReason,
  RollbackBlockedError,
  VOLUME_ERROR_CODES,
  VolumeAbortedError,
  VolumeError,
  type VolumeErrorCode,
  type VolumeErrorKind,
  type VolumeErrorOptions,
  VolumeInUseError,
  VolumeNotFoundError,
  type VolumeOutcome,
  VolumeValidationError,
} from './errors';
export {
  CommandFailedError,
  type HostExecutor,
  LocalExecutor,
  type RunOptions,
  type RunResult,
  remoteCommandLine,
  SshExecutor,
  type SshTarget,
  shellQuote,
  sshArgv,
} from './exec';
export { describeReason, kindOfRefusal, linstorReasons, wrapFailure } from './failure';
export {
  attachmentCreator,
  attachmentProps,
  isHashedName,
  isOwnedBy,
  isOwnVolume,
  type Ownership,
  ownerFilter,
  ownershipProps,
  resourceNameFor,
  snapshotNameFor,
  validateOwnership,
} from './naming';
export type { AdoptedVolume } from './service/adopt';
export { defaultAttemptId } from './service/attempts';
export type { CapacityOptions } from './service/capacity';
export type { ClusterIdentity } from './service/cluster';
export { CLEANUP_BUDGET_MS, migrationOf, type SignalOptions } from './service/core';
export type { DeactivateResult } from './service/deactivate';
export type { EnsureGroupResult, GroupShape } from './service/groups';
export { type HostIdentity, matchNode } from './service/nodes';
export type { PropsUpdate } from './service/props';
export type { VolumeSize } from './service/size';
export { TEMPORARY_PREFIX } from './service/temporary';
export type {
  AttachOptions,
  AttachResult,
  CloneRequest,
  CreateRequest,
  CreateResult,
  DeleteOptions,
  DetachResult,
  MigrationRecord,
  PlacementCache,
  ReplicaInfo,
  RollbackCheck,
  ServiceDeadlines,
  SizeSpec,
  SnapshotInfo,
  VolumeInfo,
  VolumeServiceOptions,
  VolumeSummary,
} from './service/types';
export type { OwnerUsage, UsageOptions } from './service/usage';
export { createVolumeService, VolumeService } from './service/volume-service';
export type { VolumeUsage, VolumeUsageOptions } from './service/volume-usage';
export {
  DEFAULT_SWEEP_GRACE_MS,
  formatDuration,
  PROP_HV_SWEEP_SEEN,
  parseDuration,
  type SweepAction,
  type SweepEntry,
  type SweepOptions,
  type SweepReport,
  sweepEach,
  sweepGraceAbove,
  sweepOrphans,
} from './sweep';
