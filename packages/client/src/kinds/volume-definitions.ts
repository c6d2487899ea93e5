import type { VolumeDefinition, VolumeDefinitionCreate, VolumeDefinitionModify } from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';

/** Volume definitions (sizes) of a resource definition. */
export function volumeDefinitionsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/resource-definitions/{rd}/volume-definitions`. */
    list: (resource: string, call?: CallOptions) =>
      exchange.getList<VolumeDefinition>(
        '/v1/resource-definitions/{resource}/volume-definitions',
        { resource },
        undefined,
        call,
      ),
    /** `GET /v1/resource-definitions/{rd}/volume-definitions/{nr}`. */
    get: (resource: string, volumeNumber: number, call?: CallOptions) =>
      exchange.getObject<VolumeDefinition>(
        '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
        { resource, volume_number: volumeNumber },
        undefined,
        call,
      ),
    /** Like `get`, but undefined when absent. */
    getOrUndefined: (resource: string, volumeNumber: number, call?: CallOptions) =>
      orUndefined(api.get(resource, volumeNumber, call)),
    /** `POST /v1/resource-definitions/{rd}/volume-definitions` (the controller answers 200). */
    create: (resource: string, create: VolumeDefinitionCreate, call?: CallOptions) =>
      exchange.mutate(
        'POST',
        '/v1/resource-definitions/{resource}/volume-definitions',
        { resource },
        create,
        call,
      ),
    /** `PUT …/volume-definitions/{nr}`; `size_kib` grows the volume (shrinking is refused by DRBD). */
    modify: (resource: string, volumeNumber: number, modify: VolumeDefinitionModify, call?: CallOptions) =>
      exchange.mutate(
        'PUT',
        '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
        { resource, volume_number: volumeNumber },
        modify,
        call,
      ),
    /** `DELETE …/volume-definitions/{nr}`. */
    delete: (resource: string, volumeNumber: number, call?: CallOptions) =>
      exchange.mutate(
        'DELETE',
        '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
        { resource, volume_number: volumeNumber },
        undefined,
        call,
      ),
  };
  return api;
}

/** The `volumeDefinitions` methods of a LinstorClient. */
export type VolumeDefinitionsApi = ReturnType<typeof volumeDefinitionsApi>;
