import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  FAIL_EXISTS_RSC_DFN,
  FAIL_NOT_FOUND_RSC_DFN,
  MASK_CRT,
  MASK_RSC_DFN,
  toSignedRetCode,
  WARN_NOT_CONNECTED,
} from '@linstor-hv/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AllControllersFailedError,
  createLinstorClient,
  LinstorApiError,
  type LinstorClient,
  type LinstorClientOptions,
  LinstorConfigError,
  OutcomeUnknownError,
  type RequestMetric,
} from '../src/index';
import {
  closedPort,
  sendJsonText,
  startBlackhole,
  startHttpServer,
  type TestServer,
  withHealth,
} from './helpers/servers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(handler: Parameters<typeof startHttpServer>[0]): Promise<TestServer> {
  const s = await startHttpServer(handler);
  cleanups.push(() => s.close());
  return s;
}

function client(options: LinstorClientOptions): LinstorClient {
  const c = createLinstorClient({ tokenFile: false, env: {}, ...options });
  cleanups.push(() => c.close());
  return c;
}

const VERSION_JSON = '{"version":"1.34.1","git_hash":"x","build_time":"t","rest_api_version":"1.28.0"}';

function versionServer() {
  return server(
    withHealth((req, res) => {
      if (req.url === '/v1/controller/version') sendJsonText(res, 200, VERSION_JSON);
      else
        sendJsonText(
          res,
          404,
          `[{"ret_code":${toSignedRetCode(0xc000000000000000n | 998n)},"message":"Path '${req.url}' not found on server."}]`,
        );
    }),
  );
}

