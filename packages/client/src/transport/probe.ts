import { LinstorTransportError } from '../errors';
import type { ResolvedOptions } from '../options';
import { excerpt } from '../text';
import { untilAborted } from '../timers';
import { type MetricSink, sendOnce } from './attempt';
import type { Controller } from './controller';
import { baseHeaders } from './headers';
import { followRedirect, isRedirect, withRedirects } from './redirects';

/** Statuses of `/health` that mean "do not send requests here now". */
const UNHEALTHY_STATUSES = new Set([500, 502, 503, 504]);

/**
 * Makes sure a controller can be used before a request goes to it: a health probe (`GET /health`,
 * short timeout) unless it answered recently, and, when a bearer token would go over plain HTTP, a
 * check whether the controller redirects to HTTPS (linstor-api-py probes the same way).
 */
export class ControllerChecks {
  constructor(
    private readonly options: ResolvedOptions,
    private readonly emit: MetricSink,
  ) {}

  /**
   * Resolves when `ctrl` may be used; throws LinstorTransportError (never "outcome unknown": the
   * request itself was not sent yet). Concurrent calls share one check per controller, so a burst
   * of calls against a hung controller opens one probe connection, not one each. The check is
   * bounded by the probe timeout; each caller still stops waiting when its own signal fires.
   */
  prepare(ctrl: Controller, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    let shared = ctrl.checking;
    if (!shared) {
      const check = this.check(ctrl, deadline);
      shared = check;
      ctrl.checking = check;
      check
        .catch(() => undefined)
        .finally(() => {
          if (ctrl.checking === check) ctrl.checking = undefined;
        });
    }
    return untilAborted(shared, signal);
  }

  private async check(ctrl: Controller, deadline: number): Promise<void> {
    try {
      await this.probe(ctrl, deadline, this.options.signal);
    } catch (e) {
      // A controller that fails its health check is not used until it passes one again.
      ctrl.discardConnections();
      if (!(e instanceof LinstorTransportError)) throw e;
      if (e.kind === 'response-timeout') {
        // The explanation says in plain words that nothing answered within the limit (and, for a
        // handshake, that TCP was accepted), so a hung controller is not taken for a TLS problem.
        throw new LinstorTransportError(e.controller, e.kind, `health check, ${e.detail}`, false, {
          cause: e,
          explanation: e.explanation,
        });
      }
      if (e.kind === 'connection-lost' && ctrl.isHttps) {
        // Some TLS servers (Node's among them) refuse a client certificate by closing the fresh
        // connection without an alert, so this is the most a client can tell.
        throw new LinstorTransportError(e.controller, e.kind, e.detail, false, {
          cause: e,
          explanation:
            'the controller closed the new TLS connection without answering; if it requires client certificates, check tls.certFile and tls.keyFile and that the controller trusts their CA',
        });
      }
      throw e;
    }
  }

  private needsUpgradeCheck(ctrl: Controller): boolean {
    return this.options.token !== undefined && !ctrl.isHttps && !this.options.allowInsecureToken;
  }

  private async probe(ctrl: Controller, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    if (ctrl.isFresh && !(this.needsUpgradeCheck(ctrl) && !ctrl.upgradeChecked)) return;
    const get = (path: string) =>
      sendOnce(
        ctrl,
        {
          method: 'GET',
          pathAndQuery: path,
          headers: baseHeaders(this.options, ctrl, false),
          timeoutMs: Math.min(this.options.probeTimeoutMs, deadline - Date.now()),
          signal,
          route: path,
          attempt: 1,
        },
        this.emit,
      );
    if (!ctrl.isFresh) {
      const reply = await withRedirects(ctrl, () => get('/health'));
      if (UNHEALTHY_STATUSES.has(reply.status)) {
        const text = excerpt(reply.text);
        throw new LinstorTransportError(
          ctrl.origin,
          'unhealthy',
          `HTTP ${reply.status}${text ? `: ${text}` : ''}`,
          false,
        );
      }
    }
    if (!this.needsUpgradeCheck(ctrl)) return;
    if (!ctrl.upgradeChecked) {
      // LINSTOR redirects API routes (not /health) to HTTPS when HTTPS is enabled.
      const reply = await get('/v1/controller/version');
      if (isRedirect(reply.status)) followRedirect(ctrl, reply);
      ctrl.upgradeChecked = true;
    }
    if (!ctrl.isHttps) {
      throw new LinstorTransportError(
        ctrl.origin,
        'insecure',
        `refusing to send the bearer token from ${this.options.tokenSource} over plain HTTP; use an https:// or linstor+ssl:// address, or set allowInsecureToken`,
        false,
      );
    }
  }
}
