import type { ControllerPropsModify, ControllerVersion, Props } from '@linstor-hv/api';
import type { Exchange } from '../exchange';
import type { CallOptions } from '../transport/types';

/** Controller version and its properties. */
export function controllerApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/controller/version`. */
    version: (call?: CallOptions) =>
      exchange.getObject<ControllerVersion>('/v1/controller/version', {}, undefined, call),
    /** `GET /v1/controller/properties`: the flat property map. */
    properties: (call?: CallOptions) =>
      exchange.getObject<Props>('/v1/controller/properties', {}, undefined, call),
    /** `POST /v1/controller/properties` (LINSTOR uses POST here, not PUT). */
    setProperties: (modify: ControllerPropsModify, call?: CallOptions) =>
      exchange.mutate('POST', '/v1/controller/properties', {}, modify, call),
    /** `DELETE /v1/controller/properties/{key}`; `key` may contain `/`. */
    deleteProperty: (key: string, call?: CallOptions) =>
      exchange.mutate('DELETE', '/v1/controller/properties/{key}', { key }, undefined, call),
  };
  return api;
}

/** The `controller` methods of a LinstorClient. */
export type ControllerApi = ReturnType<typeof controllerApi>;
