import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CREATED,
  DELETED,
  FAIL_ACC_DENIED_COMMAND,
  FAIL_EXISTS_NODE,
  FAIL_EXISTS_RSC,
  FAIL_INVLD_NET_ADDR,
  FAIL_INVLD_NODE_NAME,
  FAIL_INVLD_PROP,
  FAIL_NOT_FOUND_NODE,
  MASK_CRT,
  MASK_CTRL_CONF,
  MASK_DEL,
  MASK_KVS,
  MASK_MOD,
  MASK_NODE,
  MODIFIED,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/start';
import { createSatellite } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

let emu: RunningEmulator;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
});

type NodeJson = {
  name: string;
  type: string;
  connection_status: string;
  props?: Record<string, string>;
  net_interfaces: { name: string; address: string; satellite_port: number }[];
  storage_providers?: string[];
};

describe('controller', () => {
  it('reports version 1.34.1 and REST API 1.28.0', async () => {
    const r = await call(emu.url, 'GET', '/v1/controller/version');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ version: '1.34.1', rest_api_version: '1.28.0' });
  });

  it('sets (201), reads and deletes (200) controller properties; keys may contain slashes', async () => {
    const set = await call(emu.url, 'POST', '/v1/controller/properties', {
      override_props: { 'Aux/site/rack': 'r1', 'DrbdOptions/Net/protocol': 'C' },
    });
    expect(set.status).toBe(201);
    expect(retCodes(set)).toEqual([MASK_CRT | MASK_CTRL_CONF | CREATED, MASK_CRT | MASK_CTRL_CONF | CREATED]);
    expect((await call(emu.url, 'GET', '/v1/controller/properties')).json).toEqual({
      'Aux/site/rack': 'r1',
      'DrbdOptions/Net/protocol': 'C',
    });
    const del = await call(emu.url, 'DELETE', '/v1/controller/properties/Aux/site/rack');
    expect(del.status).toBe(200);
    expect(retCodes(del)).toEqual([MASK_DEL | MASK_CTRL_CONF | DELETED]);
    expect((await call(emu.url, 'GET', '/v1/controller/properties')).json).toEqual({
      'DrbdOptions/Net/protocol': 'C',
    });
    const missing = await call(emu.url, 'DELETE', '/v1/controller/properties/Aux/never');
    expect(missing.status).toBe(200);
    expect(retCodes(missing)).toEqual([WARN_NOT_FOUND | MASK_DEL | MASK_CTRL_CONF]);
  });

  it('refuses a property key that is not whitelisted with FAIL_INVLD_PROP (500)', async () => {
    const r = await call(emu.url, 'POST', '/v1/controller/properties', {
      override_props: { NoSuchKey: 'x' },
    });
    expect(r.status).toBe(500);
    expect(retCodes(r)).toEqual([FAIL_INVLD_PROP | MASK_CRT | MASK_CTRL_CONF]);
    expect(messages(r)).toEqual(['Invalid property key: NoSuchKey']);
  });
});

