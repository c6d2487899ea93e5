/**
 * JSON writer for controller replies. The real controller (Jackson, NON_EMPTY) leaves out null,
 * empty strings, empty lists and empty maps, and writes int64 `ret_code`s exactly. We hold codes
 * as unsigned bigints and write them as signed int64 digits (linstor-api.md §3.4).
 */
export function toControllerJson(value: unknown): string {
  return write(value, true);
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object' && !(v instanceof Date)) return Object.keys(v as object).length === 0;
  return false;
}

function write(value: unknown, top: boolean): string {
  if (typeof value === 'bigint') return BigInt.asIntN(64, value).toString();
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => write(v, false)).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (isEmpty(v)) continue;
      parts.push(`${JSON.stringify(k)}:${write(v, false)}`);
    }
    void top;
    return `{${parts.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}
