/**
 * The route modules of the emulator, one line each: every export here is a `RouteDef[]`, and
 * routes/index.ts serves all of them. Add a module by adding one `export { xRoutes } from './x';`.
 */

export { cloneRoutes } from './clone';
export { controllerRoutes } from './controller';
export { deviceRoutes } from './devices';
export { errorReportRoutes } from './error-reports';
export { eventRoutes } from './events';
export { kvsRoutes } from './kvs';
export { nodeRoutes } from './nodes';
export { resourceDefinitionRoutes } from './resource-definitions';
export { resourceGroupRoutes } from './resource-groups';
export { resourceRoutes } from './resources';
export { snapshotRoutes } from './snapshots';
export { storagePoolRoutes } from './storage-pools';
