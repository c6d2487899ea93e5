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

/**
 * A JSON array whose elements were written already (by toControllerJson), sent as it is when it is
 * a reply's `json`: the server copies the elements into one reused buffer instead of joining a new
 * string, so a list of thousands of cached views costs no large allocation.
 */
export class JsonArrayOfParts {
  /** UTF-8 bytes of the whole array text: brackets, elements and the commas between them. */
  readonly byteLength: number;

  /** `elementBytes[i]` is the UTF-8 length of `elements[i]`. */
  constructor(
    readonly elements: readonly string[],
    elementBytes: readonly number[],
  ) {
    let length = 2 + Math.max(0, elements.length - 1);
    for (const n of elementBytes) length += n;
    this.byteLength = length;
  }

  /** Writes the array text into `target` (at least byteLength bytes); returns the bytes written. */
  copyTo(target: Buffer): number {
    target[0] = 0x5b; // [
    let at = 1;
    for (let i = 0; i < this.elements.length; i++) {
      if (i > 0) target[at++] = 0x2c; // ,
      at += target.write(this.elements[i]!, at, 'utf8');
    }
    target[at++] = 0x5d; // ]
    return at;
  }

  /** The array text. */
  toString(): string {
    return `[${this.elements.join(',')}]`;
  }

  /** True when `other` holds the very same element strings (so the same text). */
  sameAs(other: JsonArrayOfParts): boolean {
    if (other.elements.length !== this.elements.length || other.byteLength !== this.byteLength) return false;
    for (let i = 0; i < this.elements.length; i++) if (other.elements[i] !== this.elements[i]) return false;
    return true;
  }
}

/** The reply text of `value` (see the module comment); a JsonArrayOfParts is its own text. */
export function toControllerJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value instanceof JsonArrayOfParts) return value.toString();
  const text = JSON.stringify(value, replacer) ?? 'null';
  return text.includes('int64-') ? text.replace(MARKED, '$1') : text;
}
