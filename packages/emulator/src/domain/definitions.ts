/**
 * Resource definitions and volume definitions: create (with DRBD port / minor allocation),
 * modify (props, resource group, resize), delete with the controller's guards.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import {
  type ApiCallRc,
  CREATED,
  DELETED,
  FAIL_EXISTS_EXT_NAME,
  FAIL_EXISTS_RSC_DFN,
  FAIL_EXISTS_SNAPSHOT_DFN,
  FAIL_EXISTS_VLM_DFN,
  FAIL_INVLD_LAYER_STACK,
  FAIL_INVLD_VLM_NR,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_ENOUGH_FREE_SPACE,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_RSC_DFN,
  MASK_VLM_DFN,
  MODIFIED,
  nameKey,
  nameProblem,
  type Props,
  RESOURCE_NAME_RULE,
  type ResourceDefinitionCreate,
  type ResourceDefinitionModify,
  type VolumeDefinitionCreate,
  type VolumeDefinitionModify,
  WARN_NOT_FOUND,
  WARN_VLMDFN_RESIZE_SAME_SIZE,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import {
  addVolumeToResources,
  chargePool,
  inUseError,
  isInUse,
  notConnected,
  removeVolumeFromResources,
  undeployResource,
} from './deployment';
import { allocateMinor, releaseLegacyRdPort, releaseMinor } from './drbd';
import { poolChargeKib } from './drbd-size';
import { checkRscName, isDiskless, isOnline, newUuid, requireRg, rscsOf, vdsOf } from './lookup';
import type { RdRec, RgRec, VdRec } from './model';
import { getPool, placeableKib } from './pools';
import { applyPropsModify, controllerProps, validateProps } from './props';
import { dataPlane, files } from './storage';

/** The resource group every RD without an explicit one joins. */
export const DEFAULT_RG = 'DfltRscGrp';
const DEFAULT_PEER_SLOTS = 7;
const KNOWN_LAYERS = ['DRBD', 'LUKS', 'STORAGE', 'NVME', 'WRITECACHE', 'CACHE', 'BCACHE'];

const CRT_RD = MASK_CRT | MASK_RSC_DFN;
const MOD_RD = MASK_MOD | MASK_RSC_DFN;
const DEL_RD = MASK_DEL | MASK_RSC_DFN;

/** A DRBD shared secret like the controller generates (20 characters). */
function newSecret(): string {
  return randomBytes(15).toString('base64').replace(/[+/]/g, 'x');
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The resource name the controller generates for an RD created with only an `external_name`
 * (`rd create -e`, python-linstor's `Resource`), following linstor-server
 * `controller/.../apicallhandler/controller/helpers/ExternalNameConverter.java`: a UUID becomes
 * `LS_<UUID in upper case>`; a valid name (up to 48 characters) is taken as it is; otherwise the
 * characters a name may not hold become `_`; a name already taken becomes `LS_<random UUID>`.
 */
function nameFromExternalName(ctx: EmulatorContext, externalName: string): string {
  const truncated = externalName.slice(0, RESOURCE_NAME_RULE.maxLength);
  let name: string | undefined;
  if (UUID_TEXT.test(truncated)) name = `LS_${truncated.toUpperCase()}`;
  else if (!nameProblem(truncated, RESOURCE_NAME_RULE)) name = truncated;
  else {
    const translated = truncated.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z_]/, '_');
    if (!nameProblem(translated, RESOURCE_NAME_RULE)) name = translated;
  }
  if (!name || ctx.store.get<RdRec>('rds', [nameKey(name)])) name = `LS_${randomUUID()}`;
  return name;
}

/** The "Successfully set property key(s)" entry of props given in a create body. */
function propsSetEntry(props: Props, opObjMask: bigint): ApiCallRc | undefined {
  const keys = Object.keys(props);
  if (keys.length === 0) return undefined;
  return entry(CREATED | opObjMask, `Successfully set property key(s): ${keys.join(',')}`);
}

/**
 * Creates a resource definition (`POST /v1/resource-definitions`, and spawn's first step).
 * Throws FAIL_INVLD_RSC_NAME, FAIL_EXISTS_RSC_DFN, FAIL_NOT_FOUND_RSC_GRP, FAIL_INVLD_PROP.
 */
