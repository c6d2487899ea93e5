/**
 * Deploying a resource definition on a node and removing it again, with the data-plane side of
 * both (device links under `<data-dir>/nodes/<node>/dev`, the volume files, pool accounting), and
 * the same for a volume added to or removed from deployed resources. Callers run these inside a
 * store transaction; each appends the controller's reply entries to `entries`.
 */
import {
  type ApiCallRc,
  CREATED,
  FAIL_EXISTS_RSC,
  FAIL_IN_USE,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_FOUND_DFLT_STOR_POOL,
  FAIL_NOT_FOUND_STOR_POOL,
  FAIL_POOL_EXHAUSTED_NODE_ID,
  MASK_CRT,
  MASK_RSC,
  nameKey,
  PROP_STOR_POOL_NAME,
  type Props,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';

import { ApiCallError, type EntryOptions, entry } from '../http/apicall';
import { notConnected } from './codes';
import { allocateNodeId, allocateResourcePorts, type PortRequest, releaseResourcePorts } from './drbd';
import { poolChargeKib } from './drbd-size';

export { notConnected };

import { getRsc, isDiskless, newUuid, requireNode, requirePool, requireRd, rscsOf, vdsOf } from './lookup';
import { checkSameKindAsPeers } from './mixing';
import type { NodeRec, OpenRec, PoolRec, RdRec, RgRec, RscRec, RscVolumeRec, VdRec } from './model';
import { filterPoolNames } from './placement';
import { addReserved, DFLT_DISKLESS_POOL, getPool, placeableKib } from './pools';
import { effectiveProp, rdPropsLayers, validateProps } from './props';
import { files } from './storage';

/** What deployResource creates. */
export interface DeployOptions {
  rdName: string;
  nodeName: string;
  /** Storage pool for a diskful resource; default: the `StorPoolName` prop chain, then the RG's filter. */
  poolName?: string;
  /** Deploy without a disk (DRBD client). */
  diskless?: boolean;
  /**
   * A diskless resource created with only the generic DISKLESS flag (no layer_list naming DRBD):
   * the controller then does not add DRBD_DISKLESS (linstor-api.md §2.7).
   */
  withoutDrbdDisklessFlag?: boolean;
  /**
   * A diskless DRBD client (`drbd_client`, make-available): it does not vote, so it does not make
   * the automatic tie-breaker unnecessary.
   */
  drbdClient?: boolean;
  /** Extra flags, e.g. 'TIE_BREAKER' (the diskless flags are added by `diskless`). */
  flags?: string[];
  /** Resource props (validated). */
  props?: Props;
  /** A DRBD node id asked for by the client; default: the lowest free one. */
  nodeId?: number;
  /** `drbd_tcp_ports` / `drbd_tcp_port_count` of a ResourceCreate (default: one port, see drbd.ts). */
  ports?: PortRequest;
  /** Op bits for the reply entries (default MASK_CRT). */
  opMask?: bigint;
}

/** The resource group record of an RD (falls back to an empty group when it vanished). */
export function rgOf(ctx: EmulatorContext, rd: RdRec): RgRec {
  return (
    ctx.store.get<RgRec>('rgs', [nameKey(rd.rgName)]) ?? {
      name: rd.rgName,
      props: {},
      selectFilter: {},
      uuid: '',
    }
  );
}

/** True while the hypervisor has the resource's device open on that node. */
export function isInUse(ctx: EmulatorContext, rdName: string, nodeName: string): boolean {
  return ctx.store.get<OpenRec>('openDevices', [nameKey(rdName), nameKey(nodeName)]) !== undefined;
}

/**
 * The controller's FAIL_IN_USE for a resource whose device is open (delete, deactivate, migrate
 * away, RD and VD delete): `mask` carries the operation and object bits of the call, `opts` the
 * cause, correction and object references that call adds.
 */
export function inUseError(
  rdName: string,
  nodeName: string,
  mask: bigint,
  opts: EntryOptions = {},
): ApiCallError {
  return new ApiCallError(
    entry(FAIL_IN_USE | mask, `Resource '${rdName}' on node '${nodeName}' is still in use.`, opts),
  );
}

function opRsc(opMask: bigint): bigint {
  return opMask | MASK_RSC;
}

/**
 * The pool a diskful resource uses when none is given: the `StorPoolName` prop (resource, RD, RG,
 * node, controller), else the RG filter's storage pool, else LINSTOR's `DfltStorPool`.
 */
export function defaultPoolName(ctx: EmulatorContext, rd: RdRec, node: NodeRec, props: Props = {}): string {
  const chain = rdPropsLayers(ctx, rd);
  const fromProps =
    props[PROP_STOR_POOL_NAME] ??
    effectiveProp(chain.slice(1), PROP_STOR_POOL_NAME) ??
    node.props[PROP_STOR_POOL_NAME];
  if (fromProps) return fromProps;
  const filterPools = filterPoolNames(rgOf(ctx, rd).selectFilter);
  return filterPools?.[0] ?? effectiveProp(chain.slice(0, 1), PROP_STOR_POOL_NAME) ?? 'DfltStorPool';
}

/**
 * Adds (`sign` 1) or returns (-1) what a diskful volume of `sizeKib` of `rd` takes from a pool
 * (drbd-size.ts poolChargeKib: thick pools the storage size with DRBD metadata).
 */
export function chargePool(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  poolName: string,
  sizeKib: number,
  sign: 1 | -1,
): void {
  const pool = getPool(ctx, nodeName, poolName);
  const charge = pool ? poolChargeKib(sizeKib, rd.peerSlots, pool.providerKind) : sizeKib;
  addReserved(ctx, nodeName, poolName, sign * charge);
}

/**
 * Refuses a diskful placement the pool cannot hold, naming the first volume that does not fit.
 * The controller reports this as FAIL_INVLD_VLM_SIZE (linstor-server#425 shows
 * -4611686018407202610 = ERROR|CRT|RSC|206 with this text).
 */
export function checkFreeSpace(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  pool: PoolRec,
  vds: readonly VdRec[],
  mask: bigint,
): void {
  const room = placeableKib(ctx, pool);
  let needed = 0;
  for (const vd of vds) {
    needed += poolChargeKib(vd.sizeKib, rd.peerSlots, pool.providerKind);
    if (needed > room) {
      throw new ApiCallError(
        entry(
          FAIL_INVLD_VLM_SIZE | mask,
          `Not enough free space available for volume ${vd.volumeNumber} of resource '${rd.name}'`,
          {
            details: `Storage pool '${pool.name}' on node '${nodeName}' can take ${room} KiB; ${needed} KiB are needed.`,
            objRefs: { RscDfn: rd.name, Node: nodeName, VlmNr: String(vd.volumeNumber) },
          },
        ),
      );
    }
  }
}

/**
 * Deploys resource definition `rdName` on a node (diskful in a storage pool, or diskless), with
 * its device links on that node, the volume files, and the pool accounting. Appends the
 * controller's entries ("registered", "created"/"ready", or WARN_NOT_CONNECTED when the node is
 * offline). Throws FAIL_EXISTS_RSC, FAIL_NOT_FOUND_*, FAIL_INVLD_VLM_SIZE (not enough space).
 */
export function deployResource(ctx: EmulatorContext, opts: DeployOptions, entries: ApiCallRc[]): RscRec {
  const opMask = opts.opMask ?? MASK_CRT;
  const mask = opRsc(opMask);
  const rdKey = nameKey(opts.rdName);
  const rd = requireRd(ctx, opts.rdName, mask);
  const node = requireNode(ctx, opts.nodeName, mask);
  const existing = getRsc(ctx, rd.name, node.name);
  if (existing) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_RSC | mask, `Resource '${rd.name}' on node '${node.name}' already exists.`, {
        cause: `A resource with the name '${rd.name}' already exists on node '${node.name}'.`,
      }),
    );
  }
  validateProps(opts.props, mask);
  const props: Props = { ...(opts.props ?? {}) };
  const vds = vdsOf(ctx, rd.name);

  let pool: PoolRec | undefined;
  if (opts.diskless) {
    const requested = opts.poolName ?? props[PROP_STOR_POOL_NAME];
    const candidate = requested ? getPool(ctx, node.name, requested) : undefined;
    pool =
      candidate?.providerKind === 'DISKLESS'
        ? candidate
        : requirePool(ctx, node.name, DFLT_DISKLESS_POOL, mask);
  } else {
    const poolName = opts.poolName ?? defaultPoolName(ctx, rd, node, props);
    pool = getPool(ctx, node.name, poolName);
    if (!pool) {
      const code = poolName === 'DfltStorPool' ? FAIL_NOT_FOUND_DFLT_STOR_POOL : FAIL_NOT_FOUND_STOR_POOL;
      throw new ApiCallError(
        entry(code | mask, `Storage pool '${poolName}' on node '${node.name}' not found.`),
      );
    }
    if (pool.providerKind === 'DISKLESS') {
      opts = { ...opts, diskless: true };
    } else {
      checkSameKindAsPeers(ctx, rd, node.name, pool.providerKind, mask);
      checkFreeSpace(ctx, rd, node.name, pool, vds, mask);
    }
  }
  // Diskless resources name their diskless pool too, as the controller records it.
  props[PROP_STOR_POOL_NAME] = pool.name;

  const nodeId = opts.nodeId ?? allocateNodeId(ctx, rd.name);
  if (nodeId < 0 || rscsOf(ctx, rd.name).some((r) => r.drbdNodeId === nodeId)) {
    throw new ApiCallError(
      entry(
        FAIL_POOL_EXHAUSTED_NODE_ID | mask,
        `No free DRBD node id for resource '${rd.name}' on node '${node.name}'.`,
      ),
    );
  }
  // A DRBD resource takes its ports from its node's pool when its layer data is made; a stack
  // without DRBD has none (CtrlRscLayerDataFactory.ensureStackDataExists, DrbdRscData.initPorts).
  const withDrbd = rd.layerStack.length === 0 || rd.layerStack.includes('DRBD');
  const tcpPorts = withDrbd ? allocateResourcePorts(ctx, rd, node.name, mask, opts.ports) : undefined;
  const flags = opts.diskless
    ? opts.withoutDrbdDisklessFlag
      ? ['DISKLESS']
      : ['DISKLESS', 'DRBD_DISKLESS']
    : [];
  for (const f of opts.flags ?? []) if (!flags.includes(f)) flags.push(f);
  const rsc: RscRec = {
    rdName: rd.name,
    nodeName: node.name,
    props,
    flags,
    drbdNodeId: nodeId,
    tcpPorts,
    drbdClient: opts.diskless && opts.drbdClient ? true : undefined,
    volumes: vds.map((vd) => volumeRec(vd, pool!.name)),
    uuid: newUuid(),
    createdAt: ctx.now(),
  };
  ctx.store.put('resources', [rdKey, nameKey(node.name)], rsc);
  // The first DRBD resource creates the RD's DRBD layer data (CtrlRscLayerDataFactory.ensureStackDataExists).
  const stored = ctx.store.get<RdRec>('rds', [rdKey]);
  if (stored && !stored.drbdLayerData) ctx.store.put('rds', [rdKey], { ...stored, drbdLayerData: true });
  ctx.store.put('rscByNode', [nameKey(node.name), rdKey], { rdKey });
  if (!opts.diskless) for (const vd of vds) chargePool(ctx, rd, node.name, pool.name, vd.sizeKib, 1);

  for (const vd of vds) files.createVolume(ctx, rd.name, vd.volumeNumber, vd.sizeKib);
  files.link(
    ctx,
    node.name,
    rd.name,
    vds.map((vd) => ({ volumeNumber: vd.volumeNumber, minor: vd.minor })),
  );

  const refs = { RscDfn: rd.name, Node: node.name };
  entries.push(
    entry(CREATED | mask, `New resource '${rd.name}' on node '${node.name}' registered.`, {
      details: `Resource '${rd.name}' on node '${node.name}' UUID is: ${rsc.uuid}`,
      objRefs: refs,
    }),
  );
  if (!node.online) {
    entries.push(notConnected(node.name, mask));
  } else {
    entries.push(entry(CREATED | mask, `Created resource '${rd.name}' on '${node.name}'`, { objRefs: refs }));
    if (rscsOf(ctx, rd.name).length > 1) {
      entries.push(entry(CREATED | mask, `Resource '${rd.name}' on '${node.name}' ready`, { objRefs: refs }));
    }
  }
  return rsc;
}

