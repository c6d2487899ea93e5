import { LinstorTransportError, OutcomeUnknownError } from '../errors';
import { stringifyLinstorJson } from '../json';
import type { RequestMetric, ResolvedOptions } from '../options';
import { linkSignals } from '../timers';
import { openStreamOnce, sendOnce } from './attempt';
import { Controller } from './controller';
import { type FailoverPlan, withFailover } from './failover';
import { baseHeaders } from './headers';
import { ControllerChecks } from './probe';
import { encodeQuery } from './query';
import { withRedirects } from './redirects';
import { ControllerStateFile } from './state-file';
import type { TransportRequest, TransportResponse, TransportStream } from './types';

/**
 * Sends requests to the first usable controller: the last one that answered first, then the others
 * in configured order. Idempotent requests are retried with backoff and failover; a POST whose reply
 * may have been lost is never re-sent.
 */
export class Transport {
  private readonly controllers: Controller[];
  private preferred: Controller;
  private readonly stateFile: ControllerStateFile;
  private readonly checks: ControllerChecks;
  private readonly emit = (metric: RequestMetric): void => {
    try {
      this.options.metrics?.(metric);
    } catch {
      // A failing metrics hook must not break requests.
    }
  };

  constructor(private readonly options: ResolvedOptions) {
    this.controllers = options.controllers.map((a) => new Controller(a, options));
    this.stateFile = new ControllerStateFile(options.stateFile);
    this.preferred = this.stateFile.load(this.controllers) ?? this.controllers[0]!;
    this.checks = new ControllerChecks(options, this.emit);
  }

  /** The origin of the controller currently used first. */
  get currentController(): string {
    return this.preferred.origin;
  }

  /** The configured controllers, as origins (upgraded ones show their HTTPS origin). */
  get controllerOrigins(): string[] {
    return this.controllers.map((c) => c.origin);
  }

  private markGood(ctrl: Controller): void {
    ctrl.lastOkAt = Date.now();
    this.preferred = ctrl;
    this.stateFile.save(ctrl);
  }

  private plan(req: TransportRequest, signal: AbortSignal | undefined): FailoverPlan {
    return {
      method: req.method,
      path: req.path,
      controllers: this.controllers,
      candidates: () => [this.preferred, ...this.controllers.filter((c) => c !== this.preferred)],
      retries: this.options.retries,
      backoffMs: this.options.backoffMs,
      deadline: Date.now() + (req.deadlineMs ?? this.options.deadlineMs),
      signal,
    };
  }

  /** Sends a request with failover, retries (idempotent requests only) and an overall deadline. */
  async send(req: TransportRequest): Promise<TransportResponse> {
    const link = linkSignals([req.signal, this.options.signal]);
    try {
      return await this.sendLinked(req, link.signal);
    } finally {
      link.dispose();
    }
  }

  private sendLinked(req: TransportRequest, signal: AbortSignal | undefined): Promise<TransportResponse> {
    const idempotent = req.idempotent ?? (req.method !== 'POST' && req.method !== 'PATCH');
    const plan = this.plan(req, signal);
    const perAttemptMs = req.timeoutMs ?? this.options.requestTimeoutMs;
    const pathAndQuery = `${req.path}${encodeQuery(req.query)}`;
    const body = req.body === undefined ? undefined : stringifyLinstorJson(req.body);
    const route = req.route ?? req.path;
    let attempts = 0;
    return withFailover(plan, async (ctrl) => {
      await this.checks.prepare(ctrl, plan.deadline, signal);
      attempts++;
      const attempt = attempts;
      try {
        const reply = await withRedirects(ctrl, () => {
          const headers = baseHeaders(this.options, ctrl, true);
          if (body !== undefined) headers['content-type'] = 'application/json';
          Object.assign(headers, req.headers);
          const timeoutMs = Math.min(perAttemptMs, plan.deadline - Date.now());
          return sendOnce(
            ctrl,
            { method: req.method, pathAndQuery, headers, body, timeoutMs, signal, route, attempt },
            this.emit,
          );
        });
        this.markGood(ctrl);
        return { ...reply, controller: ctrl.origin, attempts };
      } catch (e) {
        if (!(e instanceof LinstorTransportError)) throw e;
        dropAfterFailure(ctrl, e);
        if (!idempotent && e.mayHaveReachedServer) {
          throw new OutcomeUnknownError(req.method, req.path, ctrl.origin, e);
        }
        throw e;
      }
    });
  }

  /**
   * Opens a streaming GET (server-sent events) on the first usable controller. Only the wait for the
   * reply headers is bounded by the request timeout; the stream then lives until closed or aborted.
   */
  async stream(req: TransportRequest): Promise<TransportStream> {
    // The link must outlive this call: it lets the caller's and the client's signals end the stream.
    const link = linkSignals([req.signal, this.options.signal]);
    try {
      const opened = await this.streamLinked(req, link.signal);
      opened.body.once('close', () => link.dispose());
      return opened;
    } catch (e) {
      link.dispose();
      throw e;
    }
  }

  private streamLinked(req: TransportRequest, signal: AbortSignal | undefined): Promise<TransportStream> {
    const plan = this.plan({ ...req, method: 'GET' }, signal);
    const pathAndQuery = `${req.path}${encodeQuery(req.query)}`;
    return withFailover(plan, async (ctrl) => {
      await this.checks.prepare(ctrl, plan.deadline, signal);
      const opened = await this.openStream(ctrl, req, pathAndQuery, plan.deadline, signal).catch(
        (e: unknown) => {
          if (e instanceof LinstorTransportError) dropAfterFailure(ctrl, e);
          throw e;
        },
      );
      this.markGood(ctrl);
      return opened;
    });
  }

  private openStream(
    ctrl: Controller,
    req: TransportRequest,
    pathAndQuery: string,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<TransportStream> {
    return withRedirects(
      ctrl,
      () => {
        const headers: Record<string, string> = {
          ...baseHeaders(this.options, ctrl, true),
          accept: 'text/event-stream',
          ...req.headers,
        };
        delete headers['accept-encoding'];
        const timeoutMs = Math.min(req.timeoutMs ?? this.options.requestTimeoutMs, deadline - Date.now());
        return openStreamOnce(
          ctrl,
          { pathAndQuery, headers, timeoutMs, signal, route: req.route ?? req.path, attempt: 1 },
          this.emit,
        );
      },
      async (redirect) => {
        redirect.body.destroy();
      },
    );
  }

  /** Closes all keep-alive connections. */
  async close(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.close()));
  }
}

/**
 * After a failed attempt: a broken connection, a refused or failed handshake, or a malformed reply
 * drop the controller's pool (a fresh health check comes first next time). A request that only ran
 * out of its own time leaves the pool alone: undici already closed that request's socket, and
 * destroying the pool would cut the other calls' requests in flight on it, turning their POSTs into
 * "outcome unknown" (50 parallel creates failed that way when one slow status poll timed out).
 */
function dropAfterFailure(ctrl: Controller, error: LinstorTransportError): void {
  if (error.kind !== 'response-timeout') ctrl.discardConnections();
}
