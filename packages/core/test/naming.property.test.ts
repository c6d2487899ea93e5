/** Property-based tests (fast-check) of the name mapping, size parsing and durations. */
import { nameProblem, RESOURCE_NAME_RULE, SNAPSHOT_NAME_RULE } from '@linstor-hv/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VolumeValidationError } from '../src/errors';
import { isHashedName, resourceNameFor, snapshotNameFor } from '../src/naming';
import { KIB, sizeKibOf } from '../src/service/core';
import { formatDuration, parseDuration } from '../src/sweep';

const anyName = fc.string({ minLength: 1, maxLength: 300, unit: 'binary' });

describe('name mapping (property)', () => {
  it('maps every non-empty name to a name LINSTOR accepts, the same way every time', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const resource = resourceNameFor(name);
        expect(nameProblem(resource, RESOURCE_NAME_RULE)).toBeUndefined();
        expect(resourceNameFor(name)).toBe(resource);
        const snapshot = snapshotNameFor(name);
        expect(nameProblem(snapshot, SNAPSHOT_NAME_RULE)).toBeUndefined();
      }),
    );
  });

  it('keeps names LINSTOR accepts and hashes all others', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const resource = resourceNameFor(name);
        if (nameProblem(name, RESOURCE_NAME_RULE) === undefined) expect(resource).toBe(name);
        else expect(isHashedName(resource)).toBe(true);
      }),
    );
  });

  it('never maps two different names to the same resource', () => {
    fc.assert(
      fc.property(anyName, anyName, (a, b) => {
        fc.pre(a !== b);
        expect(resourceNameFor(a)).not.toBe(resourceNameFor(b));
      }),
    );
  });

  it('refuses the empty name with a one-line validation error', () => {
    expect(() => resourceNameFor('')).toThrow(VolumeValidationError);
  });
});

describe('size parsing (property)', () => {
  it('rounds bytes up to whole KiB and takes KiB as they are', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (n) => {
        expect(sizeKibOf({ sizeBytes: n })).toBe(Math.ceil(n / KIB));
        expect(sizeKibOf({ sizeKib: n })).toBe(n);
      }),
    );
  });

  it('refuses anything that is not a whole number above 0, with one line and no other error type', () => {
    const bad = fc.oneof(
      fc.integer({ max: 0 }),
      fc.double({ noInteger: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    );
    fc.assert(
      fc.property(bad, fc.boolean(), (value, inBytes) => {
        const spec = inBytes ? { sizeBytes: value } : { sizeKib: value };
        let thrown: unknown;
        try {
          sizeKibOf(spec);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(VolumeValidationError);
        expect((thrown as Error).message).not.toMatch(/\n/);
      }),
    );
  });
});

describe('durations (property)', () => {
  it('reads back what it writes, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3600 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds * 1000))).toBe(seconds * 1000);
      }),
    );
  });

  it('keeps the seconds of a duration over an hour (failing seed -905041605: 3601 s was written as 1h)', () => {
    expect(formatDuration(3_601_000)).toBe('1h0m1s');
    expect(parseDuration(formatDuration(3_601_000))).toBe(3_601_000);
  });

  it('either parses text or refuses it with a RangeError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        try {
          expect(parseDuration(text)).toBeGreaterThanOrEqual(0);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
        }
      }),
    );
  });
});
