import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  API_CALL_PARSE_ERROR,
  CREATED,
  FAIL_EXISTS_RSC_DFN,
  FAIL_UNKNOWN_ERROR,
  MASK_CRT,
  MASK_RSC_DFN,
} from '@linstor-hv/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiCallError, entry, replyEntries } from '../src/http/apicall';
import type { RouteDef } from '../src/http/route';
import { type JournalStore, openJournalStore } from '../src/infra/journal-store';
import { badRequestBody, objectBody } from '../src/routes/body';
import { errorReportRoutes } from '../src/routes/error-reports';
import { EmulatorServer } from '../src/server';
import { call, retCodes } from './http-helpers';

let dir: string;
let store: JournalStore;
let emu: EmulatorServer;
let http: Server;
let url: string;

const testRoutes: RouteDef[] = [
  {
    method: 'POST',
    template: '/v1/test/records/{id}',
    handler: (req, ctx) => {
      ctx.store.put('testRecords', [req.params.id!], { body: req.body });
      return replyEntries(
        [entry(MASK_CRT | MASK_RSC_DFN | CREATED, `Record '${req.params.id}' created.`)],
        201,
      );
    },
  },
  {
    method: 'GET',
    template: '/v1/test/records/{id}',
    handler: (req, ctx) => ({ status: 200, json: ctx.store.get('testRecords', [req.params.id!]) ?? {} }),
  },
  {
    method: 'POST',
    template: '/v1/test/refuse',
    handler: (_req, ctx) => {
      ctx.store.put('testRecords', ['refused'], { half: 'done' });
      throw new ApiCallError(
        entry(FAIL_EXISTS_RSC_DFN | MASK_CRT | MASK_RSC_DFN, "Resource definition 'x' exists."),
      );
    },
  },
  {
    method: 'POST',
    template: '/v1/test/crash',
    handler: (_req, ctx) => {
      ctx.store.put('testRecords', ['crashed'], { half: 'done' });
      throw new TypeError('something is undefined');
    },
  },
  {
    method: 'POST',
    template: '/v1/test/strict',
    parseErrorStatus: 400,
    handler: () => ({ status: 201, json: [] }),
  },
  {
    method: 'POST',
    template: '/v1/test/strict-object',
    parseErrorStatus: 400,
    handler: (req) => (objectBody(req.body) ? { status: 201, json: [] } : badRequestBody()),
  },
  {
    method: 'POST',
    template: '/v1/test/reactive-object',
    handler: (req) => (objectBody(req.body) ? { status: 201, json: [] } : badRequestBody()),
  },
  {
    method: 'GET',
    template: '/v1/test/big',
    handler: () => ({ status: 200, json: Array.from({ length: 200 }, (_, i) => ({ name: `item-${i}` })) }),
  },
  {
    method: 'GET',
    template: '/v1/test/small',
    handler: () => ({ status: 200, json: { name: 'small' } }),
  },
  {
    method: 'GET',
    template: '/v1/test/stream',
    handler: () => ({
      status: 200,
      sse: (send, _signal, lastEventId) => {
        send('hello', { last: lastEventId ?? null });
        send('code', { ret_code: 0xc0000000013801f5n });
      },
    }),
  },
];

