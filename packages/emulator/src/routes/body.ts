/** Small helpers for request bodies shared by E1's route modules. */
import { FAIL_INVLD_REQUEST } from '@linstor-hv/api';
import { entry, replyEntries } from '../http/apicall';
import type { EmuReply } from '../http/route';

/** The body as an object of type T, or undefined when it is not a JSON object (an empty body counts as `{}`). */
export function objectBody<T>(body: unknown): T | undefined {
  if (body === undefined) return {} as T;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return body as T;
}

/** The reply for a body of the wrong JSON type (an object was expected). */
export function badRequestBody(opObjMask: bigint): EmuReply {
  return replyEntries(
    [entry(FAIL_INVLD_REQUEST | opObjMask, 'The request body must be a JSON object.')],
    200,
  );
}