describe('failover', () => {
  it('skips a closed and a black-holed controller, then goes straight to the good one', async () => {
    const closed = await closedPort();
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const good = await versionServer();
    const attempts: RequestMetric[] = [];
    const c = client({
      controllers: `127.0.0.1:${closed}, ${hole.origin} ${good.origin}`,
      connectTimeoutMs: 300,
      probeTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      metrics: (m) => attempts.push(m),
    });

    const version = await c.controller.version();
    expect(version.rest_api_version).toBe('1.28.0');
    expect(c.currentController).toBe(good.origin);
    // The black hole is only health-probed (bounded by the probe timeout); the request itself,
    // with its 5 s timeout, never goes there.
    expect(attempts.filter((m) => m.controller === hole.origin).map((m) => [m.route, m.outcome])).toEqual([
      ['/health', 'transport-error'],
    ]);
    expect(hole.connections()).toBe(1);

    attempts.length = 0;
    await c.controller.version();
    expect(attempts.map((m) => [m.controller, m.route])).toEqual([[good.origin, '/v1/controller/version']]);
    expect(hole.connections()).toBe(1);
    expect(good.requests.filter((r) => r.url === '/v1/controller/version')).toHaveLength(2);
  });

  it('shares one health check of a hung controller among concurrent calls', async () => {
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const good = await versionServer();
    const c = client({ controllers: [hole.origin, good.origin], probeTimeoutMs: 300 });
    const results = await Promise.all(Array.from({ length: 20 }, () => c.controller.version()));
    expect(results.every((v) => v.rest_api_version === '1.28.0')).toBe(true);
    expect(hole.connections()).toBe(1);
    expect(good.requests.filter((r) => r.url === '/health')).toHaveLength(1);
  });

  it('names every controller and its failure when all are down', async () => {
    const closed = await closedPort();
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const c = client({
      controllers: [`http://127.0.0.1:${closed}`, hole.origin],
      connectTimeoutMs: 200,
      probeTimeoutMs: 200,
      retries: 1,
      backoffMs: 10,
    });
    const error = await c.nodes.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllControllersFailedError);
    const message = (error as Error).message;
    expect(message).toContain('No LINSTOR controller answered GET /v1/nodes');
    expect(message).toContain(`http://127.0.0.1:${closed}: connection refused`);
    expect(message).toContain(
      `${hole.origin}: no reply in time (health check, 200 ms): the controller sent no answer within 0.2 s`,
    );
    expect((error as AllControllersFailedError).failures.map((f) => f.kind)).toEqual([
      'connection-refused',
      'response-timeout',
    ]);
  });

  it('fails over when a controller reports itself unhealthy', async () => {
    const sick = await server((_req, res) => {
      res.writeHead(500);
      res.end('database not reachable');
    });
    const good = await versionServer();
    const c = client({ controllers: [sick.origin, good.origin] });
    await c.controller.version();
    expect(c.currentController).toBe(good.origin);
    expect(sick.requests.map((r) => r.url)).toEqual(['/health']);
  });

  it('remembers the good controller in the state file for the next process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-state-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, 'state', 'controller.json');
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const good = await versionServer();
    const options = { controllers: [hole.origin, good.origin], probeTimeoutMs: 1000, stateFile };
    await client(options).controller.version();
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).configured).toBe(good.origin);
    expect(hole.connections()).toBe(1);

    const attempts: RequestMetric[] = [];
    const second = client({ ...options, metrics: (m) => attempts.push(m) });
    expect(second.currentController).toBe(good.origin);
    await second.controller.version();
    // The new process starts at the remembered controller: one health check, never the black hole.
    expect(attempts.map((m) => [m.controller, m.route])).toEqual([
      [good.origin, '/health'],
      [good.origin, '/v1/controller/version'],
    ]);
    expect(hole.connections()).toBe(1);
  });

  it('keeps the state file private and never writes through a planted symbolic link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-state-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const stateDir = join(dir, 'state');
    const stateFile = join(stateDir, 'controller.json');
    const good = await versionServer();
    const options = { controllers: good.origin, stateFile };

    await client(options).controller.version();
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    // No temporary file is left beside it.
    expect(readdirSync(stateDir)).toEqual(['controller.json']);

    // A link planted where the state file lives is neither read nor written through: the
    // next save replaces the link itself, and the file it pointed at is untouched.
    rmSync(stateFile);
    symlinkSync(victim, stateFile);
    const other = await versionServer();
    await client({ controllers: [other.origin], stateFile }).controller.version();
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    expect(lstatSync(stateFile).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).configured).toBe(other.origin);
  });

  it('does not follow a state directory that is a symbolic link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-state-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(dir, 'state'));
    const good = await versionServer();
    const c = client({ controllers: good.origin, stateFile: join(dir, 'state', 'controller.json') });
    // The call still succeeds (the file is an optimisation); nothing is written behind the link.
    await expect(c.controller.version()).resolves.toMatchObject({ version: '1.34.1' });
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('ignores a damaged state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-state-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, 'controller.json');
    writeFileSync(stateFile, '{not json');
    const good = await versionServer();
    const c = client({ controllers: good.origin, stateFile });
    await expect(c.controller.version()).resolves.toMatchObject({ version: '1.34.1' });
  });
});

