/**
 * LINSTOR requests per monitor call, counted by the emulator, on a near-empty cluster and again
 * after it grew by VM disks with snapshots and by another owner's definitions: `ds monitor` and
 * `tm monitor` take two requests, and `tm monitor` with MONITOR_VM_DISKS=1 two more, however many
 * images and disks there are.
 */

import { actionData, b64 } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, SYSTEM_DS, useTestbed } from './harness';

const bed = useTestbed();

/** The `/v1` requests one driver call made, by `"<METHOD> <route>"`. */
async function requestsOf(
  run: () => Promise<{ code: number; stderr: string }>,
): Promise<Record<string, number>> {
  const control = bed().emulator.control;
  await control.clearRequests();
  const result = await run();
  expect(result.code, result.stderr).toBe(0);
  return control.requestCounts();
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function measure() {
  const b = bed();
  const systemDoc = (vmDisks: boolean) =>
    b64(
      actionData({
        datastore: b.systemDs(),
        extra: `<DATASTORE_LOCATION>/var/lib/one//datastores</DATASTORE_LOCATION><MONITOR_VM_DISKS>${vmDisks ? 1 : 0}</MONITOR_VM_DISKS>`,
      }),
    );
  return {
    ds: await requestsOf(() => b.runDs('monitor', actionData({ datastore: b.imageDs() }), IMAGE_DS)),
    tm: await requestsOf(() => b.run('tm', 'monitor', [String(SYSTEM_DS)], systemDoc(false))),
    tmVmDisks: await requestsOf(() => b.run('tm', 'monitor', [String(SYSTEM_DS)], systemDoc(true))),
  };
}

/** VM disks as linstor-hv's OpenNebula driver tags them, each with a snapshot, and foreign definitions. */
async function grow(vmDisks: number, foreign: number): Promise<void> {
  const { client } = bed();
  for (let i = 0; i < vmDisks; i++) {
    const name = `OpenNebula-Image-1-vm${300 + i}-disk0`;
    await client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: name,
      volume_sizes: [1024],
      resource_definition_props: {
        'Aux/linstor-hv/platform': 'opennebula',
        'Aux/linstor-hv/owner': 'one',
        'Aux/one/VM_ID': String(300 + i),
        'Aux/one/DISK_ID': '0',
      },
    });
    await client.snapshots.create(name, { name: 'OpenNebula-Snap-0' });
  }
  for (let i = 0; i < foreign; i++) {
    await client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: `other-${i}`,
      volume_sizes: [1024],
      definitions_only: true,
    });
  }
}

describe('REST requests per monitor call', () => {
  it('stay at two (four with VM disks) as the cluster grows', async () => {
    const b = bed();
    await b.putDatastore(b.imageDs());
    await b.putDatastore(b.systemDs());
    const small = await measure();
    await grow(12, 60);
    const large = await measure();
    for (const counts of [small, large]) {
      expect(counts.ds).toEqual({
        'GET /v1/resource-groups/{rg}': 1,
        'GET /v1/view/storage-pools': 1,
      });
      expect(counts.tm).toEqual(counts.ds);
      expect(total(counts.tmVmDisks)).toBe(4);
      expect(counts.tmVmDisks).toMatchObject({ 'GET /v1/view/resources': 1, 'GET /v1/view/snapshots': 1 });
    }
    expect(large).toEqual(small);
  });
});
