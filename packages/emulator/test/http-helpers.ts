/**
 * Test helpers for talking to an emulator over HTTP the way a careful client does: ret_codes are
 * parsed exactly (quoted before JSON.parse, then held as unsigned 64-bit bigints), so tests can
 * compare them with the constants of @linstor-hv/api.
 */
import { toRetCode } from '@linstor-hv/api';

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body with every `ret_code` as an unsigned bigint (undefined for an empty or non-JSON body). */
  json: unknown;
}

/** Parses controller JSON keeping `ret_code`s exact. */
export function parseExact(text: string): unknown {
  const quoted = text.replace(/("ret_code"\s*:\s*)(-?\d+)/g, '$1"$2"');
  return JSON.parse(quoted, (key, value) =>
    key === 'ret_code' ? toRetCode(BigInt(value as string)) : value,
  );
}

/** Sends one request; `body` is sent as JSON unless it is already a string. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  const init: RequestInit = { method, headers: { ...headers }, signal: AbortSignal.timeout(20_000) };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(new URL(path, baseUrl), init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : parseExact(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The ret_codes of an ApiCallRcList reply. */
export function retCodes(reply: HttpReply): bigint[] {
  return (reply.json as { ret_code: bigint }[]).map((e) => e.ret_code);
}

/** The messages of an ApiCallRcList reply. */
export function messages(reply: HttpReply): string[] {
  return (reply.json as { message: string }[]).map((e) => e.message);
}
