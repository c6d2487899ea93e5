/**
 * Resource views are cached as JSON text per resource (domain/views.ts rscViewsJson) and reused
 * while nothing they were made from changed. Every change a client or the hypervisor can make must
 * show: after each step, the lists must equal the lists built from nothing, and only the views of
 * what changed are built again.
 */
import { open } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { forgetViewTexts, viewTextStats } from '../src/domain/views';
import type { RunningEmulator } from '../src/start';
import { devicePath } from './data-helpers';
import { spawnRd } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call } from './http-helpers';

let emu: RunningEmulator;
let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
  url = started.url;
});

const LISTS = [
  '/v1/view/resources',
  '/v1/resource-definitions/vm-1/resources',
  '/v1/view/resources?nodes=pve2',
];

async function texts(): Promise<string[]> {
  const out: string[] = [];
  for (const path of LISTS) {
    const reply = await call(url, 'GET', path);
    expect(reply.status, `${path}: ${reply.text}`).toBe(200);
    out.push(reply.text);
  }
  return out;
}

/** The lists as served (partly from the cache) equal the lists built from nothing. */
async function expectFresh(step: string): Promise<void> {
  const served = await texts();
  forgetViewTexts(emu.store);
  const fresh = await texts();
  for (let i = 0; i < LISTS.length; i++) expect(served[i], `${step}: ${LISTS[i]}`).toBe(fresh[i]);
}

async function ok(method: string, path: string, body?: unknown): Promise<void> {
  const reply = await call(url, method, path, body);
  expect(reply.status, `${method} ${path}: ${reply.text}`).toBeLessThan(300);
}

async function writeData(node: string, rd: string): Promise<void> {
  const fh = await open(devicePath(emu.dataDir, node, rd), 'r+');
  try {
    await fh.write(Buffer.alloc(256 * 1024, 7), 0, 256 * 1024, 64 * 1024);
  } finally {
    await fh.close();
  }
}

describe('cached resource views', () => {
  beforeEach(async () => {
    expect((await spawnRd(url, 'linstor-hv', 'vm-1', [8192])).status).toBe(201);
    expect((await spawnRd(url, 'linstor-hv', 'vm-2', [8192])).status).toBe(201);
    await expectFresh('spawned');
  });

  it('follow every change of what a view shows', async () => {
    const steps: [string, () => Promise<unknown>][] = [
      ['data written (thin allocation)', () => writeData('pve1', 'vm-1')],
      ['RD props', () => ok('PUT', '/v1/resource-definitions/vm-1', { override_props: { 'Aux/a': '1' } })],
      [
        'resource props',
        () => ok('PUT', '/v1/resource-definitions/vm-1/resources/pve1', { override_props: { 'Aux/b': '2' } }),
      ],
      [
        'controller props',
        () => ok('POST', '/v1/controller/properties', { override_props: { 'Aux/c': '3' } }),
      ],
      ['RG props', () => ok('PUT', '/v1/resource-groups/linstor-hv', { override_props: { 'Aux/d': '4' } })],
      ['node offline', () => emu.control.nodeOffline('pve2')],
      ['node online', () => emu.control.nodeOnline('pve2')],
      ['device opened', () => emu.control.openDevice('pve1', 'vm-1', 'rw')],
      [
        'connection allows two primaries',
        () =>
          ok('PUT', '/v1/resource-definitions/vm-1/resource-connections/pve1/pve2', {
            override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes' },
          }),
      ],
      ['device closed', () => emu.control.closeDevice('pve1', 'vm-1')],
      [
        'volume grown',
        () => ok('PUT', '/v1/resource-definitions/vm-1/volume-definitions/0', { size_kib: 16384 }),
      ],
      [
        'pool props (backing device path)',
        () =>
          ok('PUT', '/v1/nodes/pve1/storage-pools/thinpool', {
            override_props: { 'StorDriver/LvmVg': 'other_vg' },
          }),
      ],
      ['RD deleted', () => ok('DELETE', '/v1/resource-definitions/vm-2')],
      ['RD of the same name again', () => spawnRd(url, 'linstor-hv', 'vm-2', [4096])],
      ['resource deleted', () => ok('DELETE', '/v1/resource-definitions/vm-1/resources/pve3')],
      [
        'resource created diskless',
        () =>
          ok('POST', '/v1/resource-definitions/vm-1/resources', [
            { resource: { node_name: 'pve3', flags: ['DRBD_DISKLESS'] } },
          ]),
      ],
      [
        'toggled to diskful',
        () => ok('PUT', '/v1/resource-definitions/vm-1/resources/pve3/toggle-disk/diskful'),
      ],
    ];
    for (const [step, run] of steps) {
      await run();
      await expectFresh(step);
    }
  });

  it('build again only the views of what changed', async () => {
    await texts();
    const before = viewTextStats(emu.store);
    await ok('PUT', '/v1/resource-definitions/vm-1', { override_props: { 'Aux/a': '1' } });
    const all = await call(url, 'GET', '/v1/view/resources');
    const after = viewTextStats(emu.store);
    const vm1 = (all.json as { name: string }[]).filter((r) => r.name === 'vm-1').length;
    expect(vm1).toBeGreaterThan(0);
    expect(after.built - before.built).toBe(vm1);
    expect(after.reused - before.reused).toBe((all.json as unknown[]).length - vm1);
  });

  it('start from nothing after a reset', async () => {
    await texts();
    await emu.control.reset();
    expect((await spawnRd(url, 'linstor-hv', 'vm-1', [4096])).status).toBe(201);
    await expectFresh('after reset');
  });
});
