/**
 * Timer and abort helpers shared by the transport and the waiters. They live apart from both so
 * neither has to import the other.
 */

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits for `promise`, but rejects with the signal's reason as soon as `signal` fires. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A signal joined from several inputs; `dispose` removes the listeners it placed on them. */
export interface LinkedSignal {
  signal: AbortSignal | undefined;
  dispose(): void;
}

/**
 * One signal that fires when any of `inputs` fires. Plain listeners instead of AbortSignal.any, so
 * a long-lived input (the client-wide signal) does not collect a dependent signal per request;
 * `dispose` removes them.
 */
export function linkSignals(inputs: (AbortSignal | undefined)[]): LinkedSignal {
  const present = inputs.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return { signal: undefined, dispose: () => undefined };
  if (present.length === 1) return { signal: present[0], dispose: () => undefined };
  const linked = new AbortController();
  const already = present.find((s) => s.aborted);
  if (already) {
    linked.abort(already.reason);
    return { signal: linked.signal, dispose: () => undefined };
  }
  const removers = present.map((s) => {
    const onAbort = () => linked.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener('abort', onAbort);
  });
  return {
    signal: linked.signal,
    dispose: () => {
      for (const remove of removers) remove();
    },
  };
}
