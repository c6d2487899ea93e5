/**
 * The route modules of the emulator, one line each: every export here is a `RouteDef[]`, and
 * routes/index.ts serves all of them. Add a module by adding one `export { xRoutes } from './x';`.
 */
export { controllerRoutes } from './controller';
export { errorReportRoutes } from './error-reports';
export { eventRoutes } from './events';
export { kvsRoutes } from './kvs';
export { nodeRoutes } from './nodes';
export { snapshotRoutes } from './snapshots';
export { cloneRoutes } from './clone';
export { storagePoolRoutes } from './storage-pools';
export { resourceGroupRoutes } from './resource-groups';
export { resourceDefinitionRoutes } from './resource-definitions';
export { resourceRoutes } from './resources';
export { deviceRoutes } from './devices';