function volumeRec(vd: VdRec, poolName: string): RscVolumeRec {
  return { volumeNumber: vd.volumeNumber, poolName, props: {}, flags: [], uuid: newUuid() };
}

/**
 * Removes a resource from its node: record, index, pool accounting, device links, and the volume
 * files when it was the RD's last resource. No guards (see deleteResource for the API's rules).
 */
export function undeployResource(ctx: EmulatorContext, rsc: RscRec): void {
  const rdKey = nameKey(rsc.rdName);
  const nodeKey = nameKey(rsc.nodeName);
  const vds = vdsOf(ctx, rsc.rdName);
  const rd = ctx.store.get<RdRec>('rds', [rdKey]);
  if (!isDiskless(rsc) && rd) {
    for (const v of rsc.volumes) {
      const vd = vds.find((d) => d.volumeNumber === v.volumeNumber);
      if (vd) chargePool(ctx, rd, rsc.nodeName, v.poolName, vd.sizeKib, -1);
    }
  }
  ctx.store.delete('resources', [rdKey, nodeKey]);
  ctx.store.delete('rscByNode', [nodeKey, rdKey]);
  releaseResourcePorts(ctx, rsc.nodeName, rsc.tcpPorts ?? []);
  ctx.store.delete('openDevices', [rdKey, nodeKey]);
  for (const other of rscsOf(ctx, rsc.rdName)) {
    const a = nameKey(other.nodeName);
    ctx.store.delete('rscConns', a < nodeKey ? [rdKey, a, nodeKey] : [rdKey, nodeKey, a]);
  }
  files.unlink(
    ctx,
    rsc.nodeName,
    rsc.rdName,
    vds.map((vd) => ({ volumeNumber: vd.volumeNumber, minor: vd.minor })),
  );
  if (ctx.store.count('resources', [rdKey]) === 0) {
    for (const vd of vds) files.deleteVolume(ctx, rsc.rdName, vd.volumeNumber);
  }
}

