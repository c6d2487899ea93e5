/**
 * Error codes: every error core throws extends VolumeError and carries a code from the one exported
 * list, the README lists exactly those codes, and LINSTOR's words travel along as data.
 */

import { readFileSync } from 'node:fs';
import { FAIL_NOT_FOUND_RSC_DFN } from '@linstor-hv/api';
import {
  LinstorApiError,
  LinstorTransportError,
  OutcomeUnknownError,
  WaitTimeoutError,
} from '@linstor-hv/client';
import { describe, expect, it } from 'vitest';
import { DataCopyError } from '../src/copy/copy';
import {
  RollbackBlockedError,
  VOLUME_ERROR_CODES,
  VolumeAbortedError,
  VolumeError,
  type VolumeErrorKind,
  VolumeInUseError,
  VolumeNotFoundError,
  VolumeValidationError,
} from '../src/errors';
import { SshExecutor } from '../src/exec/ssh';
import { CommandFailedError } from '../src/exec/types';
import { wrapFailure, wrapFailureAfterCleanup } from '../src/failure';

const CODES: ReadonlySet<string> = new Set(Object.values(VOLUME_ERROR_CODES));
const KINDS: readonly VolumeErrorKind[] = [
  'invalid-argument',
  'not-found',
  'already-exists',
  'in-use',
  'placement',
  'not-supported',
  'blocked',
  'timeout',
  'copy-failed',
  'unavailable',
  'linstor',
];

describe('error codes', () => {
  it('are UPPER_SNAKE, start with VOLUME_, and name themselves', () => {
    for (const [key, code] of Object.entries(VOLUME_ERROR_CODES)) {
      expect(code).toBe(key);
      expect(code).toMatch(/^VOLUME_[A-Z]+(_[A-Z]+)*$/);
    }
  });

  it('every error class carries a listed code and extends VolumeError', () => {
    const samples: VolumeError[] = [
      ...KINDS.map((kind) => new VolumeError(kind, 'x')),
      new VolumeValidationError('x'),
      new VolumeNotFoundError('x'),
      new RollbackBlockedError('x', ['s1']),
      new VolumeInUseError('x', ['pve1']),
      new VolumeAbortedError('x'),
      new DataCopyError('x'),
      new CommandFailedError(['dd'], 'local', 1, 'boom'),
    ];
    for (const error of samples) {
      expect(error).toBeInstanceOf(VolumeError);
      expect(CODES.has(error.code), `${error.name}: ${error.code}`).toBe(true);
    }
    // Every kind has a code of its own.
    expect(new Set(KINDS.map((kind) => new VolumeError(kind, 'x').code)).size).toBe(KINDS.length);
  });

  it('the README lists exactly the exported codes', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('### Error codes');
    const section = readme.slice(start, readme.indexOf('\n#', start + 1));
    const listed = new Set([...section.matchAll(/^\|\s*`(VOLUME_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
    expect([...listed].sort()).toEqual([...CODES].sort());
  });

  it('a bad ssh target is a validation error, not a TypeError', () => {
    expect(() => new SshExecutor({ host: '-oProxyCommand=x' })).toThrow(VolumeValidationError);
  });
});

describe('LINSTOR refusals as data', () => {
  const refusal = new LinstorApiError(
    404,
    'GET',
    '/v1/resource-definitions/x',
    [
      {
        ret_code: FAIL_NOT_FOUND_RSC_DFN,
        message: "Resource definition 'x' not found.",
        cause: 'The specified resource definition does not exist.',
        correction: 'Create it first.',
        error_report_ids: ['ABC-000001'],
      },
    ],
    'http://ctrl:3370',
  );

  it('keep message, cause, correction, error-report ids and ret_codes', () => {
    const error = wrapFailure("Reading volume 'x' failed", refusal, { volume: 'x' });
    expect(error).toBeInstanceOf(VolumeNotFoundError);
    expect(error.code).toBe('VOLUME_NOT_FOUND');
    expect(error.message).toBe(
      "Reading volume 'x' failed: Resource definition 'x' not found (The specified resource definition does not exist). Create it first. [error reports: ABC-000001]",
    );
    expect(error.linstor[0]).toMatchObject({
      message: "Resource definition 'x' not found.",
      cause: 'The specified resource definition does not exist.',
      correction: 'Create it first.',
    });
    expect(error.errorReportIds).toEqual(['ABC-000001']);
    expect(error.retCodes).toEqual([String(FAIL_NOT_FOUND_RSC_DFN)]);
  });

  it('say what the failed verb left', () => {
    expect(wrapFailureAfterCleanup('Creating x failed', refusal, '').outcome).toBe('undone');
    expect(wrapFailureAfterCleanup('Creating x failed', refusal, ' Cleaning up failed too.').outcome).toBe(
      'unknown',
    );
    const lost = wrapFailure(
      'Creating x failed',
      new OutcomeUnknownError(
        'POST',
        '/v1/x',
        'http://c',
        new LinstorTransportError('http://c', 'protocol', 'reset', true),
      ),
    );
    expect(lost.code).toBe('VOLUME_OUTCOME_UNKNOWN');
    expect(lost.outcome).toBe('unknown');
  });

  it('map waits and aborts to timeout codes', () => {
    expect(wrapFailure('Waiting failed', new WaitTimeoutError('x', 1000, 'absent')).code).toBe(
      'VOLUME_TIMEOUT',
    );
    const aborted = wrapFailure('Creating x failed', AbortSignal.abort().reason);
    expect(aborted).toBeInstanceOf(VolumeAbortedError);
    expect(aborted.kind).toBe('timeout');
    expect(aborted.code).toBe('VOLUME_ABORTED');
  });
});
