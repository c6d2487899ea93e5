import type { RouteDef } from '../http/route';
import * as modules from './modules';

/** Typed view of ./modules: a module exporting anything but a route list fails to compile here. */
const routeModules: Record<string, readonly RouteDef[]> = modules;

/** Every `/v1` route (and the static `/emulator/...` routes) of all route modules. */
export function allRoutes(): RouteDef[] {
  return Object.values(routeModules).flat();
}

export { type ControlHooks, controlRoutes } from './control';
