/**
 * What a user reads when TLS or a silent controller stops a call (issue 10, "Error messages"): the
 * controller, the cause in plain words and what to change. Real TLS servers with a throw-away PKI.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AllControllersFailedError,
  createLinstorClient,
  type LinstorClientOptions,
  type TlsOptions,
} from '../src/index';
import { makeTestPki, type TestPki } from './helpers/certs';
import {
  sendJsonText,
  startBlackhole,
  startHttpServer,
  startHttpsServer,
  startOpensslServer,
  withHealth,
} from './helpers/servers';

let pki: TestPki;
const cleanups: (() => Promise<void> | void)[] = [];
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.remove());
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const answerEmptyLists = withHealth((_req, res) => sendJsonText(res, 200, '[]'));

/** A Node HTTPS server with the given certificate files (PEM paths of the test PKI). */
async function nodeTlsServer(cert: string, key: string, extra: object = {}): Promise<string> {
  const s = await startHttpsServer({ cert: pki.read(cert), key: pki.read(key), ...extra }, answerEmptyLists);
  cleanups.push(() => s.close());
  return s.origin;
}

/** An openssl s_server that requires a client certificate signed by the test CA. */
async function certRequiringServer(): Promise<string> {
  const s = await startOpensslServer([
    '-cert',
    pki.serverCert,
    '-key',
    pki.serverKey,
    '-CAfile',
    pki.caCert,
    '-Verify',
    '1',
    '-verify_return_error',
  ]);
  cleanups.push(() => s.close());
  return s.origin;
}

/** The one line about the controller that a failed call reports. */
async function failureOf(
  origin: string,
  tls: TlsOptions,
  options: LinstorClientOptions = {},
): Promise<string> {
  const c = createLinstorClient({
    controllers: origin,
    tls,
    tokenFile: false,
    env: {},
    retries: 0,
    connectTimeoutMs: 1000,
    ...options,
  });
  cleanups.push(() => c.close());
  const error = await c.nodes.list().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AllControllersFailedError);
  const failure = (error as AllControllersFailedError).failures[0]!;
  expect((error as Error).message).toContain(failure.message);
  return failure.message;
}

const TRUST_CA =
  'configure tls.caFile with the CA that signed the controller certificate (or LS_ROOT_CA_FILE)';

describe('TLS failures name the controller and the cause', () => {
  it('a self-signed controller certificate', async () => {
    const origin = await nodeTlsServer(pki.selfSignedServerCert, pki.selfSignedServerKey);
    expect(await failureOf(origin, { caFile: pki.caCert })).toBe(
      `${origin}: TLS handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT): the controller's certificate is self-signed and not trusted here (unknown CA); ${TRUST_CA}`,
    );
  });

  it('a controller certificate of an unknown CA', async () => {
    const origin = await nodeTlsServer(pki.serverCert, pki.serverKey);
    expect(await failureOf(origin, { caFile: pki.otherCaCert })).toBe(
      `${origin}: TLS handshake failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE): the controller's certificate is signed by a CA this client does not trust (unknown CA); ${TRUST_CA}`,
    );
  });

  it('a certificate issued for another name (hostname mismatch)', async () => {
    const origin = await nodeTlsServer(pki.serverCert, pki.serverKey);
    expect(await failureOf(origin, { caFile: pki.caCert, servername: 'ctrl.example' })).toBe(
      `${origin}: TLS handshake failed (ERR_TLS_CERT_ALTNAME_INVALID): the controller's certificate is not issued for the name 'ctrl.example' (hostname mismatch); connect by a name the certificate lists, or set tls.servername to one`,
    );
  });

  it('an expired controller certificate', async () => {
    const origin = await nodeTlsServer(pki.expiredServerCert, pki.expiredServerKey);
    expect(await failureOf(origin, { caFile: pki.caCert })).toBe(
      `${origin}: TLS handshake failed (CERT_HAS_EXPIRED): the controller's certificate has expired; renew it on the controller`,
    );
  });

  it('a controller that requires a client certificate, and none is configured', async () => {
    const origin = await certRequiringServer();
    expect(await failureOf(origin, { caFile: pki.caCert })).toBe(
      `${origin}: TLS handshake failed (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED): the controller requires a client certificate; set tls.certFile and tls.keyFile (LS_USER_CERTIFICATE_FILE, LS_USER_KEY_FILE)`,
    );
  });

  it('a client certificate the controller rejects (signed by a CA it does not trust)', async () => {
    const origin = await certRequiringServer();
    const tls = { caFile: pki.caCert, certFile: pki.foreignClientCert, keyFile: pki.foreignClientKey };
    expect(await failureOf(origin, tls)).toBe(
      `${origin}: TLS handshake failed (ERR_SSL_TLSV1_ALERT_UNKNOWN_CA): the controller rejected this client's certificate: it is not signed by a CA the controller trusts`,
    );
  });

  it('an expired client certificate', async () => {
    const origin = await certRequiringServer();
    const tls = { caFile: pki.caCert, certFile: pki.expiredClientCert, keyFile: pki.expiredClientKey };
    expect(await failureOf(origin, tls)).toBe(
      `${origin}: TLS handshake failed (ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED): the controller rejected this client's certificate as expired; renew tls.certFile`,
    );
  });

  it('a TLS server that drops a rejected client certificate silently (no alert) still gets a hint', async () => {
    // Node's TLS server checks the client certificate after the handshake and just closes.
    const origin = await nodeTlsServer(pki.serverCert, pki.serverKey, {
      ca: pki.read(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    });
    const tls = { caFile: pki.caCert, certFile: pki.foreignClientCert, keyFile: pki.foreignClientKey };
    expect(await failureOf(origin, tls)).toBe(
      `${origin}: connection closed before the reply arrived (UND_ERR_SOCKET): the controller closed the new TLS connection without answering; if it requires client certificates, check tls.certFile and tls.keyFile and that the controller trusts their CA`,
    );
  });

  it('an HTTPS address for a port that speaks plain HTTP', async () => {
    const plain = await startHttpServer(answerEmptyLists);
    cleanups.push(() => plain.close());
    const origin = plain.origin.replace('http:', 'https:');
    expect(await failureOf(origin, { caFile: pki.caCert })).toBe(
      `${origin}: TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER): the controller does not speak TLS on this port; use its HTTPS port (3371) or an http:// address`,
    );
  });
});

describe('a controller that accepts TCP and never answers', () => {
  it('over HTTPS: "no answer within N s", not a TLS error', async () => {
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const origin = hole.origin.replace('http:', 'https:');
    const message = await failureOf(origin, { caFile: pki.caCert }, { probeTimeoutMs: 5000 });
    expect(message).toBe(
      `${origin}: no reply in time (health check, TLS handshake, 1000 ms): the controller accepted the TCP connection but gave no answer within 1 s`,
    );
    expect(message).not.toContain('TLS handshake failed');
  });

  it('over HTTPS, when the health check gives up first', async () => {
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const origin = hole.origin.replace('http:', 'https:');
    const options = { probeTimeoutMs: 300, connectTimeoutMs: 5000 };
    expect(await failureOf(origin, { caFile: pki.caCert }, options)).toBe(
      `${origin}: no reply in time (health check, 300 ms): the controller sent no answer within 0.3 s`,
    );
  });

  it('over HTTP, a request the controller took and never answered', async () => {
    const hung = await startHttpServer(withHealth(() => undefined));
    cleanups.push(() => hung.close());
    expect(await failureOf(hung.origin, {}, { requestTimeoutMs: 500 })).toBe(
      `${hung.origin}: no reply in time (500 ms): the controller sent no answer within 0.5 s`,
    );
  });
});
