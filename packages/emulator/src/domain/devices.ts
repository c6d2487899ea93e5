/**
 * The hypervisor's view of DRBD devices: opening a resource's device on a node (as QEMU would)
 * makes it in use there; a second writer on another node needs dual-primary for that pair
 * (`allow-two-primaries=yes` on the resource connection, RD or RG, with protocol C). Open and
 * close publish `may-promote-change` events on the `drbd/promotion` stream.
 */
import { nameKey, PROP_ALLOW_TWO_PRIMARIES, PROP_DRBD_PROTOCOL, sameName } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { getRsc, isDiskless, isOnline, rscsOf } from './lookup';
import type { OpenRec, RdRec, RscRec } from './model';
import { connectionOption } from './props';
import { rdKeysOfNode } from './storage';

/** The open record of a device on a node, or undefined. */
export function openRecord(ctx: EmulatorContext, rdName: string, nodeName: string): OpenRec | undefined {
  return ctx.store.get<OpenRec>('openDevices', [nameKey(rdName), nameKey(nodeName)]);
}

/** True when DRBD would let the pair be primary at the same time (allow-two-primaries=yes and protocol C). */
export function dualPrimaryAllowed(ctx: EmulatorContext, rd: RdRec, nodeA: string, nodeB: string): boolean {
  const allow = connectionOption(ctx, rd, nodeA, nodeB, PROP_ALLOW_TWO_PRIMARIES);
  const protocol = connectionOption(ctx, rd, nodeA, nodeB, PROP_DRBD_PROTOCOL) ?? 'C';
  return allow === 'yes' && protocol === 'C';
}

/** What the may_promote rule reads about an RD; ViewCache (views.ts) supplies memoized ones for list views. */
export interface PromoteFacts {
  isOnline(nodeName: string): boolean;
  /** The RD's resources. */
  rscs(): readonly RscRec[];
  /** The RD's open devices. */
  opens(): readonly OpenRec[];
}

/** PromoteFacts read from the store on each call. */
function storeFacts(ctx: EmulatorContext, rdName: string): PromoteFacts {
  return {
    isOnline: (nodeName) => isOnline(ctx, nodeName),
    rscs: () => rscsOf(ctx, rdName),
    opens: () => ctx.store.list<OpenRec>('openDevices', [nameKey(rdName)]),
  };
}

/** True when the resource on this node can reach UpToDate data: its own disk, or an online diskful peer. */
export function hasUpToDateData(
  ctx: EmulatorContext,
  rsc: RscRec,
  facts: PromoteFacts = storeFacts(ctx, rsc.rdName),
): boolean {
  if (!facts.isOnline(rsc.nodeName)) return false;
  if (!isDiskless(rsc)) return true;
  return facts
    .rscs()
    .some(
      (peer) => !sameName(peer.nodeName, rsc.nodeName) && !isDiskless(peer) && facts.isOnline(peer.nodeName),
    );
}

/**
 * DRBD's may_promote for a resource on its node: it has UpToDate data and no other node holds the
 * device open read-write, unless dual-primary is allowed for that pair.
 */
export function mayPromote(
  ctx: EmulatorContext,
  rd: RdRec,
  rsc: RscRec,
  facts: PromoteFacts = storeFacts(ctx, rd.name),
): boolean {
  if (!hasUpToDateData(ctx, rsc, facts)) return false;
  const writers = facts.opens().filter((o) => o.mode === 'rw' && !sameName(o.nodeName, rsc.nodeName));
  return writers.every((w) => dualPrimaryAllowed(ctx, rd, w.nodeName, rsc.nodeName));
}

/** Why a device cannot be opened, with the HTTP status of the refusal. */
export interface OpenRefusal {
  status: number;
  error: string;
}

/**
 * Opens the resource's device on a node. Refusals: 404 when the resource is not deployed there,
 * 409 when a diskless node has no online UpToDate diskful peer, or when another node writes and
 * dual-primary is not allowed for the pair.
 */
