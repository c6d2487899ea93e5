/**
 * Node lost / evacuate / restore / reconnect and net interfaces, as linstor-server's
 * CtrlNodeLostApiCallHandler and CtrlNodeApiCallHandler do them: exact ret_codes, what moves where,
 * and that the data written before an evacuation is read on the replica that replaced it.
 */

import { readFile } from 'node:fs/promises';
import {
  DELETED,
  FAIL_EXISTS_NET_IF,
  FAIL_EXISTS_NODE_CONN,
  FAIL_NOT_FOUND_NODE,
  MASK_CRT,
  MASK_DEL,
  MASK_ERROR,
  MASK_MOD,
  MASK_NET_IF,
  MASK_NODE,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { WARN_NOT_EVACUATING } from '../src/domain/codes';
import type { RunningEmulator } from '../src/start';
import { devicePath, diskfulNodes, resourcesOf, spawn, writeRandom } from './data-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

let emu: RunningEmulator;
useEmulator({ resetAfterEach: true }, (e) => {
  emu = e;
});

const SIZE_KIB = 4096;

async function addNode(name: string, address: string): Promise<void> {
  const created = await call(emu.url, 'POST', '/v1/nodes', {
    name,
    type: 'Satellite',
    net_interfaces: [{ name: 'default', address }],
  });
  expect(created.status).toBe(201);
  const pool = await call(emu.url, 'POST', `/v1/nodes/${name}/storage-pools`, {
    storage_pool_name: 'thinpool',
    provider_kind: 'LVM_THIN',
  });
  expect(pool.status).toBe(201);
}

async function nodeFlags(name: string): Promise<string[]> {
  const reply = await call(emu.url, 'GET', `/v1/nodes/${name}`);
  // Empty lists are left out of the reply.
  return (reply.json as { flags?: string[] }).flags ?? [];
}

describe('node lost', () => {
  it('is refused while the satellite is connected (FAIL_EXISTS_NODE_CONN), then removes node, resources and pools', async () => {
    await addNode('pve4', '10.0.0.4');
    await spawn(emu.url, 'linstor-hv', 'vm-lost', SIZE_KIB);
    const placed = await call(emu.url, 'POST', '/v1/resource-definitions/vm-lost/resources/pve4', {
      resource: { node_name: 'pve4', props: { StorPoolName: 'thinpool' } },
    });
    expect(placed.status).toBe(201);

    const refused = await call(emu.url, 'DELETE', '/v1/nodes/pve4/lost');
    expect(refused.status).toBe(500);
    expect(retCodes(refused)).toEqual([FAIL_EXISTS_NODE_CONN | MASK_DEL | MASK_NODE]);

    await emu.control.nodeOffline('pve4');
    const lost = await call(emu.url, 'DELETE', '/v1/nodes/pve4/lost');
    expect(lost.status).toBe(200);
    expect(retCodes(lost)).toEqual([DELETED | MASK_DEL | MASK_NODE]);
    expect(messages(lost)).toEqual(["Node 'pve4' deleted."]);
    expect((await call(emu.url, 'GET', '/v1/nodes/pve4')).status).toBe(404);
    expect((await resourcesOf(emu.url, 'vm-lost')).map((r) => r.node_name)).not.toContain('pve4');
    const pools = await call(emu.url, 'GET', '/v1/view/storage-pools?nodes=pve4');
    expect(pools.json).toEqual([]);

    const again = await call(emu.url, 'DELETE', '/v1/nodes/pve4/lost');
    expect(again.status).toBe(200);
    expect(retCodes(again)).toEqual([WARN_NOT_FOUND | MASK_DEL | MASK_NODE]);
  });
});

describe('node evacuate and restore', () => {
  it('moves the only replica to another node, keeps its data, flags the node, and restore clears the flag', async () => {
    await addNode('pve4', '10.0.0.4');
    const rd = await call(emu.url, 'POST', '/v1/resource-definitions', {
      resource_definition: { name: 'vm-evac', resource_group_name: 'linstor-hv' },
    });
    expect(rd.status).toBe(201);
    await call(emu.url, 'POST', '/v1/resource-definitions/vm-evac/volume-definitions', {
      volume_definition: { size_kib: SIZE_KIB },
    });
    await call(emu.url, 'POST', '/v1/resource-definitions/vm-evac/resources/pve4', {
      resource: { node_name: 'pve4', props: { StorPoolName: 'thinpool' } },
    });
    const written = await writeRandom(devicePath(emu.dataDir, 'pve4', 'vm-evac'), 0, 64 * 1024);

    const evacuated = await call(emu.url, 'PUT', '/v1/nodes/pve4/evacuate', { do_not_target: ['pve1'] });
    expect(evacuated.status).toBe(200);
    expect(await nodeFlags('pve4')).toContain('EVACUATE');
    const now = await diskfulNodes(emu.url, 'vm-evac');
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe('pve4');
    expect(now[0]).not.toBe('pve1');
    // The replacement replica reads what was written on the evacuated node.
    const data = await readFile(devicePath(emu.dataDir, now[0]!, 'vm-evac'));
    expect(data.subarray(0, written.length).equals(written)).toBe(true);

    const restored = await call(emu.url, 'PUT', '/v1/nodes/pve4/restore', {});
    expect(restored.status).toBe(200);
    expect(messages(restored)).toContain('Successfully restored node pve4');
    expect(await nodeFlags('pve4')).not.toContain('EVACUATE');

    const notEvacuated = await call(emu.url, 'PUT', '/v1/nodes/pve4/restore', {});
    expect(notEvacuated.status).toBe(500);
    expect(retCodes(notEvacuated)).toEqual([MASK_ERROR | MASK_MOD | MASK_NODE]);
  });

  it('warns WARN_NOT_EVACUATING and keeps the resource when no other node can take it', async () => {
    await spawn(emu.url, 'linstor-hv', 'vm-stuck', SIZE_KIB);
    const [first] = await diskfulNodes(emu.url, 'vm-stuck');
    const others = ['pve1', 'pve2', 'pve3'].filter((n) => n !== first);
    const evacuated = await call(emu.url, 'PUT', `/v1/nodes/${first}/evacuate`, { do_not_target: others });
    expect(evacuated.status).toBe(200);
    expect(retCodes(evacuated)).toContain(WARN_NOT_EVACUATING | MASK_MOD | MASK_NODE);
    expect(await diskfulNodes(emu.url, 'vm-stuck')).toContain(first);
    const rsc = (await resourcesOf(emu.url, 'vm-stuck')).find((r) => r.node_name === first);
    expect(rsc?.flags).toContain('EVACUATE');
  });

  it('answers 404 FAIL_NOT_FOUND_NODE for an unknown node', async () => {
    const reply = await call(emu.url, 'PUT', '/v1/nodes/ghost/evacuate', {});
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_NODE | MASK_MOD | MASK_NODE]);
  });
});