export function createRd(ctx: EmulatorContext, body: ResourceDefinitionCreate, entries: ApiCallRc[]): RdRec {
  const def = body.resource_definition ?? {};
  const name = checkRscName(
    !def.name && def.external_name ? nameFromExternalName(ctx, def.external_name) : def.name,
    CRT_RD,
  );
  if (ctx.store.get<RdRec>('rds', [nameKey(name)])) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_RSC_DFN | CRT_RD,
        'The creation of a new resource definition failed due to a name collision',
        {
          cause: `A resource definition with the name '${name}' already exists\nThe ResourceDefinition already exists`,
          details: `Resource definition: ${name}`,
          objRefs: { RscDfn: name },
        },
      ),
    );
  }
  if (def.external_name && ctx.store.list<RdRec>('rds').some((rd) => rd.externalName === def.external_name)) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_EXT_NAME | CRT_RD,
        `A resource definition with the external name '${def.external_name}' already exists.`,
        {
          objRefs: { RscDfn: name },
        },
      ),
    );
  }
  const rg = requireRg(ctx, def.resource_group_name || DEFAULT_RG, CRT_RD);
  const props = def.props ?? {};
  validateProps(props, CRT_RD);
  // No stack asked for stays empty (resources get the default stack); one asked for ends with
  // STORAGE (CtrlRscDfnApiCallHandler.createResourceDefinition).
  const layerStack = (def.layer_data ?? []).map((l) => String(l.type ?? '').toUpperCase());
  if (layerStack.length && layerStack[layerStack.length - 1] !== 'STORAGE') layerStack.push('STORAGE');
  if (layerStack.some((l) => !KNOWN_LAYERS.includes(l))) {
    throw new ApiCallError(
      entry(FAIL_INVLD_LAYER_STACK | CRT_RD, `Invalid layer stack ${JSON.stringify(layerStack)}.`),
    );
  }
  const slotsProp = Number(props.PeerSlotsNewResource ?? controllerProps(ctx).PeerSlotsNewResource);
  const peerSlots =
    body.drbd_peer_slots ??
    rg.peerSlots ??
    (Number.isInteger(slotsProp) && slotsProp > 0 ? slotsProp : DEFAULT_PEER_SLOTS);
  const rd: RdRec = {
    name,
    externalName: def.external_name,
    rgName: rg.name,
    props: { ...props },
    flags: [],
    layerStack,
    // CtrlRscLayerDataFactory.ensureRequiredRscDfnLayerDataExits: DRBD data at once only with
    // DRBD in the stack or a drbd_* field, else with the first DRBD resource (deployment.ts).
    drbdLayerData:
      layerStack.includes('DRBD') ||
      body.drbd_port !== undefined ||
      body.drbd_secret !== undefined ||
      body.drbd_peer_slots !== undefined ||
      body.drbd_transport_type !== undefined ||
      undefined,
    // A preferred port of the RD's resources (DrbdRscData.initPorts); the RD itself holds none.
    drbdRdPort: body.drbd_port,
    drbdSecret: body.drbd_secret ?? newSecret(),
    peerSlots,
    uuid: newUuid(),
    createdAt: ctx.now(),
  };
  ctx.store.put('rds', [nameKey(name)], rd);
  const propsEntry = propsSetEntry(props, CRT_RD);
  if (propsEntry) entries.push(propsEntry);
  entries.push(
    entry(CREATED | CRT_RD, `New resource definition '${name}' created.`, {
      details: `Resource definition '${name}' UUID is: ${rd.uuid}`,
      objRefs: { RscDfn: name, UUID: rd.uuid },
    }),
  );
  return rd;
}

/** `PUT /v1/resource-definitions/{rd}`: props, resource group, DRBD port and peer slots, layer stack. */
export function modifyRd(
  ctx: EmulatorContext,
  rd: RdRec,
  body: ResourceDefinitionModify,
  entries: ApiCallRc[],
): RdRec {
  const next: RdRec = { ...rd, props: applyPropsModify(rd.props, body, MOD_RD) };
  if (body.resource_group !== undefined && body.resource_group !== '') {
    next.rgName = requireRg(ctx, body.resource_group, MOD_RD).name;
  }
  if (body.drbd_port !== undefined) next.drbdRdPort = body.drbd_port;
  if (body.drbd_peer_slots !== undefined) next.peerSlots = body.drbd_peer_slots;
  // A port or peer-slot change makes the DRBD data exist (modifyRscDfn ensures it).
  if (body.drbd_port !== undefined || body.drbd_peer_slots !== undefined) next.drbdLayerData = true;
  if (body.layer_stack?.length) {
    const stack = body.layer_stack.map((l) => String(l).toUpperCase());
    if (stack.some((l) => !KNOWN_LAYERS.includes(l))) {
      throw new ApiCallError(
        entry(FAIL_INVLD_LAYER_STACK | MOD_RD, `Invalid layer stack ${JSON.stringify(stack)}.`),
      );
    }
    next.layerStack = stack;
    if (stack.includes('DRBD')) next.drbdLayerData = true;
  }
  ctx.store.put('rds', [nameKey(rd.name)], next);
  entries.push(
    entry(MODIFIED | MOD_RD, `Resource definition '${rd.name}' modified.`, {
      details: `Resource definition '${rd.name}' UUID is: ${rd.uuid}`,
      objRefs: { RscDfn: rd.name, UUID: rd.uuid },
    }),
  );
  for (const rsc of rscsOf(ctx, rd.name))
    if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_RD));
  return next;
}

