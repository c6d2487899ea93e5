import { FAIL_INVLD_PROP, MASK_MOD, MASK_RSC_DFN } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { nameFilter, paginate, propsFilter } from '../src/domain/filters';
import { applyPropsModify, effectiveProps, propKeyProblem, validateProps } from '../src/domain/props';
import { ApiCallError } from '../src/http/apicall';

describe('list filters', () => {
  it('matches plain names exactly but case-insensitively, and metacharacter values as full regexes', () => {
    const f = nameFilter(['VM-1', 'data-.*'])!;
    expect(f.exactKeys).toEqual(['VM-1']);
    expect(f.hasRegex).toBe(true);
    expect(['vm-1', 'vm-10', 'DATA-x', 'xdata-1'].filter((n) => f.matches(n))).toEqual(['vm-1', 'DATA-x']);
    expect(nameFilter([])).toBeUndefined();
    // '.' alone is not a metacharacter: "a.b" stays an exact name.
    expect(nameFilter(['a.b'])!.hasRegex).toBe(false);
  });

  it('matches props by key, key=value, and case-sensitive regexes; all filters must match', () => {
    const f = propsFilter(['Aux/pm/vmid=100', 'Aux/.*=yes'])!;
    expect(f({ 'Aux/pm/vmid': '100', 'Aux/flag': 'yes' })).toBe(true);
    expect(f({ 'Aux/pm/vmid': '100', 'Aux/flag': 'YES' })).toBe(false);
    expect(f({ 'Aux/pm/vmid': '101', 'Aux/flag': 'yes' })).toBe(false);
    expect(propsFilter(['Aux/only-key'])!({ 'Aux/only-key': '' })).toBe(true);
  });

  it('pages with limit and offset, limit 0 meaning everything', () => {
    const items = [1, 2, 3, 4, 5];
    expect(paginate(items, new URLSearchParams('limit=2&offset=1'))).toEqual([2, 3]);
    expect(paginate(items, new URLSearchParams('limit=0&offset=3'))).toEqual(items);
  });
});

describe('property keys and values', () => {
  it('accepts Aux/ keys and whitelisted keys and families, refuses others', () => {
    for (const ok of [
      'Aux/anything/at/all',
      'StorPoolName',
      'DrbdOptions/Net/max-buffers',
      'DrbdOptions/Disk/disk-flushes',
      'DrbdOptions/Resource/quorum',
      'DrbdOptions/PeerDevice/c-max-rate',
      'StorDriver/LvmVg',
      'FileSystem/Type',
      'PeerSlotsNewResource',
      'cloned-from',
    ]) {
      expect(propKeyProblem(ok), ok).toBeUndefined();
    }
    for (const bad of ['Whatever', 'DrbdOptions/Bogus', 'Aux/', 'Aux//x'])
      expect(propKeyProblem(bad), bad).toBeDefined();
  });

  it('answers FAIL_INVLD_PROP with the caller bits, the key in the message and the whitelist cause', () => {
    const mask = MASK_MOD | MASK_RSC_DFN;
    try {
      validateProps({ 'Bad/key': 'x' }, mask);
      expect.unreachable('validateProps accepted an unknown key');
    } catch (e) {
      const err = e as ApiCallError;
      expect(err.entries[0]).toMatchObject({
        ret_code: FAIL_INVLD_PROP | mask,
        message: 'Invalid property key: Bad/key',
        cause: "The key 'Bad/key' is not whitelisted.",
      });
    }
    expect(() => validateProps({ 'DrbdOptions/Net/protocol': 'c' }, mask)).toThrow(ApiCallError);
    expect(() => validateProps({ 'DrbdOptions/Resource/quorum': '33' }, mask)).toThrow(ApiCallError);
    expect(() => validateProps({ 'DrbdOptions/Resource/quorum': 'majority' }, mask)).not.toThrow();
  });

  it('applies override, delete and delete-namespace in one modify', () => {
    const next = applyPropsModify(
      { 'Aux/a': '1', 'Aux/ns/x': '2', 'Aux/ns/y': '3', 'Aux/keep': '4' },
      { override_props: { 'Aux/b': '5' }, delete_props: ['Aux/a'], delete_namespaces: ['Aux/ns'] },
      0n,
    );
    expect(next).toEqual({ 'Aux/keep': '4', 'Aux/b': '5' });
  });

  it('reports the winning layer and the overridden ones in effective_props', () => {
    const view = effectiveProps([
      { type: 'CTRL', props: { 'Aux/k': 'c', 'Aux/only-ctrl': '1' } },
      { type: 'RSC_GRP', props: {} },
      { type: 'RESOURCE_DEFINITION', props: { 'Aux/k': 'rd' } },
    ]);
    expect(view).toEqual({
      'Aux/k': { type: 'RESOURCE_DEFINITION', value: 'rd', other: [{ type: 'CTRL', value: 'c' }] },
      'Aux/only-ctrl': { type: 'CTRL', value: '1' },
    });
  });
});