/** Adds a volume to every resource of an RD after a VD was created (pool accounting and links). */
export function addVolumeToResources(ctx: EmulatorContext, rd: RdRec, vd: VdRec): void {
  const rscs = rscsOf(ctx, rd.name);
  if (rscs.length > 0) files.createVolume(ctx, rd.name, vd.volumeNumber, vd.sizeKib);
  for (const rsc of rscs) {
    const poolName = isDiskless(rsc)
      ? DFLT_DISKLESS_POOL
      : (rsc.props[PROP_STOR_POOL_NAME] ?? rsc.volumes[0]?.poolName ?? DFLT_DISKLESS_POOL);
    const next = {
      ...rsc,
      volumes: [...rsc.volumes.filter((v) => v.volumeNumber !== vd.volumeNumber), volumeRec(vd, poolName)],
    };
    next.volumes.sort((a, b) => a.volumeNumber - b.volumeNumber);
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], next);
    if (!isDiskless(rsc)) chargePool(ctx, rd, rsc.nodeName, poolName, vd.sizeKib, 1);
    files.link(ctx, rsc.nodeName, rd.name, [{ volumeNumber: vd.volumeNumber, minor: vd.minor }]);
  }
}

/** Removes a volume from every resource of an RD before its VD is deleted. */
export function removeVolumeFromResources(ctx: EmulatorContext, rd: RdRec, vd: VdRec): void {
  for (const rsc of rscsOf(ctx, rd.name)) {
    const vol = rsc.volumes.find((v) => v.volumeNumber === vd.volumeNumber);
    if (vol && !isDiskless(rsc)) chargePool(ctx, rd, rsc.nodeName, vol.poolName, vd.sizeKib, -1);
    ctx.store.put('resources', [nameKey(rd.name), nameKey(rsc.nodeName)], {
      ...rsc,
      volumes: rsc.volumes.filter((v) => v.volumeNumber !== vd.volumeNumber),
    });
    files.unlink(ctx, rsc.nodeName, rd.name, [{ volumeNumber: vd.volumeNumber, minor: vd.minor }]);
  }
  files.deleteVolume(ctx, rd.name, vd.volumeNumber);
}
