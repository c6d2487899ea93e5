/**
 * Property keys: the whitelist check the controller applies to every non-`Aux/` key
 * (linstor-api.md §6), value checks for the DRBD options the emulator interprets, applying a
 * PropsModify body, and the controller → RG → RD → resource inheritance behind `effective_props`.
 */
import {
  FAIL_INVLD_PROP,
  nameKey,
  PROP_ALLOW_TWO_PRIMARIES,
  PROP_AUTO_TIEBREAKER,
  PROP_DRBD_PROTOCOL,
  type Props,
  type PropsModify,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import type { PropsRec, RdRec, RgRec, RscConnRec } from './model';

/** Single keys the emulator accepts (linstor-common properties.json, the subset plugins use). */
const KNOWN_KEYS = new Set([
  'StorPoolName',
  'StorPoolNameDrbdMeta',
  'PeerSlotsNewResource',
  'AllowMixingStoragePoolDriver',
  'cloned-from',
  PROP_AUTO_TIEBREAKER,
  'DrbdOptions/auto-quorum',
  'DrbdOptions/ExactSize',
  'DrbdOptions/auto-diskful',
  'DrbdOptions/auto-diskful-allow-cleanup',
  'DrbdOptions/AutoEvictAllowEviction',
  'DrbdOptions/AutoEvictAfterTime',
  'DrbdOptions/AutoEvictMaxDisconnectedNodes',
  'DrbdOptions/AutoEvictMinReplicaCount',
  'UseZFSClone',
  'Auth/TokenAuthenticationEnabled',
  'MaxOversubscriptionRatio',
  'MaxFreeCapacityOversubscriptionRatio',
  'MaxTotalCapacityOversubscriptionRatio',
  'TcpPortAutoRange',
  'MinorNrAutoRange',
  'PrefNic',
  'Site',
  'CurStltConnName',
  'NodeUname',
]);

/** Key families accepted under a prefix. */
const KNOWN_PREFIXES = [
  'Aux/',
  'DrbdOptions/Net/',
  'DrbdOptions/Disk/',
  'DrbdOptions/Resource/',
  'DrbdOptions/PeerDevice/',
  'DrbdOptions/Handlers/',
  'StorDriver/',
  'FileSystem/',
  // Resource- and node-connection paths (`rc path create`, `nc path create`): Paths/<path>/<node> = <netif>.
  'Paths/',
];

/** Allowed values of the keys whose values the emulator checks (enumerations only). */
const ALLOWED_VALUES: Record<string, readonly string[]> = {
  [PROP_ALLOW_TWO_PRIMARIES]: ['yes', 'no'],
  [PROP_DRBD_PROTOCOL]: ['A', 'B', 'C'],
  [PROP_AUTO_TIEBREAKER]: ['True', 'False', 'true', 'false'],
  'DrbdOptions/ExactSize': ['True', 'False', 'true', 'false'],
  'DrbdOptions/Resource/on-no-quorum': ['io-error', 'suspend-io'],
};

const KEY_SYNTAX = /^[^\s/][^\s]*$/;

/** Why `key` cannot be set (unknown or malformed), or undefined when it is allowed. */
export function propKeyProblem(key: string): string | undefined {
  if (!KEY_SYNTAX.test(key) || key.endsWith('/') || key.includes('//')) return `Invalid property key: ${key}`;
  if (key.startsWith('Aux/')) return undefined;
  if (KNOWN_KEYS.has(key) || KNOWN_PREFIXES.some((p) => key.startsWith(p))) return undefined;
  return `Invalid property key: ${key}`;
}

/**
 * Validates keys and values to be set; throws FAIL_INVLD_PROP (with the op and object bits of the
 * calling context) on the first problem, as the controller answers.
 */
export function validateProps(props: Props | undefined, opObjMask: bigint): void {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (typeof value !== 'string') {
      throw new ApiCallError(
        entry(FAIL_INVLD_PROP | opObjMask, `Invalid property(${key}) value: ${String(value)}`, {
          details: 'Property values must be strings.',
        }),
      );
    }
    if (propKeyProblem(key)) {
      throw new ApiCallError(
        entry(FAIL_INVLD_PROP | opObjMask, `Invalid property key: ${key}`, {
          cause: `The key '${key}' is not whitelisted.`,
        }),
      );
    }
    if (key === 'DrbdOptions/Resource/quorum' && !validQuorum(value)) {
      throw invalidValue(key, value, "'off', 'majority', 'all' or a number from 1 to 32", opObjMask);
    }
    const allowed = ALLOWED_VALUES[key];
    if (allowed && !allowed.includes(value)) {
      throw invalidValue(key, value, allowed.map((a) => `'${a}'`).join(', '), opObjMask);
    }
  }
}