/** A GET that does not decode the body (fetch would gunzip transparently). */
function rawGet(
  target: string,
  headers: Record<string, string>,
): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(target, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emu-pipeline-'));
  store = await openJournalStore(join(dir, 'state'));
  emu = new EmulatorServer({
    store,
    dataDir: dir,
    config: { version: '1.34.1', restApiVersion: '1.28.0', tokenAuth: false },
    tokens: [],
    routes: [...testRoutes, ...errorReportRoutes],
  });
  http = createServer(emu.handle);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  emu.stop();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('request pipeline', () => {
  it('answers /health with 200 and an empty body', async () => {
    const r = await call(url, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('runs a mutating handler in a transaction and returns its status and entries', async () => {
    const r = await call(url, 'POST', '/v1/test/records/r1', { a: 1 });
    expect(r.status).toBe(201);
    expect(retCodes(r)).toEqual([MASK_CRT | MASK_RSC_DFN | CREATED]);
    expect((await call(url, 'GET', '/v1/test/records/r1')).json).toEqual({ body: { a: 1 } });
  });

  it('turns an ApiCallError into its entries with the mapped status and rolls the change back', async () => {
    const r = await call(url, 'POST', '/v1/test/refuse');
    expect(r.status).toBe(500);
    expect(retCodes(r)).toEqual([FAIL_EXISTS_RSC_DFN | MASK_CRT | MASK_RSC_DFN]);
    expect(r.text).toContain('"ret_code":-4611686018406940171');
    expect(store.get('testRecords', ['refused'])).toBeUndefined();
  });

  it('turns any other exception into 500 FAIL_UNKNOWN_ERROR with a stored error report', async () => {
    const r = await call(url, 'POST', '/v1/test/crash');
    expect(r.status).toBe(500);
    const [e] = r.json as { ret_code: bigint; message: string; error_report_ids: string[] }[];
    expect(e!.ret_code).toBe(FAIL_UNKNOWN_ERROR);
    expect(e!.message).toBe('An unexpected error occurred: something is undefined');
    expect(e!.error_report_ids).toHaveLength(1);
    expect(e!.error_report_ids[0]).toMatch(/^[0-9A-F]{8}-00000-\d{6}$/);
    expect(store.get('testRecords', ['crashed'])).toBeUndefined();
    // The report is written in its own transaction, after the failed one rolled back.
    const id = e!.error_report_ids[0]!;
    let report = await call(url, 'GET', `/v1/error-reports/${id}`);
    for (let i = 0; i < 100 && (report.json as unknown[]).length === 0; i++) {
      await new Promise((res) => setTimeout(res, 50));
      report = await call(url, 'GET', `/v1/error-reports/${id}`);
    }
    const [rep] = report.json as { filename: string; text: string; node_name: string }[];
    expect(rep!.filename).toBe(`ErrorReport-${id}.log`);
    expect(rep!.node_name).toBe('Controller');
    expect(rep!.text).toContain('POST /v1/test/crash');
    expect(rep!.text).toContain('TypeError: something is undefined');
    const listed = await call(url, 'GET', '/v1/error-reports');
    expect((listed.json as { filename: string; text?: string }[]).map((x) => x.filename)).toContain(
      `ErrorReport-${id}.log`,
    );
    expect((listed.json as { text?: string }[]).every((x) => x.text === undefined)).toBe(true);
  });

  it('answers an unknown path with 404 and the controller message', async () => {
    const r = await call(url, 'GET', '/v1/no/such/thing');
    expect(r.status).toBe(404);
    expect(retCodes(r)).toEqual([FAIL_UNKNOWN_ERROR]);
    expect((r.json as { message: string }[])[0]!.message).toBe(
      "Path '/v1/no/such/thing' not found on server.",
    );
  });

  it('answers a wrong method with 405', async () => {
    const r = await call(url, 'DELETE', '/v1/test/big');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET');
    expect((r.json as { message: string }[])[0]!.message).toBe(
      "Method 'DELETE' not allowed on path '/v1/test/big'.",
    );
  });

  it('answers unparsable JSON with API_CALL_PARSE_ERROR: 500 by default, 400 on synchronous handlers', async () => {
    const reactive = await call(url, 'POST', '/v1/test/records/r2', '{"a":');
    expect(reactive.status).toBe(500);
    expect(retCodes(reactive)).toEqual([API_CALL_PARSE_ERROR]);
    expect(reactive.text).toContain('"ret_code":-3458764513820540931');
    expect((reactive.json as { message: string }[])[0]!.message).toBe('Unable to parse input json.');
    const strict = await call(url, 'POST', '/v1/test/strict', 'not json');
    expect(strict.status).toBe(400);
    expect(retCodes(strict)).toEqual([API_CALL_PARSE_ERROR]);
  });

  it('answers a body of the wrong JSON type like unparsable JSON: 400 on synchronous handlers, else 500', async () => {
    const strict = await call(url, 'POST', '/v1/test/strict-object', [1, 2]);
    expect(strict.status).toBe(400);
    expect(retCodes(strict)).toEqual([API_CALL_PARSE_ERROR]);
    const reactive = await call(url, 'POST', '/v1/test/reactive-object', '"text"');
    expect(reactive.status).toBe(500);
    expect(retCodes(reactive)).toEqual([API_CALL_PARSE_ERROR]);
    expect((await call(url, 'POST', '/v1/test/strict-object', {})).status).toBe(201);
    expect((await call(url, 'POST', '/v1/test/strict-object')).status).toBe(201);
  });

  it('gzips bodies over 1000 bytes when the client accepts gzip, and only then', async () => {
    const compressed = await rawGet(`${url}/v1/test/big`, { 'Accept-Encoding': 'gzip' });
    expect(compressed.headers['content-encoding']).toBe('gzip');
    const plain = await rawGet(`${url}/v1/test/big`, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(1000);
    expect(gunzipSync(compressed.body).toString('utf8')).toBe(plain.body.toString('utf8'));
    const small = await rawGet(`${url}/v1/test/small`, { 'Accept-Encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.body.toString('utf8')).toBe('{"name":"small"}');
  });

  it('streams server-sent events without id lines and passes Last-Event-ID', async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}/v1/test/stream`, {
      headers: { 'Last-Event-ID': 'current' },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    for (let i = 0; i < 20 && !text.includes('event: code'); i++) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toBe(
      'event: hello\ndata: {"last":"current"}\n\nevent: code\ndata: {"ret_code":-4611686018406940171}\n\n',
    );
  });

  it('logs /v1 requests with template, status and body', async () => {
    emu.log.clear();
    await call(url, 'POST', '/v1/test/records/logged', { x: [1, 2] });
    await call(url, 'GET', '/v1/test/records/logged');
    await call(url, 'GET', '/health');
    const entries = emu.log.list();
    expect(entries.map(({ durationMs: _d, ...e }) => e)).toEqual([
      {
        method: 'POST',
        template: '/v1/test/records/{id}',
        path: '/v1/test/records/logged',
        status: 201,
        body: { x: [1, 2] },
      },
      { method: 'GET', template: '/v1/test/records/{id}', path: '/v1/test/records/logged', status: 200 },
    ]);
    expect(emu.log.countsByRoute()).toEqual({
      'POST /v1/test/records/{id}': 1,
      'GET /v1/test/records/{id}': 1,
    });
  });
});