/**
 * `DELETE /v1/resource-definitions/{rd}`: WARN_NOT_FOUND (200) when absent; refused with
 * FAIL_EXISTS_SNAPSHOT_DFN while snapshots exist and FAIL_IN_USE while any resource is in use;
 * otherwise every resource, VD and the RD go, and their DRBD numbers are freed.
 */
export function deleteRd(ctx: EmulatorContext, rdName: string, entries: ApiCallRc[]): void {
  const rd = ctx.store.get<RdRec>('rds', [nameKey(rdName)]);
  if (!rd) {
    entries.push(
      entry(WARN_NOT_FOUND | DEL_RD, `Resource definition '${rdName}' not found.`, {
        objRefs: { RscDfn: rdName },
      }),
    );
    return;
  }
  if (ctx.store.count('snapshots', [nameKey(rd.name)]) > 0) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_SNAPSHOT_DFN | DEL_RD,
        `Cannot delete resource definition '${rd.name}' because it has snapshots.`,
        {
          correction: 'Delete the snapshots first.',
          objRefs: { RscDfn: rd.name },
        },
      ),
    );
  }
  const rscs = rscsOf(ctx, rd.name);
  for (const rsc of rscs) {
    if (isInUse(ctx, rd.name, rsc.nodeName)) {
      throw inUseError(rd.name, rsc.nodeName, DEL_RD, {
        cause: 'Resource is mounted/in use.',
        correction: `Un-mount resource '${rd.name}' on the node '${rsc.nodeName}'.`,
        objRefs: { RscDfn: rd.name },
      });
    }
  }
  for (const rsc of rscs) {
    undeployResource(ctx, rsc);
    if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, DEL_RD));
  }
  for (const vd of vdsOf(ctx, rd.name)) {
    releaseMinor(ctx, vd.minor);
    ctx.store.delete('vds', [nameKey(rd.name), String(vd.volumeNumber)]);
  }
  for (const conn of ctx.store.list<{ nodeA: string; nodeB: string }>('rscConns', [nameKey(rd.name)])) {
    const a = nameKey(conn.nodeA);
    const b = nameKey(conn.nodeB);
    ctx.store.delete('rscConns', a < b ? [nameKey(rd.name), a, b] : [nameKey(rd.name), b, a]);
  }
  releaseLegacyRdPort(ctx, rd);
  ctx.store.delete('rds', [nameKey(rd.name)]);
  files.deleteVolumes(ctx, rd.name);
  entries.push(
    entry(DELETED | DEL_RD, `Resource definition '${rd.name}' deleted.`, {
      details: `Resource definition '${rd.name}' UUID was: ${rd.uuid}`,
      objRefs: { RscDfn: rd.name, UUID: rd.uuid },
    }),
  );
}

const CRT_VD = MASK_CRT | MASK_VLM_DFN;
const MOD_VD = MASK_MOD | MASK_VLM_DFN;
const DEL_VD = MASK_DEL | MASK_VLM_DFN;

/** Options of createVd beyond the wire body (spawn passes the volume group's props). */
export interface CreateVdExtras {
  /** Props inherited from the volume group (the body's own props win). */
  baseProps?: Props;
  baseFlags?: string[];
}

/**
 * Creates a volume definition (`POST .../volume-definitions`, spawn): number given or the lowest
 * free one, size > 0, a DRBD minor; deployed resources get the new volume. Throws
 * FAIL_EXISTS_VLM_DFN, FAIL_INVLD_VLM_SIZE, FAIL_INVLD_VLM_NR.
 */
