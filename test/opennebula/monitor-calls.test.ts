/**
 * LINSTOR requests per monitor call, counted by the emulator, on the three-node cluster and again
 * after it grew by five nodes with pools, VM disks with snapshots and another owner's definitions.
 * A monitor reads the group's placement and the pool view, and MONITOR_VM_DISKS=1 adds the
 * resource view alone. The placement is kept ten minutes, in a file by one-shot calls and in
 * memory by a bridge, so a monitor reads the pool view, plus the resource view for VM disks: two
 * requests however many images, disks and nodes there are, three when the placement is re-read.
 */

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@linstor-hv/bridge';
import { openNebulaMethodTable } from '@linstor-hv/opennebula';
import { actionData, b64 } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, SYSTEM_DS, useTestbed } from './harness';

const bed = useTestbed();

/** The `/v1` requests one driver call made, by `"<METHOD> <route>"`. */
async function requestsOf(
  run: () => Promise<{ code: number; stdout: string; stderr: string }>,
): Promise<Record<string, number>> {
  const control = bed().emulator.control;
  await control.clearRequests();
  const result = await run();
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/^USED_MB=\d+\nTOTAL_MB=\d+\nFREE_MB=\d+\n$/);
  return control.requestCounts();
}

async function measure(env?: Record<string, string>) {
  const b = bed();
  const systemDoc = (vmDisks: boolean) =>
    b64(
      actionData({
        datastore: b.systemDs(),
        extra: `<DATASTORE_LOCATION>/var/lib/one//datastores</DATASTORE_LOCATION><MONITOR_VM_DISKS>${vmDisks ? 1 : 0}</MONITOR_VM_DISKS>`,
      }),
    );
  return {
    ds: await requestsOf(() =>
      b.runDs('monitor', actionData({ datastore: b.imageDs() }), IMAGE_DS, 'stdin', env),
    ),
    tm: await requestsOf(() => b.run('tm', 'monitor', [String(SYSTEM_DS)], systemDoc(false), env)),
    tmVmDisks: await requestsOf(() => b.run('tm', 'monitor', [String(SYSTEM_DS)], systemDoc(true), env)),
  };
}

/** Five more satellites with a thin pool each, VM disks tagged as the driver tags them (each with a snapshot), foreign definitions. */
async function grow(vmDisks: number, foreign: number): Promise<void> {
  const { client } = bed();
  for (let i = 4; i <= 8; i++) {
    const node = `pve${i}`;
    await client.nodes.create({
      name: node,
      type: 'SATELLITE',
      net_interfaces: [{ name: 'default', address: `10.0.0.${i}`, satellite_port: 3366 }],
    });
    await client.storagePools.create(node, {
      storage_pool_name: 'thinpool',
      provider_kind: 'LVM_THIN',
      props: { 'StorDriver/LvmVg': 'linstor_vg', 'StorDriver/ThinPool': 'thinpool' },
    });
  }
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

const PLACEMENT = { 'GET /v1/resource-groups/{rg}': 1 };
const POOLS = { 'GET /v1/view/storage-pools': 1 };
const RESOURCES = { 'GET /v1/view/resources': 1 };

/** Makes the placement files one-shot monitors recorded eleven minutes old. */
async function agePlacementFiles(): Promise<number> {
  const dir = join(bed().dir, 'locks', 'placements');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  for (const file of files) {
    const recorded = JSON.parse(await readFile(join(dir, file), 'utf8')) as { readAt: number };
    await writeFile(join(dir, file), JSON.stringify({ ...recorded, readAt: recorded.readAt - 11 * 60_000 }));
  }
  return files.length;
}

describe('REST requests per monitor call', () => {
  it('two at most (with VM disks), one-shot and through a warm bridge, at both cluster sizes', async () => {
    const b = bed();
    await b.putDatastore(b.imageDs());
    await b.putDatastore(b.systemDs());
    const socket = join(b.dir, 'monitor-calls.sock');
    const bridge = await startBridge({
      methods: openNebulaMethodTable(),
      socketPath: socket,
      platform: 'opennebula',
      version: 'test',
      log: () => {},
    });
    try {
      const env = { LINSTOR_HV_ONE_SOCKET: socket };
      const sizes = [];
      for (const step of ['three nodes', 'eight nodes']) {
        if (step === 'eight nodes') await grow(12, 60);
        const oneShot = await measure();
        // The very first monitor reads the group (both datastores use the same one) and records it.
        expect(oneShot.ds, step).toEqual(step === 'three nodes' ? { ...PLACEMENT, ...POOLS } : POOLS);
        expect(oneShot.tm, step).toEqual(POOLS);
        expect(oneShot.tmVmDisks, step).toEqual({ ...POOLS, ...RESOURCES });
        await measure(env); // the bridge learns each group's placement
        const bridged = await measure(env);
        expect(bridged.ds, step).toEqual(POOLS);
        expect(bridged.tm, step).toEqual(POOLS);
        expect(bridged.tmVmDisks, step).toEqual({ ...POOLS, ...RESOURCES });
        sizes.push((await b.client.resourceDefinitions.list()).length);
      }
      expect(sizes[1]! - sizes[0]!).toBe(72);
      // Ten minutes on, a one-shot monitor reads the group again (an operator may have changed it).
      expect(await agePlacementFiles()).toBe(1);
      const later = await measure();
      expect(later.ds).toEqual({ ...PLACEMENT, ...POOLS });
      expect(later.tmVmDisks).toEqual({ ...POOLS, ...RESOURCES });
    } finally {
      await bridge.close();
    }
  });
});