export function openDevice(
  ctx: EmulatorContext,
  rd: RdRec,
  nodeName: string,
  mode: 'rw' | 'ro',
): OpenRefusal | undefined {
  const rsc = getRsc(ctx, rd.name, nodeName);
  if (!rsc) return { status: 404, error: `Resource '${rd.name}' is not deployed on node '${nodeName}'.` };
  if (!hasUpToDateData(ctx, rsc)) {
    return {
      status: 409,
      error: isOnline(ctx, rsc.nodeName)
        ? `Resource '${rd.name}' on node '${rsc.nodeName}' is diskless and has no online UpToDate diskful peer.`
        : `Node '${rsc.nodeName}' is offline.`,
    };
  }
  if (mode === 'rw') {
    const others = ctx.store
      .list<OpenRec>('openDevices', [nameKey(rd.name)])
      .filter((o) => o.mode === 'rw' && !sameName(o.nodeName, rsc.nodeName));
    for (const other of others) {
      if (!dualPrimaryAllowed(ctx, rd, other.nodeName, rsc.nodeName)) {
        return {
          status: 409,
          error:
            `Resource '${rd.name}' is already open read-write on node '${other.nodeName}'; a second writer on ` +
            `'${rsc.nodeName}' needs DrbdOptions/Net/allow-two-primaries=yes with protocol C for that pair.`,
        };
      }
    }
  }
  const previous = openRecord(ctx, rd.name, rsc.nodeName);
  const effective: 'rw' | 'ro' = previous?.mode === 'rw' ? 'rw' : mode;
  ctx.store.put<OpenRec>('openDevices', [nameKey(rd.name), nameKey(rsc.nodeName)], {
    rdName: rd.name,
    nodeName: rsc.nodeName,
    mode: effective,
  });
  return undefined;
}

/** Closes the device on a node; returns false when it was not open. */
export function closeDevice(ctx: EmulatorContext, rd: RdRec, nodeName: string): boolean {
  const key = [nameKey(rd.name), nameKey(nodeName)];
  if (!ctx.store.get<OpenRec>('openDevices', key)) return false;
  ctx.store.delete('openDevices', key);
  return true;
}

/** The current may_promote of every resource of an RD (to publish after a change). */
export function promotionStates(
  ctx: EmulatorContext,
  rd: RdRec,
): { resource_name: string; node_name: string; may_promote: boolean }[] {
  return rscsOf(ctx, rd.name).map((rsc) => ({
    resource_name: rd.name,
    node_name: rsc.nodeName,
    may_promote: mayPromote(ctx, rd, rsc),
  }));
}

/** The SSE stream of DRBD promotion events (`GET /v1/events/drbd/promotion`). */
export const PROMOTION_STREAM = 'drbd/promotion';

/**
 * Runs `change` on an RD's resources and publishes `may-promote-change` for every resource of `rd`
 * whose may_promote it flipped, once the running transaction has committed: a change that rolls
 * back never shows on the stream. Only allowed inside a transaction.
 */
export function withPromotionEvents<T>(ctx: EmulatorContext, rd: RdRec, change: () => T): T {
  const before = promotionStates(ctx, rd);
  const result = change();
  publishPromotionChanges(ctx, rd, before);
  return result;
}

/** Publishes `may-promote-change` for the resources of `rd` whose may_promote differs from `before`. */
function publishPromotionChanges(
  ctx: EmulatorContext,
  rd: RdRec,
  before: readonly { node_name: string; may_promote: boolean }[],
): void {
  const old = new Map(before.map((s) => [nameKey(s.node_name), s.may_promote]));
  const changed = promotionStates(ctx, rd).filter((s) => old.get(nameKey(s.node_name)) !== s.may_promote);
  if (changed.length === 0) return;
  ctx.store.afterCommit(() => {
    for (const state of changed) ctx.publish(PROMOTION_STREAM, 'may-promote-change', state);
  });
}

/**
 * Runs `change` (e.g. a node going offline or coming back) and publishes `may-promote-change` for
 * every resource it flipped, on the RDs deployed on that node (their peers' promotability depends
 * on it too).
 */
export function withNodePromotionEvents(ctx: EmulatorContext, nodeName: string, change: () => void): void {
  const rds = rdKeysOfNode(ctx, nodeName)
    .map((k) => ctx.store.get<RdRec>('rds', [k]))
    .filter((rd): rd is RdRec => rd !== undefined);
  const before = rds.map((rd) => promotionStates(ctx, rd));
  change();
  for (const [i, rd] of rds.entries()) publishPromotionChanges(ctx, rd, before[i]!);
}
