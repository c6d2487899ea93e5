/**
 * @linstor-hv/cinder: the TypeScript half of the OpenStack Cinder driver. The Python driver
 * (`python/linstor_hv_cinder`) sends each Cinder call over the bridge; {@link cinderMethodTable}
 * answers it with core's volume service.
 */

export { Backend, BackendRegistry, PLATFORM } from './backend';
export { CINDER_ERROR_CODES, CINDER_EXCEPTIONS, CinderError, type CinderErrorCode } from './errors';
export { defaultGroupShape, groupNameOf, groupShapeOf } from './extra-specs';
export type { CinderCall, CinderMethod } from './methods/common';
export {
  gibOf,
  isV1Volume,
  newSnapshotName,
  newVolumeName,
  PROVIDER_LOCATION_PREFIX,
  snapshotNameCandidates,
  volumeKib,
  volumeNameCandidates,
} from './names';
export {
  type BackendConfig,
  CinderParamsError,
  type CinderSnapshot,
  type CinderVolume,
  type Connector,
  callBudgetMs,
  parseBackend,
  parseSnapshot,
  parseVolume,
} from './protocol';
export { sweepCinderOrphans, sweepGraceMs } from './sweep';
export { cinderMethodTable } from './table';
