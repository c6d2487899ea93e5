/**
 * The route modules of the emulator, one line each: every export here is a `RouteDef[]`, and
 * routes/index.ts serves all of them. Add a module by adding one `export { xRoutes } from './x';`.
 */
export { controllerRoutes } from './controller';