describe('lost replies', () => {
  it('does not re-send a POST whose reply was lost and says the outcome is unknown', async () => {
    const s = await server(
      withHealth((_req, res, raw) => {
        raw.socket.destroy();
        void res;
      }),
    );
    const c = client({ controllers: s.origin, retries: 3, backoffMs: 1 });
    const error = await c.resourceDefinitions
      .create({ resource_definition: { name: 'vm-1' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect((error as Error).message).toMatch(
      /^The outcome of POST \/v1\/resource-definitions is unknown \(.*connection closed before the reply arrived.*\); it was not re-sent, so read the current state before retrying\.$/,
    );
    expect(s.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('retries a DELETE whose reply was lost and returns the second reply', async () => {
    let deletes = 0;
    const s = await server(
      withHealth((req, res, raw) => {
        if (req.method !== 'DELETE') return sendJsonText(res, 404, '[]');
        deletes++;
        if (deletes === 1) {
          raw.socket.destroy();
          return;
        }
        sendJsonText(
          res,
          200,
          `[{"ret_code":${toSignedRetCode(0x8000000003380bb8n)},"message":"Resource definition 'vm-1' not found."}]`,
        );
      }),
    );
    const c = client({ controllers: s.origin, backoffMs: 1 });
    const reply = await c.resourceDefinitions.delete('vm-1');
    expect(deletes).toBe(2);
    expect(reply.attempts).toBe(2);
    expect(reply.warnings.map((w) => w.message)).toEqual(["Resource definition 'vm-1' not found."]);
  });

  it('sends a POST to another controller when the first refused the connection', async () => {
    const closed = await closedPort();
    const s = await server(withHealth((_req, res) => sendJsonText(res, 201, '[]')));
    const c = client({ controllers: [`127.0.0.1:${closed}`, s.origin] });
    const reply = await c.resourceDefinitions.create({ resource_definition: { name: 'vm-1' } });
    expect(reply.status).toBe(201);
    expect(reply.controller).toBe(s.origin);
  });

  it('bounds a slow reply by the request timeout and retries a GET elsewhere', async () => {
    const slow = await server(
      withHealth((_req, res) => {
        setTimeout(() => sendJsonText(res, 200, VERSION_JSON), 1500);
      }),
    );
    const good = await versionServer();
    const attempts: RequestMetric[] = [];
    const c = client({
      controllers: [slow.origin, good.origin],
      requestTimeoutMs: 200,
      metrics: (m) => attempts.push(m),
    });
    await c.controller.version();
    expect(c.currentController).toBe(good.origin);
    // The slow controller's reply was not waited for: the attempt there ended without a status.
    const atSlow = attempts.filter((m) => m.controller === slow.origin && m.route !== '/health');
    expect(atSlow.map((m) => [m.status, m.outcome])).toEqual([[undefined, 'transport-error']]);
  });

  it('gives up at the overall deadline', async () => {
    const slow = await server(withHealth(() => undefined));
    const attempts: RequestMetric[] = [];
    const c = client({
      controllers: slow.origin,
      requestTimeoutMs: 150,
      deadlineMs: 500,
      backoffMs: 50,
      retries: 10,
      metrics: (m) => attempts.push(m),
    });
    const error = await c.nodes.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllControllersFailedError);
    expect((error as AllControllersFailedError).deadlineExceeded).toBe(true);
    // 500 ms hold at most four 150 ms attempts with their pauses: the deadline, not the
    // retry count (11 attempts), ended the call.
    expect(attempts.filter((m) => m.route === '/v1/nodes').length).toBeLessThanOrEqual(4);
  });

  it('stops at once when the caller aborts', async () => {
    const slow = await server(withHealth(() => undefined));
    const c = client({ controllers: slow.origin });
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('caller gave up')), 100);
    await expect(c.nodes.list(undefined, { signal: abort.signal })).rejects.toThrow('caller gave up');
  });
});

describe('client-wide abort signal', () => {
  it('aborts every call of the client', async () => {
    const slow = await server(withHealth(() => undefined));
    const shutdown = new AbortController();
    const c = client({ controllers: slow.origin, signal: shutdown.signal });
    const pending = c.nodes.list();
    setTimeout(() => shutdown.abort(new Error('shutting down')), 50);
    await expect(pending).rejects.toThrow('shutting down');
    await expect(c.nodes.list()).rejects.toThrow('shutting down');
  });
});

describe('replies and errors', () => {
  it('keeps int64 ret_codes exact in errors and replies', async () => {
    const exists = '-4611686018406940171';
    const s = await server(
      withHealth((req, res) => {
        if (req.method === 'POST') {
          sendJsonText(
            res,
            500,
            `[{"ret_code":${exists},"message":"The creation of a new resource definition failed due to a name collision","cause":"A resource definition with the name 'vm-1' already exists","correction":"Use another name.","error_report_ids":["6712BBF1-00000-000005"],"obj_refs":{"RscDfn":"vm-1"}}]`,
          );
        } else {
          sendJsonText(
            res,
            404,
            `[{"ret_code":-4611686018427387603,"message":"Resource definition 'vm-2' not found."}]`,
          );
        }
      }),
    );
    const c = client({ controllers: s.origin });
    const error = (await c.resourceDefinitions
      .create({ resource_definition: { name: 'vm-1' } })
      .catch((e: unknown) => e)) as LinstorApiError;
    expect(error).toBeInstanceOf(LinstorApiError);
    expect(error.entries[0]!.ret_code).toBe(FAIL_EXISTS_RSC_DFN | MASK_CRT | MASK_RSC_DFN);
    expect(toSignedRetCode(error.entries[0]!.ret_code).toString()).toBe(exists);
    expect(error.isAlreadyExists()).toBe(true);
    expect(error.isNotFound()).toBe(false);
    expect(error.has(FAIL_EXISTS_RSC_DFN)).toBe(true);
    expect(error.status).toBe(500);
    expect(error.errorReportIds).toEqual(['6712BBF1-00000-000005']);
    expect(error.message).toBe(
      `LINSTOR controller ${s.origin} rejected POST /v1/resource-definitions with HTTP 500: The creation of a new resource definition failed due to a name collision; cause: A resource definition with the name 'vm-1' already exists; correction: Use another name; error reports: 6712BBF1-00000-000005.`,
    );

    const missing = (await c.resourceDefinitions.get('vm-2').catch((e: unknown) => e)) as LinstorApiError;
    expect(missing.isNotFound()).toBe(true);
    expect(missing.isUnknownRoute()).toBe(false);
    expect(missing.has(FAIL_NOT_FOUND_RSC_DFN)).toBe(true);
    await expect(c.resourceDefinitions.getOrUndefined('vm-2')).resolves.toBeUndefined();
  });

  it('tells an unknown route from a missing object', async () => {
    const s = await versionServer();
    const c = client({ controllers: s.origin });
    const error = (await c.request('GET', '/v1/no-such-thing').catch((e: unknown) => e)) as LinstorApiError;
    expect(error.status).toBe(404);
    expect(error.isUnknownRoute()).toBe(true);
    expect(error.isNotFound()).toBe(false);
    await expect(c.nodes.getOrUndefined('x')).rejects.toBeInstanceOf(LinstorApiError);
  });

  it('hands warnings and infos of a 201 to the caller', async () => {
    const s = await server(
      withHealth((_req, res) =>
        sendJsonText(
          res,
          201,
          `[{"ret_code":20185089,"message":"Resource 'vm-1' on 'n1' created."},{"ret_code":${toSignedRetCode(WARN_NOT_CONNECTED)},"message":"No active connection to satellite 'n2'"},{"ret_code":4611686018427397904,"message":"No resources spawned"}]`,
        ),
      ),
    );
    const c = client({ controllers: s.origin });
    const reply = await c.resourceGroups.spawn('rg', {
      resource_definition_name: 'vm-1',
      volume_sizes: [1024],
    });
    expect(reply.status).toBe(201);
    expect(reply.warnings.map((w) => w.message)).toEqual(["No active connection to satellite 'n2'"]);
    expect(reply.has(WARN_NOT_CONNECTED)).toBe(true);
    expect(reply.infos).toHaveLength(1);
    expect(reply.successes).toHaveLength(1);
  });

  it('describes a non-JSON error page', async () => {
    const s = await server(
      withHealth((_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><title>502 Bad Gateway</title></html>');
      }),
    );
    const c = client({ controllers: s.origin });
    await expect(c.nodes.list()).rejects.toThrow(
      `LINSTOR controller ${s.origin} rejected GET /v1/nodes with HTTP 502: the reply was not a LINSTOR answer: 502 Bad Gateway.`,
    );
  });
});

describe('wire details', () => {
  it('sends repeated query keys, User-Agent, Accept-Encoding and reads gzip replies', async () => {
    const s = await server(
      withHealth((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync('[{"name":"n1","type":"SATELLITE"}]'));
      }),
    );
    const c = client({ controllers: s.origin, userAgent: 'proxmox' });
    const nodes = await c.nodes.list({ nodes: ['n1', 'n2'], props: { 'Aux/site': 'a' }, limit: 0 });
    expect(nodes).toEqual([{ name: 'n1', type: 'SATELLITE' }]);
    const seen = s.requests.find((r) => r.url.startsWith('/v1/nodes'))!;
    expect(seen.url).toBe('/v1/nodes?nodes=n1&nodes=n2&props=Aux%2Fsite%3Da&limit=0');
    expect(seen.headers['user-agent']).toMatch(/^linstor-hv\/\d+\.\d+\.\d+ \(proxmox\)$/);
    expect(seen.headers['accept-encoding']).toBe('gzip');
  });

  it('keeps connections alive between requests', async () => {
    const s = await versionServer();
    const c = client({ controllers: s.origin });
    await c.controller.version();
    const afterFirstCall = s.connections();
    for (let i = 0; i < 10; i++) await c.controller.version();
    expect(s.requests.filter((r) => r.url === '/v1/controller/version')).toHaveLength(11);
    // The ten later calls reuse what the first one opened (its health probe may add a second socket).
    expect(afterFirstCall).toBeLessThanOrEqual(2);
    expect(s.connections()).toBe(afterFirstCall);
  });

  it('encodes names in paths and keeps slashes of property keys', async () => {
    const s = await server(withHealth((_req, res) => sendJsonText(res, 200, '[]')));
    const c = client({ controllers: s.origin });
    await c.controller.deleteProperty('Aux/linstor-hv/x y');
    await c.resources.delete('vm 1', 'n1', { keepTiebreaker: true });
    expect(s.requests.slice(-2).map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /v1/controller/properties/Aux/linstor-hv/x%20y',
      'DELETE /v1/resource-definitions/vm%201/resources/n1?keep_tiebreaker=true',
    ]);
  });

  it('reports each request to the metrics hook with its route template', async () => {
    const s = await server(
      withHealth((_req, res) =>
        sendJsonText(
          res,
          404,
          `[{"ret_code":-4611686018427387603,"message":"Resource definition 'vm-1' not found."}]`,
        ),
      ),
    );
    const metrics: RequestMetric[] = [];
    const c = client({ controllers: s.origin, metrics: (m) => metrics.push(m) });
    await c.resourceDefinitions.getOrUndefined('vm-1');
    expect(metrics.map((m) => [m.method, m.route, m.status, m.outcome])).toEqual([
      ['GET', '/health', 200, 'ok'],
      ['GET', '/v1/resource-definitions/{resource}', 404, 'api-error'],
    ]);
    expect(metrics.every((m) => m.controller === s.origin && m.durationMs >= 0)).toBe(true);
  });
});

describe('bearer token', () => {
  it('never sends the token over plain HTTP unless allowed', async () => {
    const s = await versionServer();
    const c = client({ controllers: s.origin, token: 'secret-token' });
    const error = await c.controller.version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllControllersFailedError);
    expect((error as Error).message).toContain(
      `${s.origin}: not used (refusing to send the bearer token from the token option over plain HTTP; use an https:// or linstor+ssl:// address, or set allowInsecureToken)`,
    );
    // A configuration problem is not retried: one health check and one redirect check, no more.
    expect(s.requests.map((r) => r.url)).toEqual(['/health', '/v1/controller/version']);
    expect((error as Error).message).not.toContain('secret-token');
    expect(s.requests.every((r) => r.headers.authorization === undefined)).toBe(true);

    const insecure = client({ controllers: s.origin, token: 'secret-token', allowInsecureToken: true });
    await insecure.controller.version();
    expect(s.requests.at(-1)!.headers.authorization).toBe('Bearer secret-token');
  });

  it('reads the token from a JSON token file or a bare one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-token-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'auth.json'), '{"token": "from-json"}\n');
    writeFileSync(join(dir, 'raw'), 'from-raw\n');
    const s = await versionServer();
    await client({
      controllers: s.origin,
      tokenFile: join(dir, 'auth.json'),
      allowInsecureToken: true,
    }).controller.version();
    expect(s.requests.at(-1)!.headers.authorization).toBe('Bearer from-json');
    await createLinstorClient({
      controllers: s.origin,
      env: { LS_BEARER_TOKEN_FILE: join(dir, 'raw') },
      allowInsecureToken: true,
    }).controller.version();
    expect(s.requests.at(-1)!.headers.authorization).toBe('Bearer from-raw');
    expect(() => client({ tokenFile: join(dir, 'missing') })).toThrow(LinstorConfigError);
  });
});
