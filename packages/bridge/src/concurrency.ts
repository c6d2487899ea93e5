/**
 * Concurrency: at most `limit` calls run at once; the others wait in arrival order. A waiting call
 * whose signal aborts leaves the queue without having started anything.
 */

import { BridgeError } from './errors';
import type { Handler } from './policy';
import { RPC_CODES } from './types';

/** A counting semaphore whose waits can be aborted. */
export class Semaphore {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  /** Waits for a slot; resolves to the function that gives it back. */
  async acquire(signal: AbortSignal): Promise<() => void> {
    if (this.running < this.limit && this.waiting.length === 0) {
      this.running++;
      return this.releaser();
    }
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const at = this.waiting.indexOf(wake);
        if (at >= 0) this.waiting.splice(at, 1);
        reject(signal.reason);
      };
      this.waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    this.running++;
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }
}

/** Policy: the call waits for a slot of `semaphore` before it runs. */
export function withConcurrencyLimit(semaphore: Semaphore): (next: Handler) => Handler {
  return (next) => async (invocation) => {
    let release: () => void;
    try {
      release = await semaphore.acquire(invocation.call.signal);
    } catch {
      throw new BridgeError(
        RPC_CODES.DEADLINE_EXCEEDED,
        'BRIDGE_QUEUE_DEADLINE',
        `${invocation.record.method} waited for a free slot until its deadline and was not started`,
        'failed',
      );
    }
    try {
      return await next(invocation);
    } finally {
      release();
    }
  };
}
