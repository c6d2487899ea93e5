/**
 * The Python driver and this package say the same: the driver calls exactly the methods of the
 * table, and maps every error code and core kind to the Cinder exception CINDER_EXCEPTIONS names.
 * (The Python suite checks that each named exception exists in Debian's cinder.exception.)
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CINDER_ERROR_CODES, CINDER_EXCEPTIONS } from '../src/errors';
import { cinderMethodTable } from '../src/table';

const DRIVER = readFileSync(join(__dirname, '..', 'python', 'linstor_hv_cinder', 'linstordrv.py'), 'utf8');

/** The `'key': 'value'` pairs of the Python dict literal assigned to `name`. */
function pythonDict(name: string): Record<string, string> {
  const body = new RegExp(`^${name} = \\{\\n([\\s\\S]*?)\\n\\}`, 'm').exec(DRIVER)?.[1];
  if (body === undefined) throw new Error(`no ${name} in linstordrv.py`);
  const out: Record<string, string> = {};
  for (const line of body.split('\n')) {
    const m = /^\s*'([^']+)': '([^']+)',\s*$/.exec(line);
    if (!m) throw new Error(`unexpected line in ${name}: ${line}`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe('Python driver ⇄ TypeScript table', () => {
  it('the driver calls every method of the table and no other', () => {
    const called = new Set([...DRIVER.matchAll(/self\._call\(\s*'([a-z_]+)'/g)].map((m) => m[1]));
    expect([...called].sort()).toEqual(Object.keys(cinderMethodTable()).sort());
  });

  it('maps every error code to the exception CINDER_EXCEPTIONS names', () => {
    expect(Object.keys(CINDER_EXCEPTIONS.byCode).sort()).toEqual(Object.keys(CINDER_ERROR_CODES).sort());
    expect(pythonDict('EXCEPTION_BY_CODE')).toEqual(CINDER_EXCEPTIONS.byCode);
  });

  it("maps core's error kinds the same way", () => {
    expect(pythonDict('EXCEPTION_BY_KIND')).toEqual(CINDER_EXCEPTIONS.byKind);
  });
});
