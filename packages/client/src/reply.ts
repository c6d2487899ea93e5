import { type ApiCallRc, classifyRetCode, type RetCodeKind, sameCode, toRetCode } from '@linstor-hv/api';
import { joinLines } from './text';

/** Entries of a kind, in reply order. */
function ofKind(entries: readonly ApiCallRc[], kind: RetCodeKind): ApiCallRc[] {
  return entries.filter((e) => classifyRetCode(e.ret_code) === kind);
}

/**
 * The outcome of a successful mutating call: every ApiCallRc entry the controller sent, so callers
 * see warnings ("did not become ready", WARN_NOT_CONNECTED) and infos (INFO_NO_RSC_SPAWNED) that a
 * 2xx status alone hides.
 */
export class LinstorReply {
  constructor(
    /** HTTP status of the reply (200 or 201 for LINSTOR mutations). */
    readonly status: number,
    /** All entries, in the order the controller sent them. */
    readonly entries: readonly ApiCallRc[],
    /** Origin of the controller that answered. */
    readonly controller: string,
    /** How many times the request was sent (above 1 after a retried idempotent call). */
    readonly attempts = 1,
  ) {}

  /** Warning entries (type bits = MASK_WARN only). */
  get warnings(): ApiCallRc[] {
    return ofKind(this.entries, 'warning');
  }

  /** Info entries (type bits = MASK_INFO only). */
  get infos(): ApiCallRc[] {
    return ofKind(this.entries, 'info');
  }

  /** Success entries (type bits zero). */
  get successes(): ApiCallRc[] {
    return ofKind(this.entries, 'success');
  }

  /** True when any entry carries exactly `code` (type and code bits compared for equality). */
  has(code: bigint): boolean {
    return this.entries.some((e) => sameCode(e.ret_code, code));
  }

  /** The first entry carrying `code`, if any. */
  find(code: bigint): ApiCallRc | undefined {
    return this.entries.find((e) => sameCode(e.ret_code, code));
  }

  /** The entries' messages, in order. */
  get messages(): string[] {
    return this.entries.map((e) => e.message);
  }
}

/** Error entries (both type bits set). */
export function errorEntries(entries: readonly ApiCallRc[]): ApiCallRc[] {
  return ofKind(entries, 'error');
}

/** One entry as a person reads it: message, cause, details, correction, error-report ids. */
export function describeEntry(entry: ApiCallRc): string {
  const parts = [entry.message.trim().replace(/\.$/, '')];
  if (entry.cause) parts.push(`cause: ${joinLines(entry.cause)}`);
  if (entry.details) parts.push(`details: ${joinLines(entry.details)}`);
  if (entry.correction) parts.push(`correction: ${joinLines(entry.correction)}`);
  if (entry.error_report_ids?.length) parts.push(`error reports: ${entry.error_report_ids.join(', ')}`);
  return parts.join('; ');
}

/** Pulls the ApiCallRc entries out of a reply body. */
export function entriesOf(body: unknown): ApiCallRc[] {
  const list = Array.isArray(body)
    ? body
    : body && typeof body === 'object' && Array.isArray((body as { messages?: unknown }).messages)
      ? (body as { messages: unknown[] }).messages
      : [];
  const entries: ApiCallRc[] = [];
  for (const item of list) {
    if (item && typeof item === 'object' && 'ret_code' in item) {
      const entry = item as ApiCallRc & { ret_code: unknown };
      const rc = entry.ret_code;
      if (typeof rc === 'bigint' || typeof rc === 'string' || typeof rc === 'number') {
        entries.push({ ...entry, ret_code: toRetCode(rc), message: String(entry.message ?? '') });
      }
    }
  }
  return entries;
}
