import { describe, expect, it } from 'vitest';
import { MAX_DEADLINE_MS, parseRequest } from '../src/protocol';
import { parseVolname } from '../src/volname';

const base = {
  protocol: 1,
  method: 'alloc_image',
  storeid: 'drbdstorage',
  scfg: {},
  node: 'pve1',
  deviceRoot: '/dev',
  statusCacheFile: '/var/cache/linstor-hv/status-0.json',
  deadlineMs: 45000,
  args: { vmid: 100, sizeKib: 4096 },
};
const parse = (changes: Record<string, unknown>, method = 'alloc_image') =>
  parseRequest(JSON.stringify({ ...base, method, ...changes }), method);

describe('VM ids outside PVE’s range 100–999999999', () => {
  it.each([0, 1, 99, 1_000_000_000, 2 ** 53 - 1, -100, 100.5, '100'])('refuses vmid %s', (vmid) => {
    expect(() => parse({ args: { vmid, sizeKib: 4096 } })).toThrow(
      `argument 'vmid' must be a VM id from 100 to 999999999, not ${JSON.stringify(vmid)}`,
    );
  });

  it('refuses a rename target outside the range', () => {
    expect(() => parse({ args: { volname: 'vm-100-disk-0', targetVmid: 0 } }, 'rename_volume')).toThrow(
      "argument 'targetVmid' must be a VM id from 100 to 999999999, not 0",
    );
  });

  it.each([100, 101, 999_999_999])('accepts vmid %s', (vmid) => {
    expect(parse({ args: { vmid, sizeKib: 4096 } }).args.vmid).toBe(vmid);
  });

  it('does not ask for a VM id where the method takes none', () => {
    expect(parse({ args: {} }, 'status').args).toEqual({});
  });

  it('refuses volume names whose VM id is outside the range', () => {
    for (const name of [
      'vm-0-disk-0',
      'vm-99-disk-0',
      'vm-1000000000-disk-0',
      'pm-0badc0de_5',
      'base-7-disk-0',
    ]) {
      expect(() => parseVolname(name), name).toThrow(`invalid volume name '${name}'`);
    }
    expect(parseVolname('vm-100-disk-0').vmid).toBe(100);
    expect(parseVolname('pm-0badc0de_999999999').vmid).toBe(999_999_999);
  });
});

describe('deadlineMs', () => {
  it.each([0, -1, 1.5, MAX_DEADLINE_MS + 1, 2 ** 31, 1e300, '45000', true])('refuses %s', (deadlineMs) => {
    expect(() => parse({ deadlineMs })).toThrow(
      `the request's deadlineMs ${JSON.stringify(deadlineMs)} is not a whole number of milliseconds from 1 to 3600000`,
    );
  });

  it('says when the deadline is missing', () => {
    expect(() => parse({ deadlineMs: undefined })).toThrow('the request has no deadline');
  });

  it.each([1, 45_000, MAX_DEADLINE_MS])('accepts %s', (deadlineMs) => {
    expect(parse({ deadlineMs }).deadlineMs).toBe(deadlineMs);
  });
});
