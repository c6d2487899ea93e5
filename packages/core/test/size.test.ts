/** The size verb: the device's size and allocation from the resource view, in one request. */

import { describe, expect, it } from 'vitest';
import { VolumeError } from '../src/errors';
import { MiB, useCluster } from './cluster';

const cluster = useCluster();

async function counted<T>(run: () => Promise<T>): Promise<{ value: T; requests: string[] }> {
  const { control } = cluster.emulator;
  await control.clearRequests();
  const value = await run();
  return { value, requests: (await control.requests()).map((r) => `${r.method} ${r.path}`) };
}

describe('size', () => {
  it("reads a placed volume from its definition alone: the size asked for, not the device's", async () => {
    await cluster.service.create({ name: 'size-1', sizeKib: 4096 });
    await cluster.service.resize('size-1', { sizeBytes: 8 * MiB });
    const { value, requests } = await counted(() => cluster.service.size('size-1'));
    expect(requests).toEqual(['GET /v1/resource-definitions']);
    expect(value).toEqual({ sizeBytes: 8 * MiB });
    expect((await cluster.service.info('size-1')).sizeBytes).toBe(8 * MiB);
  });

  it('reads a volume without replicas (definitions only) the same way', async () => {
    await cluster.client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'size-2',
      volume_sizes: [2048],
      definitions_only: true,
    });
    const { value, requests } = await counted(() => cluster.service.size('size-2'));
    expect(requests).toEqual(['GET /v1/resource-definitions']);
    expect(value).toEqual({ sizeBytes: 2 * MiB });
  });

  it('says a missing volume does not exist', async () => {
    const error = await cluster.service.size('size-none').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VolumeError);
    expect((error as VolumeError).code).toBe('VOLUME_NOT_FOUND');
    expect((error as Error).message).toBe(
      "Reading the size of volume 'size-none' failed: the volume does not exist.",
    );
  });
});
