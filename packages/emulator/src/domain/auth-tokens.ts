/**
 * Bearer tokens (linstor-server `controller/.../api/rest/v1/config/AuthenticationFilter.java`):
 * `/v1` requests need a token once `Auth/TokenAuthenticationEnabled` is true and at least one
 * valid token exists. A token is valid while it is active, not revoked and not expired; one with
 * an IP filter is accepted only from exactly that address. Tokens made through
 * `/v1/controller/auth/...` are stored as their SHA-256 (the reply shows the text once); tokens
 * given to the emulator at start (`--token-file`) count as valid tokens without filter or expiry.
 */
import { createHash } from 'node:crypto';
import { PROP_TOKEN_AUTH_ENABLED } from '@linstor-hv/api';
import type { Store } from '../infra/store';
import type { PropsRec } from './model';

/** One token made through the API (collection `authTokens`, key [String(id)]). */
export interface AuthTokenRec {
  id: number;
  createdAt: string;
  description: string;
  isActive: boolean;
  isUserToken: boolean;
  expiresAt?: string;
  ipFilter?: string;
  deletedAt?: string;
  /** Hex SHA-256 of the token text (`CtrlAuthHandler.sha256Hex`). */
  digest: string;
}

/** The digest under which a token is stored and looked up. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Why a stored token is not valid now (`getTokenValidationError`), or undefined when it is. */
export function tokenInvalidReason(rec: AuthTokenRec, now: number): string | undefined {
  if (rec.deletedAt) return 'Token has been revoked.';
  if (!rec.isActive) return 'Token is disabled.';
  if (rec.expiresAt && Date.parse(rec.expiresAt) < now) return 'Token has expired.';
  return undefined;
}

/** Checks bearer tokens against the start-up tokens and the stored ones. */
export class TokenGate {
  private readonly configured: ReadonlySet<string>;

  /** `enabledIndex` is a store index over controller records that holds 'on' while the prop is true. */
  constructor(
    private readonly store: Store,
    configured: readonly string[],
    private readonly enabledIndex: string,
    private readonly now: () => number,
  ) {
    this.configured = new Set(configured);
  }

  /** The store index the gate reads: controller records whose props switch token auth on. */
  static indexOf(rec: unknown): string[] {
    return (rec as Partial<PropsRec>).props?.[PROP_TOKEN_AUTH_ENABLED]?.toLowerCase() === 'true'
      ? ['on']
      : [];
  }

  /** True when `/v1` requests need a valid token (`isTokenAuthEnabled`). */
  enforced(): boolean {
    if (this.store.indexedKeys('controller', this.enabledIndex, 'on').length === 0) return false;
    if (this.configured.size > 0) return true;
    const now = this.now();
    return this.store.list<AuthTokenRec>('authTokens').some((t) => tokenInvalidReason(t, now) === undefined);
  }

  /** True when the `Authorization` header carries a token valid from `remoteAddress`. */
  accepts(authorization: string | undefined, remoteAddress: string | undefined): boolean {
    // "Bearer" plus a space, case-insensitive (`isTokenBasedAuthentication`).
    if (authorization === undefined || !authorization.toLowerCase().startsWith('bearer ')) return false;
    const token = authorization.slice('bearer'.length).trim();
    if (this.configured.has(token)) return true;
    const digest = tokenDigest(token);
    const rec = this.store.list<AuthTokenRec>('authTokens').find((t) => t.digest === digest);
    if (!rec || tokenInvalidReason(rec, this.now()) !== undefined) return false;
    return !rec.ipFilter || rec.ipFilter === clientAddress(remoteAddress);
  }
}

/** The client's address as Grizzly reports it (an IPv4 client without Node's `::ffff:` prefix). */
function clientAddress(remote: string | undefined): string | undefined {
  return remote?.startsWith('::ffff:') && remote.includes('.') ? remote.slice('::ffff:'.length) : remote;
}
