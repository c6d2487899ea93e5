/**
 * Image copies on the Cinder host: the driver downloads an image to a local file (or will upload
 * one from a file), and the copy between that file and the volume runs here with qemu-img or dd
 * (core's copy: images that name other files are refused). The volume is attached on the Cinder
 * host's node for the copy and detached afterwards.
 */

import type { Backend, BackendRegistry } from '../backend';
import { volumeNameCandidates } from '../names';
import { type CinderVolume, parseVolume } from '../protocol';
import { firstFound, method } from './common';

/** Attaches the volume on the Cinder node, runs `work` with its device, and detaches it again. */
async function withLocalDevice<T>(
  backend: Backend,
  volume: CinderVolume,
  signal: AbortSignal,
  work: (device: string, node: string, name: string, sizeBytes: number) => Promise<T>,
): Promise<T> {
  const node = await backend.cinderNode(signal);
  const service = backend.service();
  return firstFound(volumeNameCandidates(volume), async (name) => {
    const attached = await service.attach(name, node, { signal });
    try {
      const info = await service.info(name, { signal });
      return await work(attached.devicePath, node, name, info.sizeBytes);
    } finally {
      if (attached.created) await service.detach(name, node, { signal });
    }
  });
}

/** Methods for image copies. */
export function imageMethods(registry: BackendRegistry) {
  return {
    /** Writes a downloaded image file (raw or qcow2, probed) onto the volume. */
    copy_image_to_volume: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const imagePath = params.string('imagePath');
      return withLocalDevice(backend, volume, signal, async (device, node, name, sizeBytes) => {
        const result = await backend
          .service()
          .copy(
            node,
            { path: imagePath, format: 'auto' },
            { path: device },
            { targetBytes: sizeBytes, signal },
          );
        return { resourceName: name, format: result.sourceFormat, bytes: result.bytesCopied };
      });
    }),

    /** Copies the volume's data, raw, into a file the driver then uploads. */
    copy_volume_to_image: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const imagePath = params.string('imagePath');
      return withLocalDevice(backend, volume, signal, async (device, node, name, sizeBytes) => {
        const result = await backend
          .service()
          .copy(
            node,
            { path: device, format: 'raw' },
            { path: imagePath },
            { sourceBytes: sizeBytes, signal },
          );
        return { resourceName: name, bytes: result.bytesCopied };
      });
    }),
  };
}
