/**
 * Every public method of `@linstor-hv/client` is called against the emulator through a recording
 * proxy, and every request the client sent — the exact bytes that went over the wire — is validated
 * against the official LINSTOR REST v1 contract: the route must be an operation of the spec (or a
 * listed deviation), path and query parameters must be declared and well-typed, and a JSON body must
 * be sent as `application/json` and satisfy the operation's request schema without undeclared fields.
 *
 * The replies are not judged here (emulator-contract.test.ts does that); a call that the emulator
 * refuses still counts, as long as the request it produced is on the contract.
 */
import {
  createLinstorClient,
  type LinstorClient,
  UnsupportedApiVersionError,
  Waiters,
} from '@linstor-hv/client';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeResult, validateRequestBody, validateRequestParameters } from './openapi';
import { type RecordedRequest, type RecordingProxy, startRecordingProxy } from './recording-proxy';
import { describeWithSpec } from './spec-gate';

const SIZE_KIB = 10 * 1024;
const WAIT = { timeoutMs: 5_000, intervalMs: 50, maxIntervalMs: 200 };
const EVENT_WAIT_MS = 3_000;

interface ClientCall {
  /** `namespace.method` (or the top-level method name) of the client. */
  name: string;
  run: (client: LinstorClient) => Promise<unknown>;
  /** Why this call legitimately sends nothing at all. */
  sendsNothing?: string;
  /** The only path this call is meant to reach when it is not a `/v1` one. */
  outsideV1?: string;
  /** The call must refuse locally with this error (e.g. a REST API version gate). */
  mustThrow?: new (
    ...args: never[]
  ) => Error;
}

