/**
 * Record lookups that answer the controller's "not found" entries, name validation with the
 * controller's codes, and small record helpers shared by the domain modules.
 */

import { randomUUID } from 'node:crypto';
import {
  FAIL_INVLD_RSC_GRP_NAME,
  FAIL_INVLD_RSC_NAME,
  FAIL_INVLD_STOR_POOL_NAME,
  FAIL_NOT_FOUND_NODE,
  FAIL_NOT_FOUND_RSC,
  FAIL_NOT_FOUND_RSC_DFN,
  FAIL_NOT_FOUND_RSC_GRP,
  FAIL_NOT_FOUND_STOR_POOL,
  FAIL_NOT_FOUND_VLM_DFN,
  nameKey,
  nameProblem,
  RESOURCE_GROUP_NAME_RULE,
  RESOURCE_NAME_RULE,
  STORAGE_POOL_NAME_RULE,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import type { Store, StoreKey } from '../infra/store';
import { exactPropsPairs, nameFilter, propsFilter } from './filters';
import type { NodeRec, PoolRec, RdRec, RgRec, RscRec, VdRec } from './model';

/** A fresh object UUID. */
export function newUuid(): string {
  return randomUUID();
}

/** The node record, or throws FAIL_NOT_FOUND_NODE (404) with the caller's op/object bits. */
export function requireNode(ctx: EmulatorContext, nodeName: string, opObjMask = 0n): NodeRec {
  const node = ctx.store.get<NodeRec>('nodes', [nameKey(nodeName)]);
  if (!node) throw new ApiCallError(entry(FAIL_NOT_FOUND_NODE | opObjMask, `Node '${nodeName}' not found.`));
  return node;
}

/** The resource definition, or throws FAIL_NOT_FOUND_RSC_DFN (404). */
export function requireRd(ctx: EmulatorContext, rdName: string, opObjMask = 0n): RdRec {
  const rd = ctx.store.get<RdRec>('rds', [nameKey(rdName)]);
  if (!rd) {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_RSC_DFN | opObjMask, `Resource definition '${rdName}' not found.`),
    );
  }
  return rd;
}

/** The resource group, or throws FAIL_NOT_FOUND_RSC_GRP (404). */
export function requireRg(ctx: EmulatorContext, rgName: string, opObjMask = 0n): RgRec {
  const rg = ctx.store.get<RgRec>('rgs', [nameKey(rgName)]);
  if (!rg) {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_RSC_GRP | opObjMask, `Resource group '${rgName}' not found.`),
    );
  }
  return rg;
}

/** The volume definition, or throws FAIL_NOT_FOUND_VLM_DFN (404). */
export function requireVd(ctx: EmulatorContext, rd: RdRec, vlmNr: number, opObjMask = 0n): VdRec {
  const vd = ctx.store.get<VdRec>('vds', [nameKey(rd.name), String(vlmNr)]);
  if (!vd) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_VLM_DFN | opObjMask,
        `Volume definition with number '${vlmNr}' of resource definition '${rd.name}' not found.`,
      ),
    );
  }
  return vd;
}

/** The resource of `rdName` on `nodeName`, or throws FAIL_NOT_FOUND_RSC (404). */
export function requireRsc(ctx: EmulatorContext, rdName: string, nodeName: string, opObjMask = 0n): RscRec {
  const rsc = getRsc(ctx, rdName, nodeName);
  if (!rsc) {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_RSC | opObjMask, `Resource '${rdName}' on node '${nodeName}' not found.`),
    );
  }
  return rsc;
}

/** The storage pool, or throws FAIL_NOT_FOUND_STOR_POOL (404). */
export function requirePool(
  ctx: EmulatorContext,
  nodeName: string,
  poolName: string,
  opObjMask = 0n,
): PoolRec {
  const pool = ctx.store.get<PoolRec>('pools', [nameKey(nodeName), nameKey(poolName)]);
  if (!pool) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_STOR_POOL | opObjMask,
        `Storage pool '${poolName}' on node '${nodeName}' not found.`,
      ),
    );
  }
  return pool;
}

/** The resource of `rdName` on `nodeName`, or undefined. */
export function getRsc(ctx: EmulatorContext, rdName: string, nodeName: string): RscRec | undefined {
  return ctx.store.get<RscRec>('resources', [nameKey(rdName), nameKey(nodeName)]);
}

/** All resources of a resource definition (a prefix lookup, never a scan). */
export function rscsOf(ctx: EmulatorContext, rdName: string): RscRec[] {
  return byName(ctx.store.list<RscRec>('resources', [nameKey(rdName)]), (r) => r.nodeName);
}

/**
 * Sorts records by the upper-cased name, as the controller's name-keyed TreeMaps order every
 * list it returns (plain code-unit order, like Java's String.compareTo).
 */