describe('nodes', () => {
  it('lists the three-node cluster as online satellites', async () => {
    const r = await call(emu.url, 'GET', '/v1/nodes');
    expect(r.status).toBe(200);
    const nodes = r.json as NodeJson[];
    expect(nodes.map((n) => [n.name, n.type, n.connection_status])).toEqual([
      ['pve1', 'SATELLITE', 'ONLINE'],
      ['pve2', 'SATELLITE', 'ONLINE'],
      ['pve3', 'SATELLITE', 'ONLINE'],
    ]);
    expect(nodes[1]!.net_interfaces).toEqual([
      expect.objectContaining({ name: 'default', address: '10.0.0.2', satellite_port: 3366 }),
    ]);
  });

  it('filters by name case-insensitively, by regex, by props, and paginates', async () => {
    const byName = await call(emu.url, 'GET', '/v1/nodes?nodes=PVE3&nodes=pve2');
    expect((byName.json as NodeJson[]).map((n) => n.name)).toEqual(['pve2', 'pve3']);
    const byRegex = await call(emu.url, 'GET', `/v1/nodes?nodes=${encodeURIComponent('PVE[13]')}`);
    expect((byRegex.json as NodeJson[]).map((n) => n.name)).toEqual(['pve1', 'pve3']);
    await call(emu.url, 'PUT', '/v1/nodes/pve3', { override_props: { 'Aux/zone': 'b' } });
    const byProp = await call(emu.url, 'GET', `/v1/nodes?props=${encodeURIComponent('Aux/zone=b')}`);
    expect((byProp.json as NodeJson[]).map((n) => n.name)).toEqual(['pve3']);
    const paged = await call(emu.url, 'GET', '/v1/nodes?limit=1&offset=1');
    expect((paged.json as NodeJson[]).map((n) => n.name)).toEqual(['pve2']);
    const none = await call(emu.url, 'GET', '/v1/nodes?nodes=ghost');
    expect(none.status).toBe(200);
    expect(none.text).toBe('[]');
  });

  it('gets one node as an object, or 404 FAIL_NOT_FOUND_NODE', async () => {
    const one = await call(emu.url, 'GET', '/v1/nodes/PVE1');
    expect(one.status).toBe(200);
    expect((one.json as NodeJson).name).toBe('pve1');
    const missing = await call(emu.url, 'GET', '/v1/nodes/ghost');
    expect(missing.status).toBe(404);
    expect(retCodes(missing)).toEqual([FAIL_NOT_FOUND_NODE]);
    expect(messages(missing)).toEqual(["Node 'ghost' not found."]);
  });

  it('creates a node (201) with its diskless pool, and refuses a duplicate name in any case (500)', async () => {
    const body = {
      name: 'pve4',
      type: 'satellite',
      net_interfaces: [{ name: 'default', address: '10.0.0.4' }],
    };
    const created = await call(emu.url, 'POST', '/v1/nodes', body);
    expect(created.status).toBe(201);
    expect(retCodes(created)).toEqual([MASK_CRT | MASK_NODE | CREATED]);
    const second = await call(emu.url, 'POST', '/v1/nodes', {
      ...body,
      name: 'alpha',
      net_interfaces: [{ name: 'default', address: '10.0.0.9' }],
    });
    expect(second.status).toBe(201);
    const listed = (await call(emu.url, 'GET', '/v1/nodes')).json as NodeJson[];
    expect(listed.map((n) => n.name)).toEqual(['alpha', 'pve1', 'pve2', 'pve3', 'pve4']);
    const node = (await call(emu.url, 'GET', '/v1/nodes/pve4')).json as NodeJson;
    expect(node.type).toBe('SATELLITE');
    expect(node.net_interfaces[0]!.address).toBe('10.0.0.4');
    expect(emu.store.get('pools', ['PVE4', 'DFLTDISKLESSSTORPOOL'])).toMatchObject({
      providerKind: 'DISKLESS',
    });
    const dup = await call(emu.url, 'POST', '/v1/nodes', { ...body, name: 'PVE4' });
    expect(dup.status).toBe(500);
    expect(retCodes(dup)).toEqual([FAIL_EXISTS_NODE | MASK_CRT | MASK_NODE]);
  });

  it('refuses invalid node names and addresses', async () => {
    const badName = await createSatellite(emu.url, 'bad_name!', '10.0.0.9');
    expect(badName.status).toBe(500);
    expect(retCodes(badName)).toEqual([FAIL_INVLD_NODE_NAME | MASK_CRT | MASK_NODE]);
    const badAddress = await createSatellite(emu.url, 'pve9', 'not-an-ip');
    expect(badAddress.status).toBe(500);
    expect(retCodes(badAddress)).toEqual([FAIL_INVLD_NET_ADDR | MASK_CRT | MASK_NODE]);
  });

  it('modifies props (200) and answers 404 for a missing node', async () => {
    const r = await call(emu.url, 'PUT', '/v1/nodes/pve2', { override_props: { 'Aux/rack': '7' } });
    expect(r.status).toBe(200);
    expect(retCodes(r)).toEqual([MASK_MOD | MASK_NODE | MODIFIED]);
    expect(((await call(emu.url, 'GET', '/v1/nodes/pve2')).json as NodeJson).props?.['Aux/rack']).toBe('7');
    const gone = await call(emu.url, 'PUT', '/v1/nodes/ghost', { override_props: { 'Aux/rack': '7' } });
    expect(gone.status).toBe(404);
    expect(retCodes(gone)).toEqual([FAIL_NOT_FOUND_NODE | MASK_MOD | MASK_NODE]);
  });

  it('deletes a node (200), warns on a missing one (200), and refuses while it has resources (500)', async () => {
    const spawned = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'vm-1',
      volume_sizes: [1024],
      select_filter: { place_count: 1, node_name_list: ['pve1'] },
    });
    expect(spawned.status, spawned.text).toBe(201);
    const refused = await call(emu.url, 'DELETE', '/v1/nodes/pve1');
    expect(refused.status).toBe(500);
    expect(retCodes(refused)).toEqual([FAIL_EXISTS_RSC | MASK_DEL | MASK_NODE]);
    expect((await call(emu.url, 'GET', '/v1/nodes/pve1')).status).toBe(200);
    const deleted = await call(emu.url, 'DELETE', '/v1/nodes/pve2');
    expect(deleted.status).toBe(200);
    expect(retCodes(deleted)).toEqual([MASK_DEL | MASK_NODE | DELETED]);
    expect(emu.store.count('pools', ['PVE2'])).toBe(0);
    const again = await call(emu.url, 'DELETE', '/v1/nodes/pve2');
    expect(again.status).toBe(200);
    expect(retCodes(again)).toEqual([WARN_NOT_FOUND | MASK_DEL | MASK_NODE]);
  });

  it('shows a node taken offline as OFFLINE without satellite-reported fields', async () => {
    await emu.control.nodeOffline('pve3');
    const off = (await call(emu.url, 'GET', '/v1/nodes/pve3')).json as NodeJson;
    expect(off.connection_status).toBe('OFFLINE');
    expect(off.storage_providers).toBeUndefined();
    await emu.control.nodeOnline('pve3');
    expect(((await call(emu.url, 'GET', '/v1/nodes/pve3')).json as NodeJson).connection_status).toBe(
      'ONLINE',
    );
    expect((await emu.control.call('POST', '/emulator/nodes/ghost/offline')).status).toBe(404);
  });

  it('publishes may-promote-change when a node goes offline and comes back', async () => {
    const spawned = await call(emu.url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'vm-7',
      volume_sizes: [1024],
      select_filter: { node_name_list: ['pve1', 'pve2'] },
    });
    expect(spawned.status, spawned.text).toBe(201);
    const abort = new AbortController();
    const res = await fetch(`${emu.url}/v1/events/drbd/promotion`, { signal: abort.signal });
    const reader = res.body!.getReader();
    await emu.control.nodeOffline('pve1');
    await emu.control.nodeOnline('pve1');
    let text = '';
    for (let i = 0; i < 50 && text.split('\n\n').length < 3; i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    expect(text).toBe(
      'event: may-promote-change\ndata: {"resource_name":"vm-7","node_name":"pve1","may_promote":false}\n\n' +
        'event: may-promote-change\ndata: {"resource_name":"vm-7","node_name":"pve1","may_promote":true}\n\n',
    );
  });

  it('streams node-create, node-modified and node-delete events', async () => {
    const abort = new AbortController();
    const res = await fetch(`${emu.url}/v1/events/nodes`, { signal: abort.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    await createSatellite(emu.url, 'pve5', '10.0.0.5');
    await call(emu.url, 'PUT', '/v1/nodes/pve5', { override_props: { 'Aux/a': 'b' } });
    await call(emu.url, 'DELETE', '/v1/nodes/pve5');
    let text = '';
    for (let i = 0; i < 50 && !text.includes('event: node-delete'); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    abort.abort();
    const events = text
      .trim()
      .split('\n\n')
      .map((block) => {
        const [eventLine, dataLine] = block.split('\n');
        return {
          event: eventLine!.replace('event: ', ''),
          data: JSON.parse(dataLine!.replace('data: ', '')),
        };
      });
    expect(events.map((e) => e.event)).toEqual(['node-create', 'node-modified', 'node-delete']);
    expect(events[0]!.data.node.name).toBe('pve5');
    expect(events[1]!.data.old_node.props['Aux/a']).toBeUndefined();
    expect(events[1]!.data.new_node.props['Aux/a']).toBe('b');
    expect(text).not.toContain('id:');
  });
});

describe('key-value store', () => {
  it('creates an instance on PUT, lists and gets it, deletes it, and warns on a missing delete', async () => {
    const put = await call(emu.url, 'PUT', '/v1/key-value-store/linstor-hv', {
      override_props: { 'owner/vm-100': 'pve', free: 'form' },
    });
    expect(put.status).toBe(200);
    expect(retCodes(put)).toEqual([MASK_MOD | MASK_KVS | MODIFIED]);
    await call(emu.url, 'PUT', '/v1/key-value-store/linstor-hv', { delete_props: ['free'] });
    expect((await call(emu.url, 'GET', '/v1/key-value-store/LINSTOR-HV')).json).toEqual([
      { name: 'linstor-hv', props: { 'owner/vm-100': 'pve' } },
    ]);
    expect((await call(emu.url, 'GET', '/v1/key-value-store')).json).toEqual([
      { name: 'linstor-hv', props: { 'owner/vm-100': 'pve' } },
    ]);
    const del = await call(emu.url, 'DELETE', '/v1/key-value-store/linstor-hv');
    expect(del.status).toBe(200);
    expect(retCodes(del)).toEqual([MASK_DEL | MASK_KVS | DELETED]);
    const missing = await call(emu.url, 'DELETE', '/v1/key-value-store/linstor-hv');
    expect(missing.status).toBe(200);
    expect(retCodes(missing)).toEqual([WARN_NOT_FOUND | MASK_DEL | MASK_KVS]);
    expect((await call(emu.url, 'GET', '/v1/key-value-store/linstor-hv')).text).toBe('[]');
  });
});

describe('test control API', () => {
  it('logs /v1 requests with bodies and counts them per route, but not control calls', async () => {
    await emu.control.clearRequests();
    await call(emu.url, 'GET', '/v1/nodes/pve1');
    await call(emu.url, 'GET', '/v1/nodes/pve2');
    await call(emu.url, 'PUT', '/v1/key-value-store/kv', { override_props: { a: 'b' } });
    await emu.control.nodeOffline('pve1');
    const log = await emu.control.requests();
    expect(log.map((e) => [e.method, e.template, e.path, e.status])).toEqual([
      ['GET', '/v1/nodes/{node}', '/v1/nodes/pve1', 200],
      ['GET', '/v1/nodes/{node}', '/v1/nodes/pve2', 200],
      ['PUT', '/v1/key-value-store/{instance}', '/v1/key-value-store/kv', 200],
    ]);
    expect(log[2]!.body).toEqual({ override_props: { a: 'b' } });
    expect(await emu.control.requestCounts()).toEqual({
      'GET /v1/nodes/{node}': 2,
      'PUT /v1/key-value-store/{instance}': 1,
    });
    await emu.control.clearRequests();
    expect(await emu.control.requests()).toEqual([]);
  });

  it('reset restores the cluster, empties the data directory and clears faults and the log', async () => {
    await call(emu.url, 'DELETE', '/v1/nodes/pve3');
    await call(emu.url, 'PUT', '/v1/key-value-store/kv', { override_props: { a: 'b' } });
    await mkdir(join(emu.dataDir, 'nodes', 'pve1'), { recursive: true });
    await writeFile(join(emu.dataDir, 'nodes', 'pve1', 'leftover'), 'x');
    await emu.control.addFault({ template: '/v1/nodes', action: 'error', times: -1 });
    await emu.control.reset();
    expect(await readdir(emu.dataDir)).toEqual(['state']);
    const nodes = (await call(emu.url, 'GET', '/v1/nodes')).json as NodeJson[];
    expect(nodes.map((n) => n.name)).toEqual(['pve1', 'pve2', 'pve3']);
    expect((await call(emu.url, 'GET', '/v1/key-value-store')).text).toBe('[]');
    expect(await emu.control.requests()).toHaveLength(2);
  });
});

describe('fault injection', () => {
  const kvPut = (value: string) =>
    call(emu.url, 'PUT', '/v1/key-value-store/kv', { override_props: { v: value } });
  const kvValue = async () =>
    (
      (await call(emu.url, 'GET', '/v1/key-value-store/kv')).json as { props: { v: string } }[] | undefined
    )?.[0]?.props.v;

  it('delay: the request still succeeds, after the delay', async () => {
    await emu.control.addFault({
      method: 'GET',
      template: '/v1/controller/version',
      action: 'delay',
      delayMs: 300,
    });
    const started = Date.now();
    const r = await call(emu.url, 'GET', '/v1/controller/version');
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    // Used up after one request (times defaults to 1): the rule is gone.
    expect(await emu.control.faults()).toEqual([]);
  });

  it('error: answers the given status and exact ret_code without running the handler', async () => {
    await emu.control.addFault({
      template: '/v1/key-value-store/{instance}',
      method: 'PUT',
      action: 'error',
      status: 500,
      retCode: '-4611686018406940171',
      message: 'injected',
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const r = await kvPut('x');
      expect(r.status).toBe(500);
      expect(r.text).toContain('"ret_code":-4611686018406940171');
      expect(messages(r)).toEqual(['injected']);
    }
    expect(await kvValue()).toBeUndefined();
    expect((await kvPut('y')).status).toBe(200);
    expect(await kvValue()).toBe('y');
  });

  it('drop-before: the connection closes without a reply and nothing changes', async () => {
    await emu.control.addFault({ pathRegex: '^/v1/key-value-store/', method: 'PUT', action: 'drop-before' });
    await expect(kvPut('lost')).rejects.toThrow();
    expect(await kvValue()).toBeUndefined();
    const log = await emu.control.requests();
    expect(log.at(-2)).toMatchObject({ method: 'PUT', status: 0 });
  });

  it('drop-after: the change is committed but the reply is lost', async () => {
    await emu.control.addFault({
      template: '/v1/key-value-store/{instance}',
      method: 'PUT',
      action: 'drop-after',
    });
    await expect(kvPut('committed')).rejects.toThrow();
    expect(await kvValue()).toBe('committed');
  });

  it('lists active rules with their remaining counts until cleared', async () => {
    const id = await emu.control.addFault({
      pathRegex: '^/v1/nodes',
      action: 'error',
      status: 503,
      times: 3,
    });
    await call(emu.url, 'GET', '/v1/nodes');
    expect(await emu.control.faults()).toEqual([
      { id, pathRegex: '^/v1/nodes', action: 'error', status: 503, times: 3, remaining: 2 },
    ]);
    await emu.control.clearFaults();
    expect(await emu.control.faults()).toEqual([]);
    expect((await call(emu.url, 'GET', '/v1/nodes')).status).toBe(200);
  });

  it('refuses an invalid rule with 400', async () => {
    const r = await emu.control.call('POST', '/emulator/faults', { action: 'explode' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'action must be one of delay, error, drop-before, drop-after' });
  });
});

describe('bearer-token mode', () => {
  let secured: RunningEmulator;
  beforeAll(async () => {
    secured = await startEmulator({ tokens: ['s3cret-token'] });
  });
  afterAll(async () => {
    await secured.stop();
  });

  it('turns on Auth/TokenAuthenticationEnabled and answers 401 without a valid token', async () => {
    const ok = await call(secured.url, 'GET', '/v1/controller/properties', undefined, {
      Authorization: 'Bearer s3cret-token',
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ 'Auth/TokenAuthenticationEnabled': 'true' });
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer wrong' },
      { Authorization: 'Basic czNjcmV0LXRva2Vu' },
    ];
    for (const headers of attempts) {
      const denied = await call(secured.url, 'GET', '/v1/nodes', undefined, headers);
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toBe('Bearer realm="linstor-controller"');
      expect(retCodes(denied)).toEqual([FAIL_ACC_DENIED_COMMAND]);
      expect(messages(denied)).toEqual(['Unauthorized: token invalid or not provided']);
    }
  });

  it('lets /health and the control API through without a token', async () => {
    expect((await call(secured.url, 'GET', '/health')).status).toBe(200);
    await secured.control.nodeOffline('pve1');
    await secured.control.reset();
  });
});

describe('restart', () => {
  it('keeps the state of a reused data directory and does not bootstrap it again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emu-restart-'));
    try {
      const first = await startEmulator({ dataDir });
      await call(first.url, 'DELETE', '/v1/nodes/pve3');
      await call(first.url, 'PUT', '/v1/key-value-store/kv', { override_props: { kept: 'yes' } });
      await call(first.url, 'POST', '/v1/controller/properties', { override_props: { 'Aux/x': '1' } });
      await first.stop();
      expect(existsSync(dataDir)).toBe(true);
      const second = await startEmulator({ dataDir });
      try {
        const nodes = (await call(second.url, 'GET', '/v1/nodes')).json as NodeJson[];
        expect(nodes.map((n) => n.name)).toEqual(['pve1', 'pve2']);
        expect((await call(second.url, 'GET', '/v1/key-value-store/kv')).json).toEqual([
          { name: 'kv', props: { kept: 'yes' } },
        ]);
        expect((await call(second.url, 'GET', '/v1/controller/properties')).json).toEqual({ 'Aux/x': '1' });
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('removes a temporary data directory on stop', async () => {
    const temp = await startEmulator();
    expect(existsSync(temp.dataDir)).toBe(true);
    await temp.stop();
    expect(existsSync(temp.dataDir)).toBe(false);
  });
});
