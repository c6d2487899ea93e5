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

/** Entries kept before the oldest are overwritten (counts keep counting). */
const MAX_ENTRIES = 200_000;

export class RequestLog {
  /** A ring buffer: once full, `next` is the oldest entry's slot, so recording never moves entries. */
  private entries: RequestLogEntry[] = [];
  private next = 0;
  private counts = new Map<string, number>();

  constructor(private readonly capacity = MAX_ENTRIES) {}

  record(entry: RequestLogEntry): void {
    if (this.entries.length < this.capacity) {
      this.entries.push(entry);
    } else {
      this.entries[this.next] = entry;
      this.next = (this.next + 1) % this.capacity;
    }
    const key = `${entry.method} ${entry.template}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The entries kept, oldest first. */
  list(): RequestLogEntry[] {
    return [...this.entries.slice(this.next), ...this.entries.slice(0, this.next)];
  }

  /** `{"GET /v1/view/resources": n, ...}` keyed by method and route template. */
  countsByRoute(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  clear(): void {
    this.entries = [];
    this.next = 0;
    this.counts.clear();
  }
}