export function createVd(
  ctx: EmulatorContext,
  rd: RdRec,
  body: VolumeDefinitionCreate,
  entries: ApiCallRc[],
  extras: CreateVdExtras = {},
): VdRec {
  const def = body.volume_definition ?? ({} as VolumeDefinitionCreate['volume_definition']);
  const existing = new Set(vdsOf(ctx, rd.name).map((v) => v.volumeNumber));
  let vlmNr = def.volume_number;
  if (vlmNr === undefined || vlmNr === null) {
    vlmNr = 0;
    while (existing.has(vlmNr)) vlmNr++;
  }
  if (!Number.isInteger(vlmNr) || vlmNr < 0 || vlmNr > 65535) {
    throw new ApiCallError(entry(FAIL_INVLD_VLM_NR | CRT_VD, `Invalid volume number ${vlmNr}.`));
  }
  if (existing.has(vlmNr)) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_VLM_DFN | CRT_VD,
        `A volume definition with the number ${vlmNr} already exists in resource definition '${rd.name}'.`,
        { objRefs: { RscDfn: rd.name, VlmNr: String(vlmNr) } },
      ),
    );
  }
  const size = def.size_kib;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
    throw new ApiCallError(
      entry(FAIL_INVLD_VLM_SIZE | CRT_VD, `The volume size ${String(size)} KiB is invalid.`, {
        details: 'The size of a volume definition must be a positive number of KiB.',
      }),
    );
  }
  const props = { ...(extras.baseProps ?? {}), ...(def.props ?? {}) };
  validateProps(def.props, CRT_VD);
  const flags = [...new Set([...(extras.baseFlags ?? []), ...(def.flags ?? [])])];
  checkSpaceForGrowth(ctx, rd, 0, size, CRT_VD);
  const vd: VdRec = {
    rdName: rd.name,
    volumeNumber: vlmNr,
    sizeKib: size,
    props,
    flags,
    minor: allocateMinor(ctx, rd.name, vlmNr, CRT_VD, body.drbd_minor_number),
    uuid: newUuid(),
  };
  ctx.store.put('vds', [nameKey(rd.name), String(vlmNr)], vd);
  addVolumeToResources(ctx, rd, vd);
  const offline = rscsOf(ctx, rd.name).filter((r) => !isOnline(ctx, r.nodeName));
  entries.push(
    entry(
      CREATED | CRT_VD,
      `New volume definition with number '${vlmNr}' of resource definition '${rd.name}' created.`,
      {
        details: `Volume definition with number '${vlmNr}' of resource definition '${rd.name}' UUID is: ${vd.uuid}`,
        objRefs: { RscDfn: rd.name, VlmNr: String(vlmNr) },
      },
    ),
  );
  for (const r of offline) entries.push(notConnected(r.nodeName, CRT_VD));
  return vd;
}

/**
 * Throws FAIL_NOT_ENOUGH_FREE_SPACE when a diskful pool of the RD cannot take the growth of a
 * volume from `fromKib` to `toKib` (thick pools: the storage sizes with DRBD metadata).
 */
function checkSpaceForGrowth(
  ctx: EmulatorContext,
  rd: RdRec,
  fromKib: number,
  toKib: number,
  opObjMask: bigint,
): void {
  for (const rsc of rscsOf(ctx, rd.name)) {
    if (isDiskless(rsc)) continue;
    const poolName = rsc.volumes[0]?.poolName ?? rsc.props.StorPoolName;
    const pool = poolName ? getPool(ctx, rsc.nodeName, poolName) : undefined;
    const charge = (kib: number) =>
      pool && kib > 0 ? poolChargeKib(kib, rd.peerSlots, pool.providerKind) : 0;
    const deltaKib = charge(toKib) - charge(fromKib);
    if (pool && deltaKib > placeableKib(ctx, pool)) {
      throw new ApiCallError(
        entry(
          FAIL_NOT_ENOUGH_FREE_SPACE | opObjMask,
          `Not enough free space available in storage pool '${pool.name}' on node '${rsc.nodeName}' for resource '${rd.name}'.`,
          { details: `${deltaKib} KiB more are needed.` },
        ),
      );
    }
  }
}

/**
 * `PUT .../volume-definitions/{nr}`: props, flags and resize. Same size → WARN_VLMDFN_RESIZE_SAME_SIZE
 * (nothing changes); shrink → FAIL_INVLD_VLM_SIZE (DRBD cannot shrink); grow checks free space in
 * every pool, grows the data and the pool accounting.
 */
