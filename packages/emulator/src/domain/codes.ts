/**
 * Return codes the routes for the rest of the REST API (remotes, schedules, files, evacuation, …)
 * need and `@linstor-hv/api` does not list, with the values of linstor-common's `consts.json`
 * (code number | type mask). Op and object bits are added where each entry is made.
 */
import { type ApiCallRc, MASK_ERROR, MASK_WARN, WARN_NOT_CONNECTED } from '@linstor-hv/api';
import { ApiCallError, entry } from '../http/apicall';

export const FAIL_INVLD_CONF = 230n | MASK_ERROR;
export const FAIL_INVLD_EXT_FILE_NAME = 235n | MASK_ERROR;
export const FAIL_INVLD_EXT_FILE = 236n | MASK_ERROR;
export const FAIL_INVLD_REMOTE_NAME = 239n | MASK_ERROR;
export const FAIL_INVLD_SCHEDULE_NAME = 241n | MASK_ERROR;
export const FAIL_EXISTS_NODE_CONN = 506n | MASK_ERROR;
export const FAIL_MISSING_EBS_TARGET = 611n | MASK_ERROR;
export const FAIL_STLT_DOES_NOT_SUPPORT_LAYER = 988n | MASK_ERROR;
export const WARN_NOT_EVACUATING = 1020n | MASK_WARN;

/**
 * The controller's "not found" entry for an object kind (CtrlApiDataLoader): "Remote 'x' not
 * found.", why, and what to do.
 */
export function notFoundError(code: bigint, kind: string, name: string, opObjMask = 0n): ApiCallError {
  const capitalized = kind.charAt(0).toUpperCase() + kind.slice(1);
  return new ApiCallError(
    entry(code | opObjMask, `${capitalized} '${name}' not found.`, {
      cause: `The specified ${kind} '${name}' could not be found in the database`,
      correction: `Create a ${kind} with the name '${name}' first.`,
    }),
  );
}

/**
 * `ResponseUtils.makeNotConnectedWarning`: WARN_NOT_CONNECTED for a change or a view that involves
 * an offline node. Changes add their op/object bits and the node as object reference; a storage
 * pool's `reports` carry the bare entry (`refs` false).
 */
export function notConnected(nodeName: string, opObjMask = 0n, refs = true): ApiCallRc {
  return entry(WARN_NOT_CONNECTED | opObjMask, `No active connection to satellite '${nodeName}'`, {
    details:
      'The controller is trying to (re-) establish a connection to the satellite. The controller stored the changes and as soon the satellite is connected, it will receive this update.',
    objRefs: refs ? { Node: nodeName } : undefined,
  });
}