function validQuorum(value: string): boolean {
  if (['off', 'majority', 'all'].includes(value)) return true;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 32;
}

function invalidValue(key: string, value: string, allowed: string, opObjMask: bigint): ApiCallError {
  return new ApiCallError(
    entry(FAIL_INVLD_PROP | opObjMask, `Invalid property(${key}) value: ${value}`, {
      details: `Allowed values: ${allowed}`,
    }),
  );
}

/**
 * Applies a PropsModify body to `props` (returns a new map): validates `override_props`, then
 * removes `delete_props` and every key under `delete_namespaces`.
 */
export function applyPropsModify(props: Props, modify: PropsModify, opObjMask: bigint): Props {
  validateProps(modify.override_props, opObjMask);
  const next: Props = { ...props, ...(modify.override_props ?? {}) };
  for (const key of modify.delete_props ?? []) delete next[key];
  for (const ns of modify.delete_namespaces ?? []) {
    const prefix = ns.endsWith('/') ? ns : `${ns}/`;
    for (const key of Object.keys(next)) if (key.startsWith(prefix)) delete next[key];
  }
  return next;
}

/** The controller's own props. */
export function controllerProps(ctx: EmulatorContext): Props {
  return ctx.store.get<PropsRec>('controller', ['props'])?.props ?? {};
}

/** One layer of the inheritance chain, lowest priority first. */
export interface PropsLayer {
  /** LINSTOR's object type name as `effective_props` reports it (CTRL, RSC_GRP, RESOURCE_DEFINITION, RESOURCE). */
  type: string;
  props: Props;
}

/** The inheritance chain of a resource definition (controller → RG → RD), lowest priority first. */
export function rdPropsLayers(ctx: EmulatorContext, rd: RdRec): PropsLayer[] {
  const rg = ctx.store.get<RgRec>('rgs', [nameKey(rd.rgName)]);
  return [
    { type: 'CTRL', props: controllerProps(ctx) },
    { type: 'RSC_GRP', props: rg?.props ?? {} },
    { type: 'RESOURCE_DEFINITION', props: rd.props },
  ];
}

/** The winning value of `key` along a chain (highest priority last), or undefined. */
export function effectiveProp(layers: readonly PropsLayer[], key: string): string | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const v = layers[i]!.props[key];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Wire shape of one `effective_props` entry (EffectivePropertiesMapValue). */
export interface EffectivePropView {
  type: string;
  value: string;
  other?: { type: string; value: string }[];
}

/**
 * `effective_props` of a chain: every key with its winning value and object type, and the
 * overridden lower-priority values in `other` (highest priority first), keys sorted as the server's TreeMap.
 */
export function effectiveProps(layers: readonly PropsLayer[]): Record<string, EffectivePropView> {
  const keys = new Set<string>();
  for (const layer of layers) for (const k of Object.keys(layer.props)) keys.add(k);
  const out: Record<string, EffectivePropView> = {};
  for (const key of [...keys].sort()) {
    const holders = layers.filter((l) => l.props[key] !== undefined).reverse();
    const [winner, ...rest] = holders;
    if (!winner) continue;
    const view: EffectivePropView = { type: winner.type, value: winner.props[key]! };
    if (rest.length) view.other = rest.map((l) => ({ type: l.type, value: l.props[key]! }));
    out[key] = view;
  }
  return out;
}

/**
 * The value of a DRBD option for one peer pair: the resource connection wins over the RD, RG and
 * controller (how DRBD options on a connection override the resource's).
 */
export function connectionOption(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeA: string,
  nodeB: string,
  key: string,
): string | undefined {
  const conn = ctx.store.get<RscConnRec>('rscConns', rscConnKey(rd.name, nodeA, nodeB));
  return conn?.props[key] ?? effectiveProp(rdPropsLayers(ctx, rd), key);
}

/** Store key of the resource connection of a node pair (ordered by name key, see model.ts). */
export function rscConnKey(rdName: string, nodeA: string, nodeB: string): [string, string, string] {
  const a = nameKey(nodeA);
  const b = nameKey(nodeB);
  return a < b ? [nameKey(rdName), a, b] : [nameKey(rdName), b, a];
}