/** In an order that builds the state later calls need; names are unique to this file. */
const CALLS: ClientCall[] = [
  { name: 'apiVersion', run: (c) => c.apiVersion() },
  {
    name: 'requireApiVersion',
    run: (c) => c.requireApiVersion('1.0.0'),
    sendsNothing: 'the controller version is cached by apiVersion() before',
  },
  { name: 'health', run: (c) => c.health(), outsideV1: '/health' },
  { name: 'request', run: (c) => c.request('GET', '/v1/nodes', { query: { nodes: ['pve1'] } }) },
  { name: 'controller.version', run: (c) => c.controller.version() },
  { name: 'controller.properties', run: (c) => c.controller.properties() },
  {
    name: 'controller.setProperties',
    run: (c) => c.controller.setProperties({ override_props: { 'Aux/cr/owner': 'client-requests' } }),
  },
  { name: 'controller.deleteProperty', run: (c) => c.controller.deleteProperty('Aux/cr/owner') },

  {
    name: 'nodes.list',
    run: (c) => c.nodes.list({ nodes: ['pve1', 'pve2'], props: ['Aux/none'], limit: 0 }),
  },
  { name: 'nodes.get', run: (c) => c.nodes.get('pve1') },
  { name: 'nodes.getOrUndefined', run: (c) => c.nodes.getOrUndefined('cr-ghost') },
  {
    name: 'nodes.create',
    run: (c) =>
      c.nodes.create({
        name: 'cr-node4',
        type: 'Satellite',
        net_interfaces: [
          { name: 'default', address: '10.0.0.4', satellite_port: 3366, satellite_encryption_type: 'PLAIN' },
        ],
      }),
  },
  { name: 'nodes.modify', run: (c) => c.nodes.modify('cr-node4', { override_props: { 'Aux/rack': 'r4' } }) },
  { name: 'nodes.delete', run: (c) => c.nodes.delete('cr-node4') },

  {
    name: 'storagePools.list',
    run: (c) => c.storagePools.list({ nodes: ['pve1'], storagePools: ['thinpool'], cached: true }),
  },
  { name: 'storagePools.listOnNode', run: (c) => c.storagePools.listOnNode('pve1', { cached: true }) },
  { name: 'storagePools.get', run: (c) => c.storagePools.get('pve1', 'thinpool') },
  { name: 'storagePools.getOrUndefined', run: (c) => c.storagePools.getOrUndefined('pve1', 'crghostpool') },
  {
    name: 'storagePools.create',
    run: (c) =>
      c.storagePools.create('pve1', {
        storage_pool_name: 'crpool',
        provider_kind: 'FILE_THIN',
        props: { 'StorDriver/FileDir': '/var/lib/linstor-hv/crpool' },
      }),
  },
  {
    name: 'storagePools.modify',
    run: (c) => c.storagePools.modify('pve1', 'crpool', { override_props: { 'Aux/cr': 'pool' } }),
  },
  { name: 'storagePools.delete', run: (c) => c.storagePools.delete('pve1', 'crpool') },

  { name: 'resourceGroups.list', run: (c) => c.resourceGroups.list({ resourceGroups: ['linstor-hv'] }) },
  { name: 'resourceGroups.get', run: (c) => c.resourceGroups.get('linstor-hv') },
  { name: 'resourceGroups.getOrUndefined', run: (c) => c.resourceGroups.getOrUndefined('cr-ghost-group') },
  {
    name: 'resourceGroups.create',
    run: (c) =>
      c.resourceGroups.create({
        name: 'cr-group',
        select_filter: { place_count: 2, storage_pool: 'thinpool' },
      }),
  },
  {
    name: 'resourceGroups.modify',
    run: (c) =>
      c.resourceGroups.modify('cr-group', {
        override_props: { 'Aux/cr': 'group' },
        select_filter: { place_count: 2, replicas_on_different: ['Aux/rack'] },
      }),
  },
  { name: 'volumeGroups.create', run: (c) => c.volumeGroups.create('cr-group', { volume_number: 0 }) },
  { name: 'volumeGroups.list', run: (c) => c.volumeGroups.list('cr-group') },
  { name: 'volumeGroups.get', run: (c) => c.volumeGroups.get('cr-group', 0) },
  { name: 'volumeGroups.getOrUndefined', run: (c) => c.volumeGroups.getOrUndefined('cr-group', 7) },
  {
    name: 'volumeGroups.modify',
    run: (c) =>
      c.volumeGroups.modify('cr-group', 0, { override_props: { 'Aux/cr': 'vg' }, flags: ['GROSS_SIZE'] }),
  },
  { name: 'volumeGroups.delete', run: (c) => c.volumeGroups.delete('cr-group', 0) },
  {
    name: 'resourceGroups.spawn',
    run: (c) =>
      c.resourceGroups.spawn('linstor-hv', {
        resource_definition_name: 'cr-src',
        volume_sizes: [SIZE_KIB],
        resource_definition_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes' },
      }),
  },
  { name: 'resourceGroups.querySizeInfo', run: (c) => c.resourceGroups.querySizeInfo('linstor-hv') },
  { name: 'resourceGroups.queryAllSizeInfo', run: (c) => c.resourceGroups.queryAllSizeInfo() },
  { name: 'resourceGroups.adjust', run: (c) => c.resourceGroups.adjust('linstor-hv') },

  {
    name: 'resourceDefinitions.create',
    run: (c) =>
      c.resourceDefinitions.create({
        resource_definition: { name: 'cr-rd', resource_group_name: 'linstor-hv' },
      }),
  },
  {
    name: 'resourceDefinitions.list',
    run: (c) =>
      c.resourceDefinitions.list({
        resourceDefinitions: ['cr-rd'],
        withVolumeDefinitions: true,
        props: { 'Aux/a': 'b' },
      }),
  },
  { name: 'resourceDefinitions.get', run: (c) => c.resourceDefinitions.get('cr-rd') },
  {
    name: 'resourceDefinitions.getOrUndefined',
    run: (c) => c.resourceDefinitions.getOrUndefined('cr-ghost-rd'),
  },
  {
    name: 'resourceDefinitions.modify',
    run: (c) => c.resourceDefinitions.modify('cr-rd', { override_props: { 'Aux/cr': 'rd' } }),
  },
  {
    name: 'volumeDefinitions.create',
    run: (c) => c.volumeDefinitions.create('cr-rd', { volume_definition: { size_kib: SIZE_KIB } }),
  },
  { name: 'volumeDefinitions.list', run: (c) => c.volumeDefinitions.list('cr-rd') },
  { name: 'volumeDefinitions.get', run: (c) => c.volumeDefinitions.get('cr-rd', 0) },
  { name: 'volumeDefinitions.getOrUndefined', run: (c) => c.volumeDefinitions.getOrUndefined('cr-rd', 9) },

  {
    name: 'resources.createOnNode',
    run: (c) =>
      c.resources.createOnNode('cr-rd', 'pve1', { resource: { props: { StorPoolName: 'thinpool' } } }),
  },
  {
    name: 'resources.create',
    run: (c) =>
      c.resources.create('cr-rd', [
        { resource: { node_name: 'pve2', props: { StorPoolName: 'thinpool' } } },
        { resource: { node_name: 'pve3', flags: ['DRBD_DISKLESS'] }, layer_list: ['DRBD', 'STORAGE'] },
      ]),
  },
  {
    name: 'volumeDefinitions.modify',
    run: (c) => c.volumeDefinitions.modify('cr-rd', 0, { size_kib: 2 * SIZE_KIB }),
  },
  { name: 'resources.list', run: (c) => c.resources.list('cr-rd', { limit: 10, offset: 0 }) },
  { name: 'resources.get', run: (c) => c.resources.get('cr-rd', 'pve1') },
  { name: 'resources.getOrUndefined', run: (c) => c.resources.getOrUndefined('cr-rd', 'cr-ghost-node') },
  {
    name: 'resources.view',
    run: (c) =>
      c.resources.view({
        resources: ['cr-rd'],
        nodes: ['pve1', 'pve3'],
        storagePools: ['thinpool'],
        props: ['Aux/x'],
      }),
  },
  {
    name: 'resources.modify',
    run: (c) => c.resources.modify('cr-rd', 'pve1', { override_props: { 'Aux/cr': 'rsc' } }),
  },
  { name: 'resources.volumes', run: (c) => c.resources.volumes('cr-rd', 'pve1') },
  { name: 'resources.volume', run: (c) => c.resources.volume('cr-rd', 'pve1', 0) },
  {
    name: 'resources.modifyVolume',
    run: (c) => c.resources.modifyVolume('cr-rd', 'pve1', 0, { override_props: { 'Aux/cr': 'vlm' } }),
  },
  {
    name: 'resources.makeAvailable',
    run: (c) => c.resources.makeAvailable('cr-rd', 'pve3', { diskful: false }),
  },
  {
    name: 'resources.toggleDisk',
    run: (c) =>
      c.resources.toggleDisk('cr-rd', 'pve3', { operation: 'INTO_DRBD_DISKFUL', storage_pool: 'thinpool' }),
  },
  { name: 'resources.deactivate', run: (c) => c.resources.deactivate('cr-rd', 'pve3') },
  { name: 'resources.activate', run: (c) => c.resources.activate('cr-rd', 'pve3') },
  { name: 'resources.autoplace', run: (c) => c.resources.autoplace('cr-rd') },
  { name: 'resourceConnections.list', run: (c) => c.resourceConnections.list('cr-rd') },
  { name: 'resourceConnections.get', run: (c) => c.resourceConnections.get('cr-rd', 'pve1', 'pve2') },
  {
    name: 'resourceConnections.modify',
    run: (c) =>
      c.resourceConnections.modify('cr-rd', 'pve1', 'pve2', {
        override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes', 'DrbdOptions/Net/protocol': 'C' },
      }),
  },

  {
    name: 'snapshots.create',
    run: (c) =>
      c.snapshots.create('cr-src', { name: 'snap1', snapshot_definition_props: { 'Aux/cr': 'snap' } }),
  },
  {
    name: 'snapshots.createMulti',
    run: (c) =>
      c.snapshots.createMulti({
        snapshots: [
          { resource_name: 'cr-src', name: 'multi1' },
          { resource_name: 'cr-rd', name: 'multi1' },
        ],
      }),
  },
  { name: 'snapshots.list', run: (c) => c.snapshots.list('cr-src') },
  { name: 'snapshots.get', run: (c) => c.snapshots.get('cr-src', 'snap1') },
  { name: 'snapshots.getOrUndefined', run: (c) => c.snapshots.getOrUndefined('cr-src', 'cr-ghost-snap') },
  { name: 'snapshots.view', run: (c) => c.snapshots.view({ resources: ['cr-src'], nodes: ['pve1'] }) },
  {
    name: 'snapshots.modify',
    run: (c) => c.snapshots.modify('cr-src', 'snap1', { override_props: { 'Aux/cr': 'modified' } }),
  },
  {
    name: 'snapshots.restoreVolumeDefinitions',
    run: async (c) => {
      await c.resourceDefinitions.create({ resource_definition: { name: 'cr-restored' } });
      return c.snapshots.restoreVolumeDefinitions('cr-src', 'snap1', { to_resource: 'cr-restored' });
    },
  },
  {
    name: 'snapshots.restoreResources',
    run: (c) =>
      c.snapshots.restoreResources('cr-src', 'snap1', { to_resource: 'cr-restored', nodes: ['pve1'] }),
  },
  { name: 'snapshots.rollback', run: (c) => c.snapshots.rollback('cr-src', 'multi1') },
  { name: 'snapshots.delete', run: (c) => c.snapshots.delete('cr-src', 'multi1', { nodes: ['pve1'] }) },
  {
    name: 'snapshots.delete with deleteEmptyResourceDefinition',
    run: (c) => c.snapshots.delete('cr-src', 'snap1', { deleteEmptyResourceDefinition: true }),
    mustThrow: UnsupportedApiVersionError,
    sendsNothing: 'REST API 1.29 only; the emulator advertises 1.28.0, the version of this contract',
  },

  {
    name: 'resourceDefinitions.clone',
    run: (c) => c.resourceDefinitions.clone('cr-src', { name: 'cr-clone' }),
  },
  {
    name: 'resourceDefinitions.cloneStatus',
    run: (c) => c.resourceDefinitions.cloneStatus('cr-src', 'cr-clone'),
  },
  { name: 'wait.cloneComplete', run: (c) => c.wait.cloneComplete('cr-src', 'cr-clone', WAIT) },
  { name: 'resourceDefinitions.syncStatus', run: (c) => c.resourceDefinitions.syncStatus('cr-src') },
  { name: 'wait.synced', run: (c) => c.wait.synced('cr-src', WAIT) },
  { name: 'wait.resourceReady', run: (c) => c.wait.resourceReady('cr-rd', 'pve1', WAIT) },
  { name: 'wait.notInUse', run: (c) => c.wait.notInUse('cr-rd', WAIT) },
  { name: 'wait.resizeDone', run: (c) => c.wait.resizeDone('cr-rd', 0, 2 * SIZE_KIB, WAIT) },
  {
    name: 'events.promotion',
    run: async (c) => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), EVENT_WAIT_MS);
      try {
        for await (const event of c.events.promotion({ signal: abort.signal })) {
          if (event) break;
        }
      } finally {
        clearTimeout(timer);
        abort.abort();
      }
    },
  },

  {
    name: 'keyValueStore.modify',
    run: (c) => c.keyValueStore.modify('cr-kvs', { override_props: { 'a/b': 'c' } }),
  },
  { name: 'keyValueStore.list', run: (c) => c.keyValueStore.list() },
  { name: 'keyValueStore.get', run: (c) => c.keyValueStore.get('cr-kvs') },
  { name: 'keyValueStore.delete', run: (c) => c.keyValueStore.delete('cr-kvs') },
  { name: 'errorReports.list', run: (c) => c.errorReports.list({ withContent: false, limit: 5, since: 0 }) },
  { name: 'errorReports.get', run: (c) => c.errorReports.get('00000000-00000-000000') },

  { name: 'resources.delete', run: (c) => c.resources.delete('cr-rd', 'pve3', { keepTiebreaker: true }) },
  { name: 'volumeDefinitions.delete', run: (c) => c.volumeDefinitions.delete('cr-rd', 5) },
  {
    name: 'resourceDefinitions.deleteAllResources',
    run: (c) => c.resourceDefinitions.deleteAllResources('cr-rd'),
    mustThrow: UnsupportedApiVersionError,
    sendsNothing: 'REST API 1.29 only; the emulator advertises 1.28.0, the version of this contract',
  },
  { name: 'resourceDefinitions.delete', run: (c) => c.resourceDefinitions.delete('cr-rd') },
  { name: 'resourceGroups.delete', run: (c) => c.resourceGroups.delete('cr-group') },
  { name: 'close', run: (c) => c.close(), sendsNothing: 'closing only ends keep-alive connections' },
];

