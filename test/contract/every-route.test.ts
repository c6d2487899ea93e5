/**
 * Every operation of the official LINSTOR REST v1 contract is served by the emulator: each path and
 * method of `shared/linstor/rest_v1_openapi.yaml` is sent once (path parameters filled with names of
 * objects that may or may not exist), and the answer must not be the emulator's unknown-route reply
 * (404 "Path '…' not found on server." or 405 "Method … not allowed"). A missing object gives a
 * LINSTOR ApiCallRc list instead, which is what the real controller sends; the bodies of the routes
 * themselves are checked against the schemas in `routes-contract.test.ts`.
 */
import { readFileSync } from 'node:fs';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { locateSpec } from './openapi';
import { describeWithSpec } from './spec-gate';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Values for the spec's path parameters: real objects of the three-node cluster where one fits. */
const PARAMETER_VALUES: Record<string, string> = {
  node: 'pve1',
  node_a: 'pve1',
  node_b: 'pve2',
  fromnode: 'pve2',
  netinterface: 'default',
  storagepool: 'thinpool',
  disklesspool: 'DfltDisklessStorPool',
  resource_group: 'linstor-hv',
  resource: 'every-route-rd',
  rscName: 'every-route-rd',
  resourceClone: 'every-route-clone',
  volume_number: '0',
  snapshot: 'every-route-snap',
  instance: 'every-route-kvs',
  reportid: 'no-such-report',
  key: 'Aux/every-route',
  remote_name: 'every-route-remote',
  remoteName: 'every-route-remote',
  schedule_name: 'every-route-schedule',
  scheduleName: 'every-route-schedule',
  extFileName: '/etc/every-route.conf',
  authtokenid: 'every-route-token',
};

interface Operation {
  method: string;
  template: string;
}

function specOperations(): Operation[] {
  const spec = parseYaml(readFileSync(locateSpec(), 'utf8')) as { paths: Record<string, object> };
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) if (method in item) ops.push({ method: method.toUpperCase(), template });
  }
  return ops;
}

function concretePath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = PARAMETER_VALUES[name];
    if (value === undefined) throw new Error(`no test value for path parameter {${name}} of ${template}`);
    return name === 'key' ? value : encodeURIComponent(value);
  });
}

/** True when the reply is the router's answer for a path or method it does not know. */
function isUnknownRouteReply(status: number, text: string): boolean {
  if (status === 405) return true;
  return status === 404 && /not found on server/.test(text);
}

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ cluster: 'three-node' });
});

afterAll(async () => {
  await emulator?.stop();
});

describeWithSpec('every operation of the REST v1 contract is served', () => {
  it('answers each path and method with its own route', async () => {
    const operations = specOperations();
    expect(operations.length).toBeGreaterThan(150);
    const unserved: string[] = [];
    for (const op of operations) {
      const hasBody = op.method === 'POST' || op.method === 'PUT' || op.method === 'PATCH';
      const response = await request(new URL(concretePath(op.template), emulator.url), {
        method: op.method as 'GET',
        headers: hasBody ? { 'content-type': 'application/json' } : {},
        body: hasBody ? '{}' : undefined,
      });
      // An event stream never ends: its status and content type are the answer.
      const isStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
      const text = isStream ? '' : await response.body.text();
      if (isStream) response.body.destroy();
      if (isUnknownRouteReply(response.statusCode, text)) {
        unserved.push(`${op.method} ${op.template} → ${response.statusCode}`);
      }
    }
    expect(unserved, `${unserved.length} of ${operations.length} operations not served`).toEqual([]);
  });
});
