import { describe, expect, it } from 'vitest';
import type { RouteDef } from '../src/http/route';
import { Router } from '../src/http/router';

const ok = () => ({ status: 200 });
const route = (method: RouteDef['method'], template: string): RouteDef => ({ method, template, handler: ok });

const router = new Router([
  route('GET', '/v1/resource-definitions'),
  route('GET', '/v1/resource-definitions/{rd}'),
  route('PUT', '/v1/resource-definitions/{rd}'),
  route('GET', '/v1/resource-definitions/properties/info'),
  route('GET', '/v1/resource-definitions/{rd}/resources/{node}'),
  route('DELETE', '/v1/controller/properties/{key:.*}'),
  route('GET', '/v1/controller/properties'),
]);

function found(method: string, path: string) {
  const m = router.match(method, path);
  if (m.kind !== 'found') throw new Error(`expected a match for ${method} ${path}, got ${m.kind}`);
  return { template: m.route.template, params: m.params };
}

describe('router', () => {
  it('matches templates and decodes parameters', () => {
    expect(found('GET', '/v1/resource-definitions/vm-100-disk-1/resources/pve%201')).toEqual({
      template: '/v1/resource-definitions/{rd}/resources/{node}',
      params: { rd: 'vm-100-disk-1', node: 'pve 1' },
    });
  });

  it('prefers literal segments over parameters', () => {
    expect(found('GET', '/v1/resource-definitions/properties/info').template).toBe(
      '/v1/resource-definitions/properties/info',
    );
    expect(found('GET', '/v1/resource-definitions/properties').params).toEqual({ rd: 'properties' });
  });

  it('lets a rest parameter take the remaining path including slashes', () => {
    expect(found('DELETE', '/v1/controller/properties/Aux/linstor-hv/owner%20x')).toEqual({
      template: '/v1/controller/properties/{key:.*}',
      params: { key: 'Aux/linstor-hv/owner x' },
    });
  });

  it('is case-sensitive on paths', () => {
    expect(router.match('GET', '/V1/resource-definitions').kind).toBe('not-found');
    expect(router.match('GET', '/v1/Resource-Definitions').kind).toBe('not-found');
  });

  it('answers method-not-allowed with the allowed methods when only the method differs', () => {
    expect(router.match('POST', '/v1/resource-definitions/x')).toEqual({
      kind: 'method-not-allowed',
      allowed: ['GET', 'PUT'],
    });
  });

  it('does not match deeper or shallower paths', () => {
    expect(router.match('GET', '/v1/resource-definitions/x/resources').kind).toBe('not-found');
    expect(router.match('GET', '/v1').kind).toBe('not-found');
  });

  it('refuses duplicate routes and conflicting parameter names', () => {
    expect(() => new Router([route('GET', '/a/{x}'), route('GET', '/a/{x}')])).toThrow(
      'duplicate route GET /a/{x}',
    );
    expect(() => new Router([route('GET', '/a/{x}'), route('PUT', '/a/{y}')])).toThrow('conflicts');
  });
});