describe('net interfaces', () => {
  it('creates, switches the active one, and refuses to delete the one carrying the connection', async () => {
    const created = await call(emu.url, 'POST', '/v1/nodes/pve1/net-interfaces', {
      name: 'data',
      address: '10.1.0.1',
      satellite_port: 3367,
    });
    expect(created.status).toBe(201);
    const dup = await call(emu.url, 'POST', '/v1/nodes/pve1/net-interfaces', {
      name: 'DATA',
      address: '10.1.0.9',
    });
    expect(dup.status).toBe(500);
    expect(retCodes(dup)).toEqual([FAIL_EXISTS_NET_IF | MASK_CRT | MASK_NET_IF]);

    const modified = await call(emu.url, 'PUT', '/v1/nodes/pve1/net-interfaces/data', {
      name: 'data',
      address: '10.1.0.2',
      is_active: true,
    });
    expect(modified.status).toBe(200);
    const node = (await call(emu.url, 'GET', '/v1/nodes/pve1')).json as {
      net_interfaces: { name: string; address: string; is_active?: boolean }[];
    };
    expect(node.net_interfaces.filter((n) => n.is_active).map((n) => n.name)).toEqual(['data']);
    expect(node.net_interfaces.find((n) => n.name === 'data')?.address).toBe('10.1.0.2');

    const refused = await call(emu.url, 'DELETE', '/v1/nodes/pve1/net-interfaces/data');
    expect(refused.status).toBe(500);
    const removed = await call(emu.url, 'DELETE', '/v1/nodes/pve1/net-interfaces/default');
    expect(removed.status).toBe(200);
    expect(retCodes(removed)).toEqual([DELETED | MASK_DEL | MASK_NET_IF]);
  });
});
