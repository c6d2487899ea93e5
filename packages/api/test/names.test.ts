import { describe, expect, it } from 'vitest';
import { isValidName, nameProblem, nodeNameProblem, STORAGE_POOL_NAME_RULE, sameName } from '../src/index';

describe('LINSTOR name rules', () => {
  it('accepts the names the official plugins create', () => {
    for (const n of ['vm-100-disk-1', 'pm-1a2b3c4d_100', 'CV_0a1b2c3d', 'one-vm-5-disk-0', '_x1']) {
      expect(nameProblem(n)).toBeUndefined();
    }
  });

  it('refuses what the controller refuses, with a reason', () => {
    expect(nameProblem('a')).toMatch(/too short/);
    expect(nameProblem('x'.repeat(49))).toMatch(/too long/);
    expect(nameProblem('1abc')).toMatch(/invalid characters/);
    expect(nameProblem('vm.100')).toMatch(/invalid characters/);
    expect(nameProblem('__')).toMatch(/at least one letter/);
    expect(isValidName('ab', STORAGE_POOL_NAME_RULE)).toBe(false);
  });

  it('compares names case-insensitively', () => {
    expect(sameName('VM-1', 'vm-1')).toBe(true);
    expect(sameName('vm-1', 'vm-2')).toBe(false);
  });

  it('checks node names as host names', () => {
    expect(nodeNameProblem('pve1.example.com')).toBeUndefined();
    expect(nodeNameProblem('bad_host')).toMatch(/host name/);
  });
});
