/**
 * The automatic quorum tie-breaker, as the controller keeps it (linstor-server
 * `controller/src/main/java/com/linbit/linstor/core/apicallhandler/controller/CtrlRscAutoTieBreakerHelper.java`):
 * when an RD needs one, when it is created or removed after a change, and how an existing one is
 * taken over by a wanted resource or a deleted resource becomes one.
 */
import {
  type ApiCallRc,
  INFO_TIE_BREAKER_CREATED,
  INFO_TIE_BREAKER_DELETING,
  INFO_TIE_BREAKER_TAKEOVER,
  MASK_CRT,
  MASK_DEL,
  MASK_RSC,
  nameKey,
  PROP_AUTO_TIEBREAKER,
  WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { entry } from '../http/apicall';
import { deployResource, isInUse, undeployResource } from './deployment';
import { removeDisk } from './disks';
import { isDiskless, isOnline, isTieBreaker, rscsOf } from './lookup';
import type { NodeRec, RdRec, RscRec } from './model';
import { DFLT_DISKLESS_POOL, getPool } from './pools';
import { effectiveProp, rdPropsLayers } from './props';
import { rdKeysOfNode } from './storage';

/**
 * True when the RD's resources call for a tie-breaker, as the controller counts: an even number (at
 * least two) of diskful replicas and no diskless resource that votes (tie-breakers and DRBD clients
 * do not count), with quorum on.
 */
export function tieBreakerWanted(ctx: EmulatorContext, rd: RdRec, rscs: readonly RscRec[]): boolean {
  if (effectiveProp(rdPropsLayers(ctx, rd), 'DrbdOptions/Resource/quorum') === 'off') return false;
  const diskful = rscs.filter((r) => !isDiskless(r)).length;
  const voters = rscs.filter((r) => isDiskless(r) && !isTieBreaker(r) && !r.drbdClient).length;
  return diskful >= 2 && diskful % 2 === 0 && voters === 0;
}

/** True unless `DrbdOptions/auto-add-quorum-tiebreaker` is False along the RD's props chain. */
export function tieBreakerEnabled(ctx: EmulatorContext, rd: RdRec): boolean {
  const auto = effectiveProp(rdPropsLayers(ctx, rd), PROP_AUTO_TIEBREAKER);
  return auto === undefined || auto.toLowerCase() !== 'false';
}

export function setRdProp(ctx: EmulatorContext, rd: RdRec, key: string, value: string): RdRec {
  const next = { ...rd, props: { ...rd.props, [key]: value } };
  ctx.store.put('rds', [nameKey(rd.name)], next);
  return next;
}

/** Turns a resource that is being deleted into the tie-breaker (its disk, if any, goes). */
export function takeOverAsTieBreaker(ctx: EmulatorContext, rsc: RscRec, entries: ApiCallRc[]): void {
  let current = rsc;
  if (!isDiskless(current)) current = removeDisk(ctx, current, []);
  ctx.store.put<RscRec>('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], {
    ...current,
    flags: ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER'],
    drbdClient: undefined,
  });
  entries.push(
    entry(
      INFO_TIE_BREAKER_TAKEOVER | MASK_DEL | MASK_RSC,
      'The given resource will not be deleted but will be taken over as a linstor managed tiebreaker resource.',
      { objRefs: { RscDfn: rsc.rdName, Node: rsc.nodeName } },
    ),
  );
}

/**
 * Keeps the automatic tie-breaker right after a change: when the resources call for one
 * (tieBreakerWanted) and none exists, a diskless TIE_BREAKER goes on an online node without the
 * resource (INFO_TIE_BREAKER_CREATED, or WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER when no node can
 * hold it); when they do not, an existing tie-breaker on an online node is removed
 * (INFO_TIE_BREAKER_DELETING).
 */