export function modifyVd(
  ctx: EmulatorContext,
  rd: RdRec,
  vd: VdRec,
  body: VolumeDefinitionModify,
  entries: ApiCallRc[],
): VdRec {
  const next: VdRec = { ...vd, props: applyPropsModify(vd.props, body, MOD_VD) };
  for (const f of body.flags ?? []) {
    if (f.startsWith('-')) next.flags = next.flags.filter((x) => x !== f.slice(1));
    else if (!next.flags.includes(f)) next.flags = [...next.flags, f];
  }
  const refs = { RscDfn: rd.name, VlmNr: String(vd.volumeNumber) };
  if (body.size_kib !== undefined && body.size_kib !== null) {
    const size = body.size_kib;
    if (!Number.isInteger(size) || size <= 0) {
      throw new ApiCallError(entry(FAIL_INVLD_VLM_SIZE | MOD_VD, `The volume size ${size} KiB is invalid.`));
    }
    if (size < vd.sizeKib) {
      throw new ApiCallError(
        entry(FAIL_INVLD_VLM_SIZE | MOD_VD, 'Volumes can only grow in size', {
          details: `Volume definition with number '${vd.volumeNumber}' of resource definition '${rd.name}' has ${vd.sizeKib} KiB; ${size} KiB was requested.`,
          objRefs: refs,
        }),
      );
    }
    if (size === vd.sizeKib) {
      entries.push(
        entry(
          WARN_VLMDFN_RESIZE_SAME_SIZE | MOD_VD,
          `Volume definition with number '${vd.volumeNumber}' of resource definition '${rd.name}' already has the size ${size} KiB.`,
          { objRefs: refs },
        ),
      );
    } else {
      checkSpaceForGrowth(ctx, rd, vd.sizeKib, size, MOD_VD);
      for (const rsc of rscsOf(ctx, rd.name)) {
        const vol = rsc.volumes.find((v) => v.volumeNumber === vd.volumeNumber);
        if (vol && !isDiskless(rsc)) {
          chargePool(ctx, rd, rsc.nodeName, vol.poolName, vd.sizeKib, -1);
          chargePool(ctx, rd, rsc.nodeName, vol.poolName, size, 1);
        }
      }
      next.sizeKib = size;
      if (dataPlane(ctx).hasVolume(rd.name, vd.volumeNumber))
        files.resizeVolume(ctx, rd.name, vd.volumeNumber, size);
    }
  }
  ctx.store.put('vds', [nameKey(rd.name), String(vd.volumeNumber)], next);
  entries.push(
    entry(
      MODIFIED | MOD_VD,
      `Volume definition with number '${vd.volumeNumber}' of resource definition '${rd.name}' modified.`,
      {
        details: `Volume definition with number '${vd.volumeNumber}' of resource definition '${rd.name}' UUID is: ${vd.uuid}`,
        objRefs: refs,
      },
    ),
  );
  for (const rsc of rscsOf(ctx, rd.name))
    if (!isOnline(ctx, rsc.nodeName)) entries.push(notConnected(rsc.nodeName, MOD_VD));
  return next;
}

/** `DELETE .../volume-definitions/{nr}`: WARN_NOT_FOUND when absent; removes the volume everywhere. */
export function deleteVd(ctx: EmulatorContext, rd: RdRec, vlmNr: number, entries: ApiCallRc[]): void {
  const vd = ctx.store.get<VdRec>('vds', [nameKey(rd.name), String(vlmNr)]);
  const refs = { RscDfn: rd.name, VlmNr: String(vlmNr) };
  if (!vd) {
    entries.push(
      entry(
        WARN_NOT_FOUND | DEL_VD,
        `Volume definition with number '${vlmNr}' of resource definition '${rd.name}' not found.`,
        { objRefs: refs },
      ),
    );
    return;
  }
  for (const rsc of rscsOf(ctx, rd.name)) {
    if (isInUse(ctx, rd.name, rsc.nodeName)) {
      throw inUseError(rd.name, rsc.nodeName, DEL_VD, { objRefs: refs });
    }
  }
  const offline = rscsOf(ctx, rd.name).filter((r) => !isOnline(ctx, r.nodeName));
  removeVolumeFromResources(ctx, rd, vd);
  releaseMinor(ctx, vd.minor);
  ctx.store.delete('vds', [nameKey(rd.name), String(vlmNr)]);
  entries.push(
    entry(
      DELETED | DEL_VD,
      `Volume definition with number '${vlmNr}' of resource definition '${rd.name}' deleted.`,
      {
        details: `Volume definition with number '${vlmNr}' of resource definition '${rd.name}' UUID was: ${vd.uuid}`,
        objRefs: refs,
      },
    ),
  );
  for (const r of offline) entries.push(notConnected(r.nodeName, DEL_VD));
}

/** The RDs of a resource group (a scan of the RDs: only RG-level operations need it). */
export function rdsOfGroup(ctx: EmulatorContext, rg: RgRec): RdRec[] {
  const key = nameKey(rg.name);
  return ctx.store.list<RdRec>('rds').filter((rd) => nameKey(rd.rgName) === key);
}
