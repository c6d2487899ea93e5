/** Snapshots: create, delete, revert. */

import type { BackendRegistry } from '../backend';
import { newSnapshotName, snapshotNameCandidates, volumeKib, volumeNameCandidates } from '../names';
import { parseSnapshot, parseVolume } from '../protocol';
import { firstFound, method } from './common';

/** Methods for snapshots. */
export function snapshotMethods(registry: BackendRegistry) {
  return {
    /** A snapshot on every diskful replica of the volume. */
    create_snapshot: method(registry, async ({ params, backend, signal }) => {
      const snapshot = parseSnapshot(params);
      return firstFound(volumeNameCandidates(snapshot.volume), async (volumeName) => {
        const taken = await backend
          .service()
          .createSnapshot(volumeName, newSnapshotName(snapshot), { signal });
        return { resourceName: volumeName, snapshotName: taken.snapshotName, existed: taken.existed };
      });
    }),

    /** Deletes a snapshot (v2 or v1 name); one that is already gone succeeds. */
    delete_snapshot: method(registry, async ({ params, backend, signal }) => {
      const snapshot = parseSnapshot(params);
      for (const volumeName of volumeNameCandidates(snapshot.volume)) {
        for (const snapshotName of snapshotNameCandidates(snapshot)) {
          const { existed } = await backend.service().deleteSnapshot(volumeName, snapshotName, { signal });
          if (existed) return { existed: true, resourceName: volumeName, snapshotName };
        }
      }
      return { existed: false };
    }),

    /**
     * Rolls a volume back to its newest snapshot (Cinder allows no other) and grows it back to
     * its Cinder size if the snapshot was smaller.
     */
    revert_to_snapshot: method(registry, async ({ params, backend, config, signal }) => {
      const volume = parseVolume(params);
      const snapshot = parseSnapshot(params);
      const pairs = volumeNameCandidates(volume).flatMap((v) =>
        snapshotNameCandidates(snapshot).map((s) => [v, s] as const),
      );
      return firstFound(
        pairs.map(([v, s]) => `${v}\n${s}`),
        async (pair) => {
          const [volumeName = '', snapshotName = ''] = pair.split('\n');
          const service = backend.service();
          const { method: how } = await service.rollback(volumeName, snapshotName, {
            allowCopy: false,
            signal,
          });
          const grown = await service.resize(
            volumeName,
            {
              sizeKib: volumeKib(volume.size, volumeName, config.downsizeFactorKib),
            },
            { signal },
          );
          return { resourceName: volumeName, snapshotName, method: how, grown: grown.changed };
        },
      );
    }),
  };
}
