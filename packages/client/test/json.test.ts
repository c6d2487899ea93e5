import { FAIL_EXISTS_RSC_DFN, MASK_ERROR, sameCode, toSignedRetCode } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { parseLinstorJson, stringifyLinstorJson } from '../src/index';

describe('lossless JSON', () => {
  it('keeps every bit of int64 ret_codes that JSON.parse would round', () => {
    const text =
      '[{"ret_code": -4611686018406940171, "message": "exists"}, {"ret_code":20447233,"message":"ok"}]';
    expect(BigInt(Math.round((JSON.parse(text) as { ret_code: number }[])[0]!.ret_code))).not.toBe(
      -4611686018406940171n,
    );
    const parsed = parseLinstorJson(text) as { ret_code: bigint }[];
    expect(toSignedRetCode(parsed[0]!.ret_code)).toBe(-4611686018406940171n);
    expect(sameCode(parsed[0]!.ret_code, FAIL_EXISTS_RSC_DFN)).toBe(true);
    expect(parsed[1]!.ret_code).toBe(20447233n);
  });

  it('leaves look-alike text inside strings alone', () => {
    const text =
      '[{"ret_code":-4611686018427387603,"message":"bad \\"ret_code\\": 5 in \\\\\\"x","details":"\\"ret_code\\":1"}]';
    const parsed = parseLinstorJson(text) as { message: string; details: string; ret_code: bigint }[];
    expect(parsed[0]!.message).toBe('bad "ret_code": 5 in \\"x');
    expect(parsed[0]!.details).toBe('"ret_code":1');
    expect(parsed[0]!.ret_code).toBe(MASK_ERROR | 301n);
  });

  it('parses nested reports and clone messages', () => {
    const parsed = parseLinstorJson(
      '{"messages":[{"ret_code":-4611686018427387603,"message":"x"}],"space_info":{"max_vlm_size_in_kib":5}}',
    ) as { messages: { ret_code: bigint }[]; space_info: { max_vlm_size_in_kib: number } };
    expect(parsed.messages[0]!.ret_code).toBe(MASK_ERROR | 301n);
    expect(parsed.space_info.max_vlm_size_in_kib).toBe(5);
  });

  it('writes bigints as exact signed integers', () => {
    expect(stringifyLinstorJson({ a: FAIL_EXISTS_RSC_DFN, b: 'x' })).toBe(
      '{"a":-4611686018427387403,"b":"x"}',
    );
    expect(stringifyLinstorJson({ a: 1 })).toBe('{"a":1}');
  });
});
