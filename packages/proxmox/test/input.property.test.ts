/** Property-based tests (fast-check) of what PVE hands us: volume names and JSON requests. */
import { resourceNameFor } from '@linstor-hv/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DEADLINE_MS, ProtocolError, parseRequest } from '../src/protocol';
import {
  baseNameOf,
  checkSnapshotName,
  parseVolname,
  pveSnapshotName,
  snapshotCoreName,
  VolumeNameError,
} from '../src/volname';

const vmid = fc.integer({ min: 100, max: 999_999_999 });
const nameTail = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,40}$/);
const snapname = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/);

/** Throws only the error types a caller expects: returns the error, or undefined. */
function refusal(run: () => unknown, type: new (...args: never[]) => Error): Error | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    expect((error as Error).message).not.toMatch(/[\r\n]/);
    return error as Error;
  }
}

describe('PVE volume names (property)', () => {
  it('parses vm-<vmid>-<name> and its template form to the same resource', () => {
    fc.assert(
      fc.property(vmid, nameTail, (id, tail) => {
        const volume = parseVolname(`vm-${id}-${tail}`);
        expect(volume).toMatchObject({
          vmid: id,
          isBase: false,
          resource: resourceNameFor(`vm-${id}-${tail}`),
        });
        const base = parseVolname(baseNameOf(volume));
        expect(base).toMatchObject({ vmid: id, isBase: true, resource: volume.resource });
      }),
    );
  });

  it('parses linked clones of a template with both owners', () => {
    fc.assert(
      fc.property(vmid, nameTail, vmid, fc.stringMatching(/^[0-9a-f]{8}$/), (baseId, tail, id, hex) => {
        const volume = parseVolname(`base-${baseId}-${tail}/pm-${hex}_${id}`);
        expect(volume).toMatchObject({ vmid: id, basevmid: baseId, resource: `pm-${hex}`, isBase: false });
      }),
    );
  });

  it('either parses any text as a name of this storage or refuses it in one line', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'grapheme-ascii' }), (text) => {
        const error = refusal(() => parseVolname(text), VolumeNameError);
        if (error === undefined) {
          const volume = parseVolname(text);
          expect(volume.volname).toBe(text);
          expect(volume.vmid).toBeGreaterThanOrEqual(100);
          expect(volume.vmid).toBeLessThanOrEqual(999_999_999);
          expect(text).not.toMatch(/\.\.|^\/|\/$/);
        }
      }),
    );
  });

  it('refuses VM ids outside 100–999999999 in any name form', () => {
    const outside = fc.oneof(
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 1_000_000_000, max: 2 ** 53 - 1 }),
    );
    fc.assert(
      fc.property(outside, nameTail, (id, tail) => {
        for (const name of [`vm-${id}-${tail}`, `base-${id}-${tail}`, `pm-0badc0de_${id}`]) {
          expect(refusal(() => parseVolname(name), VolumeNameError)).toBeDefined();
        }
      }),
    );
  });

  it('maps PVE snapshot names to core names and back', () => {
    fc.assert(
      fc.property(vmid, nameTail, snapname, (id, tail, snap) => {
        const { resource } = parseVolname(`vm-${id}-${tail}`);
        expect(checkSnapshotName(snap)).toBe(snap);
        expect(pveSnapshotName(resource, snapshotCoreName(resource, snap))).toBe(snap);
      }),
    );
  });
});

const validRequest = fc.record({
  protocol: fc.constant(1),
  method: fc.constant('alloc_image'),
  storeid: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}[a-z0-9]$/),
  scfg: fc.record({ controller: fc.string({ minLength: 1 }), resourcegroup: fc.string({ minLength: 1 }) }),
  node: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
  deviceRoot: fc.constant('/dev'),
  statusCacheFile: fc.constant('/var/cache/linstor-hv/status-0.json'),
  deadlineMs: fc.integer({ min: 1, max: MAX_DEADLINE_MS }),
  args: fc.record({ vmid, sizeKib: fc.integer({ min: 1, max: 2 ** 30 }) }),
});

describe('JSON requests (property)', () => {
  it('keeps every field of a valid request', () => {
    fc.assert(
      fc.property(validRequest, (request) => {
        const parsed = parseRequest(JSON.stringify(request), 'alloc_image');
        expect(parsed).toMatchObject({ ...request, peerAccess: 'ssh' });
      }),
    );
  });

  it('accepts deadlineMs and vmid exactly in their ranges', () => {
    fc.assert(
      fc.property(
        validRequest,
        fc.oneof(fc.double(), fc.integer(), fc.string()),
        fc.anything(),
        (base, deadline, id) => {
          const request = { ...base, deadlineMs: deadline, args: { ...base.args, vmid: id } };
          const error = refusal(() => parseRequest(JSON.stringify(request), 'alloc_image'), ProtocolError);
          const wire = JSON.parse(JSON.stringify(request)) as {
            deadlineMs: unknown;
            args: { vmid?: unknown };
          };
          const deadlineOk =
            Number.isInteger(wire.deadlineMs) &&
            (wire.deadlineMs as number) >= 1 &&
            (wire.deadlineMs as number) <= MAX_DEADLINE_MS;
          const vmidOk =
            wire.args.vmid === undefined ||
            wire.args.vmid === null ||
            (Number.isInteger(wire.args.vmid) &&
              (wire.args.vmid as number) >= 100 &&
              (wire.args.vmid as number) <= 999_999_999);
          expect(error === undefined).toBe(deadlineOk && vmidOk);
        },
      ),
    );
  });

  it('refuses any other JSON with a ProtocolError in one line, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) => {
        refusal(() => parseRequest(text, 'alloc_image'), ProtocolError);
      }),
    );
  });
});
