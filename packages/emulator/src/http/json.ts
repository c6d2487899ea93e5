/**
 * JSON writer for controller replies. The real controller (Jackson, NON_EMPTY) leaves out null,
 * empty strings, empty lists and empty maps, and writes int64 `ret_code`s exactly. We hold codes
 * as unsigned bigints and write them as signed int64 digits (linstor-api.md §3.4).
 *
 * The engine's own JSON.stringify does the work (a view of thousands of resources is megabytes):
 * the replacer drops empty members of objects (list elements stay, as Jackson keeps them) and
 * turns each bigint into a marked string that is then replaced by its bare digits. The mark holds
 * a per-process random part, so no string a client stored can look like one.
 */
import { randomBytes } from 'node:crypto';

const MARK = `\u0001int64-${randomBytes(6).toString('hex')}:`;
/** A marked bigint as JSON.stringify writes it ("\u0001..." escaped), and its digits. */
const MARKED = new RegExp(`"\\\\u0001int64-${MARK.slice(7, -1)}:(-?\\d+)"`, 'g');

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && !(v instanceof Date)) {
    for (const _ in v as object) return false;
    return true;
  }
  return false;
}

function replacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return `${MARK}${BigInt.asIntN(64, value)}`;
  if (key !== '' && !Array.isArray(this) && isEmpty(value)) return undefined;
  return value;
}

/** The reply text of `value` (see the module comment). */
export function toControllerJson(value: unknown): string {
  if (value === undefined) return 'null';
  const text = JSON.stringify(value, replacer) ?? 'null';
  return text.includes('int64-') ? text.replace(MARKED, '$1') : text;
}
