/**
 * The route modules of the emulator, one line each: every export here is a `RouteDef[]`, and
 * routes/index.ts serves all of them. Add a module by adding one `export { xRoutes } from './x';`.
 */

export { cloneRoutes } from './clone';
export { controllerRoutes } from './controller';
export { controllerAdminRoutes } from './controller-admin';
export { deviceRoutes } from './devices';
export { errorReportRoutes } from './error-reports';
export { eventRoutes } from './events';
export { externalFileRoutes } from './external-files';
export { hostStorageRoutes } from './host-storage';
export { kvsRoutes } from './kvs';
export { maxVolumeSizeRoutes } from './max-volume-size';
export { nodeConnectionRoutes } from './node-connections';
export { nodeOperationRoutes } from './node-operations';
export { nodeRoutes } from './nodes';
export { remoteRoutes } from './remotes';
export { resourceDefinitionRoutes } from './resource-definitions';
export { resourceGroupRoutes } from './resource-groups';
export { resourceRoutes } from './resources';
export { scheduleRoutes } from './schedules';
export { snapshotRoutes } from './snapshots';
export { statsRoutes } from './stats';
export { storagePoolDefinitionRoutes } from './storage-pool-definitions';
export { storagePoolRoutes } from './storage-pools';
