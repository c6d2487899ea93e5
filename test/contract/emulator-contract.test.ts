/**
 * The emulator against the official LINSTOR REST v1 contract: every endpoint family the emulator
 * issue lists is driven over real HTTP, and every JSON body the emulator returns — success and error
 * replies alike — is validated against `shared/linstor/rest_v1_openapi.yaml`. The only accepted
 * differences are the entries of `deviations.ts`. Each family is one test, so a failure names the
 * family and lists every violation in it (endpoint, status, JSON pointer, schema rule).
 *
 * The expected statuses are the real controller's (linstor-api.md §3.3); they make sure the body
 * that gets validated is the one the scenario is about (an object, not an error list).
 */
import { startEmulator } from '@linstor-hv/emulator';
import { expect, it } from 'vitest';
import {
  assertClean,
  CREATED,
  FAILED,
  NOT_FOUND,
  OK,
  SIZE_KIB,
  spawn,
  useContractEmulator,
} from './emulator-fixture';
import { ContractProbe } from './probe';
import { describeWithSpec } from './spec-gate';

const POLL_INTERVAL_MS = 50;
const POLL_ATTEMPTS = 200;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const contract = useContractEmulator();
const probe = () => contract.probe();

describeWithSpec('emulator replies validate against the LINSTOR REST v1 contract', () => {
  it('controller: version, properties get/set/delete', async () => {
    const p = probe();
    await p.call('GET', '/v1/controller/version', { expect: OK });
    await p.call('GET', '/v1/controller/properties', { expect: OK });
    await p.call('POST', '/v1/controller/properties', {
      body: { override_props: { 'Aux/contract/owner': 'contract-test' } },
      expect: CREATED,
    });
    await p.call('DELETE', '/v1/controller/properties/Aux/contract/owner', { expect: OK });
    await p.call('DELETE', '/v1/controller/properties/Aux/contract/owner', { expect: OK });
    await p.call('POST', '/v1/controller/properties', {
      body: { override_props: { 'NotWhitelisted/contract': 'x' } },
      expect: FAILED,
    });
    assertClean(p);
  });

  it('health and unknown routes', async () => {
    const p = probe();
    await p.call('GET', '/health', { expect: OK });
    await p.call('GET', '/v1/no-such-endpoint', { expect: NOT_FOUND });
    await p.call('PATCH', '/v1/nodes', { expect: 405 });
    assertClean(p);
  });

  it('nodes: list with filters, get, create, modify, delete', async () => {
    const p = probe();
    await p.call('GET', '/v1/nodes', { expect: OK });
    await p.call('GET', '/v1/nodes?nodes=pve1&nodes=PVE2', { expect: OK });
    await p.call('GET', '/v1/nodes?props=Aux/contract-rack', { expect: OK });
    await p.call('GET', '/v1/nodes?limit=1&offset=1', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1', { expect: OK });
    await p.call('GET', '/v1/nodes/ghost-node', { expect: NOT_FOUND });
    const node = {
      name: 'ct-node4',
      type: 'Satellite',
      net_interfaces: [
        { name: 'default', address: '10.0.0.4', satellite_port: 3366, satellite_encryption_type: 'PLAIN' },
      ],
    };
    await p.call('POST', '/v1/nodes', { body: node, expect: CREATED });
    await p.call('POST', '/v1/nodes', { body: node, expect: FAILED });
    await p.call('PUT', '/v1/nodes/ct-node4', {
      body: { override_props: { 'Aux/contract-rack': 'r4' } },
      expect: OK,
    });
    await p.call('GET', '/v1/nodes?props=Aux/contract-rack=r4', { expect: OK });
    await p.call('PUT', '/v1/nodes/ghost-node', {
      body: { override_props: { 'Aux/a': 'b' } },
      expect: NOT_FOUND,
    });
    await p.call('DELETE', '/v1/nodes/ct-node4', { expect: OK });
    assertClean(p);
  });

  it('storage pools: per node, single, cluster view, cached', async () => {
    const p = probe();
    await p.call('GET', '/v1/nodes/pve1/storage-pools', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/storage-pools?storage_pools=thinpool&cached=true', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/storage-pools/thinpool', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/storage-pools/DfltDisklessStorPool', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/storage-pools/ghostpool', { expect: NOT_FOUND });
    await p.call('GET', '/v1/nodes/ghost-node/storage-pools', { expect: NOT_FOUND });
    await p.call('GET', '/v1/view/storage-pools', { expect: OK });
    await p.call('GET', '/v1/view/storage-pools?cached=true', { expect: OK });
    await p.call('GET', '/v1/view/storage-pools?nodes=pve2&storage_pools=thickpool&cached=false', {
      expect: OK,
    });
    const pool = {
      storage_pool_name: 'ctfilepool',
      provider_kind: 'FILE_THIN',
      props: { 'StorDriver/FileDir': '/var/lib/linstor-hv/ctfilepool' },
    };
    await p.call('POST', '/v1/nodes/pve1/storage-pools', { body: pool, expect: CREATED });
    await p.call('POST', '/v1/nodes/pve1/storage-pools', { body: pool, expect: FAILED });
    await p.call('PUT', '/v1/nodes/pve1/storage-pools/ctfilepool', {
      body: { override_props: { 'Aux/contract': 'pool' } },
      expect: OK,
    });
    await p.call('GET', '/v1/nodes/pve1/storage-pools/ctfilepool', { expect: OK });
    await p.call('DELETE', '/v1/nodes/pve1/storage-pools/ctfilepool', { expect: OK });
    assertClean(p);
  });

  it('resource groups: list, get, create, modify, delete', async () => {
    const p = probe();
    await p.call('GET', '/v1/resource-groups', { expect: OK });
    await p.call('GET', '/v1/resource-groups?resource_groups=linstor-hv', { expect: OK });
    await p.call('GET', '/v1/resource-groups/linstor-hv', { expect: OK });
    await p.call('GET', '/v1/resource-groups/ghost-group', { expect: NOT_FOUND });
    const group = { name: 'ct-group', select_filter: { place_count: 2, storage_pool: 'thinpool' } };
    await p.call('POST', '/v1/resource-groups', { body: group, expect: CREATED });
    await p.call('POST', '/v1/resource-groups', { body: group, expect: FAILED });
    await p.call('PUT', '/v1/resource-groups/ct-group', {
      body: { override_props: { 'Aux/contract': 'yes' }, select_filter: { place_count: 3 } },
      expect: OK,
    });
    await p.call('GET', '/v1/resource-groups?props=Aux/contract=yes', { expect: OK });
    await p.call('DELETE', '/v1/resource-groups/ct-group', { expect: OK });
    assertClean(p);
  });

  it('volume groups: list, create, get, modify, delete', async () => {
    const p = probe();
    await p.call('POST', '/v1/resource-groups', { body: { name: 'ct-vg-group' }, expect: CREATED });
    await p.call('POST', '/v1/resource-groups/ct-vg-group/volume-groups', {
      body: { volume_number: 0 },
      expect: CREATED,
    });
    await p.call('POST', '/v1/resource-groups/ct-vg-group/volume-groups', {
      body: { volume_number: 0 },
      expect: FAILED,
    });
    await p.call('GET', '/v1/resource-groups/ct-vg-group/volume-groups', { expect: OK });
    await p.call('GET', '/v1/resource-groups/ct-vg-group/volume-groups/0', { expect: OK });
    await p.call('GET', '/v1/resource-groups/ct-vg-group/volume-groups/5', { expect: NOT_FOUND });
    await p.call('PUT', '/v1/resource-groups/ct-vg-group/volume-groups/0', {
      body: { override_props: { 'Aux/contract': 'vg' }, flags: ['GROSS_SIZE'] },
      expect: OK,
    });
    await p.call('DELETE', '/v1/resource-groups/ct-vg-group/volume-groups/0', { expect: OK });
    await p.call('DELETE', '/v1/resource-groups/ct-vg-group', { expect: OK });
    assertClean(p);
  });

  it('spawn: placed, definitions only, duplicate, unknown group', async () => {
    const p = probe();
    await spawn(p, 'ct-spawn');
    await p.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
      body: {
        resource_definition_name: 'ct-spawn-defs',
        volume_sizes: [SIZE_KIB],
        definitions_only: true,
        resource_definition_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes' },
      },
      expect: CREATED,
    });
    await p.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
      body: { resource_definition_name: 'ct-spawn', volume_sizes: [SIZE_KIB] },
      expect: FAILED,
    });
    await p.call('POST', '/v1/resource-groups/ghost-group/spawn', {
      body: { resource_definition_name: 'ct-spawn-ghost', volume_sizes: [SIZE_KIB] },
      expect: NOT_FOUND,
    });
    assertClean(p);
  });

  it('size queries: query-size-info, query-all-size-info', async () => {
    const p = probe();
    await p.call('POST', '/v1/resource-groups/linstor-hv/query-size-info', { body: {}, expect: OK });
    await p.call('POST', '/v1/resource-groups/linstor-hv-thick/query-size-info', {
      body: { select_filter: { place_count: 3 }, ignore_cache_older_than_sec: -1 },
      expect: OK,
    });
    await p.call('POST', '/v1/resource-groups/ghost-group/query-size-info', { body: {}, expect: NOT_FOUND });
    await p.call('POST', '/v1/queries/resource-groups/query-all-size-info', { body: {}, expect: OK });
    assertClean(p);
  });

  it('adjust: re-runs placement for a resource group', async () => {
    const p = probe();
    await spawn(p, 'ct-adjust');
    await p.call('POST', '/v1/resource-groups/linstor-hv/adjust', { body: {}, expect: OK });
    await p.call('POST', '/v1/resource-groups/ghost-group/adjust', { body: {}, expect: NOT_FOUND });
    assertClean(p);
  });

  it('resource definitions: list with volume definitions and props filter, get, create, modify, delete', async () => {
    const p = probe();
    const create = { resource_definition: { name: 'ct-rd', resource_group_name: 'linstor-hv' } };
    await p.call('POST', '/v1/resource-definitions', { body: create, expect: CREATED });
    await p.call('POST', '/v1/resource-definitions', { body: create, expect: FAILED });
    await p.call('POST', '/v1/resource-definitions', {
      body: { resource_definition: { name: '1-not a name' } },
      expect: FAILED,
    });
    await p.call('POST', '/v1/resource-definitions/ct-rd/volume-definitions', {
      body: { volume_definition: { size_kib: SIZE_KIB } },
      expect: OK,
    });
    await p.call('PUT', '/v1/resource-definitions/ct-rd', {
      body: { override_props: { 'Aux/contract/owner': 'rd' } },
      expect: OK,
    });
    await p.call('PUT', '/v1/resource-definitions/ct-rd', {
      body: { resource_group: 'linstor-hv-thick' },
      expect: OK,
    });
    await p.call('GET', '/v1/resource-definitions', { expect: OK });
    await p.call('GET', '/v1/resource-definitions?with_volume_definitions=true', { expect: OK });
    await p.call('GET', '/v1/resource-definitions?resource_definitions=CT-RD&with_volume_definitions=true', {
      expect: OK,
    });
    await p.call('GET', '/v1/resource-definitions?props=Aux/contract/owner=rd', { expect: OK });
    await p.call('GET', '/v1/resource-definitions?limit=100&offset=1', { expect: OK });
    await p.call('GET', '/v1/resource-definitions/ct-rd', { expect: OK });
    await p.call('GET', '/v1/resource-definitions/ghost-rd', { expect: NOT_FOUND });
    await p.call('PUT', '/v1/resource-definitions/ghost-rd', {
      body: { override_props: { 'Aux/a': 'b' } },
      expect: NOT_FOUND,
    });
    await p.call('DELETE', '/v1/resource-definitions/ct-rd', { expect: OK });
    await p.call('DELETE', '/v1/resource-definitions/ct-rd', { expect: OK });
    // External names carry platform names LINSTOR's name rules would refuse.
    const external = {
      resource_definition: { name: 'ct-rd-ext', external_name: 'VM 100 / disk #0 (système)' },
    };
    await p.call('POST', '/v1/resource-definitions', { body: external, expect: CREATED });
    await p.call('GET', '/v1/resource-definitions/ct-rd-ext', { expect: OK });
    await p.call('POST', '/v1/resource-definitions', {
      body: { resource_definition: { name: 'ct-rd-ext2', external_name: 'VM 100 / disk #0 (système)' } },
      expect: FAILED,
    });
    await p.call('DELETE', '/v1/resource-definitions/ct-rd-ext', { expect: OK });
    assertClean(p);
  });

  it('clone and clone status, sync-status', async () => {
    const p = probe();
    await spawn(p, 'ct-clone-src');
    await p.call('POST', '/v1/resource-definitions/ct-clone-src/clone', {
      body: { name: 'ct-clone-dst' },
      expect: CREATED,
    });
    let status: unknown;
    for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt++) {
      const reply = await p.call('GET', '/v1/resource-definitions/ct-clone-src/clone/ct-clone-dst', {
        expect: OK,
      });
      status = (reply.body as { status?: unknown } | undefined)?.status;
      if (status !== 'CLONING') break;
      await sleep(POLL_INTERVAL_MS);
    }
    if (status !== 'COMPLETE')
      p.note(`clone ct-clone-src → ct-clone-dst ended as ${String(status)}, not COMPLETE`);
    await p.call('GET', '/v1/resource-definitions/ct-clone-src/clone/ct-clone-ghost', { expect: NOT_FOUND });
    await p.call('POST', '/v1/resource-definitions/ct-clone-src/clone', {
      body: { name: 'ct-clone-dst' },
      expect: FAILED,
    });
    await p.call('GET', '/v1/resource-definitions/ct-clone-src/sync-status', { expect: OK });
    await p.call('GET', '/v1/resource-definitions/ct-clone-dst/sync-status', { expect: OK });
    await p.call('GET', '/v1/resource-definitions/ghost-rd/sync-status', { expect: NOT_FOUND });
    assertClean(p);
  });

  it('volume definitions: list, get, create, grow, refused shrink, delete', async () => {
    const p = probe();
    await spawn(p, 'ct-vd');
    const base = '/v1/resource-definitions/ct-vd/volume-definitions';
    await p.call('GET', base, { expect: OK });
    await p.call('GET', `${base}/0`, { expect: OK });
    await p.call('GET', `${base}/7`, { expect: NOT_FOUND });
    await p.call('POST', base, {
      body: { volume_definition: { volume_number: 0, size_kib: SIZE_KIB } },
      expect: FAILED,
    });
    await p.call('PUT', `${base}/0`, { body: { size_kib: 2 * SIZE_KIB }, expect: OK });
    await p.call('PUT', `${base}/0`, { body: { size_kib: 2 * SIZE_KIB }, expect: OK });
    await p.call('PUT', `${base}/0`, { body: { size_kib: SIZE_KIB }, expect: FAILED });
    await p.call('PUT', `${base}/0`, { body: { override_props: { 'Aux/contract': 'vd' } }, expect: OK });
    await p.call('POST', base, {
      body: { volume_definition: { volume_number: 1, size_kib: SIZE_KIB } },
      expect: OK,
    });
    await p.call('DELETE', `${base}/1`, { expect: OK });
    await p.call('DELETE', `${base}/9`, { expect: OK });
    assertClean(p);
  });

  it('resources: create single and array, list, get, view filters, modify, volumes, delete', async () => {
    const p = probe();
    await p.call('POST', '/v1/resource-definitions', {
      body: { resource_definition: { name: 'ct-rsc', resource_group_name: 'linstor-hv' } },
      expect: CREATED,
    });
    await p.call('POST', '/v1/resource-definitions/ct-rsc/volume-definitions', {
      body: { volume_definition: { size_kib: SIZE_KIB } },
      expect: OK,
    });
    const base = '/v1/resource-definitions/ct-rsc/resources';
    await p.call('POST', `${base}/pve1`, {
      body: { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      expect: CREATED,
    });
    // An existing resource: INFO_RSC_ALREADY_EXISTS, no error, so the create's own 201
    // (CtrlRscCrtApiHelper.createResource since linstor-server 6f6a5c16).
    await p.call('POST', `${base}/pve1`, {
      body: { resource: { node_name: 'pve1', props: { StorPoolName: 'thinpool' } } },
      expect: CREATED,
    });
    await p.call('POST', base, {
      body: [
        { resource: { node_name: 'pve2', props: { StorPoolName: 'thinpool' } } },
        { resource: { node_name: 'pve3', flags: ['DRBD_DISKLESS'] }, layer_list: ['DRBD', 'STORAGE'] },
      ],
      expect: CREATED,
    });
    await p.call('GET', base, { expect: OK });
    await p.call('GET', `${base}/pve1`, { expect: OK });
    await p.call('GET', `${base}/pve3`, { expect: OK });
    await p.call('GET', `${base}/ghost-node`, { expect: NOT_FOUND });
    await p.call('GET', '/v1/resource-definitions/ghost-rd/resources', { expect: NOT_FOUND });
    await p.call('PUT', `${base}/pve1`, { body: { override_props: { 'Aux/contract': 'rsc' } }, expect: OK });
    await p.call('GET', '/v1/view/resources', { expect: OK });
    await p.call('GET', '/v1/view/resources?resources=ct-rsc', { expect: OK });
    await p.call('GET', '/v1/view/resources?resources=ct-rsc&nodes=pve1&nodes=pve3', { expect: OK });
    await p.call('GET', '/v1/view/resources?storage_pools=thinpool', { expect: OK });
    await p.call('GET', '/v1/view/resources?props=Aux/contract=rsc', { expect: OK });
    // Since 1.34 a name or props filter with a regex metacharacter is a full-match regex.
    await p.call('GET', `/v1/view/resources?resources=${encodeURIComponent('CT-RS.*')}`, { expect: OK });
    await p.call('GET', `/v1/view/resources?props=${encodeURIComponent('Aux/.*=rs.')}`, { expect: OK });
    await p.call('GET', `${base}/pve1/volumes`, { expect: OK });
    await p.call('GET', `${base}/pve1/volumes/0`, { expect: OK });
    await p.call('GET', `${base}/pve3/volumes/0`, { expect: OK });
    await p.call('GET', `${base}/pve1/volumes/9`, { expect: NOT_FOUND });
    await p.call('PUT', `${base}/pve1/volumes/0`, {
      body: { override_props: { 'Aux/contract': 'vlm' } },
      expect: OK,
    });
    await p.call('DELETE', `${base}/pve3?keep_tiebreaker=true`, { expect: OK });
    await p.call('DELETE', `${base}/pve3`, { expect: OK });
    assertClean(p);
  });

  it('resources: make-available, toggle-disk, autoplace, activate, deactivate', async () => {
    const p = probe();
    await p.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
      body: { resource_definition_name: 'ct-place', volume_sizes: [SIZE_KIB], definitions_only: true },
      expect: CREATED,
    });
    const rd = '/v1/resource-definitions/ct-place';
    await p.call('POST', `${rd}/resources/pve1/make-available`, { body: { diskful: true }, expect: OK });
    await p.call('POST', `${rd}/autoplace`, { body: {}, expect: CREATED });
    await p.call('POST', `${rd}/autoplace`, { body: { select_filter: { place_count: 2 } }, expect: CREATED });
    await p.call('POST', `${rd}/autoplace`, { body: { select_filter: { place_count: 5 } }, expect: FAILED });
    await p.call('POST', '/v1/resource-definitions/ghost-rd/autoplace', { body: {}, expect: NOT_FOUND });
    const placed = await p.call('GET', '/v1/view/resources?resources=ct-place', { expect: OK });
    const nodes = Array.isArray(placed.body)
      ? placed.body.map((r) => (r as { node_name?: string }).node_name)
      : [];
    const spare = ['pve1', 'pve2', 'pve3'].find((n) => !nodes.includes(n)) ?? 'pve3';
    await p.call('POST', `${rd}/resources/${spare}/make-available`, { body: { diskful: false }, expect: OK });
    await p.call('POST', `${rd}/resources/${spare}/make-available`, { body: { diskful: false }, expect: OK });
    await p.call('PUT', `${rd}/resources/${spare}/toggle-disk`, {
      body: { operation: 'INTO_DRBD_DISKFUL', storage_pool: 'thinpool' },
      expect: OK,
    });
    await p.call('PUT', `${rd}/resources/${spare}/toggle-disk`, {
      body: { operation: 'INTO_DRBD_DISKLESS' },
      expect: OK,
    });
    await p.call('POST', `${rd}/resources/${spare}/deactivate`, { expect: OK });
    await p.call('POST', `${rd}/resources/${spare}/activate`, { expect: OK });
    await p.call('POST', `${rd}/resources/ghost-node/activate`, { expect: NOT_FOUND });
    assertClean(p);
  });

  it('resources: deprecated toggle-disk and migrate-disk forms', async () => {
    const p = probe();
    await spawn(p, 'ct-toggle');
    const rd = '/v1/resource-definitions/ct-toggle';
    const placed = await p.call('GET', '/v1/view/resources?resources=ct-toggle', { expect: OK });
    const diskful = Array.isArray(placed.body)
      ? placed.body
          .filter((r) => !((r as { flags?: string[] }).flags ?? []).includes('DISKLESS'))
          .map((r) => (r as { node_name?: string }).node_name ?? '')
      : [];
    const spare = ['pve1', 'pve2', 'pve3'].find((n) => !diskful.includes(n)) ?? 'pve3';
    const source = diskful[0] ?? 'pve1';
    await p.call('POST', `${rd}/resources/${spare}/make-available`, { body: { diskful: false }, expect: OK });
    await p.call('PUT', `${rd}/resources/${spare}/toggle-disk/diskful`, { body: {}, expect: OK });
    await p.call('PUT', `${rd}/resources/${spare}/toggle-disk/diskless`, { expect: OK });
    await p.call('PUT', `${rd}/resources/${spare}/toggle-disk/diskful/thinpool`, { body: {}, expect: OK });
    await p.call('PUT', `${rd}/resources/${spare}/toggle-disk/diskless/DfltDisklessStorPool`, { expect: OK });
    await p.call('PUT', `${rd}/resources/${spare}/migrate-disk/${source}/thinpool`, { expect: OK });
    await p.call('PUT', `${rd}/resources/${source}/toggle-disk/diskless`, { expect: OK });
    await p.call('PUT', `${rd}/resources/${source}/migrate-disk/${spare}`, { body: {}, expect: OK });
    assertClean(p);
  });

  it('resources in use: refused deletes and rollback, promotion state', async () => {
    const p = probe();
    await spawn(p, 'ct-inuse');
    const rd = '/v1/resource-definitions/ct-inuse';
    await p.call('POST', `${rd}/snapshots`, { body: { name: 'before' }, expect: CREATED });
    const placed = await p.call('GET', '/v1/view/resources?resources=ct-inuse', { expect: OK });
    const first = Array.isArray(placed.body)
      ? (placed.body[0] as { node_name?: string } | undefined)
      : undefined;
    const node = first?.node_name ?? 'pve1';
    const opened = await contract.emulator.control.openDevice(node, 'ct-inuse', 'rw');
    if (opened.status !== OK) p.note(`opening ct-inuse on ${node} answered ${opened.status}`);
    try {
      await p.call('GET', '/v1/view/resources?resources=ct-inuse', { expect: OK });
      await p.call('GET', `${rd}/resources/${node}`, { expect: OK });
      await p.call('DELETE', `${rd}/resources/${node}`, { expect: FAILED });
      await p.call('POST', `${rd}/snapshot-rollback/before`, { body: {}, expect: FAILED });
      await p.call('DELETE', '/v1/resource-definitions/ct-inuse', { expect: FAILED });
      await p.events('/v1/events/drbd/promotion', {
        headers: { 'Last-Event-ID': 'current' },
        enough: (seen) =>
          seen.some((e) => (e.data as { resource_name?: string }).resource_name === 'ct-inuse'),
        timeoutMs: 5_000,
      });
    } finally {
      await contract.emulator.control.closeDevice(node, 'ct-inuse');
    }
    assertClean(p);
  });

  it('offline satellite: node, pools, resources and placement replies', async () => {
    const p = probe();
    await spawn(p, 'ct-offline');
    await contract.emulator.control.nodeOffline('pve3');
    try {
      await p.call('GET', '/v1/nodes/pve3', { expect: OK });
      await p.call('GET', '/v1/nodes?nodes=pve3', { expect: OK });
      await p.call('GET', '/v1/view/storage-pools?nodes=pve3', { expect: OK });
      await p.call('GET', '/v1/view/resources?resources=ct-offline', { expect: OK });
      // Whether this succeeds with a warning or fails depends on placement; either reply must be on contract.
      await p.call('POST', '/v1/resource-definitions/ct-offline/resources/pve3/make-available', {
        body: { diskful: false },
      });
      await p.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
        body: {
          resource_definition_name: 'ct-offline-3',
          volume_sizes: [SIZE_KIB],
          select_filter: { place_count: 3 },
        },
        expect: FAILED,
      });
      await p.call('POST', '/v1/resource-groups/linstor-hv/query-size-info', { body: {}, expect: OK });
    } finally {
      await contract.emulator.control.nodeOnline('pve3');
    }
    assertClean(p);
  });

  it('malformed and off-spec input is answered with ApiCallRc lists', async () => {
    const p = probe();
    await p.call('POST', '/v1/resource-definitions', { rawBody: '{"resource_definition": ', expect: 400 });
    await p.call('POST', '/v1/resource-groups', { rawBody: '[1, 2', expect: 400 });
    await p.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
      rawBody: 'not json',
      expect: [400, FAILED],
    });
    await p.call('POST', '/v1/resource-definitions', {
      rawBody: JSON.stringify({ resource_definition: { name: 42 } }),
      expect: [400, FAILED],
    });
    await p.call('PUT', '/v1/resource-definitions/ghost-rd/volume-definitions/0', {
      rawBody: JSON.stringify({ size_kib: 'large' }),
      expect: [400, NOT_FOUND, FAILED],
    });
    assertClean(p);
  });

  it('bearer-token mode: 401 replies, token accepted, /health open', async () => {
    const token = 'contract-test-token';
    const secured = await startEmulator({ cluster: 'three-node', tokens: [token] });
    try {
      const p = new ContractProbe(secured.url);
      const missing = await p.call('GET', '/v1/nodes', { expect: 401 });
      const wrong = await p.call('GET', '/v1/resource-definitions', {
        headers: { authorization: 'Bearer not-the-token' },
        expect: 401,
      });
      for (const reply of [missing, wrong]) {
        const challenge = String(reply.headers['www-authenticate'] ?? '');
        if (!challenge.startsWith('Bearer'))
          p.note(`401 reply without a Bearer WWW-Authenticate header: "${challenge}"`);
      }
      await p.call('GET', '/v1/nodes', { headers: { authorization: `Bearer ${token}` }, expect: OK });
      await p.call('GET', '/health', { expect: OK });
      assertClean(p);
    } finally {
      await secured.stop();
    }
  });

  it('resource connections: list, get, modify', async () => {
    const p = probe();
    await spawn(p, 'ct-conn');
    const base = '/v1/resource-definitions/ct-conn/resource-connections';
    await p.call('GET', base, { expect: OK });
    await p.call('GET', `${base}/pve1/pve2`, { expect: OK });
    await p.call('PUT', `${base}/pve1/pve2`, {
      body: {
        override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes', 'DrbdOptions/Net/protocol': 'C' },
      },
      expect: OK,
    });
    await p.call('GET', `${base}/pve1/pve2`, { expect: OK });
    await p.call('PUT', `${base}/pve1/pve2`, {
      body: { delete_props: ['DrbdOptions/Net/allow-two-primaries'] },
      expect: OK,
    });
    await p.call('GET', `${base}/pve1/ghost-node`, { expect: NOT_FOUND });
    assertClean(p);
  });

  it('snapshots: create, multi, list, get, view, modify, delete, refused on thick LVM', async () => {
    const p = probe();
    await spawn(p, 'ct-snap');
    await spawn(p, 'ct-snap-b');
    const base = '/v1/resource-definitions/ct-snap/snapshots';
    await p.call('POST', base, { body: { name: 's1' }, expect: CREATED });
    await p.call('POST', base, { body: { name: 's1' }, expect: FAILED });
    await p.call('POST', base, {
      body: { name: 's2', snapshot_definition_props: { 'Aux/contract': 'snap' } },
      expect: CREATED,
    });
    await p.call('POST', '/v1/actions/snapshot/multi', {
      body: {
        snapshots: [
          { resource_name: 'ct-snap', name: 'm1' },
          { resource_name: 'ct-snap-b', name: 'm1' },
        ],
      },
      expect: CREATED,
    });
    await p.call('GET', base, { expect: OK });
    await p.call('GET', `${base}/s1`, { expect: OK });
    await p.call('GET', `${base}/ghost-snap`, { expect: NOT_FOUND });
    await p.call('GET', '/v1/resource-definitions/ghost-rd/snapshots', { expect: NOT_FOUND });
    await p.call('GET', '/v1/view/snapshots', { expect: OK });
    await p.call('GET', '/v1/view/snapshots?resources=ct-snap&nodes=pve1', { expect: OK });
    await p.call('PUT', `${base}/s1`, {
      body: { override_props: { 'Aux/contract': 'modified' } },
      expect: OK,
    });
    await p.call('DELETE', '/v1/resource-definitions/ct-snap', { expect: FAILED });
    await p.call('DELETE', `${base}/s2`, { expect: OK });
    await p.call('DELETE', `${base}/s2`, { expect: OK });
    await spawn(p, 'ct-snap-thick', 'linstor-hv-thick');
    await p.call('POST', '/v1/resource-definitions/ct-snap-thick/snapshots', {
      body: { name: 's1' },
      expect: FAILED,
    });
    assertClean(p);
  });

  it('snapshots: restore volume definitions and resources, rollback', async () => {
    const p = probe();
    await spawn(p, 'ct-restore-src');
    const src = '/v1/resource-definitions/ct-restore-src';
    await p.call('POST', `${src}/snapshots`, { body: { name: 'base' }, expect: CREATED });
    await p.call('POST', '/v1/resource-definitions', {
      body: { resource_definition: { name: 'ct-restored' } },
      expect: CREATED,
    });
    await p.call('POST', `${src}/snapshot-restore-volume-definition/base`, {
      body: { to_resource: 'ct-restored' },
      expect: OK,
    });
    await p.call('POST', `${src}/snapshot-restore-resource/base`, {
      body: { to_resource: 'ct-restored' },
      expect: OK,
    });
    await p.call('POST', `${src}/snapshot-restore-resource/base`, {
      body: { to_resource: 'ct-restored' },
      expect: FAILED,
    });
    await p.call('POST', `${src}/snapshot-restore-resource/base`, {
      body: { to_resource: 'ghost-rd' },
      expect: NOT_FOUND,
    });
    await p.call('POST', `${src}/snapshot-restore-volume-definition/ghost-snap`, {
      body: { to_resource: 'ct-restored' },
      expect: NOT_FOUND,
    });
    await p.call('POST', `${src}/snapshot-rollback/base`, { body: {}, expect: OK });
    await p.call('POST', `${src}/snapshot-rollback/ghost-snap`, { body: {}, expect: NOT_FOUND });
    assertClean(p);
  });

  it('key-value store: list, modify, get, delete', async () => {
    const p = probe();
    await p.call('GET', '/v1/key-value-store', { expect: OK });
    await p.call('PUT', '/v1/key-value-store/ct-kvs', {
      body: { override_props: { 'linstor-hv/owner': 'contract', 'other/key': 'v' } },
      expect: OK,
    });
    await p.call('PUT', '/v1/key-value-store/ct-kvs', { body: { delete_props: ['other/key'] }, expect: OK });
    await p.call('GET', '/v1/key-value-store/ct-kvs', { expect: OK });
    await p.call('GET', '/v1/key-value-store', { expect: OK });
    await p.call('DELETE', '/v1/key-value-store/ct-kvs', { expect: OK });
    assertClean(p);
  });

  it('failed clone and error reports: FAILED status, list and get of its report', async () => {
    const p = probe();
    await spawn(p, 'ct-clone-fail');
    const placed = await p.call('GET', '/v1/view/resources?resources=ct-clone-fail', { expect: OK });
    const first = Array.isArray(placed.body)
      ? (placed.body[0] as { node_name?: string } | undefined)
      : undefined;
    const offline = first?.node_name ?? 'pve1';
    // A clone whose target node is offline cannot copy its data: it ends FAILED with an error report.
    await contract.emulator.control.nodeOffline(offline);
    try {
      await p.call('POST', '/v1/resource-definitions/ct-clone-fail/clone', {
        body: { name: 'ct-clone-failed' },
        expect: CREATED,
      });
      let status: unknown;
      for (let attempt = 0; attempt < POLL_ATTEMPTS; attempt++) {
        const reply = await p.call('GET', '/v1/resource-definitions/ct-clone-fail/clone/ct-clone-failed', {
          expect: OK,
        });
        status = (reply.body as { status?: unknown } | undefined)?.status;
        if (status !== 'CLONING') break;
        await sleep(POLL_INTERVAL_MS);
      }
      if (status !== 'FAILED')
        p.note(`clone onto offline node ${offline} ended as ${String(status)}, not FAILED`);
      await p.call('GET', '/v1/resource-definitions/ct-clone-failed', { expect: OK });
    } finally {
      await contract.emulator.control.nodeOnline(offline);
    }
    const list = await p.call('GET', '/v1/error-reports', { expect: OK });
    await p.call('GET', '/v1/error-reports?withContent=true&limit=5&since=0', { expect: OK });
    const reports = Array.isArray(list.body) ? (list.body as { filename?: string }[]) : [];
    const id = reports[0]?.filename?.replace(/^ErrorReport-/, '').replace(/\.log$/, '');
    if (id) await p.call('GET', `/v1/error-reports/${id}`, { expect: OK });
    else p.note(`GET /v1/error-reports listed no report after a failed clone: ${list.text.slice(0, 200)}`);
    await p.call('GET', '/v1/error-reports/00000000-00000-000000', { expect: [OK, NOT_FOUND] });
    assertClean(p);
  });

  it('events: DRBD promotion stream with Last-Event-ID: current', async () => {
    const p = probe();
    await spawn(p, 'ct-events');
    const events = await p.events('/v1/events/drbd/promotion', {
      headers: { 'Last-Event-ID': 'current' },
      enough: (seen) =>
        seen.some((e) => (e.data as { resource_name?: string }).resource_name === 'ct-events'),
      timeoutMs: 5_000,
    });
    const mine = events.filter((e) => (e.data as { resource_name?: string }).resource_name === 'ct-events');
    if (mine.length === 0) {
      p.note(
        'GET /v1/events/drbd/promotion with Last-Event-ID: current sent no event for the resource ct-events',
      );
    }
    assertClean(p);
  });

  it('events: DRBD promotion changes while a device opens and closes', async () => {
    const p = probe();
    await spawn(p, 'ct-promote');
    const placed = await p.call('GET', '/v1/view/resources?resources=ct-promote', { expect: OK });
    const first = Array.isArray(placed.body)
      ? (placed.body[0] as { node_name?: string } | undefined)
      : undefined;
    const node = first?.node_name ?? 'pve1';
    const isMine = (e: { data: unknown }) =>
      (e.data as { resource_name?: string }).resource_name === 'ct-promote';
    // No Last-Event-ID: only changes arrive, so every event here was caused by the open and close.
    const events = await p.events('/v1/events/drbd/promotion', {
      afterOpen: async () => {
        const opened = await contract.emulator.control.openDevice(node, 'ct-promote', 'rw');
        if (opened.status !== OK) p.note(`opening ct-promote on ${node} answered ${opened.status}`);
        await contract.emulator.control.closeDevice(node, 'ct-promote');
      },
      enough: (seen) => seen.filter(isMine).length >= 2,
      timeoutMs: 5_000,
    });
    if (events.filter(isMine).length < 2) {
      p.note(
        `GET /v1/events/drbd/promotion sent ${events.filter(isMine).length} change event(s) for ct-promote, not 2+`,
      );
    }
    assertClean(p);
  });

  it('events: node stream reports create, modify and delete', async () => {
    const p = probe();
    const node = {
      name: 'ct-node5',
      type: 'Satellite',
      net_interfaces: [{ name: 'default', address: '10.0.0.5', satellite_port: 3366 }],
    };
    const events = await p.events('/v1/events/nodes', {
      afterOpen: async () => {
        await p.call('POST', '/v1/nodes', { body: node, expect: CREATED });
        await p.call('PUT', '/v1/nodes/ct-node5', {
          body: { override_props: { 'Aux/rack': 'r5' } },
          expect: OK,
        });
        await p.call('DELETE', '/v1/nodes/ct-node5', { expect: OK });
      },
      enough: (seen) => seen.some((e) => e.event === 'node-delete'),
      timeoutMs: 5_000,
    });
    const names = events.map((e) => e.event);
    for (const expected of ['node-create', 'node-modified', 'node-delete']) {
      if (!names.includes(expected))
        p.note(`GET /v1/events/nodes sent no ${expected} event (got ${names.join(', ')})`);
    }
    assertClean(p);
  });

  it('drives every endpoint the emulator issue lists', () => {
    const required = [
      'GET /v1/controller/version',
      'GET /v1/controller/properties',
      'POST /v1/controller/properties',
      'DELETE /v1/controller/properties/{key}',
      'GET /v1/nodes',
      'GET /v1/nodes/{node}',
      'POST /v1/nodes',
      'PUT /v1/nodes/{node}',
      'DELETE /v1/nodes/{node}',
      'GET /v1/nodes/{node}/storage-pools',
      'GET /v1/nodes/{node}/storage-pools/{storagepool}',
      'GET /v1/view/storage-pools',
      'GET /v1/resource-groups',
      'GET /v1/resource-groups/{resource_group}',
      'POST /v1/resource-groups',
      'PUT /v1/resource-groups/{resource_group}',
      'DELETE /v1/resource-groups/{resource_group}',
      'GET /v1/resource-groups/{resource_group}/volume-groups',
      'POST /v1/resource-groups/{resource_group}/volume-groups',
      'GET /v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
      'PUT /v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
      'DELETE /v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
      'POST /v1/resource-groups/{resource_group}/spawn',
      'POST /v1/resource-groups/{resource_group}/query-size-info',
      'POST /v1/queries/resource-groups/query-all-size-info',
      'POST /v1/resource-groups/{resource_group}/adjust',
      'GET /v1/resource-definitions',
      'GET /v1/resource-definitions/{resource}',
      'POST /v1/resource-definitions',
      'PUT /v1/resource-definitions/{resource}',
      'DELETE /v1/resource-definitions/{resource}',
      'POST /v1/resource-definitions/{resource}/clone',
      'GET /v1/resource-definitions/{resource}/clone/{resourceClone}',
      'GET /v1/resource-definitions/{resource}/sync-status',
      'GET /v1/resource-definitions/{resource}/volume-definitions',
      'GET /v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
      'POST /v1/resource-definitions/{resource}/volume-definitions',
      'PUT /v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
      'DELETE /v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
      'POST /v1/resource-definitions/{resource}/resources',
      'POST /v1/resource-definitions/{resource}/resources/{node}',
      'GET /v1/resource-definitions/{resource}/resources',
      'GET /v1/resource-definitions/{resource}/resources/{node}',
      'GET /v1/view/resources',
      'PUT /v1/resource-definitions/{resource}/resources/{node}',
      'DELETE /v1/resource-definitions/{resource}/resources/{node}',
      'POST /v1/resource-definitions/{resource}/resources/{node}/make-available',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/toggle-disk',
      'POST /v1/resource-definitions/{resource}/autoplace',
      'POST /v1/resource-definitions/{resource}/resources/{node}/activate',
      'POST /v1/resource-definitions/{resource}/resources/{node}/deactivate',
      'GET /v1/resource-definitions/{resource}/resource-connections',
      'GET /v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
      'PUT /v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
      'GET /v1/resource-definitions/{resource}/resources/{node}/volumes',
      'GET /v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
      'POST /v1/resource-definitions/{resource}/snapshots',
      'POST /v1/actions/snapshot/multi',
      'GET /v1/resource-definitions/{resource}/snapshots',
      'GET /v1/resource-definitions/{resource}/snapshots/{snapshot}',
      'GET /v1/view/snapshots',
      'PUT /v1/resource-definitions/{resource}/snapshots/{snapshot}',
      'DELETE /v1/resource-definitions/{resource}/snapshots/{snapshot}',
      'POST /v1/resource-definitions/{resource}/snapshot-restore-volume-definition/{snapshot}',
      'POST /v1/resource-definitions/{resource}/snapshot-restore-resource/{snapshot}',
      'POST /v1/resource-definitions/{resource}/snapshot-rollback/{snapshot}',
      'GET /v1/key-value-store',
      'GET /v1/key-value-store/{instance}',
      'PUT /v1/key-value-store/{instance}',
      'DELETE /v1/key-value-store/{instance}',
      'GET /v1/error-reports',
      'GET /v1/error-reports/{reportid}',
      'GET /v1/events/drbd/promotion',
      'GET /health',
      'POST /v1/nodes/{node}/storage-pools',
      'PUT /v1/nodes/{node}/storage-pools/{storagepool}',
      'DELETE /v1/nodes/{node}/storage-pools/{storagepool}',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/toggle-disk/diskful',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/toggle-disk/diskless',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/toggle-disk/diskful/{storagepool}',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/toggle-disk/diskless/{disklesspool}',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/migrate-disk/{fromnode}',
      'PUT /v1/resource-definitions/{resource}/resources/{node}/migrate-disk/{fromnode}/{storagepool}',
      'GET /v1/events/nodes',
    ];
    const all = new Set<string>();
    for (const p of contract.probes) for (const route of p.exercised) all.add(route);
    expect(required.filter((route) => !all.has(route))).toEqual([]);
  });
});
