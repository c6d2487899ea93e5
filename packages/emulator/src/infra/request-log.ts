/**
 * The request log of the test control API: every `/v1` request with its route template, status and
 * duration (and its parsed body, which the contract test validates against the official schemas),
 * plus counts per method and template.
 */

export interface RequestLogEntry {
  method: string;
  /** The matched route template, or the path itself when no route matched. */
  template: string;
  path: string;
  /** HTTP status sent, or 0 when the connection was dropped without a reply. */
  status: number;
  durationMs: number;
  /** The parsed JSON request body, when there was one. */
  body?: unknown;
}

/** Entries kept before the oldest are dropped (counts keep counting). */
const MAX_ENTRIES = 200_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private counts = new Map<string, number>();

  record(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    const key = `${entry.method} ${entry.template}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }

  /** `{"GET /v1/view/resources": n, ...}` keyed by method and route template. */
  countsByRoute(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  clear(): void {
    this.entries = [];
    this.counts.clear();
  }
}
