import { LinstorTransportError, type TransportFailureKind } from '../errors';

/** Error codes that mean the request never left this host or never reached the controller's HTTP layer. */
const PRE_SEND_CODES: Record<string, TransportFailureKind> = {
  ECONNREFUSED: 'connection-refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect-timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
};

const TRUST_CA =
  'configure tls.caFile with the CA that signed the controller certificate (or LS_ROOT_CA_FILE)';
const CLIENT_CERT_REJECTED = "the controller rejected this client's certificate";

/**
 * TLS failures in plain words, by Node/OpenSSL error code. The first group is this client refusing
 * the controller's certificate; the `ERR_SSL_*_ALERT_*` group is the controller refusing us (the
 * alert it sent during or right after the handshake). `{host}` is the name that was verified.
 */
const TLS_CAUSES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: `the controller's certificate is self-signed and not trusted here (unknown CA); ${TRUST_CA}`,
  SELF_SIGNED_CERT_IN_CHAIN: `the controller's certificate chain ends in a self-signed CA that is not trusted here (unknown CA); ${TRUST_CA}`,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the controller's certificate is signed by a CA this client does not trust (unknown CA); ${TRUST_CA}`,
  UNABLE_TO_GET_ISSUER_CERT: `the controller's certificate is signed by a CA this client does not trust (unknown CA); ${TRUST_CA}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `the controller's certificate is signed by a CA this client does not trust (unknown CA); ${TRUST_CA}`,
  CERT_SIGNATURE_FAILURE: `the signature of the controller's certificate does not verify; ${TRUST_CA}`,
  CERT_HAS_EXPIRED: "the controller's certificate has expired; renew it on the controller",
  CERT_NOT_YET_VALID: "the controller's certificate is not valid yet; check the clocks of both hosts",
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the controller's certificate is not issued for the name '{host}' (hostname mismatch); connect by a name the certificate lists, or set tls.servername to one",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    'the controller requires a client certificate; set tls.certFile and tls.keyFile (LS_USER_CERTIFICATE_FILE, LS_USER_KEY_FILE)',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE:
    'the controller refused the handshake; it may require a client certificate (tls.certFile, tls.keyFile) or share no TLS version or cipher with this client',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: `${CLIENT_CERT_REJECTED}: it is not signed by a CA the controller trusts`,
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: `${CLIENT_CERT_REJECTED} as bad; check tls.certFile and that the controller trusts its CA`,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN: `${CLIENT_CERT_REJECTED}; check tls.certFile and that the controller trusts its CA`,
  ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR: `${CLIENT_CERT_REJECTED}; check that tls.keyFile belongs to tls.certFile`,
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: `${CLIENT_CERT_REJECTED}: access denied`,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: `${CLIENT_CERT_REJECTED} as expired; renew tls.certFile`,
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED: `${CLIENT_CERT_REJECTED} as revoked`,
  ERR_SSL_WRONG_VERSION_NUMBER:
    'the controller does not speak TLS on this port; use its HTTPS port (3371) or an http:// address',
  ERR_SSL_PACKET_LENGTH_TOO_LONG:
    'the controller does not speak TLS on this port; use its HTTPS port (3371) or an http:// address',
};

/** Error codes of a connection that broke after the request may have been sent. */
const CONNECTION_LOST_CODES = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/**
 * Set on a connect error whose TCP connection had been accepted: the controller (or whatever
 * listens there) then never answered the TLS handshake.
 */
export const TCP_ACCEPTED = Symbol('linstor-hv.client.tcpAccepted');

/** The innermost error carrying a code: the error itself, one of its inner errors (happy eyeballs) or a cause. */
function codedError(e: unknown): { code: string; error: Record<PropertyKey, unknown> } | undefined {
  const err = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
  if (typeof err?.code === 'string') return { code: err.code, error: err as Record<PropertyKey, unknown> };
  // Dual-stack connects (happy eyeballs) fail with an AggregateError of per-address errors.
  if (Array.isArray(err?.errors)) {
    for (const inner of err.errors) {
      const found = codedError(inner);
      if (found) return found;
    }
  }
  if (err?.cause && err.cause !== e) return codedError(err.cause);
  return undefined;
}

/** `1500` → `1.5 s`, `60000` → `60 s`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The plain-words explanation of a reply timeout (the request may also have waited for a free connection). */
export function noAnswerWithin(ms: number): string {
  return `the controller sent no answer within ${seconds(ms)}`;
}

/** Maps a network error to a typed transport failure; `connectTimeoutMs` is for the message. */
export function classifyNetworkError(
  origin: string,
  e: unknown,
  connectTimeoutMs?: number,
): LinstorTransportError {
  const found = codedError(e);
  const code = found?.code;
  const message = e instanceof Error && e.message ? e.message : String(e);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' && found?.error[TCP_ACCEPTED] === true) {
    // Not a TLS failure: nothing answered the handshake at all (a hung controller or a black hole).
    const limit = connectTimeoutMs === undefined ? '' : `, ${connectTimeoutMs} ms`;
    return new LinstorTransportError(origin, 'response-timeout', `TLS handshake${limit}`, false, {
      cause: e,
      explanation:
        connectTimeoutMs === undefined
          ? 'the controller accepted the TCP connection but never answered the TLS handshake'
          : `the controller accepted the TCP connection but gave no answer within ${seconds(connectTimeoutMs)}`,
    });
  }
  if (code && PRE_SEND_CODES[code]) {
    return new LinstorTransportError(origin, PRE_SEND_CODES[code], code, false, { cause: e });
  }
  if (code && TLS_CAUSES[code]) {
    const host = typeof found?.error.host === 'string' ? found.error.host : new URL(origin).hostname;
    return new LinstorTransportError(origin, 'tls', code, false, {
      cause: e,
      explanation: TLS_CAUSES[code].replace('{host}', host),
    });
  }
  if (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return new LinstorTransportError(origin, 'tls', `${code}: ${message.split('\n')[0]}`, false, {
      cause: e,
    });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new LinstorTransportError(origin, 'response-timeout', code, true, { cause: e });
  }
  if (code && CONNECTION_LOST_CODES.has(code)) {
    return new LinstorTransportError(origin, 'connection-lost', code, true, { cause: e });
  }
  return new LinstorTransportError(origin, 'protocol', code ? `${code}: ${message}` : message, true, {
    cause: e,
  });
}
