import { readFileSync } from 'node:fs';
import { FAIL_EXISTS_RSC_DFN, MASK_CRT, MASK_RSC_DFN, toRetCode } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import * as client from '../src/index';
import {
  AllControllersFailedError,
  CLIENT_ERROR_CODES,
  CloneFailedError,
  ControllerAddressError,
  createLinstorClient,
  LinstorApiError,
  LinstorArgumentError,
  LinstorClientError,
  LinstorConfigError,
  LinstorTransportError,
  OutcomeUnknownError,
  UnsupportedApiVersionError,
  WaitTimeoutError,
} from '../src/index';

/** Every exported class that is an Error, by its export name. */
const errorClasses = Object.entries(client).filter(
  (entry): entry is [string, typeof LinstorClientError] =>
    typeof entry[1] === 'function' && entry[1].prototype instanceof Error,
);

/** True when class `a` is `b` or derives from it (walks the chain; instanceof asks the brand). */
function extendsClass(a: unknown, b: unknown): boolean {
  for (let c = a; c; c = Object.getPrototypeOf(c)) if (c === b) return true;
  return false;
}

const transport = new LinstorTransportError('http://c:3370', 'connection-lost', 'ECONNRESET', true);
/** One instance of each error class, as the client makes them. */
const samples: Record<string, LinstorClientError> = {
  LinstorClientError: new LinstorClientError('base'),
  LinstorConfigError: new LinstorConfigError('bad option'),
  ControllerAddressError: new ControllerAddressError('bad address'),
  LinstorArgumentError: new LinstorArgumentError('empty name'),
  LinstorApiError: new LinstorApiError(500, 'POST', '/v1/x', [], 'http://c:3370'),
  LinstorTransportError: transport,
  AllControllersFailedError: new AllControllersFailedError('GET', '/v1/nodes', [transport], false),
  OutcomeUnknownError: new OutcomeUnknownError('POST', '/v1/x', 'http://c:3370', transport),
  UnsupportedApiVersionError: new UnsupportedApiVersionError('Feature', '1.29.0', '1.28.0'),
  WaitTimeoutError: new WaitTimeoutError('something', 100, 'nothing yet'),
  CloneFailedError: new CloneFailedError('a', 'b'),
};

describe('error codes', () => {
  it('gives every exported error class its own stable LINSTOR_ code', () => {
    expect(errorClasses.map(([name]) => name).sort()).toEqual(Object.keys(samples).sort());
    for (const [name, cls] of errorClasses) {
      expect(Object.hasOwn(cls, 'code'), `${name} declares its own code`).toBe(true);
      expect(cls.code).toMatch(/^LINSTOR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
    }
    const codes = errorClasses.map(([, cls]) => cls.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual([...CLIENT_ERROR_CODES].sort());
  });

  it.each(Object.entries(samples))(
    '%s carries its code and name and extends LinstorClientError',
    (name, error) => {
      const cls = errorClasses.find(([n]) => n === name)![1];
      expect(error.code).toBe(cls.code);
      expect(error.name).toBe(name);
      expect(error).toBeInstanceOf(LinstorClientError);
      expect(error).toBeInstanceOf(cls);
      // Other classes are not fooled by the brand of a sibling.
      for (const [other, otherCls] of errorClasses) {
        const related = error instanceof otherCls;
        const expected = other === name || other === 'LinstorClientError' || extendsClass(cls, otherCls);
        expect(related, `${name} instanceof ${other}`).toBe(expected);
      }
    },
  );

  it('keeps instanceof working for errors made by another copy of the module (a bundle beside the package)', async () => {
    // A query string makes the module loader evaluate errors.ts a second time: a second copy.
    const secondCopy = new URL('../src/errors.ts?second-copy', import.meta.url).href;
    const copy = (await import(/* @vite-ignore */ secondCopy)) as typeof import('../src/errors');
    expect(copy.LinstorApiError).not.toBe(LinstorApiError);
    const foreign = new copy.OutcomeUnknownError('POST', '/v1/x', 'http://c:3370', transport);
    expect(foreign).toBeInstanceOf(OutcomeUnknownError);
    expect(foreign).toBeInstanceOf(LinstorClientError);
    expect(foreign).not.toBeInstanceOf(LinstorApiError);
    expect(new LinstorConfigError('x')).toBeInstanceOf(copy.LinstorClientError);
    expect(new Error('plain')).not.toBeInstanceOf(LinstorClientError);
  });

  it('lists exactly the exported codes in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.split(/^## /m).find((s) => s.startsWith('Error codes'));
    expect(section, 'README has an "## Error codes" section').toBeDefined();
    const listed = [...section!.matchAll(/`(LINSTOR_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    expect([...new Set(listed)].sort()).toEqual([...CLIENT_ERROR_CODES].sort());
    // Each row names the class that carries the code.
    for (const [name, cls] of errorClasses)
      expect(section).toMatch(new RegExp(`\`${cls.code}\`\\s*\\|\\s*\`${name}\``));
  });
});

describe('typed errors where plain ones were thrown', () => {
  const c = createLinstorClient({ controllers: 'http://127.0.0.1:9', tokenFile: false, env: {} });

  it('an empty name in a path is LINSTOR_INVALID_ARGUMENT, before anything is sent', async () => {
    const error = await c.nodes.get('').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinstorArgumentError);
    expect(error).toMatchObject({ code: 'LINSTOR_INVALID_ARGUMENT' });
    expect((error as Error).message).toBe('The node given for /v1/nodes/{node} is empty.');
  });

  it('request() refuses a path without a leading slash with LINSTOR_INVALID_ARGUMENT', async () => {
    const error = await c.request('GET', 'v1/nodes').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinstorArgumentError);
    expect((error as Error).message).toBe("The request path must start with '/', not 'v1/nodes'.");
  });

  it('a bad controller address is a ControllerAddressError, itself a configuration error', () => {
    let error: unknown;
    try {
      createLinstorClient({ controllers: 'ftp://ctrl', tokenFile: false, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ControllerAddressError);
    expect(error).toBeInstanceOf(LinstorConfigError);
    expect(error).toMatchObject({ code: 'LINSTOR_CONTROLLER_ADDRESS_INVALID' });
  });

  it("LinstorApiError keeps LINSTOR's ret_codes exactly (as signed int64 text) and its report ids", () => {
    const code = toRetCode(FAIL_EXISTS_RSC_DFN | MASK_CRT | MASK_RSC_DFN);
    const error = new LinstorApiError(
      500,
      'POST',
      '/v1/resource-definitions',
      [
        {
          ret_code: code,
          message: "Resource definition 'vm-1' already exists",
          cause: 'A resource definition with that name exists',
          correction: 'Choose another name',
          error_report_ids: ['5F3A-000001'],
        },
      ],
      'http://c:3370',
    );
    expect(error.retCodes).toEqual([BigInt.asIntN(64, code).toString()]);
    expect(error.retCodes[0]).toBe('-4611686018406940171');
    expect(error.errorReportIds).toEqual(['5F3A-000001']);
    expect(error.entries[0]!.ret_code).toBe(code);
    expect(error.message).toBe(
      "LINSTOR controller http://c:3370 rejected POST /v1/resource-definitions with HTTP 500: Resource definition 'vm-1' already exists; cause: A resource definition with that name exists; correction: Choose another name; error reports: 5F3A-000001.",
    );
  });
});
