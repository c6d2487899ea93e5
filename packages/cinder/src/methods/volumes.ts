/** Volumes: create, delete, extend, clone, create from snapshot, retype, migrate, manage. */

import type { VolumeService } from '@linstor-hv/core';
import type { BackendRegistry } from '../backend';
import { CinderError } from '../errors';
import { groupNameOf, groupShapeOf } from '../extra-specs';
import {
  gibOf,
  newVolumeName,
  PROVIDER_LOCATION_PREFIX,
  snapshotNameCandidates,
  volumeKib,
  volumeNameCandidates,
} from '../names';
import { type CinderVolume, parseSnapshot, parseVolume, parseVolumeType } from '../protocol';
import { firstFound, method } from './common';

/** Cinder's volume id on every definition this driver makes or manages. */
export const PROP_CINDER_VOLUME_ID = 'Aux/cinder/volume-id';
const GIB = 1024 ** 3;

/** Clones a source volume (or one of its snapshots) into the new volume's type group, at the volume's size. */
async function cloneInto(
  service: VolumeService,
  volume: CinderVolume,
  source: string,
  snapshot: string | undefined,
  signal: AbortSignal,
): Promise<{ resourceName: string; existed: boolean }> {
  const created = await service.clone(
    {
      source,
      ...(snapshot !== undefined ? { snapshot } : {}),
      name: newVolumeName(volume),
      resourceGroup: service.resourceGroup,
      sizeBytes: volume.size * GIB,
      props: { [PROP_CINDER_VOLUME_ID]: volume.id },
    },
    { signal },
  );
  return { resourceName: created.resourceName, existed: created.existed };
}

/** Methods for volumes. */
export function volumeMethods(registry: BackendRegistry) {
  return {
    /** A new volume in its type's resource group, exactly `size` GiB. */
    create_volume: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const service = await backend.serviceForType(volume.volumeType, signal);
      const created = await service.create({
        name: newVolumeName(volume),
        sizeBytes: volume.size * GIB,
        props: { [PROP_CINDER_VOLUME_ID]: volume.id },
      });
      return { resourceName: created.resourceName, existed: created.existed, warnings: created.warnings };
    }),

    /** Deletes a volume (v2 or v1 name); one that is already gone succeeds. */
    delete_volume: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      for (const name of volumeNameCandidates(volume)) {
        const { existed } = await backend.service().delete(name, { signal });
        if (existed) return { existed: true, resourceName: name };
      }
      return { existed: false };
    }),

    /** Grows a volume to `newSize` GiB (v1 volumes keep their downsize factor). */
    extend_volume: method(registry, async ({ params, backend, config, signal }) => {
      const volume = parseVolume(params);
      const newSize = params.number('newSize', { min: 1, integer: true });
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const kib = volumeKib(newSize, name, config.downsizeFactorKib);
        const result = await backend.service().resize(name, { sizeKib: kib }, { signal });
        return { resourceName: name, ...result };
      });
    }),

    /** A clone of a volume in the new volume's type group, grown to its size; a failed clone is removed. */
    create_cloned_volume: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const source = parseVolume(params, 'source');
      const service = await backend.serviceForType(volume.volumeType, signal);
      return firstFound(volumeNameCandidates(source), (sourceName) =>
        cloneInto(service, volume, sourceName, undefined, signal),
      );
    }),

    /** A new volume restored from a snapshot (v2 or v1 names), grown to the volume's size. */
    create_volume_from_snapshot: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const snapshot = parseSnapshot(params);
      const service = await backend.serviceForType(volume.volumeType, signal);
      const pairs = volumeNameCandidates(snapshot.volume).flatMap((v) =>
        snapshotNameCandidates(snapshot).map((s) => `${v}\n${s}`),
      );
      return firstFound(pairs, (pair) => {
        const [sourceName = '', snapshotName = ''] = pair.split('\n');
        return cloneInto(service, volume, sourceName, snapshotName, signal);
      });
    }),

    /**
     * Moves a volume into the new type's group when its replicas already sit in pools the new type
     * allows; otherwise answers `retyped: false` so Cinder migrates the data itself.
     */
    retype: method(registry, async ({ params, backend, config, signal }) => {
      const volume = parseVolume(params);
      const type = parseVolumeType(params, 'newType');
      const shape = type ? groupShapeOf(type, config) : undefined;
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const info = await backend.service().info(name, { signal });
        const pools = shape?.selectFilter?.storage_pool_list?.map((p) => p.toLowerCase());
        const misplaced = info.replicas.filter(
          (r) => r.diskful && pools !== undefined && !pools.includes((r.storagePool ?? '').toLowerCase()),
        );
        if (misplaced.length > 0) {
          return {
            retyped: false,
            reason: `replicas on ${misplaced.map((r) => `${r.node}/${r.storagePool}`).join(', ')} are outside the new type's pools`,
          };
        }
        const service = await backend.serviceForType(type, signal);
        const { moved } = await service.moveToGroup(name, groupNameOf(type, config), { signal });
        return { retyped: true, moved, resourceName: name };
      });
    }),

    /**
     * A move to another backend of the same LINSTOR cluster: the data stays where it is, so only
     * its existence is checked (the driver compares the clusters before calling).
     */
    migrate_volume: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const info = await backend.service().info(name, { signal });
        return { moved: true, resourceName: info.resourceName };
      });
    }),

    /** Size in GiB (rounded up) of an existing definition named by the reference. */
    manage_existing_get_size: method(registry, async ({ params, backend, signal }) => {
      const name = referenceName(params.object('ref'));
      const adopted = await backend.service().adopt(name, { dryRun: true, signal });
      return { size: gibOf(adopted.sizeBytes), resourceName: adopted.resourceName };
    }),

    /** Takes over an existing definition as this volume (tags it, moves it into the type's group). */
    manage_existing: method(registry, async ({ params, backend, config, signal }) => {
      const volume = parseVolume(params);
      const name = referenceName(params.object('ref'));
      const service = await backend.serviceForType(volume.volumeType, signal);
      const adopted = await service.adopt(name, { props: { [PROP_CINDER_VOLUME_ID]: volume.id }, signal });
      await service.moveToGroup(name, groupNameOf(volume.volumeType, config), { signal });
      const location =
        adopted.resourceName === newVolumeName(volume)
          ? null
          : `${PROVIDER_LOCATION_PREFIX}${adopted.resourceName}`;
      return {
        resourceName: adopted.resourceName,
        providerLocation: location,
        size: gibOf(adopted.sizeBytes),
      };
    }),

    /** Lets go of a volume: linstor-hv's tags are removed, the data stays in LINSTOR. */
    unmanage: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      for (const name of volumeNameCandidates(volume)) {
        const { released } = await backend
          .service()
          .release(name, { deleteProps: [PROP_CINDER_VOLUME_ID], signal });
        if (released) return { released: true, resourceName: name };
      }
      return { released: false };
    }),
  };
}

/** The LINSTOR name in a manage_existing reference (`source-name`, the way Cinder's CLI passes it). */
function referenceName(ref: { optString(key: string): string | undefined }): string {
  const name = ref.optString('source-name') ?? ref.optString('source-id');
  if (name === undefined) {
    throw new CinderError(
      'CINDER_BAD_REFERENCE',
      'invalid-argument',
      'The reference names no LINSTOR resource definition; pass --source-name (or source-id) with its name.',
    );
  }
  return name;
}
