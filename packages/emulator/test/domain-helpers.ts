/**
 * Helpers for the domain tests (storage pools, groups, definitions, resources, devices): typed
 * views of `/v1/view/resources`, and short request wrappers that keep ret_codes exact.
 */
import { expect } from 'vitest';
import { call, type HttpReply } from './http-helpers';

/** One GiB in KiB, the unit of LINSTOR's sizes. */
export const GIB = 1024 * 1024;

export interface VolumeView {
  volume_number: number;
  storage_pool_name?: string;
  provider_kind?: string;
  device_path?: string;
  allocated_size_kib?: number;
  usable_size_kib?: number;
  props?: Record<string, string>;
  state?: { disk_state?: string };
}

export interface RscView {
  name: string;
  node_name: string;
  flags?: string[];
  props?: Record<string, string>;
  state?: { in_use?: boolean };
  effective_props?: Record<
    string,
    { type: string; value: string; other?: { type: string; value: string }[] }
  >;
  layer_object?: {
    type: string;
    drbd?: {
      node_id?: number;
      may_promote?: boolean;
      drbd_volumes?: { device_path?: string; disk_state?: string }[];
      connections?: Record<string, { connected: boolean; message: string }>;
      drbd_resource_definition?: { port?: number };
      tcp_ports?: number[];
    };
  };
  create_timestamp?: number;
  uuid?: string;
  volumes?: VolumeView[];
}

/** `GET /v1/view/resources` with the given query, ordered by node name. */
export async function viewResources(url: string, query: string): Promise<RscView[]> {
  const reply = await call(url, 'GET', `/v1/view/resources?${query}`);
  expect(reply.status, reply.text).toBe(200);
  return (reply.json as RscView[]).sort((a, b) => a.node_name.localeCompare(b.node_name));
}

/** The resources of one RD from the view, ordered by node name. */
export function resourcesOfRd(url: string, rd: string): Promise<RscView[]> {
  return viewResources(url, `resources=${encodeURIComponent(rd)}`);
}

/** True when the resource has no disk. */
export function diskless(r: RscView): boolean {
  return (r.flags ?? []).includes('DISKLESS');
}

/** Spawns from a resource group; returns the reply without asserting its status. */
export function spawnRd(
  url: string,
  rg: string,
  rd: string,
  sizesKib: number[],
  extra: Record<string, unknown> = {},
): Promise<HttpReply> {
  return call(url, 'POST', `/v1/resource-groups/${rg}/spawn`, {
    resource_definition_name: rd,
    volume_sizes: sizesKib,
    ...extra,
  });
}

/** Registers satellite `name` with one `default` interface at `address`; returns the reply without asserting its status. */
export function createSatellite(
  url: string,
  name: string,
  address: string,
  netInterface: Record<string, unknown> = {},
): Promise<HttpReply> {
  return call(url, 'POST', '/v1/nodes', {
    name,
    type: 'SATELLITE',
    net_interfaces: [{ name: 'default', address, ...netInterface }],
  });
}

/** `make-available` of `rd` on `node` with `body`; returns the reply without asserting its status. */
export function makeAvailable(
  url: string,
  rd: string,
  node: string,
  body: Record<string, unknown> = {},
): Promise<HttpReply> {
  return call(url, 'POST', `/v1/resource-definitions/${rd}/resources/${node}/make-available`, body);
}

/** Asserts a reply's status and that one of its entries carries exactly `code`; returns that entry. */
export function expectEntry(
  reply: HttpReply,
  status: number,
  code: bigint,
): { ret_code: bigint; message: string; cause?: string; details?: string } {
  expect(reply.status, reply.text).toBe(status);
  const list = reply.json as { ret_code: bigint; message: string; cause?: string; details?: string }[];
  const found = list.find((e) => e.ret_code === code);
  expect(found, `no entry with ret_code ${BigInt.asIntN(64, code)} in ${reply.text}`).toBeDefined();
  return found!;
}

/** The single free capacity (KiB) of a pool from the cluster view. */
export async function freeKib(url: string, node: string, pool: string, cached = false): Promise<number> {
  const reply = await call(
    url,
    'GET',
    `/v1/view/storage-pools?nodes=${node}&storage_pools=${pool}${cached ? '&cached=true' : ''}`,
  );
  expect(reply.status, reply.text).toBe(200);
  const pools = reply.json as { free_capacity: number }[];
  expect(pools).toHaveLength(1);
  return pools[0]!.free_capacity;
}
