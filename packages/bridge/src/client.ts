/**
 * `BridgeClient`: a small client for tests and for the one-shot fallback's callers. One connection,
 * many calls in flight, replies matched by id.
 */

import { connect, type Socket } from 'node:net';
import { encodeLine, LineReader } from './framing';
import type { Outcome, RpcErrorData, RpcReply } from './types';

/** The bridge answered with a JSON-RPC error. */
export class BridgeCallError extends Error {
  override name = 'BridgeCallError';
  /** The stable string code (`data.code`), e.g. `VOLUME_NOT_FOUND`. */
  readonly code: string;
  readonly kind: string;
  readonly outcome: Outcome;
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data: RpcErrorData,
  ) {
    super(message);
    this.code = data?.code ?? 'BRIDGE_ERROR';
    this.kind = data?.kind ?? 'protocol';
    this.outcome = data?.outcome ?? 'unknown';
  }
}

/** The connection ended before the bridge answered: the call may or may not have run. */
export class BridgeConnectionError extends Error {
  override name = 'BridgeConnectionError';
  readonly code = 'BRIDGE_CONNECTION_LOST';
  readonly outcome: Outcome = 'unknown';
}

export interface CallOptions {
  /** The budget the bridge enforces (`deadlineMs` of the request). */
  deadlineMs?: number;
  /** Aborting closes nothing; the reply is ignored and the call rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A connection to a bridge. */
export class BridgeClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedError: Error | undefined;

  private constructor(private readonly socket: Socket) {
    const reader = new LineReader(64 * 1024 * 1024, {
      line: (text) => this.receive(text),
      oversize: () => this.fail(new BridgeConnectionError('the bridge sent a reply larger than 64 MiB')),
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error) =>
      this.fail(new BridgeConnectionError(`the bridge connection failed: ${error.message}`)),
    );
    socket.on('close', () =>
      this.fail(new BridgeConnectionError('the bridge closed the connection before answering')),
    );
  }

  /** Connects to the bridge at `socketPath`. */
  static connect(socketPath: string, options: { timeoutMs?: number } = {}): Promise<BridgeClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BridgeConnectionError(`no connection to ${socketPath} within ${options.timeoutMs} ms`));
      }, options.timeoutMs ?? 5_000);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new BridgeClient(socket));
      });
    });
  }

  /** Calls `method`; resolves to its result or rejects with a {@link BridgeCallError}. */
  call<T = unknown>(method: string, params: unknown = {}, options: CallOptions = {}): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    const request = {
      jsonrpc: '2.0',
      id,
      method,
      params,
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    };
    return new Promise<T>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = () => {
        this.pending.delete(id);
        reject(signal?.reason);
      };
      this.pending.set(id, {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value as T);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.socket.write(encodeLine(request));
    });
  }

  /** Sends a raw line (tests of malformed input); replies without a matching call land in {@link strayReplies}. */
  sendRaw(text: string): void {
    this.socket.write(text);
  }

  /** Replies whose id matches no call (e.g. to a malformed line). */
  readonly strayReplies: RpcReply[] = [];

  /** Closes the connection; calls in flight reject. */
  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private receive(text: string): void {
    let reply: RpcReply;
    try {
      reply = JSON.parse(text) as RpcReply;
    } catch {
      this.fail(new BridgeConnectionError('the bridge sent a line that is not JSON'));
      return;
    }
    const waiting = typeof reply.id === 'number' ? this.pending.get(reply.id) : undefined;
    if (!waiting) {
      this.strayReplies.push(reply);
      return;
    }
    this.pending.delete(reply.id as number);
    if ('error' in reply)
      waiting.reject(new BridgeCallError(reply.error.code, reply.error.message, reply.error.data));
    else waiting.resolve(reply.result);
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
