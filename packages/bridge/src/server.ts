/**
 * `startBridge`: the resident JSON-RPC server. It reads requests line by line from each
 * connection, runs them concurrently through the policies (logging, metrics, deadline, concurrency
 * limit) around the adapter's method, and writes each reply on the connection it came from, in the
 * order the calls finish. See the package README for the wire format.
 */

import { setMaxListeners } from 'node:events';
import type { Stats } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { Semaphore, withConcurrencyLimit } from './concurrency';
import { CallAbort, withDeadline } from './deadline';
import { errorReply, isReply, oversizeReply, parseRequestLine, type RpcRequest } from './dispatch';
import { BridgeError } from './errors';
import { encodeLine, LineReader } from './framing';
import { onTerminationSignals, stopGracefully } from './lifecycle';
import { type BridgeLimits, resolveLimits } from './limits';
import { type LogSink, logEvent, stderrSink, withLogging } from './logging';
import { BridgeMetrics } from './metrics';
import { type CallRecord, type Handler, invokeMethod, wrap } from './policy';
import {
  listenOnFd,
  listenOnPath,
  removeOwnSocket,
  resolveGroup,
  SocketSetupError,
  systemdListenFd,
} from './socket';
import { type BridgeMethod, type MethodTable, RPC_CODES, type RpcReply } from './types';

/** The protocol version `bridge.hello` reports; it changes only with an incompatible wire change. */
export const BRIDGE_PROTOCOL = 1;

/**
 * While stopping, a connection with no call running is ended after this much silence. Not at once:
 * a request may be on its way, and a caller whose request was read must get an answer (-32002), or
 * it could not tell whether its call ran.
 */
const DRAIN_IDLE_MS = 1_000;
/** How long a stopping bridge still accepts connections made before it removed its socket file. */
const BACKLOG_DRAIN_MS = 500;

export interface BridgeOptions {
  /** The adapter's methods; names starting with `bridge.` are the bridge's own. */
  methods: MethodTable;
  /** Reported by `bridge.hello` (e.g. `proxmox`). */
  platform: string;
  /** Reported by `bridge.hello`. */
  version: string;
  /** Reported by `bridge.hello` (default `linstor-hv`). */
  name?: string;
  /** Bind this path (plain mode). */
  socketPath?: string;
  /** Use the socket systemd passed (`LISTEN_FDS`); `true` reads `env`, a number names the fd. */
  listenFds?: boolean | number;
  /** The environment systemd's variables are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** A group whose members may connect (socket 0660 instead of 0600). */
  group?: string | number;
  limits?: Partial<BridgeLimits>;
  /** Where log lines go (default stderr). */
  log?: LogSink;
  /** Stop gracefully on SIGTERM and SIGINT (the CLI sets this; tests stop with `close()`). */
  handleSignals?: boolean;
}

export interface Bridge {
  /** The socket path when the bridge bound one itself. */
  readonly socketPath: string | undefined;
  readonly metrics: BridgeMetrics;
  /** Resolves once the bridge has stopped (after `close()` or a termination signal). */
  readonly closed: Promise<void>;
  /** Stops gracefully (see lifecycle.ts); `graceMs` overrides the shutdown limit. */
  close(options?: { graceMs?: number }): Promise<void>;
  /**
   * How long the oldest call still running has been running (0 when none): whatever a running
   * call left half-made is younger than this, so a sweep must not take it for a leftover.
   */
  longestRunningMs(): number;
}

class Connection {
  /** Aborts when the caller goes away. */
  readonly gone = new AbortController();
  readonly running = new Set<Promise<unknown>>();

  constructor(readonly socket: Socket) {
    // Every call in flight on the connection listens for its end.
    setMaxListeners(0, this.gone.signal);
  }

  send(reply: RpcReply): void {
    if (this.gone.signal.aborted || this.socket.destroyed) return;
    this.socket.write(encodeLine(reply));
  }
}

class BridgeServer implements Bridge {
  readonly metrics = new BridgeMetrics();
  readonly limits: BridgeLimits;
  readonly closed: Promise<void>;
  socketPath: string | undefined;
  private boundSocket: Stats | undefined;
  private readonly server: Server;
  private readonly log: LogSink;
  private readonly handlers = new Map<string, Handler>();
  private readonly connections = new Set<Connection>();
  private readonly work = new Set<Promise<unknown>>();
  /** Start times (performance.now) of the calls running, for {@link longestRunningMs}. */
  private readonly running = new Set<CallRecord>();
  private readonly shutdown = new AbortController();
  private draining = false;
  private stopping: Promise<void> | undefined;
  private markClosed!: () => void;
  private removeSignalHandlers: (() => void) | undefined;

