import { describe, expect, it } from 'vitest';
import {
  classifyRetCode,
  FAIL_EXISTS_CRYPT_PASSPHRASE,
  FAIL_EXISTS_RSC_DFN,
  FAIL_NOT_FOUND_NODE,
  FAIL_SIGN_IN_MISSING_CREDENTIALS,
  httpStatusForReply,
  INFO_NO_RSC_SPAWNED,
  isAlreadyExistsCode,
  isNotFoundCode,
  MASK_CRT,
  MASK_RSC_DFN,
  sameCode,
  toRetCode,
  toSignedRetCode,
  WARN_NOT_FOUND,
} from '../src/index';

describe('ret_code classification', () => {
  it('reads the real "RD already exists" code from linstor-proxmox#52 exactly', () => {
    const rc = toRetCode('-4611686018406940171');
    expect(classifyRetCode(rc)).toBe('error');
    expect(sameCode(rc, FAIL_EXISTS_RSC_DFN)).toBe(true);
    expect(rc).toBe(FAIL_EXISTS_RSC_DFN | MASK_CRT | MASK_RSC_DFN);
    expect(toSignedRetCode(rc)).toBe(-4611686018406940171n);
  });

  it('does not treat a bit subset as the same code (512 vs 513..1023)', () => {
    expect(sameCode(FAIL_EXISTS_RSC_DFN, FAIL_EXISTS_CRYPT_PASSPHRASE)).toBe(false);
    const rc = toRetCode(FAIL_EXISTS_RSC_DFN | MASK_CRT);
    expect(sameCode(rc, FAIL_EXISTS_CRYPT_PASSPHRASE)).toBe(false);
  });

  it('tells errors from warnings although errors carry the warn bit', () => {
    expect(classifyRetCode(toRetCode('-9223372036800771144'))).toBe('warning');
    expect(sameCode(toRetCode('-9223372036800771144'), WARN_NOT_FOUND)).toBe(true);
    expect(classifyRetCode(INFO_NO_RSC_SPAWNED)).toBe('info');
    expect(classifyRetCode(toRetCode(20447233))).toBe('success');
  });

  it('recognises bare not-found and exists codes by range', () => {
    expect(isNotFoundCode(toRetCode('-4611686018427387604'))).toBe(true);
    expect(sameCode(toRetCode('-4611686018427387604'), FAIL_NOT_FOUND_NODE)).toBe(true);
    expect(isAlreadyExistsCode(FAIL_EXISTS_RSC_DFN)).toBe(true);
    expect(isNotFoundCode(WARN_NOT_FOUND)).toBe(false);
  });

  it('maps replies to HTTP statuses like ApiCallRcRestUtils', () => {
    expect(httpStatusForReply([20447233n, WARN_NOT_FOUND], 201)).toBe(201);
    expect(httpStatusForReply([FAIL_NOT_FOUND_NODE], 200)).toBe(404);
    expect(httpStatusForReply([FAIL_EXISTS_RSC_DFN], 201)).toBe(500);
    expect(httpStatusForReply([FAIL_SIGN_IN_MISSING_CREDENTIALS], 200)).toBe(401);
  });
});
