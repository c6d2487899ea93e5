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

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Error codes of a connection that broke after the request may have been sent. */
const CONNECTION_LOST_CODES = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/** The first error code found on an error, its inner errors (happy eyeballs) or its causes. */
function errorCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[]; cause?: unknown };
  if (typeof err?.code === 'string') return err.code;
  // Dual-stack connects (happy eyeballs) fail with an AggregateError of per-address errors.
  if (Array.isArray(err?.errors)) {
    for (const inner of err.errors) {
      const code = errorCode(inner);
      if (code) return code;
    }
  }
  if (err?.cause && err.cause !== e) return errorCode(err.cause);
  return undefined;
}

/** Maps a network error to a typed transport failure. */
export function classifyNetworkError(origin: string, e: unknown): LinstorTransportError {
  const code = errorCode(e);
  const message = e instanceof Error && e.message ? e.message : String(e);
  if (code && PRE_SEND_CODES[code]) {
    return new LinstorTransportError(origin, PRE_SEND_CODES[code], code, false, { cause: e });
  }
  if (code && TLS_VERIFY_CODES.has(code)) {
    return new LinstorTransportError(
      origin,
      'tls',
      `${code}: ${message}; configure tls.caFile with the CA that signed the controller certificate`,
      false,
      { cause: e },
    );
  }
  if (code && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return new LinstorTransportError(origin, 'tls', `${code}: ${message}`, false, { cause: e });
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
