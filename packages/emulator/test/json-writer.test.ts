import { describe, expect, it } from 'vitest';
import { toControllerJson } from '../src/http/json';

describe('controller JSON writer', () => {
  it('writes int64 codes exactly, leaves empty members out and keeps list elements', () => {
    const text = toControllerJson([
      {
        ret_code: 13835058055282163729n,
        message: 'm',
        cause: '',
        obj_refs: {},
        error_report_ids: [],
        details: null,
        nested: { a: undefined, b: [1, '', null], total: 9223372036854775807n },
      },
    ]);
    expect(text).toBe(
      '[{"ret_code":-4611686018427387887,"message":"m","nested":{"b":[1,"",null],"total":9223372036854775807}}]',
    );
  });

  it('leaves strings that look like a marked number alone', () => {
    const value = { props: { a: '\u0001int64-000000000000:5', b: 'int64-x:7' } };
    expect(JSON.parse(toControllerJson(value))).toEqual(value);
  });
});
