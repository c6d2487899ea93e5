import type { Store } from './infra/store';

/** Settings fixed when the emulator starts. */
export interface EmulatorConfig {
  /** Controller version reported by `GET /v1/controller/version` (default 1.34.1). */
  version: string;
  /** REST API version reported by `GET /v1/controller/version` (default 1.28.0). */
  restApiVersion: string;
  /** True when bearer tokens were configured (token mode). */
  tokenAuth: boolean;
}

/** Receives the events published on one SSE stream. */
export type StreamListener = (event: string, data: unknown) => void;

/** What every route handler gets: the durable store plus the emulator's services. Filled in by server.ts. */
export interface EmulatorContext {
  store: Store;
  /** Root of the emulator's data directory (state, volume data files, per-node device trees). */
  dataDir: string;
  config: EmulatorConfig;
  /** Aborted when the emulator stops; background work (timers, clones) should end then. */
  signal: AbortSignal;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
  /**
   * Records an error report (as the controller does for unexpected failures) and returns its id.
   * The report is stored in its own transaction, so it survives the rollback of the failed request.
   */
  recordErrorReport(text: string, nodeName?: string): string;
  /** Publishes an SSE event to subscribers of a stream (e.g. 'drbd/promotion', 'nodes'). */
  publish(stream: string, event: string, data: unknown): void;
  /** Subscribes to a stream's events until the returned function is called. */
  subscribe(stream: string, listener: StreamListener): () => void;
}