export function reconcileTieBreaker(
  ctx: EmulatorContext,
  rd: RdRec,
  entries: ApiCallRc[],
  opMask = MASK_CRT,
): void {
  const current = ctx.store.get<RdRec>('rds', [nameKey(rd.name)]) ?? rd;
  const all = rscsOf(ctx, current.name);
  const breakers = all.filter((r) => isTieBreaker(r));
  const wanted = tieBreakerEnabled(ctx, current) && tieBreakerWanted(ctx, current, all);
  if (!wanted) {
    for (const tb of breakers) {
      if (!isOnline(ctx, tb.nodeName) || isInUse(ctx, tb.rdName, tb.nodeName)) continue;
      undeployResource(ctx, tb);
      entries.push(
        entry(INFO_TIE_BREAKER_DELETING | MASK_DEL | MASK_RSC, 'Tie breaker marked for deletion', {
          objRefs: { RscDfn: current.name, Node: tb.nodeName },
        }),
      );
    }
    return;
  }
  if (breakers.length > 0) return;
  const taken = new Set(all.map((r) => nameKey(r.nodeName)));
  const candidates = ctx.store
    .list<NodeRec>('nodes')
    .filter(
      (n) =>
        n.online &&
        !taken.has(nameKey(n.name)) &&
        !n.flags.some((f) => ['EVICTED', 'EVACUATE', 'DELETE'].includes(f)),
    )
    .filter((n) => getPool(ctx, n.name, DFLT_DISKLESS_POOL) !== undefined);
  const target = leastLoadedDisklessNode(ctx, candidates);
  if (!target) {
    entries.push(
      entry(
        WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER | opMask | MASK_RSC,
        `Could not find suitable node to automatically create a tie breaking resource for '${current.name}'.`,
        { objRefs: { RscDfn: current.name } },
      ),
    );
    return;
  }
  deployResource(
    ctx,
    { rdName: current.name, nodeName: target.name, diskless: true, flags: ['TIE_BREAKER'] },
    entries,
  );
  entries.push(
    entry(
      INFO_TIE_BREAKER_CREATED | MASK_CRT | MASK_RSC,
      `Tie breaker resource '${current.name}' created on ${target.name}`,
      { objRefs: { RscDfn: current.name, Node: target.name } },
    ),
  );
}

/**
 * The node for a new tie-breaker: the one whose diskless pool holds the fewest resources, ties by
 * node name. The controller places a tie-breaker with the autoplacer on diskless pools
 * (`CtrlRscAutoTieBreakerHelper.java` `getStorPoolForTieBreaker`), where free space does not tell
 * them apart and `autoplacer/strategies/MinimumResourceCountStrategy.java` ranks by resource count.
 */
function leastLoadedDisklessNode(ctx: EmulatorContext, nodes: readonly NodeRec[]): NodeRec | undefined {
  let best: { node: NodeRec; count: number } | undefined;
  for (const node of nodes) {
    const count = rdKeysOfNode(ctx, node.name).filter((rdKey) => {
      const rsc = ctx.store.get<RscRec>('resources', [rdKey, nameKey(node.name)]);
      return rsc !== undefined && isDiskless(rsc);
    }).length;
    if (
      !best ||
      count < best.count ||
      (count === best.count && node.name.localeCompare(best.node.name) < 0)
    ) {
      best = { node, count };
    }
  }
  return best?.node;
}

/**
 * Turns an existing tie-breaker into a wanted diskless resource (explicit create, autoplace,
 * make-available or toggle-disk on its node): the TIE_BREAKER flag goes, with no reply entry of
 * its own (`CtrlRscCrtApiHelper.disableTiebreakerFlag`; INFO_TIE_BREAKER_TAKEOVER belongs to the
 * delete path, `CtrlRscAutoTieBreakerHelper.takeover`).
 */
export function takeOverTieBreaker(ctx: EmulatorContext, rsc: RscRec): RscRec {
  const next = { ...rsc, flags: rsc.flags.filter((f) => f !== 'TIE_BREAKER') };
  ctx.store.put('resources', [nameKey(rsc.rdName), nameKey(rsc.nodeName)], next);
  return next;
}