  constructor(private readonly options: BridgeOptions) {
    this.limits = resolveLimits(options.limits);
    this.log = options.log ?? stderrSink;
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    this.server = createServer({ pauseOnConnect: false }, (socket) => this.accept(socket));
    this.server.maxConnections = this.limits.maxConnections;
    // Every call in flight listens for a shutdown that gives up waiting.
    setMaxListeners(0, this.shutdown.signal);
    this.buildHandlers();
  }

  private buildHandlers(): void {
    const own: MethodTable = {
      'bridge.hello': async () => ({
        name: this.options.name ?? 'linstor-hv',
        version: this.options.version,
        platform: this.options.platform,
        protocol: BRIDGE_PROTOCOL,
        methods: [...this.handlers.keys()].sort(),
        // A caller that sends no deadline gets the default; none may ask for more than the maximum.
        defaultDeadlineMs: this.limits.defaultDeadlineMs,
        maxDeadlineMs: this.limits.maxDeadlineMs,
      }),
      'bridge.stats': async () => this.metrics.snapshot(),
    };
    for (const name of Object.keys(this.options.methods)) {
      if (name.startsWith('bridge.'))
        throw new RangeError(`method name '${name}' is reserved for the bridge`);
    }
    const semaphore = new Semaphore(this.limits.maxInFlight);
    const policies = [
      withLogging(this.log),
      this.metrics.policy(),
      withDeadline(this.limits.undoGraceMs),
      withConcurrencyLimit(semaphore),
    ];
    for (const [name, method] of [...Object.entries(own), ...Object.entries(this.options.methods)]) {
      this.handlers.set(name, wrap(invokeMethod(method as BridgeMethod), policies));
    }
  }

  async listen(): Promise<void> {
    const { socketPath, listenFds } = this.options;
    const fd =
      typeof listenFds === 'number' ? listenFds : listenFds ? systemdListenFd(this.options.env) : undefined;
    if (fd !== undefined) {
      await listenOnFd(this.server, fd);
    } else if (listenFds === true && socketPath === undefined) {
      throw new SocketSetupError('no socket from systemd (LISTEN_FDS/LISTEN_PID unset) and no --socket path');
    } else if (socketPath !== undefined) {
      const gid = this.options.group === undefined ? undefined : resolveGroup(this.options.group);
      this.boundSocket = await listenOnPath(this.server, socketPath, gid === undefined ? {} : { gid });
      this.socketPath = socketPath;
    } else {
      throw new SocketSetupError('the bridge needs a socket path or a socket from systemd');
    }
    if (this.options.handleSignals) {
      this.removeSignalHandlers = onTerminationSignals((signal) => {
        logEvent(this.log, 'signal', { signal });
        void this.close();
      });
    }
    logEvent(this.log, 'listening', {
      socket: fd !== undefined ? `fd ${fd}` : socketPath,
      platform: this.options.platform,
      version: this.options.version,
      pid: process.pid,
      methods: this.handlers.size,
      defaultDeadlineMs: this.limits.defaultDeadlineMs,
      maxDeadlineMs: this.limits.maxDeadlineMs,
    });
  }

  private accept(socket: Socket): void {
    const connection = new Connection(socket);
    this.connections.add(connection);
    const reader = new LineReader(this.limits.maxRequestBytes, {
      line: (text) => this.handleLine(connection, text),
      oversize: () => connection.send(oversizeReply(this.limits)),
    });
    const lost = () => {
      connection.gone.abort(new CallAbort('disconnect'));
      this.connections.delete(connection);
    };
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    // A caller keeps its side open until it has its replies: end of stream means it is gone.
    socket.on('end', () => {
      lost();
      socket.end();
    });
    socket.on('error', lost);
    socket.on('close', lost);
    socket.on('timeout', () => {
      if (connection.running.size === 0) socket.end();
    });
    if (this.draining) socket.setTimeout(DRAIN_IDLE_MS);
  }

