import type { Store } from './infra/store';

/** What every route handler gets: the durable store plus the emulator's services. Filled in by server.ts. */
export interface EmulatorContext {
  store: Store;
  /** Root of the emulator's data directory (state, volume data files, per-node device trees). */
  dataDir: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
  /** Records an error report (as the controller does for unexpected failures) and returns its id. */
  recordErrorReport(text: string, nodeName?: string): string;
  /** Publishes an SSE event to subscribers of a stream (e.g. 'drbd/promotion', 'nodes'). */
  publish(stream: string, event: string, data: unknown): void;
}
