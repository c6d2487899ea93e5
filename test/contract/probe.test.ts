/**
 * The probe and the recording proxy must catch what they exist to catch: a stub server on 127.0.0.1
 * answers with deliberately broken replies, and each defect has to show up as a recorded problem.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractProbe, nonInt64RetCodes, parseEventStream } from './probe';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy';
import { describeWithSpec, itWithSpec } from './spec-gate';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Canned replies by `METHOD path` (query string included). */
const replies = new Map<string, Handler>([
  [
    'GET /v1/controller/version',
    (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"version":"1.34.1","rest_api_version":"1.28.0"}');
    },
  ],
  [
    'GET /v1/nodes',
    (_q, res) => {
      // Valid JSON with the wrong content type, and a node without its required type.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('[{"name":"pve1"}]');
    },
  ],
  [
    'DELETE /v1/resource-definitions/r1',
    (_q, res) => {
      // 2^63 does not fit int64; 1.5e3 is not an integer literal.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[{"ret_code":9223372036854775808,"message":"a"},{"ret_code":1.5e3,"message":"b"}]');
    },
  ],
  [
    'POST /v1/resource-definitions',
    (_q, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('[{"ret_code":-4611686018406940171,"message":"exists"}]');
    },
  ],
  [
    'GET /v1/events/drbd/promotion',
    (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const current = req.headers['last-event-id'] === 'current';
      res.write(
        'event: may-promote-change\ndata: {"resource_name":"r1","node_name":"pve1","may_promote":true}\n\n',
      );
      res.write(`event: ${current ? 'may-promote-change' : 'other'}\ndata: {"may_promote":"maybe"}\n\n`);
      res.write('event: may-promote-change\ndata: {not json\n\n');
    },
  ],
]);

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = replies.get(`${req.method} ${req.url?.split('?')[0]}`);
      if (handler) handler(req, res);
      else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: Buffer.concat(chunks).toString('utf8'), url: req.url }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describeWithSpec('ContractProbe', () => {
  it('records nothing for a valid reply with the expected status', async () => {
    const p = new ContractProbe(baseUrl);
    await p.call('GET', '/v1/controller/version', { expect: 200 });
    expect(p.problems).toEqual([]);
    expect(p.exercised).toEqual(new Set(['GET /v1/controller/version']));
  });

  it('records a wrong content type and a schema violation of the same reply', async () => {
    const p = new ContractProbe(baseUrl);
    await p.call('GET', '/v1/nodes', { expect: 200 });
    expect(p.problems).toHaveLength(2);
    expect(p.problems[0]).toBe('GET /v1/nodes → 200: JSON body sent with Content-Type "text/plain"');
    expect(p.problems[1]).toContain('at /0: must have required property "type"');
  });

  it('records ret_code literals that are not exact int64 integers', async () => {
    const p = new ContractProbe(baseUrl);
    await p.call('DELETE', '/v1/resource-definitions/r1', { expect: 200 });
    expect(p.problems).toEqual([
      'DELETE /v1/resource-definitions/r1 → 200: ret_code 9223372036854775808 is not an exact int64 integer literal [format int64]',
      'DELETE /v1/resource-definitions/r1 → 200: ret_code 1.5e3 is not an exact int64 integer literal [format int64]',
    ]);
  });

  it('records an unexpected status with the reply text, while the valid error body passes', async () => {
    const p = new ContractProbe(baseUrl);
    await p.call('POST', '/v1/resource-definitions', {
      body: { resource_definition: { name: 'r1' } },
      expect: 201,
    });
    expect(p.problems).toEqual([
      'POST /v1/resource-definitions → 500: expected status 201; body: [{"ret_code":-4611686018406940171,"message":"exists"}]',
    ]);
    expect(p.report()).toMatch(/^1 problem\(s\):/);
  });

  it('refuses to send an off-spec body or off-spec parameters of its own', async () => {
    const p = new ContractProbe(baseUrl);
    await expect(
      p.call('POST', '/v1/resource-definitions', { body: { resource_definition: 'r1' } }),
    ).rejects.toThrow(/contract test itself sent an off-spec body/);
    await expect(p.call('GET', '/v1/nodes?cached=true')).rejects.toThrow(/off-spec parameters/);
    expect(p.exercised.size).toBe(0);
  });

  it('validates every event of a stream and reports data that is not JSON', async () => {
    const p = new ContractProbe(baseUrl);
    const events = await p.events('/v1/events/drbd/promotion', {
      headers: { 'Last-Event-ID': 'current' },
      enough: (seen) => seen.length >= 2,
      timeoutMs: 2_000,
    });
    expect(events).toHaveLength(2);
    expect(p.problems).toHaveLength(2);
    expect(p.problems.join('\n')).toContain('at /data/may_promote: must be boolean (got "maybe")');
    expect(p.problems.join('\n')).toContain('event may-promote-change: data is not JSON');
  });

  it('stops reading a stream at its time limit', async () => {
    const p = new ContractProbe(baseUrl);
    const started = Date.now();
    const events = await p.events('/v1/events/drbd/promotion', { enough: () => false, timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(events.map((e) => e.event)).toEqual(['may-promote-change', 'other']);
    expect(p.problems.join('\n')).toContain('(event other)');
  });
});

describe('probe helpers', () => {
  it('nonInt64RetCodes accepts exact int64 literals at both ends of the range', () => {
    expect(nonInt64RetCodes('[{"ret_code": -9223372036854775808},{"ret_code":9223372036854775807}]')).toEqual(
      [],
    );
    expect(nonInt64RetCodes('{"ret_code":"5"}')).toEqual(['"5"']);
  });

  it('parseEventStream reads names, multi-line data and skips comments', () => {
    const parsed = parseEventStream(': keep-alive\n\nevent: x\ndata: {"a":\ndata: 1}\n\ndata: {"b":2}\n\n');
    expect(parsed).toEqual({
      events: [
        { event: 'x', data: { a: 1 } },
        { event: 'message', data: { b: 2 } },
      ],
      problems: [],
    });
  });
});

describe('recording proxy', () => {
  let proxy: RecordingProxy;
  beforeAll(async () => {
    proxy = await startRecordingProxy(baseUrl);
  });
  afterAll(async () => {
    await proxy.stop();
  });

  it('forwards requests unchanged and records method, URL with query, headers and body', async () => {
    const reply = await request(`${proxy.url}/v1/echo?nodes=a&nodes=b`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"x":1}',
    });
    expect(reply.statusCode).toBe(404);
    expect(await reply.body.json()).toEqual({ echo: '{"x":1}', url: '/v1/echo?nodes=a&nodes=b' });
    expect(proxy.requests).toEqual([
      expect.objectContaining({
        method: 'PUT',
        url: '/v1/echo?nodes=a&nodes=b',
        body: '{"x":1}',
        headers: expect.objectContaining({ 'content-type': 'application/json' }),
      }),
    ]);
    proxy.clear();
    expect(proxy.requests).toEqual([]);
  });

  itWithSpec('streams event replies through', async () => {
    const p = new ContractProbe(proxy.url);
    const events = await p.events('/v1/events/drbd/promotion', {
      headers: { 'Last-Event-ID': 'current' },
      enough: (seen) => seen.length >= 1,
      timeoutMs: 2_000,
    });
    expect(events[0]).toEqual({
      event: 'may-promote-change',
      data: { resource_name: 'r1', node_name: 'pve1', may_promote: true },
    });
    expect(proxy.requests.map((r) => `${r.method} ${r.url} ${String(r.headers['last-event-id'])}`)).toEqual([
      'GET /v1/events/drbd/promotion current',
    ]);
  });
});
