/**
 * The size verb: a volume's size as the platform asked for it, from its definition alone, so a
 * platform's frequent size query costs one request.
 */

import { VolumeNotFoundError } from '../errors';
import { wrapFailure } from '../failure';
import { callOf, KIB, type ServiceCore, type SignalOptions } from './core';

/** Size of a volume in bytes. */
export interface VolumeSize {
  /**
   * The volume definition's size: what was asked for. The device may be a little larger (DRBD's
   * usable size follows the pool's allocation granularity), so this is the figure a resize and a
   * copy must agree on.
   */
  readonly sizeBytes: number;
}

/** Reads the size of a volume from its definition (one request). */
export async function volumeSize(
  core: ServiceCore,
  name: string,
  options: SignalOptions = {},
): Promise<VolumeSize> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Reading the size of volume '${name}' failed`;
  try {
    const definition = await core.definition(resourceName, call);
    const kib = definition ? core.sizeKibOf(definition) : undefined;
    if (kib === undefined)
      throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
    return { sizeBytes: kib * KIB };
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}
