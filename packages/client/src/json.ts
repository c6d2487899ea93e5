import { toRetCode } from '@linstor-hv/api';

/**
 * Lossless JSON for LINSTOR replies.
 *
 * `ret_code` is a signed 64-bit integer on the wire; `JSON.parse` would round it to a double and lose
 * the low ~10 bits, which hold the error code (linstor-api.md §3.4). Node 20 has no
 * `JSON.parse` source access, so before parsing we quote every number that follows a `"ret_code"`
 * key and turn it into an unsigned 64-bit bigint afterwards. String literals are matched as whole
 * tokens, so text inside a message that merely looks like `"ret_code": 1` is never touched.
 */
const KEY_WITH_NUMBER = /("(?:[^"\\]|\\.)*")(\s*:\s*)(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)?/g;

/** Parses JSON text, turning every `ret_code` into an exact unsigned 64-bit bigint. */
export function parseLinstorJson(text: string): unknown {
  if (!text.includes('"ret_code"')) return JSON.parse(text);
  const quoted = text.replace(KEY_WITH_NUMBER, (whole, key: string, colon: string, num?: string) =>
    key === '"ret_code"' && num !== undefined ? `${key}${colon}"${num}"` : whole,
  );
  return JSON.parse(quoted, (key, value: unknown) => {
    if (key === 'ret_code' && (typeof value === 'string' || typeof value === 'number')) {
      return toRetCode(value);
    }
    return value;
  });
}

/**
 * Serialises a request body. A bigint (e.g. a ret_code a caller echoes back) is written as an exact
 * integer instead of making `JSON.stringify` throw.
 */
export function stringifyLinstorJson(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint' ? `${marker}${BigInt.asIntN(64, v).toString()}` : v,
  );
  // JSON.stringify escapes the NUL of the marker, so look for its escaped form.
  if (!text.includes('\\u0000bigint:')) return text;
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