export function byName<T>(items: T[], name: (item: T) => string): T[] {
  return items
    .map((item) => ({ item, key: nameKey(name(item)) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((x) => x.item);
}

/** All volume definitions of a resource definition, by volume number. */
export function vdsOf(ctx: EmulatorContext, rdName: string): VdRec[] {
  return ctx.store.list<VdRec>('vds', [nameKey(rdName)]).sort((a, b) => a.volumeNumber - b.volumeNumber);
}

/** Throws FAIL_INVLD_RSC_NAME when `name` breaks LINSTOR's resource name rules. */
export function checkRscName(name: unknown, opObjMask: bigint): string {
  return checkName(name, RESOURCE_NAME_RULE, FAIL_INVLD_RSC_NAME | opObjMask, 'resource definition');
}

/** Throws FAIL_INVLD_RSC_GRP_NAME when `name` breaks the resource group name rules. */
export function checkRgName(name: unknown, opObjMask: bigint): string {
  return checkName(name, RESOURCE_GROUP_NAME_RULE, FAIL_INVLD_RSC_GRP_NAME | opObjMask, 'resource group');
}

/** Throws FAIL_INVLD_STOR_POOL_NAME when `name` breaks the storage pool name rules. */
export function checkPoolName(name: unknown, opObjMask: bigint): string {
  return checkName(name, STORAGE_POOL_NAME_RULE, FAIL_INVLD_STOR_POOL_NAME | opObjMask, 'storage pool');
}

function checkName(name: unknown, rule: typeof RESOURCE_NAME_RULE, code: bigint, what: string): string {
  const text = typeof name === 'string' ? name : '';
  const problem = nameProblem(text, rule);
  if (problem) {
    throw new ApiCallError(
      entry(code, `The specified ${what} name '${text}' is invalid.`, { cause: problem }),
    );
  }
  return text;
}

/** True when a resource has no disk (diskless client or tie-breaker). */
export function isDiskless(rsc: RscRec): boolean {
  return rsc.flags.includes('DISKLESS') || rsc.flags.includes('DRBD_DISKLESS');
}

/** True when a resource is an automatically placed tie-breaker. */
export function isTieBreaker(rsc: RscRec): boolean {
  return rsc.flags.includes('TIE_BREAKER');
}

/** True when the node is online (not taken offline through the control API). */
export function isOnline(ctx: EmulatorContext, nodeName: string): boolean {
  return ctx.store.get<NodeRec>('nodes', [nameKey(nodeName)])?.online ?? false;
}

/** RDs matching a `resource_definitions`/`resources` name filter: direct lookups for plain names, a scan only for regexes. */
export function rdsByFilter(ctx: EmulatorContext, values: readonly string[]): RdRec[] {
  const filter = nameFilter(values);
  const byRdName = (rds: RdRec[]) => byName(rds, (rd) => rd.name);
  if (!filter) return byRdName(ctx.store.list<RdRec>('rds'));
  if (!filter.hasRegex) {
    return byRdName(
      filter.exactKeys.flatMap((k) => {
        const rd = ctx.store.get<RdRec>('rds', [k]);
        return rd ? [rd] : [];
      }),
    );
  }
  return byRdName(ctx.store.list<RdRec>('rds').filter((rd) => filter.matches(rd.name)));
}

/** The store index of resource definitions and of resources by each of their props (see {@link propTerm}). */
const PROPS_INDEX = 'props';

/**
 * The index term of one prop: key and value joined by NUL. Should a key contain NUL, two props could
 * share a term; that only adds candidates, which the props filter then drops.
 */
function propTerm(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function propTerms(record: unknown): string[] {
  return Object.entries((record as { props?: Record<string, string> }).props ?? {}).map(([k, v]) =>
    propTerm(k, v),
  );
}

/** Declares the store indexes the lookups rely on; called once per store when the server starts. */
export function defineIndexes(store: Store): void {
  store.defineIndex('rds', PROPS_INDEX, propTerms);
  store.defineIndex('resources', PROPS_INDEX, propTerms);
}

/**
 * Keys of the records (of `rds` or `resources`) that can match a `props` filter, from the props
 * index: those with the rarest of its exact `key=value` props. Undefined when the filter has no
 * exact `key=value` part (only regexes or `key` alone), which the index cannot answer.
 */
export function keysWithProps(
  ctx: EmulatorContext,
  collection: 'rds' | 'resources',
  propsValues: readonly string[],
): StoreKey[] | undefined {
  let candidates: StoreKey[] | undefined;
  for (const [key, value] of exactPropsPairs(propsValues)) {
    const keys = ctx.store.indexedKeys(collection, PROPS_INDEX, propTerm(key, value));
    if (!candidates || keys.length < candidates.length) candidates = keys;
  }
  return candidates;
}

/**
 * RDs matching a name filter (`resource_definitions`) and a `props` filter, ordered by name. With
 * an exact `key=value` props filter and no plain-name filter, only the RDs the props index lists
 * under that prop are read (the rarest prop when several are given); otherwise as
 * {@link rdsByFilter}. Either way every filter is applied to each candidate, so the result is the
 * one a scan gives.
 */
export function rdsByFilters(
  ctx: EmulatorContext,
  nameValues: readonly string[],
  propsValues: readonly string[],
): RdRec[] {
  const props = propsFilter(propsValues);
  const names = nameFilter(nameValues);
  const candidates = props && (!names || names.hasRegex) ? keysWithProps(ctx, 'rds', propsValues) : undefined;
  if (!props || !candidates) {
    const rds = rdsByFilter(ctx, nameValues);
    return props ? rds.filter((rd) => props(rd.props)) : rds;
  }
  const rds = candidates.flatMap((key) => {
    const rd = ctx.store.get<RdRec>('rds', key);
    return rd && (!names || names.matches(rd.name)) && props(rd.props) ? [rd] : [];
  });
  return byName(rds, (rd) => rd.name);
}
