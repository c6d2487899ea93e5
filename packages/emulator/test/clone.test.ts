import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FAIL_EXISTS_RSC_DFN,
  FAIL_INVLD_PROVIDER,
  FAIL_INVLD_RSC_NAME,
  FAIL_NOT_FOUND_RSC_DFN,
  MASK_CRT,
  MASK_RSC_DFN,
  nameKey,
  type ResourceDefinition,
  type ResourceDefinitionCloneStarted,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { settleClones } from '../src/domain/clone';
import type { CloneRec, RdRec } from '../src/domain/model';
import { type RunningEmulator, startEmulator } from '../src/start';
import {
  devicePath,
  diskfulNodes,
  isDisklessView,
  resourcesOf,
  sha256File,
  spawn,
  waitForClone,
  writeRandom,
} from './data-helpers';
import { useEmulator } from './emulator-fixture';
import { call, retCodes } from './http-helpers';

const MIB = 1024 * 1024;
const SIZE_KIB = 32 * 1024;
const CRT_RD = MASK_CRT | MASK_RSC_DFN;

let emu: RunningEmulator;
let url: string;

useEmulator({ beforeStop: (running) => settleClones(running.context) }, (started) => {
  emu = started;
  url = started.url;
});

function started(reply: { json: unknown }): ResourceDefinitionCloneStarted {
  return reply.json as ResourceDefinitionCloneStarted;
}

