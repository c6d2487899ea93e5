import type { KeyValueStore, Props, PropsModify } from '@linstor-hv/api';
import { sameName } from '@linstor-hv/api';
import type { Exchange } from '../exchange';
import type { CallOptions } from '../transport/types';

/** The controller's key-value store: plugin metadata without touching storage objects. */
export function keyValueStoreApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/key-value-store`: all instances. */
    list: (call?: CallOptions) => exchange.getList<KeyValueStore>('/v1/key-value-store', {}, undefined, call),
    /** `GET /v1/key-value-store/{instance}`: its properties ({} when the instance has none). */
    get: async (instance: string, call?: CallOptions): Promise<Props> => {
      const list = await exchange.getList<KeyValueStore>(
        '/v1/key-value-store/{instance}',
        { instance },
        undefined,
        call,
      );
      const match = list.find((k) => k.name !== undefined && sameName(k.name, instance)) ?? list[0];
      return match?.props ?? {};
    },
    /** `PUT /v1/key-value-store/{instance}`. */
    modify: (instance: string, modify: PropsModify, call?: CallOptions) =>
      exchange.mutate('PUT', '/v1/key-value-store/{instance}', { instance }, modify, call),
    /** `DELETE /v1/key-value-store/{instance}`. */
    delete: (instance: string, call?: CallOptions) =>
      exchange.mutate('DELETE', '/v1/key-value-store/{instance}', { instance }, undefined, call),
  };
  return api;
}

/** The `keyValueStore` methods of a LinstorClient. */
export type KeyValueStoreApi = ReturnType<typeof keyValueStoreApi>;
