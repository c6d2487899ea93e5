import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AllControllersFailedError,
  createLinstorClient,
  type LinstorClient,
  type LinstorClientOptions,
} from '../src/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import {
  sendJsonText,
  startHttpServer,
  startHttpsServer,
  type TestServer,
  withHealth,
} from './helpers/servers';

const VERSION_JSON = '{"version":"1.34.1","rest_api_version":"1.28.0"}';
let pki: TestPki;
let mtls: TestServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  mtls = await startHttpsServer(
    {
      cert: pki.read(pki.serverCert),
      key: pki.read(pki.serverKey),
      ca: pki.read(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    withHealth((req, res) => {
      if (req.url === '/v1/controller/version') sendJsonText(res, 200, VERSION_JSON);
      else sendJsonText(res, 200, '[]');
    }),
  );
});
afterAll(async () => {
  await mtls.close();
  pki.remove();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function client(options: LinstorClientOptions): LinstorClient {
  const c = createLinstorClient({
    tokenFile: false,
    env: {},
    connectTimeoutMs: 1000,
    retries: 0,
    ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

describe('TLS', () => {
  it('talks to an HTTPS controller that requires a client certificate', async () => {
    const c = client({
      controllers: `linstor+ssl://127.0.0.1:${mtls.port}`,
      tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    await expect(c.controller.version()).resolves.toMatchObject({ rest_api_version: '1.28.0' });
  });

  it('uses HTTPS for a bare host:port once TLS material is configured (PEM text from the environment)', async () => {
    const c = client({
      controllers: `127.0.0.1:${mtls.port}`,
      env: {
        LS_ROOT_CA: pki.read(pki.caCert),
        LS_USER_CERTIFICATE: pki.read(pki.clientCert),
        LS_USER_KEY: pki.read(pki.clientKey),
      },
    });
    expect(c.controllers).toEqual([`https://127.0.0.1:${mtls.port}`]);
    await expect(c.controller.version()).resolves.toMatchObject({ version: '1.34.1' });
  });

  it('reads CA, certificate and key paths from LS_*_FILE variables', async () => {
    const c = client({
      controllers: `linstor+ssl://127.0.0.1:${mtls.port}`,
      env: {
        LS_ROOT_CA_FILE: pki.caCert,
        LS_USER_CERTIFICATE_FILE: pki.clientCert,
        LS_USER_KEY_FILE: pki.clientKey,
      },
    });
    await expect(c.controller.version()).resolves.toMatchObject({ version: '1.34.1' });
  });

  it('fails without a client certificate', async () => {
    const c = client({ controllers: `https://127.0.0.1:${mtls.port}`, tls: { caFile: pki.caCert } });
    const error = await c.controller.version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllControllersFailedError);
    expect((error as AllControllersFailedError).failures[0]!.kind).toMatch(/tls|connection-lost/);
  });

  it('verifies the server certificate against the configured CA', async () => {
    const c = client({
      controllers: `https://127.0.0.1:${mtls.port}`,
      tls: { caFile: pki.otherCaCert, certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    const error = (await c.controller.version().catch((e: unknown) => e)) as AllControllersFailedError;
    expect(error).toBeInstanceOf(AllControllersFailedError);
    expect(error.failures[0]!.kind).toBe('tls');
    expect(error.message).toContain(
      'configure tls.caFile with the CA that signed the controller certificate',
    );
  });

  it('verifies the host name', async () => {
    const c = client({
      controllers: `https://127.0.0.1:${mtls.port}`,
      tls: {
        caFile: pki.caCert,
        certFile: pki.clientCert,
        keyFile: pki.clientKey,
        servername: 'not-the-server',
      },
    });
    const error = (await c.controller.version().catch((e: unknown) => e)) as AllControllersFailedError;
    expect(error.failures[0]!.kind).toBe('tls');
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('follows the controller redirect from HTTP to HTTPS, and only then sends the token', async () => {
    const plain = await startHttpServer((req, res) => {
      if (req.url.startsWith('/v1/')) {
        res.writeHead(302, { location: `https://127.0.0.1:${mtls.port}` });
        res.end();
        return;
      }
      res.writeHead(200);
      res.end();
    });
    cleanups.push(() => plain.close());
    const before = mtls.requests.length;
    // TLS material makes bare hosts HTTPS, so the plain listener is named with an explicit http://.
    const plainClient = client({
      controllers: `http://127.0.0.1:${plain.port}`,
      token: 'tok-123',
      tls: { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey },
    });
    const reply = await plainClient.resourceDefinitions.create({ resource_definition: { name: 'vm-1' } });
    expect(reply.controller).toBe(`https://127.0.0.1:${mtls.port}`);
    expect(plainClient.currentController).toBe(`https://127.0.0.1:${mtls.port}`);
    expect(plain.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
    const sent = mtls.requests.slice(before);
    expect(sent.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(sent.find((r) => r.method === 'POST')!.headers.authorization).toBe('Bearer tok-123');
  });

  it('picks up a rotated client certificate for new connections without a new client', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'client-rotate-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const certFile = join(dir, 'client.crt');
    const keyFile = join(dir, 'client.key');
    // Start with an identity the server does not trust (a certificate of the other CA).
    copyFileSync(pki.otherCaCert, certFile);
    copyFileSync(join(pki.dir, 'other-ca.key'), keyFile);
    const c = client({
      controllers: `https://127.0.0.1:${mtls.port}`,
      tls: { caFile: pki.caCert, certFile, keyFile },
    });
    await expect(c.controller.version()).rejects.toBeInstanceOf(AllControllersFailedError);
    copyFileSync(pki.clientCert, certFile);
    copyFileSync(pki.clientKey, keyFile);
    await expect(c.controller.version()).resolves.toMatchObject({ version: '1.34.1' });
  });

  it('refuses a redirect to another host', async () => {
    const plain = await startHttpServer(
      withHealth((_req, res) => {
        res.writeHead(302, { location: 'https://evil.example:3371' });
        res.end();
      }),
    );
    cleanups.push(() => plain.close());
    const c = client({ controllers: plain.origin });
    await expect(c.nodes.list()).rejects.toThrow('only an upgrade to HTTPS on the same host is followed');
  });
});