async function getRd(name: string): Promise<ResourceDefinition> {
  const reply = await call(url, 'GET', `/v1/resource-definitions/${name}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json as ResourceDefinition;
}

describe('clone', () => {
  it('copies the source into a new RD on the same nodes and pools, then reports COMPLETE', async () => {
    await spawn(url, 'linstor-hv', 'cl-src', SIZE_KIB);
    const [nodeA] = await diskfulNodes(url, 'cl-src');
    await writeRandom(devicePath(emu.dataDir, nodeA!, 'cl-src'), MIB, 6 * MIB);
    const source = await sha256File(devicePath(emu.dataDir, nodeA!, 'cl-src'));

    const reply = await call(url, 'POST', '/v1/resource-definitions/cl-src/clone', { name: 'cl-dst' });
    expect(reply.status, reply.text).toBe(201);
    const body = started(reply);
    expect(body.location).toBe('/v1/resource-definitions/cl-src/clone/cl-dst');
    expect(body.source_name).toBe('cl-src');
    expect(body.clone_name).toBe('cl-dst');
    expect(body.messages?.[0]?.ret_code).toBe(CRT_RD | 1n);

    expect(await waitForClone(url, 'cl-src', 'cl-dst')).toBe('COMPLETE');
    const rd = await getRd('cl-dst');
    expect(rd.flags ?? []).not.toContain('CLONING');
    expect(rd.props?.['cloned-from']).toBe('cl-src');
    expect(rd.resource_group_name).toBe('linstor-hv');

    const src = await resourcesOf(url, 'cl-src');
    const dst = await resourcesOf(url, 'cl-dst');
    expect(dst.map((r) => [r.node_name, isDisklessView(r), r.volumes?.[0]?.storage_pool_name])).toEqual(
      src.map((r) => [r.node_name, isDisklessView(r), r.volumes?.[0]?.storage_pool_name]),
    );
    for (const r of dst)
      expect(await sha256File(devicePath(emu.dataDir, r.node_name, 'cl-dst'))).toBe(source);

    const vds = await call(url, 'GET', '/v1/resource-definitions/cl-dst/volume-definitions');
    expect((vds.json as { size_kib: number }[]).map((v) => v.size_kib)).toEqual([SIZE_KIB]);
  });

  it('keeps the clone independent of later writes to the source', async () => {
    const cloneBefore = await sha256File(devicePath(emu.dataDir, 'pve1', 'cl-dst'));
    const [nodeA] = await diskfulNodes(url, 'cl-src');
    await writeRandom(devicePath(emu.dataDir, nodeA!, 'cl-src'), 0, MIB);
    expect(await sha256File(devicePath(emu.dataDir, 'pve1', 'cl-dst'))).toBe(cloneBefore);
  });

  it('places the clone into another resource group and applies override_props', async () => {
    const reply = await call(url, 'POST', '/v1/resource-definitions/cl-src/clone', {
      name: 'cl-grouped',
      resource_group: 'linstor-hv-thick',
      override_props: { 'Aux/origin': 'clone-test' },
    });
    expect(reply.status, reply.text).toBe(201);
    expect(await waitForClone(url, 'cl-src', 'cl-grouped')).toBe('COMPLETE');
    const rd = await getRd('cl-grouped');
    expect(rd.resource_group_name).toBe('linstor-hv-thick');
    expect(rd.props?.['Aux/origin']).toBe('clone-test');
  });

  it('refuses sources in thick LVM pools with FAIL_INVLD_PROVIDER in the wrapped 500 shape', async () => {
    await spawn(url, 'linstor-hv-thick', 'cl-thick', SIZE_KIB);
    const reply = await call(url, 'POST', '/v1/resource-definitions/cl-thick/clone', {
      name: 'cl-thick-copy',
    });
    expect(reply.status).toBe(500);
    const body = started(reply);
    expect(body.location).toBe('/v1/resource-definitions/cl-thick/clone/cl-thick-copy');
    expect(body.messages?.map((m) => m.ret_code)).toEqual([FAIL_INVLD_PROVIDER | CRT_RD]);
    expect(body.messages?.[0]?.message).toBe('Clone source contains unsupported storage pools');
    expect((await call(url, 'GET', '/v1/resource-definitions/cl-thick-copy')).status).toBe(404);
  });

  it('refuses an existing clone name, an invalid one and a missing source, all wrapped', async () => {
    const exists = await call(url, 'POST', '/v1/resource-definitions/cl-src/clone', { name: 'CL-DST' });
    expect(exists.status).toBe(500);
    expect(started(exists).messages?.map((m) => m.ret_code)).toEqual([FAIL_EXISTS_RSC_DFN | CRT_RD]);

    const invalid = await call(url, 'POST', '/v1/resource-definitions/cl-src/clone', { name: '9' });
    expect(invalid.status).toBe(500);
    expect(started(invalid).messages?.map((m) => m.ret_code)).toEqual([FAIL_INVLD_RSC_NAME | CRT_RD]);

    const missing = await call(url, 'POST', '/v1/resource-definitions/cl-none/clone', {
      name: 'cl-none-copy',
    });
    expect(missing.status).toBe(500);
    expect(started(missing).messages?.map((m) => m.ret_code)).toEqual([FAIL_NOT_FOUND_RSC_DFN | CRT_RD]);
  });

  it('answers 404 FAIL_NOT_FOUND_RSC_DFN "Cloned resource not found." for an unknown clone', async () => {
    const reply = await call(url, 'GET', '/v1/resource-definitions/cl-src/clone/never-cloned');
    expect(reply.status).toBe(404);
    expect(retCodes(reply)).toEqual([FAIL_NOT_FOUND_RSC_DFN]);
    expect((reply.json as { message: string }[])[0]?.message).toBe('Cloned resource not found.');
  });

  it('ends FAILED (flag FAILED) when a node of the clone is offline', async () => {
    await spawn(url, 'linstor-hv', 'cl-off', SIZE_KIB);
    const [nodeA] = await diskfulNodes(url, 'cl-off');
    await emu.control.nodeOffline(nodeA!);
    try {
      const reply = await call(url, 'POST', '/v1/resource-definitions/cl-off/clone', { name: 'cl-off-copy' });
      expect(reply.status, reply.text).toBe(201);
      expect(await waitForClone(url, 'cl-off', 'cl-off-copy')).toBe('FAILED');
      const rd = await getRd('cl-off-copy');
      expect(rd.flags).toContain('FAILED');
      expect(rd.flags ?? []).not.toContain('CLONING');
    } finally {
      await emu.control.nodeOnline(nodeA!);
    }
  });
});

describe('clone across a restart', () => {
  it('resumes a clone that a restart interrupted while CLONING, and it completes with the source data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emu-clone-restart-'));
    try {
      let first: RunningEmulator | undefined = await startEmulator({ dataDir });
      let source: string;
      try {
        await spawn(first.url, 'linstor-hv', 'rs-src', SIZE_KIB);
        const [node] = await diskfulNodes(first.url, 'rs-src');
        await writeRandom(devicePath(dataDir, node!, 'rs-src'), 0, 3 * MIB);
        source = await sha256File(devicePath(dataDir, node!, 'rs-src'));
        const reply = await call(first.url, 'POST', '/v1/resource-definitions/rs-src/clone', {
          name: 'rs-dst',
        });
        expect(reply.status, reply.text).toBe(201);
        expect(await waitForClone(first.url, 'rs-src', 'rs-dst')).toBe('COMPLETE');
        // Put the state back to "copy in progress" as a crash mid-copy leaves it: CLONING, data incomplete.
        const store = first.store;
        await store.transaction(() => {
          const rd = store.get<RdRec>('rds', [nameKey('rs-dst')])!;
          store.put('rds', [nameKey('rs-dst')], { ...rd, flags: ['CLONING'] });
          const rec = store.get<CloneRec>('clones', [nameKey('rs-src'), nameKey('rs-dst')])!;
          store.put('clones', [nameKey('rs-src'), nameKey('rs-dst')], { ...rec, status: 'CLONING' });
        });
        await writeFile(join(dataDir, 'volumes', 'RS-DST', '0.img'), Buffer.alloc(0));
      } finally {
        await first.stop();
        first = undefined;
      }

      const second = await startEmulator({ dataDir });
      try {
        expect(await waitForClone(second.url, 'rs-src', 'rs-dst')).toBe('COMPLETE');
        const rd = (await call(second.url, 'GET', '/v1/resource-definitions/rs-dst'))
          .json as ResourceDefinition;
        expect(rd.flags ?? []).not.toContain('CLONING');
        for (const r of await resourcesOf(second.url, 'rs-dst')) {
          expect(await sha256File(devicePath(dataDir, r.node_name, 'rs-dst'))).toBe(source);
        }
      } finally {
        await settleClones(second.context);
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
