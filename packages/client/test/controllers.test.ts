import { describe, expect, it } from 'vitest';
import {
  createLinstorClient,
  LinstorConfigError,
  parseControllerAddress,
  parseControllerList,
} from '../src/index';

describe('controller addresses', () => {
  it.each([
    ['ctrl', 'http://ctrl:3370'],
    ['ctrl:4000', 'http://ctrl:4000'],
    ['CTRL.example.com', 'http://ctrl.example.com:3370'],
    ['linstor://ctrl', 'http://ctrl:3370'],
    ['linstor://ctrl:4000', 'http://ctrl:4000'],
    ['linstor+ssl://ctrl', 'https://ctrl:3371'],
    ['linstor+ssl://ctrl:4443', 'https://ctrl:4443'],
    ['http://10.0.0.1:3370', 'http://10.0.0.1:3370'],
    ['https://10.0.0.1', 'https://10.0.0.1:3371'],
    ['http://ctrl/', 'http://ctrl:3370'],
    ['[fd42::1]', 'http://[fd42::1]:3370'],
    ['[fd42::1]:4000', 'http://[fd42::1]:4000'],
    ['fd42::1', 'http://[fd42::1]:3370'],
    ['http://[fd42::1]:3370', 'http://[fd42::1]:3370'],
    ['linstor+ssl://[::1]', 'https://[::1]:3371'],
  ])('%s → %s', (input, origin) => {
    expect(parseControllerAddress(input).origin).toBe(origin);
  });

  it('uses HTTPS on 3371 for bare hosts and linstor:// when TLS material is configured', () => {
    expect(parseControllerAddress('ctrl', true).origin).toBe('https://ctrl:3371');
    expect(parseControllerAddress('linstor://ctrl', true).origin).toBe('https://ctrl:3371');
    expect(parseControllerAddress('http://ctrl', true).origin).toBe('http://ctrl:3370');
  });

  it('splits comma and space separated lists and drops duplicates', () => {
    expect(parseControllerList('a, b c,,a:3370\n[::1]:9').map((c) => c.origin)).toEqual([
      'http://a:3370',
      'http://b:3370',
      'http://c:3370',
      'http://[::1]:9',
    ]);
    expect(parseControllerList(['a,b', 'c']).map((c) => c.host)).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['ftp://ctrl', "unknown scheme 'ftp://'"],
    ['ctrl:99999', "invalid port '99999'"],
    ['ctrl:abc', "invalid port 'abc'"],
    ['http://:3370', 'has no host name'],
  ])('rejects %s', (input, text) => {
    expect(() => parseControllerAddress(input)).toThrow(text);
  });

  it('reads LS_CONTROLLERS when no controllers are given, and defaults to localhost', () => {
    const fromEnv = createLinstorClient({ env: { LS_CONTROLLERS: 'a:1,linstor+ssl://b' }, tokenFile: false });
    expect(fromEnv.controllers).toEqual(['http://a:1', 'https://b:3371']);
    const fallback = createLinstorClient({ env: {}, tokenFile: false });
    expect(fallback.controllers).toEqual(['http://localhost:3370']);
    const emptyEnv = createLinstorClient({ env: { LS_CONTROLLERS: ' ' }, tokenFile: false });
    expect(emptyEnv.controllers).toEqual(['http://localhost:3370']);
    const explicit = createLinstorClient({
      controllers: 'c',
      env: { LS_CONTROLLERS: 'a' },
      tokenFile: false,
    });
    expect(explicit.controllers).toEqual(['http://c:3370']);
  });

  it('reports configuration mistakes as LinstorConfigError', () => {
    expect(() => createLinstorClient({ controllers: ' , ', env: {}, tokenFile: false })).toThrow(
      LinstorConfigError,
    );
    expect(() =>
      createLinstorClient({ controllers: 'a', requestTimeoutMs: -1, env: {}, tokenFile: false }),
    ).toThrow('requestTimeoutMs must be a positive number');
    expect(() =>
      createLinstorClient({ controllers: 'a', tls: { certFile: '/x' }, env: {}, tokenFile: false }),
    ).toThrow('set both certFile and keyFile');
  });
});
