/**
 * Helpers for the data-level tests (snapshots, restore, rollback, clone): create volumes through
 * the REST API, write and hash data through a node's device tree as a hypervisor would.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { call, type HttpReply } from './http-helpers';

/** A node's by-res device path under the emulator's data directory. */
export function devicePath(dataDir: string, node: string, rd: string, volume = 0): string {
  return join(dataDir, 'nodes', node, 'dev', 'drbd', 'by-res', rd, String(volume));
}

/** sha256 (hex) of everything readable through `path`. */
export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Writes `length` random bytes at `offset` through `path`; returns them. */
export async function writeRandom(path: string, offset: number, length: number): Promise<Buffer> {
  const data = randomBytes(length);
  const fh = await open(path, 'r+');
  try {
    await fh.write(data, 0, data.length, offset);
  } finally {
    await fh.close();
  }
  return data;
}

/** Spawns `rd` from resource group `rg` with one volume of `sizeKib` and expects 201. */
export async function spawn(url: string, rg: string, rd: string, sizeKib: number): Promise<HttpReply> {
  const reply = await call(url, 'POST', `/v1/resource-groups/${rg}/spawn`, {
    resource_definition_name: rd,
    volume_sizes: [sizeKib],
  });
  expect(reply.status, reply.text).toBe(201);
  return reply;
}

interface ViewVolume {
  volume_number: number;
  storage_pool_name?: string;
  allocated_size_kib?: number;
}
export interface ViewResource {
  name: string;
  node_name: string;
  flags?: string[];
  props?: Record<string, string>;
  volumes?: ViewVolume[];
}

/** The resources of `rd` from `GET /v1/view/resources`, ordered by node name. */
export async function resourcesOf(url: string, rd: string): Promise<ViewResource[]> {
  const reply = await call(url, 'GET', `/v1/view/resources?resources=${encodeURIComponent(rd)}`);
  expect(reply.status).toBe(200);
  return (reply.json as ViewResource[]).sort((a, b) => a.node_name.localeCompare(b.node_name));
}

/** True for a resource without a disk. */
export function isDisklessView(r: ViewResource): boolean {
  return (r.flags ?? []).includes('DISKLESS');
}

/** Node names of the diskful resources of `rd`. */
export async function diskfulNodes(url: string, rd: string): Promise<string[]> {
  return (await resourcesOf(url, rd)).filter((r) => !isDisklessView(r)).map((r) => r.node_name);
}

/** Polls the clone status (as linstor-api-py does) until it leaves CLONING; bounded by `timeoutMs`. */
export async function waitForClone(
  url: string,
  src: string,
  clone: string,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await call(url, 'GET', `/v1/resource-definitions/${src}/clone/${clone}`);
    expect(reply.status, reply.text).toBe(200);
    const status = (reply.json as { status: string }).status;
    if (status !== 'CLONING' || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 25));
  }
}