/** Every public method of the client: top-level methods plus each namespace's functions. */
function publicClientMethods(client: LinstorClient): string[] {
  const names = ['request', 'health', 'apiVersion', 'requireApiVersion', 'close'];
  for (const [namespace, value] of Object.entries(client)) {
    if (value instanceof Waiters) {
      const proto = Object.getOwnPropertyNames(Waiters.prototype).filter((n) => n !== 'constructor');
      names.push(...proto.map((n) => `${namespace}.${n}`));
    } else if (
      value !== null &&
      typeof value === 'object' &&
      Object.getPrototypeOf(value) === Object.prototype
    ) {
      for (const [method, fn] of Object.entries(value))
        if (typeof fn === 'function') names.push(`${namespace}.${method}`);
    }
  }
  return names;
}

let emulator: RunningEmulator;
let proxy: RecordingProxy;
let client: LinstorClient;
const calledNames = new Set<string>();

/** Everything wrong with one recorded request, as readable paragraphs. */
function requestProblems(recorded: RecordedRequest): string[] {
  const problems: string[] = [];
  const where = `${recorded.method} ${recorded.url}`;
  const parameters = validateRequestParameters(recorded.method, recorded.url);
  if (!parameters.valid) problems.push(describeResult(parameters));
  let body: unknown;
  if (recorded.body !== '') {
    const contentType = String(recorded.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/json')) {
      problems.push(`${where}: body sent with Content-Type "${contentType}", not application/json`);
    }
    try {
      body = JSON.parse(recorded.body);
    } catch {
      problems.push(`${where}: body is not JSON: ${recorded.body.slice(0, 200)}`);
      return problems;
    }
  }
  const result = validateRequestBody(recorded.method, recorded.url, body);
  if (!result.valid || result.undeclaredProperties.length > 0) problems.push(describeResult(result));
  return problems;
}

