/**
 * How much space the volumes of one platform object (an OpenNebula datastore, say) really use, and
 * their snapshots: for monitoring, in two requests whatever the number of volumes (the resource
 * view and the snapshot view, both unfiltered; the definition's properties come with each entry,
 * so no per-volume request is needed), or in one (the resource view) when snapshots are not asked
 * for.
 */

import { type ResourceWithVolumes, sameName } from '@linstor-hv/api';
import { wrapFailure } from '../failure';
import {
  callOf,
  definitionPropInView,
  definitionPropsInView,
  isDeleting,
  isDiskless,
  KIB,
  type ServiceCore,
  type SignalOptions,
  VOLUME_NUMBER,
} from './core';

/** One volume's use of space. */
export interface VolumeUsage {
  readonly resourceName: string;
  /** The definition's value of each property asked for (and of each key under a prefix asked for). */
  readonly props: Readonly<Record<string, string>>;
  readonly sizeBytes: number | undefined;
  /** Bytes one copy of the data allocates (largest over the diskful replicas; thin pools: written data). */
  readonly allocatedBytes: number | undefined;
  readonly snapshots: readonly { readonly snapshotName: string; readonly sizeBytes: number | undefined }[];
}

/** Options of {@link volumeUsage}. */
export interface VolumeUsageOptions extends SignalOptions {
  /** false: skip the snapshot view (one request; every `snapshots` list is empty). Default true. */
  readonly snapshots?: boolean;
  /** Also return every definition property whose key starts with one of these (e.g. `Aux/x/`). */
  readonly prefixes?: readonly string[];
}

/**
 * Every volume whose definition has `key` = `value`, with the definition's values of `keys`, its
 * size, allocation and (unless `snapshots: false`) snapshots.
 */
export async function volumeUsage(
  core: ServiceCore,
  selector: { key: string; value: string },
  keys: readonly string[],
  options: VolumeUsageOptions = {},
): Promise<VolumeUsage[]> {
  const call = callOf(options);
  try {
    const [resources, snapshots] = await Promise.all([
      core.client.resources.view(undefined, call),
      options.snapshots === false ? Promise.resolve([]) : core.client.snapshots.view(undefined, call),
    ]);
    const byDefinition = new Map<string, ResourceWithVolumes[]>();
    for (const resource of resources) {
      if (resource.name === undefined || isDeleting(resource)) continue;
      const list = byDefinition.get(resource.name) ?? [];
      list.push(resource);
      byDefinition.set(resource.name, list);
    }
    const usage: VolumeUsage[] = [];
    for (const [resourceName, list] of byDefinition) {
      if (definitionPropInView(list, selector.key) !== selector.value) continue;
      const props: Record<string, string> = {};
      for (const key of keys) {
        const value = definitionPropInView(list, key);
        if (typeof value === 'string') props[key] = value;
      }
      for (const prefix of options.prefixes ?? []) {
        Object.assign(props, definitionPropsInView(list, prefix));
      }
      let sizeKib: number | undefined;
      let allocatedKib: number | undefined;
      for (const resource of list) {
        const volume = resource.volumes?.find((v) => (v.volume_number ?? 0) === VOLUME_NUMBER);
        sizeKib ??= volume?.usable_size_kib;
        if (!isDiskless(resource) && volume?.allocated_size_kib !== undefined) {
          allocatedKib = Math.max(allocatedKib ?? 0, volume.allocated_size_kib);
        }
      }
      usage.push({
        resourceName,
        props,
        sizeBytes: sizeKib === undefined ? undefined : sizeKib * KIB,
        allocatedBytes: allocatedKib === undefined ? undefined : allocatedKib * KIB,
        snapshots: snapshots
          .filter(
            (s) =>
              s.resource_name !== undefined &&
              sameName(s.resource_name, resourceName) &&
              s.name !== undefined,
          )
          .map((s) => {
            const kib = s.volume_definitions?.find(
              (vd) => (vd.volume_number ?? 0) === VOLUME_NUMBER,
            )?.size_kib;
            return { snapshotName: s.name ?? '', sizeBytes: kib === undefined ? undefined : kib * KIB };
          }),
      });
    }
    return usage.sort((a, b) => a.resourceName.localeCompare(b.resourceName));
  } catch (error) {
    throw wrapFailure(
      `Reading the space used by volumes with ${selector.key}=${selector.value} failed`,
      error,
    );
  }
}
