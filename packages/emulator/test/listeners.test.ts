import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/start';
import { call } from './http-helpers';

let pki: string;
const pem = (name: string) => readFileSync(join(pki, name), 'utf8');

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
}

/** `openssl req` arguments for a new unencrypted RSA key `<name>.key` and the request's subject. */
function newKey(name: string, subject: string): string[] {
  return ['-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', subject];
}

/** A self-signed certificate `<name>.crt` and its key `<name>.key`. */
function selfSigned(name: string, subject: string): void {
  openssl(['req', '-x509', ...newKey(name, subject), '-out', `${name}.crt`, '-days', '2']);
}

/** A key `<name>.key` and a certificate `<name>.crt` signed by the test CA (with extensions from `extfile`). */
function signedByCa(name: string, subject: string, extfile?: string): void {
  openssl(['req', ...newKey(name, subject), '-out', `${name}.csr`]);
  const extensions = extfile ? ['-extfile', extfile] : [];
  openssl([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    ...extensions,
  ]);
}

/** A CA, a server certificate for 127.0.0.1 signed by it, a client certificate signed by it, and a rogue self-signed client. */
function makePki(): void {
  selfSigned('ca', '/CN=test-ca');
  writeFileSync(join(pki, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  signedByCa('server', '/CN=127.0.0.1', 'server.ext');
  signedByCa('client', '/CN=pve1');
  selfSigned('rogue', '/CN=rogue');
}

interface TlsClient {
  cert?: string;
  key?: string;
}

/** GET over HTTPS trusting the test CA, optionally presenting a client certificate. */
function httpsGet(url: string, client: TlsClient = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { ca: pem('ca.crt'), cert: client.cert, key: client.key, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  pki = await mkdtemp(join(tmpdir(), 'emu-pki-'));
  makePki();
}, 60_000);

afterAll(async () => {
  await rm(pki, { recursive: true, force: true });
});

describe('HTTPS listener', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({
      listeners: [{ kind: 'https' }, { kind: 'http' }],
      tls: { cert: join(pki, 'server.crt'), key: join(pki, 'server.key'), ca: pem('ca.crt') },
    });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('serves the same controller over HTTPS and HTTP; a client certificate is optional', async () => {
    expect(emu.urls).toHaveLength(2);
    expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const secure = await httpsGet(`${emu.url}/v1/controller/version`);
    expect(secure.status).toBe(200);
    expect(JSON.parse(secure.body).version).toBe('1.34.1');
    await call(emu.urls[1]!, 'PUT', '/v1/key-value-store/kv', { override_props: { via: 'http' } });
    const viaTls = await httpsGet(`${emu.url}/v1/key-value-store/kv`, {
      cert: pem('client.crt'),
      key: pem('client.key'),
    });
    expect(JSON.parse(viaTls.body)).toEqual([{ name: 'kv', props: { via: 'http' } }]);
  });

  it('serves the control API over HTTPS with the CA it was started with', async () => {
    await emu.control.nodeOffline('pve2');
    await emu.control.reset();
  });
});

describe('HTTPS listener requiring client certificates', () => {
  let emu: RunningEmulator;
  beforeAll(async () => {
    emu = await startEmulator({
      listeners: [{ kind: 'https' }],
      tls: {
        cert: pem('server.crt'),
        key: pem('server.key'),
        ca: join(pki, 'ca.crt'),
        requireClientCert: true,
      },
    });
  });
  afterAll(async () => {
    await emu.stop();
  });

  it('answers a client that presents a certificate signed by the CA', async () => {
    const r = await httpsGet(`${emu.url}/health`, { cert: pem('client.crt'), key: pem('client.key') });
    expect(r.status).toBe(200);
  });

  it('rejects a connection without a client certificate', async () => {
    await expect(httpsGet(`${emu.url}/health`)).rejects.toThrow(
      /certificate|alert|socket hang up|ECONNRESET/i,
    );
  });

  it('rejects a client certificate from another CA', async () => {
    await expect(
      httpsGet(`${emu.url}/health`, { cert: pem('rogue.crt'), key: pem('rogue.key') }),
    ).rejects.toThrow(/certificate|alert|socket hang up|ECONNRESET/i);
  });

  it('refuses to start requireClientCert without a CA', async () => {
    await expect(
      startEmulator({
        listeners: [{ kind: 'https' }],
        tls: { cert: pem('server.crt'), key: pem('server.key'), requireClientCert: true },
      }),
    ).rejects.toThrow('requireClientCert needs a CA (tls.ca)');
  });
});

describe('plain listener redirecting to HTTPS', () => {
  it('answers /v1 with a 302 to the HTTPS port and still serves /health and the control API', async () => {
    const emu = await startEmulator({
      listeners: [{ kind: 'http', redirectToHttps: true }, { kind: 'https' }],
      tls: { cert: pem('server.crt'), key: pem('server.key') },
    });
    try {
      const plain = emu.urls[0]!;
      const httpsPort = new URL(emu.urls[1]!).port;
      const r = await fetch(`${plain}/v1/controller/version?x=1`, { redirect: 'manual' });
      expect(r.status).toBe(302);
      expect(r.headers.get('location')).toBe(`https://127.0.0.1:${httpsPort}/v1/controller/version?x=1`);
      expect((await call(plain, 'GET', '/health')).status).toBe(200);
      await emu.control.nodeOffline('pve1');
      const secure = await httpsGet(`${r.headers.get('location')}`);
      expect(JSON.parse(secure.body).rest_api_version).toBe('1.28.0');
    } finally {
      await emu.stop();
    }
  });

  it('refuses to redirect without an HTTPS listener', async () => {
    await expect(startEmulator({ listeners: [{ kind: 'http', redirectToHttps: true }] })).rejects.toThrow(
      'redirectToHttps needs an https listener to redirect to',
    );
  });
});

describe('black-hole listener', () => {
  it('accepts TCP connections and never answers, until the emulator stops', async () => {
    const emu = await startEmulator({
      listeners: [{ kind: 'http' }, { kind: 'blackhole' }, { kind: 'blackhole' }],
    });
    try {
      expect(emu.urls).toHaveLength(1);
      expect(emu.blackholeUrls).toHaveLength(2);
      const { port } = new URL(emu.blackholeUrls[0]!);
      const socket = connect(Number(port), '127.0.0.1');
      const received: Buffer[] = [];
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('data', (c: Buffer) => received.push(c));
      socket.on('error', () => {});
      await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
      socket.write('GET /v1/controller/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await new Promise((r) => setTimeout(r, 700));
      expect(received).toEqual([]);
      expect(socket.destroyed).toBe(false);
      // A client with a timeout gives up; the emulator itself still answers on its real listener.
      await expect(
        fetch(`${emu.blackholeUrls[1]}/health`, { signal: AbortSignal.timeout(300) }),
      ).rejects.toThrow();
      expect((await call(emu.url, 'GET', '/health')).status).toBe(200);
      await emu.stop();
      await closed;
      expect(received).toEqual([]);
    } finally {
      await emu.stop();
    }
  });
});
