/**
 * LINSTOR names of Cinder volumes and snapshots. New volumes are named as LINBIT's v2 driver names
 * them (`volume-<name_id>`, snapshots `snapshot-<id>`); volumes of the v1 driver that Debian ships
 * (`CV_<id>`, `SN_<id>`) are found under their names too, and a managed volume's definition name
 * is kept in its `provider_location`.
 */

import type { CinderSnapshot, CinderVolume } from './protocol';

/** `provider_location` of a volume whose definition is not named after the volume (manage_existing). */
export const PROVIDER_LOCATION_PREFIX = 'linstor-hv:';
const KIB_PER_GIB = 1024 * 1024;

/** The definition name a new volume gets. */
export function newVolumeName(volume: Pick<CinderVolume, 'nameId'>): string {
  return `volume-${volume.nameId}`;
}

/** The snapshot name a new snapshot gets. */
export function newSnapshotName(snapshot: Pick<CinderSnapshot, 'id'>): string {
  return `snapshot-${snapshot.id}`;
}

/** Where to look for a volume's definition, most likely first. */
export function volumeNameCandidates(
  volume: Pick<CinderVolume, 'id' | 'nameId' | 'providerLocation'>,
): string[] {
  const location = volume.providerLocation;
  if (location?.startsWith(PROVIDER_LOCATION_PREFIX))
    return [location.slice(PROVIDER_LOCATION_PREFIX.length)];
  return [...new Set([newVolumeName(volume), `CV_${volume.nameId}`, `CV_${volume.id}`])];
}

/** Where to look for a snapshot, most likely first. */
export function snapshotNameCandidates(snapshot: Pick<CinderSnapshot, 'id'>): string[] {
  return [newSnapshotName(snapshot), `SN_${snapshot.id}`];
}

/** True for a definition the v1 driver made (its sizes carry the downsize factor). */
export function isV1Volume(resourceName: string): boolean {
  return resourceName.startsWith('CV_');
}

/**
 * KiB of a volume of `gib` GiB: exact for volumes of this driver and v2; for v1 volumes the
 * configured `linstor_volume_downsize_factor` is taken off, as the v1 driver did.
 */
export function volumeKib(gib: number, resourceName: string, downsizeFactorKib: number): number {
  const kib = gib * KIB_PER_GIB;
  return isV1Volume(resourceName) ? Math.max(1, Math.floor(kib - downsizeFactorKib)) : kib;
}

/** GiB Cinder should record for a volume of `bytes` (rounded up: Cinder sizes are whole GiB). */
export function gibOf(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (KIB_PER_GIB * 1024)));
}

const CINDER_VOLUME_NAME = /^(CV_|volume-)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a definition named as a Cinder driver names volumes (v1's `CV_<id>`, v2's `volume-<id>`). */
export function isCinderVolumeDefinition(definition: { readonly name?: string | undefined }): boolean {
  return CINDER_VOLUME_NAME.test(definition.name ?? '');
}
