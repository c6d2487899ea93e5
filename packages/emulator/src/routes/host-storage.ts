/**
 * Routes that act on the hosts' hardware or optional DRBD components, answered as the controller
 * answers for satellites without them (linstor-server's rest/v1/PhysicalStorage.java,
 * DrbdProxy.java and the VD passphrase route of VolumeDefinitions.java):
 *
 * - physical storage: the emulated nodes keep their pools in sparse files and report no unused
 *   block devices, so the lists are empty and creating a device pool finds no such device;
 * - DRBD proxy: enable/disable set or clear the LOCAL_DRBD_PROXY flag of the resource connection
 *   and `PUT .../drbd-proxy` changes the RD's `DrbdProxy/...` settings, as on the controller;
 * - a VD's encryption passphrase exists only on LUKS volumes, and the emulator places none.
 */
import {
  FAIL_INVLD_CRYPT_PASSPHRASE,
  FAIL_INVLD_DRBD_PROXY_COMPRESSION_TYPE,
  FAIL_NOT_FOUND_RSC,
  FAIL_UNKNOWN_ERROR,
  MASK_CRT,
  MASK_MOD,
  MASK_PHYSICAL_DEVICE,
  MASK_RSC_CONN,
  MASK_RSC_DFN,
  MASK_VLM_DFN,
  MODIFIED,
  nameKey,
  type Props,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { getRsc, requireNode, requireRd, requireVd } from '../domain/lookup';
import type { RscConnRec } from '../domain/model';
import { rscConnKey } from '../domain/props';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

const PROXY_FLAG = 'LOCAL_DRBD_PROXY';
const PROXY_COMPRESSIONS = ['none', 'zlib', 'lzma', 'lz4'];

function setProxy(ctx: EmulatorContext, rdName: string, a: string, b: string, enabled: boolean): EmuReply {
  const mask = MASK_MOD | MASK_RSC_CONN;
  const rd = requireRd(ctx, rdName, mask);
  const nodes = [requireNode(ctx, a, mask), requireNode(ctx, b, mask)];
  for (const node of nodes) {
    if (!getRsc(ctx, rd.name, node.name)) {
      throw new ApiCallError(
        entry(FAIL_NOT_FOUND_RSC | mask, `Resource '${rd.name}' on node '${node.name}' not found.`),
      );
    }
  }
  const key = rscConnKey(rd.name, nodes[0]!.name, nodes[1]!.name);
  const current = ctx.store.get<RscConnRec>('rscConns', key);
  const [first, second] = nameKey(nodes[0]!.name) < nameKey(nodes[1]!.name) ? nodes : [nodes[1]!, nodes[0]!];
  const flags = (current?.flags ?? []).filter((f) => f !== PROXY_FLAG);
  if (enabled) flags.push(PROXY_FLAG);
  const next: RscConnRec = {
    rdName: rd.name,
    nodeA: first!.name,
    nodeB: second!.name,
    props: current?.props ?? {},
    flags,
  };
  ctx.store.put('rscConns', key, next);
  return replyEntries(
    [
      entry(
        MODIFIED | mask,
        `DRBD Proxy ${enabled ? 'enabled' : 'disabled'} between '${first!.name}' and '${second!.name}' for resource '${rd.name}'.`,
      ),
    ],
    200,
  );
}

interface DrbdProxyModifyBody {
  override_props?: Props;
  delete_props?: string[];
  compression_type?: string;
  compression_props?: Props;
}

function modifyProxy(ctx: EmulatorContext, rdName: string, body: DrbdProxyModifyBody): EmuReply {
  const mask = MASK_MOD | MASK_RSC_DFN;
  const rd = requireRd(ctx, rdName, mask);
  const props = { ...rd.props };
  for (const [k, v] of Object.entries(body.override_props ?? {})) props[`DrbdProxy/${k}`] = v;
  for (const k of body.delete_props ?? []) delete props[`DrbdProxy/${k}`];
  if (body.compression_type !== undefined) {
    if (!PROXY_COMPRESSIONS.includes(body.compression_type)) {
      throw new ApiCallError(
        entry(
          FAIL_INVLD_DRBD_PROXY_COMPRESSION_TYPE | mask,
          `Invalid compression type '${body.compression_type}'.`,
        ),
      );
    }
    for (const k of Object.keys(props)) if (k.startsWith('DrbdProxy/CompressionOptions/')) delete props[k];
    props['DrbdProxy/CompressionType'] = body.compression_type;
    for (const [k, v] of Object.entries(body.compression_props ?? {})) {
      props[`DrbdProxy/CompressionOptions/${k}`] = v;
    }
  }
  ctx.store.put('rds', [nameKey(rd.name)], { ...rd, props });
  return replyEntries(
    [entry(MODIFIED | mask, `DRBD Proxy settings of resource definition '${rd.name}' modified.`)],
    200,
  );
}

export const hostStorageRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/physical-storage',
    handler: () => ({ status: 200, json: [] }),
  }),
  route({
    method: 'GET',
    template: '/v1/physical-storage/{node}',
    handler: (req, ctx) => {
      requireNode(ctx, req.params.node);
      return { status: 200, json: [] };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/physical-storage/{node}',
    handler: withObjectBody((body: { device_paths?: string[] }, req, ctx) => {
      const mask = MASK_CRT | MASK_PHYSICAL_DEVICE;
      const node = requireNode(ctx, req.params.node, mask);
      const devices = (body.device_paths ?? []).join(', ') || '(none)';
      throw new ApiCallError(
        entry(FAIL_UNKNOWN_ERROR | mask, `Creating a device pool on node '${node.name}' failed.`, {
          cause: `The device(s) ${devices} do not exist on node '${node.name}' or are in use.`,
          correction: 'Use a device that GET /v1/physical-storage lists.',
        }),
      );
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/drbd-proxy',
    handler: withObjectBody((body: DrbdProxyModifyBody, req, ctx) => modifyProxy(ctx, req.params.rd, body)),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/drbd-proxy/enable/{a}/{b}',
    handler: withObjectBody((_body: Record<string, unknown>, req, ctx) =>
      setProxy(ctx, req.params.rd, req.params.a, req.params.b, true),
    ),
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/drbd-proxy/disable/{a}/{b}',
    handler: (req, ctx) => setProxy(ctx, req.params.rd, req.params.a, req.params.b, false),
  }),
  route({
    method: 'PUT',
    template: '/v1/resource-definitions/{rd}/volume-definitions/{nr}/encryption-passphrase',
    handler: withObjectBody((_body: { new_passphrase?: unknown }, req, ctx) => {
      const mask = MASK_MOD | MASK_VLM_DFN;
      const rd = requireRd(ctx, req.params.rd, mask);
      const vd = requireVd(ctx, rd, Number(req.params.nr), mask);
      throw new ApiCallError(
        entry(
          FAIL_INVLD_CRYPT_PASSPHRASE | mask,
          `Volume definition ${vd.volumeNumber} of resource definition '${rd.name}' is not encrypted.`,
          { cause: 'Only volumes with a LUKS layer have an encryption passphrase.' },
        ),
      );
    }),
  }),
];
