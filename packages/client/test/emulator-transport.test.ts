import { FAIL_EXISTS_RSC_DFN, FAIL_NOT_FOUND_NODE, toSignedRetCode, WARN_NOT_FOUND } from '@linstor-hv/api';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AllControllersFailedError,
  createLinstorClient,
  LinstorApiError,
  type LinstorClient,
  type LinstorClientOptions,
  OutcomeUnknownError,
  type RequestMetric,
} from '../src/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import { closedPort } from './helpers/servers';

const clients: LinstorClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function client(options: LinstorClientOptions): LinstorClient {
  const c = createLinstorClient({ env: {}, tokenFile: false, ...options });
  clients.push(c);
  return c;
}

const NEW_NODE = {
  name: 'pve4',
  type: 'SATELLITE',
  net_interfaces: [
    { name: 'default', address: '10.0.0.4', satellite_port: 3366, satellite_encryption_type: 'PLAIN' },
  ],
};

describe('against the emulator over TCP', () => {
  let emulator: RunningEmulator;
  let closed: number;

  beforeAll(async () => {
    emulator = await startEmulator({ listeners: [{ kind: 'http' }, { kind: 'blackhole' }] });
    closed = await closedPort();
  });
  afterAll(async () => {
    await emulator.stop();
  });
  afterEach(async () => {
    await emulator.control.reset();
  });

  it('fails over past a closed and a black-holed controller within the timeouts, then sticks to the third', async () => {
    const attempts: RequestMetric[] = [];
    const c = client({
      controllers: [`127.0.0.1:${closed}`, emulator.blackholeUrls[0]!, emulator.url],
      connectTimeoutMs: 500,
      probeTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      metrics: (m) => attempts.push(m),
    });
    const nodes = await c.nodes.list();
    expect(nodes.map((n) => n.name).sort()).toEqual(['pve1', 'pve2', 'pve3']);
    expect(c.currentController).toBe(emulator.url);

    expect(attempts.map((m) => [m.controller, m.route, m.outcome])).toEqual([
      [`http://127.0.0.1:${closed}`, '/health', 'transport-error'],
      [emulator.blackholeUrls[0], '/health', 'transport-error'],
      [emulator.url, '/health', 'ok'],
      [emulator.url, '/v1/nodes', 'ok'],
    ]);

    attempts.length = 0;
    await c.nodes.get('pve1');
    // Straight to the third controller: no probes, no other controller touched.
    expect(attempts.map((m) => [m.controller, m.route])).toEqual([[emulator.url, '/v1/nodes/{node}']]);
  });

  it('explains that every controller is down', async () => {
    const c = client({
      controllers: [`127.0.0.1:${closed}`, emulator.blackholeUrls[0]!],
      probeTimeoutMs: 200,
      retries: 0,
    });
    const error = (await c.controller.version().catch((e: unknown) => e)) as AllControllersFailedError;
    expect(error.message).toBe(
      `No LINSTOR controller answered GET /v1/controller/version: http://127.0.0.1:${closed}: connection refused (ECONNREFUSED); ${emulator.blackholeUrls[0]}: no reply in time (health check, 200 ms): the controller sent no answer within 0.2 s. Check that a controller is running and reachable, and the controller list.`,
    );
  });

  it('does not re-send a POST whose reply was lost, and the object exists once', async () => {
    await emulator.control.addFault({ method: 'POST', template: '/v1/nodes', action: 'drop-after' });
    const c = client({ controllers: emulator.url, backoffMs: 1 });
    const error = await c.nodes.create(NEW_NODE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    const counts = await emulator.control.requestCounts();
    expect(counts['POST /v1/nodes']).toBe(1);
    // Reconciling by reading state: the node was created exactly once.
    const nodes = await c.nodes.list({ nodes: ['pve4'] });
    expect(nodes.map((n) => n.name)).toEqual(['pve4']);
    const again = (await c.nodes.create(NEW_NODE).catch((e: unknown) => e)) as LinstorApiError;
    expect(again.isAlreadyExists()).toBe(true);
  });

  it('retries a DELETE whose reply was lost, and it succeeds', async () => {
    const c = client({ controllers: emulator.url, backoffMs: 1 });
    await c.nodes.create(NEW_NODE);
    await emulator.control.addFault({ method: 'DELETE', template: '/v1/nodes/{node}', action: 'drop-after' });
    const reply = await c.nodes.delete('pve4');
    expect(reply.attempts).toBe(2);
    expect(await c.nodes.getOrUndefined('pve4')).toBeUndefined();
    expect((await emulator.control.requestCounts())['DELETE /v1/nodes/{node}']).toBe(2);
    // The first attempt deleted the node, so the retry is told it is already gone.
    expect(reply.has(WARN_NOT_FOUND)).toBe(true);
    expect(reply.warnings.map((w) => w.message)).toEqual(["Node 'pve4' not found."]);
  });

  it('retries a GET dropped before it was handled', async () => {
    await emulator.control.addFault({ method: 'GET', template: '/v1/nodes/{node}', action: 'drop-before' });
    const c = client({ controllers: emulator.url, backoffMs: 1 });
    await expect(c.nodes.get('pve2')).resolves.toMatchObject({ name: 'pve2' });
  });

  it('round-trips int64 ret_codes exactly', async () => {
    await emulator.control.addFault({
      method: 'GET',
      template: '/v1/nodes/{node}',
      action: 'error',
      status: 500,
      retCode: '-4611686018406940171',
      message: 'injected',
    });
    const c = client({ controllers: emulator.url });
    const error = (await c.nodes.get('pve1').catch((e: unknown) => e)) as LinstorApiError;
    expect(error).toBeInstanceOf(LinstorApiError);
    expect(toSignedRetCode(error.entries[0]!.ret_code)).toBe(-4611686018406940171n);
    expect(error.has(FAIL_EXISTS_RSC_DFN)).toBe(true);

    const missing = (await c.nodes.get('nope').catch((e: unknown) => e)) as LinstorApiError;
    expect(missing.status).toBe(404);
    expect(missing.has(FAIL_NOT_FOUND_NODE)).toBe(true);
    expect(missing.isNotFound()).toBe(true);
  });

  it('bounds a delayed reply by the request timeout', async () => {
    await emulator.control.addFault({
      method: 'GET',
      template: '/v1/nodes',
      action: 'delay',
      delayMs: 2000,
      times: -1,
    });
    const c = client({ controllers: emulator.url, requestTimeoutMs: 300, retries: 1, backoffMs: 1 });
    const error = (await c.nodes.list().catch((e: unknown) => e)) as AllControllersFailedError;
    // The attempt ended at the 300 ms request timeout, never at the 2 s delayed reply.
    expect(error.failures.map((f) => f.kind)).toEqual(['response-timeout']);
  });
});

describe('emulator in HTTPS + bearer-token mode', () => {
  let pki: TestPki;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    pki = makeTestPki();
    emulator = await startEmulator({
      listeners: [{ kind: 'https' }],
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, requireClientCert: true },
      tokens: ['good-token'],
    });
  });
  afterAll(async () => {
    await emulator.stop();
    pki.remove();
  });

  const tls = () => ({ caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey });

  it('works with a client certificate and the right token', async () => {
    const c = client({ controllers: emulator.url, tls: tls(), token: 'good-token' });
    await expect(c.controller.version()).resolves.toMatchObject({ rest_api_version: expect.any(String) });
    expect((await c.nodes.list()).length).toBe(3);
  });

  it('reports a wrong token as access denied', async () => {
    const c = client({ controllers: emulator.url, tls: tls(), token: 'bad-token' });
    const error = (await c.nodes.list().catch((e: unknown) => e)) as LinstorApiError;
    expect(error).toBeInstanceOf(LinstorApiError);
    expect(error.status).toBe(401);
    expect(error.isAccessDenied()).toBe(true);
    expect(error.message).toContain('Unauthorized: token invalid or not provided');
    expect(error.message).not.toContain('bad-token');
  });

  it('cannot connect without a client certificate', async () => {
    const c = client({
      controllers: emulator.url,
      tls: { caFile: pki.caCert },
      token: 'good-token',
      retries: 0,
    });
    await expect(c.nodes.list()).rejects.toBeInstanceOf(AllControllersFailedError);
  });
});