  private handleLine(connection: Connection, text: string): void {
    const parsed = parseRequestLine(text, this.limits);
    if (isReply(parsed)) {
      connection.send(parsed);
      return;
    }
    if (this.draining) {
      connection.send(
        errorReply(
          parsed.id,
          new BridgeError(
            RPC_CODES.SHUTTING_DOWN,
            'BRIDGE_SHUTTING_DOWN',
            'the bridge is shutting down and started nothing; repeat the call',
          ),
        ),
      );
      return;
    }
    const handler = this.handlers.get(parsed.method);
    if (!handler) {
      connection.send(
        errorReply(
          parsed.id,
          new BridgeError(
            RPC_CODES.METHOD_NOT_FOUND,
            'BRIDGE_METHOD_NOT_FOUND',
            `there is no method '${parsed.method.slice(0, 100)}' on this ${this.options.platform} bridge`,
          ),
        ),
      );
      return;
    }
    this.run(connection, handler, parsed);
  }

  private run(connection: Connection, handler: Handler, request: RpcRequest): void {
    const record: CallRecord = {
      id: request.id,
      method: request.method,
      startedAt: performance.now(),
      figures: {},
    };
    this.running.add(record);
    // The call's own signal follows the caller's connection and a shutdown that gave up waiting.
    const outer = new AbortController();
    const follow = (source: AbortSignal) => () => outer.abort(source.reason);
    const onGone = follow(connection.gone.signal);
    const onShutdown = follow(this.shutdown.signal);
    connection.gone.signal.addEventListener('abort', onGone, { once: true });
    this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const report = (figures: Record<string, number>) => {
      for (const [key, value] of Object.entries(figures)) {
        if (Number.isFinite(value)) record.figures[key] = (record.figures[key] ?? 0) + value;
      }
    };
    const reply = handler({
      params: request.params,
      call: { signal: outer.signal, deadline: Date.now() + request.deadlineMs, report },
      record,
    }).then(
      (result): RpcReply => ({ jsonrpc: '2.0', id: request.id, result: result ?? null }),
      (error: unknown) => errorReply(request.id, error),
    );
    const done = reply.then((message) => {
      connection.gone.signal.removeEventListener('abort', onGone);
      this.shutdown.signal.removeEventListener('abort', onShutdown);
      connection.send(message);
      connection.running.delete(done);
      this.work.delete(done);
      this.running.delete(record);
      // A method that ignored its signal may still run after its reply; a stop waits for it too.
      const leftover = record.work;
      if (leftover) {
        const tracked = leftover.then(
          () => undefined,
          () => undefined,
        );
        this.work.add(tracked);
        void tracked.then(() => this.work.delete(tracked));
      }
    });
    connection.running.add(done);
    this.work.add(done);
  }

  longestRunningMs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const record of this.running) oldest = Math.min(oldest, record.startedAt);
    return oldest === Number.POSITIVE_INFINITY ? 0 : performance.now() - oldest;
  }

  close(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping ??= (async () => {
      this.draining = true;
      await stopGracefully(
        {
          stopAccepting: async () => {
            if (this.socketPath && this.boundSocket) {
              // New callers find no socket and take their fallback. Callers that connected just
              // before are in the listen backlog: closing the listener now would reset them
              // without telling them whether their call ran, so accept them a moment longer
              // (their requests get -32002).
              try {
                removeOwnSocket(this.socketPath, this.boundSocket);
              } catch {
                // Already gone; nothing to clean.
              }
              await new Promise((resolve) => setTimeout(resolve, BACKLOG_DRAIN_MS));
            }
            // Under systemd the socket stays open in systemd: new callers wait there for the next bridge.
            this.server.close();
            for (const connection of this.connections) connection.socket.setTimeout(DRAIN_IDLE_MS);
          },
          running: () => [...this.work],
          abortAll: () => this.shutdown.abort(new CallAbort('shutdown')),
          closeConnections: () => {
            // end(), not destroy(): replies written a moment ago (-32002) still reach their callers.
            for (const connection of this.connections) {
              connection.socket.end();
              setTimeout(() => connection.socket.destroy(), DRAIN_IDLE_MS).unref();
            }
          },
        },
        { graceMs: options.graceMs ?? this.limits.shutdownGraceMs, undoGraceMs: this.limits.undoGraceMs },
        this.log,
      );
      this.removeSignalHandlers?.();
      this.markClosed();
    })();
    return this.stopping;
  }
}

/**
 * Starts a bridge serving `options.methods` and resolves once it listens. Throws a
 * {@link SocketSetupError} when the socket path is not safe to use.
 */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const bridge = new BridgeServer(options);
  await bridge.listen();
  return bridge;
}