beforeAll(async () => {
  emulator = await startEmulator({ cluster: 'three-node' });
  proxy = await startRecordingProxy(emulator.url);
  client = createLinstorClient({ controllers: proxy.url, tokenFile: false, retries: 0, deadlineMs: 20_000 });
});

afterAll(async () => {
  await client?.close();
  await proxy?.stop();
  await emulator?.stop();
});

describeWithSpec('requests sent by @linstor-hv/client validate against the LINSTOR REST v1 contract', () => {
  for (const call of CALLS) {
    it(`client.${call.name}`, async () => {
      calledNames.add(call.name);
      proxy.clear();
      let outcome = 'succeeded';
      if (call.mustThrow) {
        await expect(call.run(client)).rejects.toBeInstanceOf(call.mustThrow);
      } else {
        try {
          await call.run(client);
        } catch (error) {
          // The reply is not under test here; the request is. Keep the reason for the message below.
          outcome = `failed: ${(error as Error).message.split('\n')[0]}`;
        }
      }
      const sent = [...proxy.requests];
      if (call.sendsNothing) {
        expect(sent, `client.${call.name} (${call.sendsNothing})`).toEqual([]);
        return;
      }
      const target = call.outsideV1 ?? '/v1/';
      const reached = sent.filter((r) => r.url.startsWith(target));
      expect(
        reached.length,
        `client.${call.name} sent no request to ${target} (the call ${outcome})`,
      ).toBeGreaterThan(0);
      const problems = sent.flatMap(requestProblems);
      expect(problems.length, `client.${call.name} (call ${outcome}):\n${problems.join('\n')}`).toBe(0);
    });
  }

  it('covers every public client method', () => {
    const missing = publicClientMethods(client).filter((name) => !CALLS.some((c) => c.name === name));
    expect(missing).toEqual([]);
    expect(CALLS.filter((c) => !calledNames.has(c.name)).map((c) => c.name)).toEqual([]);
  });
});
