/**
 * Snapshot restore (linstor-api.md §2.8, CtrlSnapshotRestoreApiCallHandler): first the volume
 * definitions (`snapshot-restore-volume-definition`), then the resources
 * (`snapshot-restore-resource`), always into an existing resource definition without resources.
 * The restored data is a real (sparse) copy of the snapshot, written before the transaction commits.
 */
import {
  type ApiCallRc,
  CREATED,
  FAIL_EXISTS_RSC,
  FAIL_INVLD_VLM_SIZE,
  FAIL_NOT_FOUND_SNAPSHOT,
  FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN,
  MASK_CRT,
  MASK_RSC,
  MASK_VLM_DFN,
  type SnapshotRestore,
  sameName,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { createVd } from './definitions';
import { deployResource, undeployResource } from './deployment';
import { checkRscName, requireRd, rscsOf, vdsOf } from './lookup';
import type { RdRec, RscRec, SnapNodeRec, SnapRec } from './model';
import { requireSnapshot } from './snapshots';
import { dataPlane } from './storage';
import { reconcileTieBreaker } from './tie-breaker';

const CRT_VLM_DFN = MASK_CRT | MASK_VLM_DFN;
const CRT_RSC = MASK_CRT | MASK_RSC;

/** Source RD, snapshot and target RD of a restore request, with the target-has-no-resources rule checked. */
function restoreParties(
  ctx: EmulatorContext,
  srcRdName: string,
  snapName: string,
  body: SnapshotRestore,
  opObjMask: bigint,
): { src: RdRec; snap: SnapRec; target: RdRec } {
  const src = requireRd(ctx, srcRdName, opObjMask);
  const snap = requireSnapshot(ctx, src, snapName, opObjMask);
  const target = requireRd(ctx, checkRscName(body.to_resource, opObjMask), opObjMask);
  const deployed = rscsOf(ctx, target.name);
  if (deployed.length > 0) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_RSC | opObjMask,
        `Resource definition '${target.name}' already has resources; a snapshot can only be restored into a resource definition without resources.`,
        {
          details: `Resources exist on node(s): ${deployed.map((r) => r.nodeName).join(', ')}`,
          correction: 'Restore into a new, empty resource definition.',
        },
      ),
    );
  }
  return { src, snap, target };
}

/**
 * `snapshot-restore-volume-definition`: creates the target's volume definitions with the
 * snapshot's numbers and sizes. A volume definition with the same number refuses the whole restore
 * (FAIL_EXISTS_VLM_DFN: the target must not be spawned first, linstor-csi PR #75).
 */
export function restoreVolumeDefinitions(
  ctx: EmulatorContext,
  srcRdName: string,
  snapName: string,
  body: SnapshotRestore,
): ApiCallRc[] {
  const { snap, target } = restoreParties(ctx, srcRdName, snapName, body, CRT_VLM_DFN);
  const entries: ApiCallRc[] = [];
  for (const v of snap.volumes) {
    createVd(
      ctx,
      target,
      { volume_definition: { volume_number: v.volumeNumber, size_kib: v.sizeKib } },
      entries,
    );
  }
  return entries;
}

/** The pool a restored resource uses on a node: the snapshot's pool, renamed by `stor_pool_rename`. */
function restorePool(snapNode: SnapNodeRec, rename: Record<string, string> | undefined): string {
  if (!rename) return snapNode.poolName;
  const exact = rename[snapNode.poolName];
  if (exact !== undefined) return exact;
  const key = Object.keys(rename).find((k) => sameName(k, snapNode.poolName));
  return key !== undefined ? (rename[key] ?? snapNode.poolName) : snapNode.poolName;
}

/**
 * `snapshot-restore-resource`: deploys the target on every node holding the snapshot (or the
 * requested subset) in the snapshot's pools, and copies the snapshot's data into the target's
 * volumes. Every target volume definition must have exactly the snapshot volume's size.
 */
export async function restoreResources(
  ctx: EmulatorContext,
  srcRdName: string,
  snapName: string,
  body: SnapshotRestore,
): Promise<ApiCallRc[]> {
  const { src, snap, target } = restoreParties(ctx, srcRdName, snapName, body, CRT_RSC);
  const vds = vdsOf(ctx, target.name);
  const entries: ApiCallRc[] = [];
  if (vds.length === 0) {
    entries.push(
      entry(
        WARN_NOT_FOUND | CRT_VLM_DFN,
        `No volumes to restore: resource definition '${target.name}' has no volume definitions.`,
        {
          correction: `Restore the volume definitions first (snapshot-restore-volume-definition/${snap.name}).`,
        },
      ),
    );
  }
  for (const vd of vds) {
    const snapVol = snap.volumes.find((v) => v.volumeNumber === vd.volumeNumber);
    if (!snapVol) {
      throw new ApiCallError(
        entry(
          FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN | CRT_RSC,
          `Snapshot '${snap.name}' of resource '${src.name}' has no volume ${vd.volumeNumber}.`,
        ),
      );
    }
    if (snapVol.sizeKib !== vd.sizeKib) {
      throw new ApiCallError(
        entry(
          FAIL_INVLD_VLM_SIZE | CRT_RSC,
          `Volume definition ${vd.volumeNumber} of resource definition '${target.name}' has ${vd.sizeKib} KiB, but the snapshot volume has ${snapVol.sizeKib} KiB.`,
          {
            cause: 'A snapshot can only be restored into volumes of exactly its size.',
            correction: 'Restore with the snapshot size, then grow the volume definition.',
          },
        ),
      );
    }
  }

  const wanted = body.nodes && body.nodes.length > 0 ? body.nodes : snap.nodes.map((n) => n.nodeName);
  const placements = wanted.map((nodeName) => {
    const snapNode = snap.nodes.find((n) => sameName(n.nodeName, nodeName));
    if (!snapNode) {
      throw new ApiCallError(
        entry(
          FAIL_NOT_FOUND_SNAPSHOT | CRT_RSC,
          `Snapshot '${snap.name}' of resource '${src.name}' on node '${nodeName}' not found.`,
        ),
      );
    }
    return { nodeName: snapNode.nodeName, poolName: restorePool(snapNode, body.stor_pool_rename) };
  });

  const deployed: RscRec[] = [];
  try {
    for (const p of placements) {
      deployed.push(
        deployResource(ctx, { rdName: target.name, nodeName: p.nodeName, poolName: p.poolName }, entries),
      );
    }
    const plane = dataPlane(ctx);
    if (deployed.length > 0) {
      for (const vd of vds) await plane.restoreSnapshot(src.name, snap.name, vd.volumeNumber, target.name);
    }
    reconcileTieBreaker(ctx, target, entries);
  } catch (err) {
    // The transaction rolls the records back; take the files and links deployed so far with it.
    for (const rsc of deployed.reverse()) undeployResource(ctx, rsc);
    throw err;
  }
  entries.push(
    entry(
      CRT_RSC | CREATED,
      `Restored snapshot '${snap.name}' of resource '${src.name}' into resource '${target.name}' on node(s) '${placements.map((p) => p.nodeName).join(', ')}'.`,
      { objRefs: { RscDfn: target.name, Snapshot: snap.name } },
    ),
  );
  return entries;
}
