export {
  type ClusterDescription,
  type ClusterNode,
  type ClusterPool,
  type ClusterResourceGroup,
  DEFAULT_RESOURCE_GROUP,
  DISKLESS_POOL_NAME,
  threeNodeCluster,
} from './cluster';
export type { EmulatorConfig, EmulatorContext } from './context';
export { type ConsistencyReport, DataPlane } from './dataplane';
export type { FaultAction, FaultRuleSpec } from './infra/faults';
export { JournalStore, openJournalStore } from './infra/journal-store';
export type { RequestLogEntry } from './infra/request-log';
export type { Store, StoreKey } from './infra/store';
export { runServe } from './serve';
export {
  type ListenerSpec,
  type RunningEmulator,
  type StartOptions,
  startEmulator,
  type TlsOptions,
} from './start';
export {
  type ControlReply,
  type ControlTls,
  EmulatorControl,
  emulatorBundle,
  type SpawnedEmulator,
  type SpawnOptions,
  spawnEmulatorProcess,
} from './testing';
