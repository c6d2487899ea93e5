import type { Socket } from 'node:net';
import { buildConnector, Pool } from 'undici';
import type { ControllerAddress } from '../controllers';
import type { LoadedTls, ResolvedOptions } from '../options';
import { TCP_ACCEPTED } from './network-errors';

/** How long a TLS alert explains a closed connection of the same controller. */
const RECENT_ALERT_MS = 5000;

/** Connection state of one configured controller: its keep-alive pool and what we know about it. */
export class Controller {
  /** Current origin; a plain-HTTP controller that redirects to HTTPS is upgraded in place. */
  origin: string;
  /** Last time (ms since epoch) this controller answered; 0 = never. */
  lastOkAt = 0;
  /** Plain HTTP with a bearer token: whether the HTTPS redirect check already ran. */
  upgradeChecked = false;
  /** The health/redirect check in flight, shared by concurrent calls. */
  checking: Promise<void> | undefined;
  private pool: Pool | undefined;
  private connector: { key: string; connect: buildConnector.connector } | undefined;

  constructor(
    readonly address: ControllerAddress,
    private readonly options: ResolvedOptions,
  ) {
    this.origin = address.origin;
  }

  get isHttps(): boolean {
    return this.origin.startsWith('https:');
  }

  /** True when the controller answered within `verifiedTtlMs`, so no health probe is needed. */
  get isFresh(): boolean {
    return this.lastOkAt > 0 && Date.now() - this.lastOkAt < this.options.verifiedTtlMs;
  }

  /** How long a TCP (and TLS) connect may take, for messages. */
  get connectTimeoutMs(): number {
    return this.options.connectTimeoutMs;
  }

  /** The keep-alive pool for the current origin, created on first use. */
  dispatcher(): Pool {
    if (!this.pool) {
      const https = this.isHttps;
      this.pool = new Pool(this.origin, {
        connections: this.options.connections,
        keepAliveTimeout: 4000,
        // TLS material is re-read for every new connection, so rotated certificates are picked up.
        connect: (opts, callback) => this.currentConnector(https)(opts, callback),
      });
    }
    return this.pool;
  }

  private currentConnector(https: boolean): buildConnector.connector {
    const tls: LoadedTls | undefined = https ? this.options.tls() : undefined;
    const key = tls ? `${tls.ca ?? ''}|${tls.cert ?? ''}|${tls.key ?? ''}` : 'plain';
    if (!this.connector || this.connector.key !== key) {
      const base = { timeout: this.options.connectTimeoutMs, keepAlive: true };
      const connect = tls ? buildConnector({ ...base, ...tls }) : buildConnector(base);
      this.connector = {
        key,
        connect: https ? observeTls(connect, (error) => this.recordTlsAlert(error)) : connect,
      };
    }
    return this.connector.connect;
  }

  private tlsAlert: { error: Error; at: number } | undefined;

  private recordTlsAlert(error: Error): void {
    this.tlsAlert = { error, at: Date.now() };
  }

  /**
   * The TLS alert this controller sent in the last few seconds, if any (taken once): the real
   * reason behind a connection it closed right after the handshake.
   */
  takeTlsAlert(): Error | undefined {
    const alert = this.tlsAlert;
    this.tlsAlert = undefined;
    return alert && Date.now() - alert.at < RECENT_ALERT_MS ? alert.error : undefined;
  }

  /** Switches to another origin (HTTP→HTTPS redirect), dropping the old connections. */
  upgrade(origin: string): void {
    if (origin === this.origin) return;
    const old = this.pool;
    this.pool = undefined;
    this.connector = undefined;
    this.origin = origin;
    old?.close().catch(() => undefined);
  }

  /**
   * Forgets the controller's connections after a failure, so a hung socket is not reused and no
   * reconnect is attempted on its behalf; the next use opens a fresh pool.
   */
  discardConnections(): void {
    const pool = this.pool;
    this.pool = undefined;
    this.lastOkAt = 0;
    pool?.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close().catch(() => undefined);
  }
}

/**
 * Wraps a TLS connector to learn two things undici does not pass on: whether the TCP connection had
 * been accepted before a connect error ({@link TCP_ACCEPTED}: a handshake nobody answers is a hung
 * controller, not a TLS problem), and the TLS alert a controller sent when it refused us (with TLS
 * 1.3 it arrives after the handshake, and undici then reports only "other side closed").
 */
function observeTls(
  connect: buildConnector.connector,
  onAlert: (error: Error) => void,
): buildConnector.connector {
  return (options, callback) => {
    let tcpAccepted = false;
    // undici's connector returns the socket it opened, though its type says void.
    const socket = (connect as (...args: Parameters<buildConnector.connector>) => unknown)(
      options,
      (...args) => {
        if (args[0] && tcpAccepted) (args[0] as unknown as Record<symbol, boolean>)[TCP_ACCEPTED] = true;
        callback(...args);
      },
    ) as Socket | undefined;
    socket?.once?.('connect', () => {
      tcpAccepted = true;
    });
    socket?.on?.('error', (error: Error & { code?: unknown }) => {
      if (typeof error.code === 'string' && /^ERR_SSL_.*_ALERT_/.test(error.code)) onAlert(error);
    });
  };
}

/** Host names compared the way URLs spell them (IPv6 brackets and case ignored). */
export function sameHost(a: string, b: string): boolean {
  const strip = (h: string) => h.replace(/^\[|\]$/g, '').toLowerCase();
  return strip(a) === strip(b);
}
