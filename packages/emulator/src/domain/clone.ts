/**
 * Resource-definition clone (linstor-api.md §2.5, CtrlRscDfnApiCallHandler.cloneRscDfn) as an
 * asynchronous state machine: the POST sets up the clone (new RD flagged CLONING with prop
 * `cloned-from`, the same volume definitions, a resource on every node where the source has one,
 * in the same pools) and commits; a background job then copies the data and, in its own
 * transaction, ends the clone as COMPLETE (CLONING flag removed) or FAILED (flag FAILED), e.g. when
 * a node of the clone is offline. A clone interrupted by a restart is resumed by resumeClones().
 */
import { randomUUID } from 'node:crypto';
import {
  type ApiCallRc,
  CREATED,
  FAIL_INVLD_PROVIDER,
  type LayerType,
  MASK_CRT,
  MASK_RSC_DFN,
  nameKey,
  type ResourceDefinitionCloneRequest,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { createRd, createVd } from './definitions';
import { type DeployOptions, deployResource, undeployResource } from './deployment';
import {
  checkRscName,
  isDiskless,
  isOnline,
  isTieBreaker,
  requireRd,
  requireRg,
  rscsOf,
  vdsOf,
} from './lookup';
import type { CloneRec, RdRec, RscRec } from './model';
import { getPool } from './pools';
import { applyPropsModify } from './props';
import { dataPlane } from './storage';

const CRT_RSC_DFN = MASK_CRT | MASK_RSC_DFN;

/** The RD prop that records a clone's source. */
export const PROP_CLONED_FROM = 'cloned-from';

/** Provider kinds whose volumes the controller can clone (thick LVM cannot: no snapshots to copy from). */
export const CLONE_PROVIDER_KINDS: ReadonlySet<string> = new Set([
  'LVM_THIN',
  'ZFS',
  'ZFS_THIN',
  'FILE',
  'FILE_THIN',
]);

/** The clone's bookkeeping record, or undefined. */
export function getClone(ctx: EmulatorContext, srcName: string, cloneName: string): CloneRec | undefined {
  return ctx.store.get<CloneRec>('clones', [nameKey(srcName), nameKey(cloneName)]);
}

/** What setupClone created. */
export interface CloneSetup {
  src: RdRec;
  clone: RdRec;
  entries: ApiCallRc[];
}

/**
 * Validates the request and creates the clone's RD, VDs and resources plus its CLONING record,
 * inside the caller's transaction. The data is copied later by runClone (after the commit).
 */
export function setupClone(
  ctx: EmulatorContext,
  srcName: string,
  req: ResourceDefinitionCloneRequest,
): CloneSetup {
  const src = requireRd(ctx, srcName, CRT_RSC_DFN);
  const name = checkRscName(req.name, CRT_RSC_DFN);
  const srcResources = rscsOf(ctx, src.name);
  const unsupported: string[] = [];
  for (const rsc of srcResources) {
    if (isDiskless(rsc)) continue;
    for (const v of rsc.volumes) {
      const kind = getPool(ctx, rsc.nodeName, v.poolName)?.providerKind ?? 'unknown';
      if (!CLONE_PROVIDER_KINDS.has(kind)) unsupported.push(`${v.poolName} on ${rsc.nodeName} (${kind})`);
    }
  }
  if (unsupported.length > 0) {
    throw new ApiCallError(
      entry(FAIL_INVLD_PROVIDER | CRT_RSC_DFN, 'Clone source contains unsupported storage pools', {
        details: `Unsupported: ${[...new Set(unsupported)].join(', ')}`,
        correction: `Clone is supported on ${[...CLONE_PROVIDER_KINDS].join(', ')} pools.`,
      }),
    );
  }
  const rgName = req.resource_group ? requireRg(ctx, req.resource_group, CRT_RSC_DFN).name : src.rgName;
  const props = applyPropsModify({ ...src.props }, req, CRT_RSC_DFN);
  props[PROP_CLONED_FROM] = src.name;

  const entries: ApiCallRc[] = [];
  const created = createRd(
    ctx,
    {
      resource_definition: {
        name,
        resource_group_name: rgName,
        external_name: req.external_name,
        props,
        layer_data: (req.layer_list?.length ? req.layer_list : (src.layerStack as LayerType[])).map(
          (type) => ({ type }),
        ),
      },
      drbd_peer_slots: src.peerSlots,
    },
    entries,
  );
  // Set after creation: `cloned-from` is the controller's own key, not one a client may set.
  const clone: RdRec = {
    ...created,
    props: { ...created.props, [PROP_CLONED_FROM]: src.name },
    flags: ['CLONING'],
  };
  ctx.store.put('rds', [nameKey(name)], clone);

  for (const srcVd of vdsOf(ctx, src.name)) {
    createVd(
      ctx,
      clone,
      {
        volume_definition: {
          volume_number: srcVd.volumeNumber,
          size_kib: srcVd.sizeKib,
          flags: srcVd.flags.filter((f) => f !== 'RESIZE' && f !== 'DELETE'),
        },
      },
      entries,
      { baseProps: srcVd.props },
    );
  }

  const deployed: RscRec[] = [];
  try {
    for (const rsc of srcResources) {
      const diskless = isDiskless(rsc);
      const opts: DeployOptions = { rdName: name, nodeName: rsc.nodeName, diskless };
      if (!diskless && rsc.volumes[0]) opts.poolName = rsc.volumes[0].poolName;
      if (isTieBreaker(rsc)) opts.flags = ['TIE_BREAKER'];
      deployed.push(deployResource(ctx, opts, entries));
    }
  } catch (err) {
    // The transaction rolls the records back; take the clone's files and links with it.
    for (const rsc of deployed.reverse()) undeployResource(ctx, rsc);
    throw err;
  }

  const rec: CloneRec = {
    srcName: src.name,
    cloneName: name,
    status: 'CLONING',
    startedAt: ctx.now(),
    job: randomUUID(),
  };
  ctx.store.put('clones', [nameKey(src.name), nameKey(name)], rec);
  entries.push(
    entry(CRT_RSC_DFN | CREATED, `Clone of resource definition '${src.name}' to '${name}' started.`, {
      objRefs: { RscDfn: name },
    }),
  );
  return { src, clone, entries };
}

/** Background clone jobs per context, so that tests and shutdown can wait for them. */
const running = new WeakMap<EmulatorContext, Set<Promise<void>>>();

/** Starts the data copy of a clone in the background (after the setup committed). */
export function scheduleClone(ctx: EmulatorContext, srcName: string, cloneName: string): void {
  let jobs = running.get(ctx);
  if (!jobs) {
    jobs = new Set();
    running.set(ctx, jobs);
  }
  const set = jobs;
  const job = new Promise<void>((resolve) => {
    let started = false;
    const onAbort = () => {
      // Not started yet: it never will be. Started: the job ends when its copy step ends.
      if (!started) {
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      started = true;
      ctx.signal.removeEventListener('abort', onAbort);
      runClone(ctx, srcName, cloneName).finally(resolve);
    }, 0);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  set.add(job);
  void job.finally(() => set.delete(job));
}

/** Resolves when every clone job started for this context has ended. */
export async function settleClones(ctx: EmulatorContext): Promise<void> {
  const jobs = running.get(ctx);
  while (jobs && jobs.size > 0) await Promise.all([...jobs]);
}

/** Why a clone cannot complete now (a node of the clone is offline, the source is gone), or undefined. */
function cloneBlocker(ctx: EmulatorContext, srcName: string, cloneName: string): string | undefined {
  if (!ctx.store.get<RdRec>('rds', [nameKey(srcName)]))
    return `source resource definition '${srcName}' is gone`;
  for (const rsc of rscsOf(ctx, cloneName)) {
    if (!isOnline(ctx, rsc.nodeName)) return `node '${rsc.nodeName}' is offline`;
  }
  return undefined;
}

/**
 * The clone's data step and its ending: copies every volume from the source (when the clone has a
 * resource to hold it) and marks the clone COMPLETE, or FAILED when a node went offline, the
 * source vanished, or the copy failed. Does nothing once the clone is no longer CLONING.
 */
export async function runClone(ctx: EmulatorContext, srcName: string, cloneName: string): Promise<void> {
  const { store } = ctx;
  const started = getClone(ctx, srcName, cloneName);
  if (ctx.signal.aborted || started?.status !== 'CLONING') return;
  let failure = cloneBlocker(ctx, srcName, cloneName);
  if (!failure) {
    try {
      const plane = dataPlane(ctx);
      const hasResources = store.count('resources', [nameKey(cloneName)]) > 0;
      for (const vd of vdsOf(ctx, cloneName)) {
        if (hasResources && plane.hasVolume(srcName, vd.volumeNumber)) {
          await plane.cloneVolume(srcName, vd.volumeNumber, cloneName);
        }
      }
    } catch (err) {
      failure = `copying the data failed: ${(err as Error).message}`;
    }
  }
  if (ctx.signal.aborted) return; // shutting down: the clone stays CLONING and resumes at the next start
  try {
    await store.transaction(() => {
      const rec = getClone(ctx, srcName, cloneName);
      const rd = store.get<RdRec>('rds', [nameKey(cloneName)]);
      if (!rd || store.count('resources', [nameKey(cloneName)]) === 0) {
        // The clone was deleted while its data was being copied: the copy is an orphan now.
        store.afterCommit(() => {
          if (store.count('resources', [nameKey(cloneName)]) === 0) dataPlane(ctx).deleteVolumes(cloneName);
        });
      }
      // Deleted while copying and made again under the same names: the new clone's own job ends it.
      if (rec?.status !== 'CLONING' || !rd || rec.job !== started.job) return;
      failure ??= cloneBlocker(ctx, srcName, cloneName);
      const flags = rd.flags.filter((f) => f !== 'CLONING');
      if (failure) flags.push('FAILED');
      store.put('rds', [nameKey(cloneName)], { ...rd, flags });
      store.put<CloneRec>('clones', [nameKey(srcName), nameKey(cloneName)], {
        ...rec,
        status: failure ? 'FAILED' : 'COMPLETE',
      });
    });
  } catch (err) {
    if (!ctx.signal.aborted)
      ctx.recordErrorReport(`clone ${srcName} -> ${cloneName}: ${(err as Error).message}`);
  }
  if (failure && !ctx.signal.aborted) {
    ctx.recordErrorReport(`Clone of resource definition '${srcName}' to '${cloneName}' failed: ${failure}`);
  }
}

/** At startup: restarts the data step of every clone that a restart interrupted while CLONING. */
export function resumeClones(ctx: EmulatorContext): number {
  const pending = ctx.store.list<CloneRec>('clones').filter((c) => c.status === 'CLONING');
  for (const c of pending) scheduleClone(ctx, c.srcName, c.cloneName);
  return pending.length;
}
