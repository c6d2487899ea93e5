/** The Cinder method table the bridge serves (`linstor-hv bridge --platform cinder`). */

import { BackendRegistry } from './backend';
import type { CinderMethod } from './methods/common';
import { connectionMethods } from './methods/connection';
import { imageMethods } from './methods/images';
import { snapshotMethods } from './methods/snapshots';
import { statsMethods } from './methods/stats';
import { volumeMethods } from './methods/volumes';

/** Every method by its name on the wire, over one registry of backends. */
export function cinderMethodTable(registry = new BackendRegistry()): Record<string, CinderMethod> {
  return {
    ...volumeMethods(registry),
    ...snapshotMethods(registry),
    ...connectionMethods(registry),
    ...imageMethods(registry),
    ...statsMethods(registry),
  };
}
