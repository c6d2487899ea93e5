import { type ApiCallRc, httpStatusForReply, toRetCode } from '@linstor-hv/api';
import type { EmuReply } from './route';

/** Options of one ApiCallRc entry; empty fields are left out on the wire. */
export interface EntryOptions {
  cause?: string;
  details?: string;
  correction?: string;
  objRefs?: Record<string, string>;
  errorReportIds?: string[];
}

/** Builds one ApiCallRc entry; `retCode` is the full code (type | op | object | code bits). */
export function entry(retCode: bigint, message: string, opts: EntryOptions = {}): ApiCallRc {
  const e: ApiCallRc = { ret_code: toRetCode(retCode), message };
  if (opts.cause) e.cause = opts.cause;
  if (opts.details) e.details = opts.details;
  if (opts.correction) e.correction = opts.correction;
  if (opts.errorReportIds?.length) e.error_report_ids = opts.errorReportIds;
  if (opts.objRefs && Object.keys(opts.objRefs).length) e.obj_refs = opts.objRefs;
  e.created_at = new Date().toISOString();
  return e;
}

/**
 * An error raised inside a handler that becomes an ApiCallRcList reply. Throwing it aborts the
 * store transaction, so nothing the handler changed is kept. The reply's status follows the
 * entries (§3.3); `successStatus` is the one used when none of them is an error (the controller
 * aborts some calls with an INFO entry, e.g. INFO_RSC_ALREADY_EXISTS on a create: 201).
 */
export class ApiCallError extends Error {
  readonly entries: ApiCallRc[];
  readonly successStatus: number;
  constructor(entries: ApiCallRc | ApiCallRc[], successStatus = 200) {
    const list = Array.isArray(entries) ? entries : [entries];
    super(list[0]?.message ?? 'api call failed');
    this.entries = list;
    this.successStatus = successStatus;
  }
}

/** The reply for an ApiCallRcList with the status the real controller computes (§3.3). */
export function replyEntries(entries: ApiCallRc[], successStatus: number): EmuReply {
  return {
    status: httpStatusForReply(
      entries.map((e) => e.ret_code),
      successStatus,
    ),
    json: entries,
  };
}
