/**
 * The size verb: a volume's size as a guest sees it and the space its replicas take, from the
 * resource view alone, so a platform's frequent size query costs one request.
 */

import { VolumeNotFoundError } from '../errors';
import { wrapFailure } from '../failure';
import {
  callOf,
  isDeleting,
  isDiskless,
  KIB,
  type ServiceCore,
  type SignalOptions,
  VOLUME_NUMBER,
} from './core';

/** Size of a volume in bytes. */
export interface VolumeSize {
  /**
   * The device's size: the smallest usable size of the diskful replicas (DRBD uses the smallest of
   * its peers, and a size query on the device, as linstor-proxmox makes, answers this), else the
   * volume definition's size when no replica reports one.
   */
  readonly sizeBytes: number;
  /** The most space one diskful replica takes in its pool (thin pools: what is written). */
  readonly allocatedBytes?: number;
}

/**
 * Reads the size of a volume from its resources (one request); only a volume without a diskful
 * replica that reports a size costs a second request, for its definition.
 */
export async function volumeSize(
  core: ServiceCore,
  name: string,
  options: SignalOptions = {},
): Promise<VolumeSize> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Reading the size of volume '${name}' failed`;
  try {
    const resources = await core.resources(resourceName, undefined, call);
    const volumes = resources
      .filter((r) => !isDeleting(r) && !isDiskless(r))
      .flatMap((r) => r.volumes?.filter((v) => (v.volume_number ?? 0) === VOLUME_NUMBER) ?? []);
    const usable = volumes.flatMap((v) => (v.usable_size_kib === undefined ? [] : [v.usable_size_kib]));
    const allocated = volumes.flatMap((v) =>
      v.allocated_size_kib === undefined ? [] : [v.allocated_size_kib],
    );
    const allocatedBytes = allocated.length > 0 ? Math.max(...allocated) * KIB : undefined;
    if (usable.length > 0) {
      return {
        sizeBytes: Math.min(...usable) * KIB,
        ...(allocatedBytes !== undefined ? { allocatedBytes } : {}),
      };
    }
    const definition = await core.definition(resourceName, call);
    const kib = definition ? core.sizeKibOf(definition) : undefined;
    if (kib === undefined)
      throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
    return { sizeBytes: kib * KIB, ...(allocatedBytes !== undefined ? { allocatedBytes } : {}) };
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}
