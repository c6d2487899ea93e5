/**
 * A recording HTTP caller for contract tests: every reply is validated against the official spec
 * (through `openapi.ts` and its deviations table) and every problem is collected, so one failing
 * test lists all violations of its endpoint family instead of stopping at the first.
 *
 * It speaks plain undici on purpose: the emulator and `@linstor-hv/client` are checked independently,
 * so neither can hide the other's mistake.
 */
import { request } from 'undici';
import {
  describeResult,
  findRoute,
  type ServerSentEvent,
  validateEvent,
  validateRequestBody,
  validateRequestParameters,
  validateResponse,
} from './openapi';

const REQUEST_TIMEOUT_MS = 30_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export interface ProbeReply {
  status: number;
  /** Parsed JSON body (`undefined` when empty; the raw text when it is not JSON). */
  body: unknown;
  text: string;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface CallOptions {
  /** JSON body; it must itself satisfy the spec (a contract test never sends off-spec input by accident). */
  body?: unknown;
  /**
   * A raw body text sent as JSON without checking it against the spec: only for tests of how
   * malformed or off-spec input is answered.
   */
  rawBody?: string;
  /** Statuses the call is expected to answer; anything else is recorded as a problem. */
  expect?: number | readonly number[];
  headers?: Record<string, string>;
}

/** Finds the `ret_code` literals in a raw JSON text that are not exact 64-bit integers. */
export function nonInt64RetCodes(text: string): string[] {
  const bad: string[] = [];
  for (const match of text.matchAll(/"ret_code"\s*:\s*([^,}\]\s]+)/g)) {
    const literal = match[1] ?? '';
    if (!/^-?\d+$/.test(literal)) {
      bad.push(literal);
      continue;
    }
    const value = BigInt(literal);
    if (value < INT64_MIN || value > INT64_MAX) bad.push(literal);
  }
  return bad;
}

/** Parses a `text/event-stream` text into events (the `event:` name and the JSON of `data:`). */
export function parseEventStream(text: string): { events: ServerSentEvent[]; problems: string[] } {
  const events: ServerSentEvent[] = [];
  const problems: string[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue;
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) continue;
    try {
      events.push({ event: name, data: JSON.parse(data.join('\n')) });
    } catch {
      problems.push(`event ${name}: data is not JSON: ${data.join('\\n').slice(0, 200)}`);
    }
  }
  return { events, problems };
}

export class ContractProbe {
  /** Everything that violated the contract or an expectation, one readable paragraph each. */
  readonly problems: string[] = [];
  /** `METHOD template` of every call made (for coverage checks). */
  readonly exercised = new Set<string>();

  constructor(private readonly baseUrl: string) {}

  /** Sends one request, validates the reply, and records every problem found. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<ProbeReply> {
    if (options.body !== undefined) {
      const own = validateRequestBody(method, path, options.body);
      if (!own.valid || own.undeclaredProperties.length > 0)
        throw new Error(`The contract test itself sent an off-spec body:\n${describeResult(own)}`);
    }
    const ownParameters = validateRequestParameters(method, path);
    if (ownParameters.violations.some((v) => v.keyword !== 'route')) {
      throw new Error(`The contract test itself sent off-spec parameters:\n${describeResult(ownParameters)}`);
    }
    this.noteExercised(method, path);
    const response = await request(new URL(path, this.baseUrl), {
      method: method as 'GET',
      headers: {
        accept: 'application/json',
        ...(options.body === undefined && options.rawBody === undefined
          ? {}
          : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await response.body.text();
    const contentType = String(response.headers['content-type'] ?? '');
    const reply: ProbeReply = {
      status: response.statusCode,
      body: undefined,
      text,
      contentType,
      headers: response.headers,
    };
    const where = `${method} ${path} → ${reply.status}`;

    if (text !== '') {
      try {
        reply.body = JSON.parse(text);
        if (!contentType.startsWith('application/json')) {
          this.problems.push(`${where}: JSON body sent with Content-Type "${contentType}"`);
        }
      } catch {
        reply.body = text;
      }
    }
    const expected = options.expect === undefined ? undefined : [options.expect].flat();
    if (expected && !expected.includes(reply.status)) {
      this.problems.push(`${where}: expected status ${expected.join(' or ')}; body: ${text.slice(0, 400)}`);
    }
    const result = validateResponse(method, path, reply.status, reply.body);
    // Undeclared properties count as problems too: a real controller never sends them (see
    // ValidationResult.undeclaredProperties in openapi.ts).
    if (!result.valid || result.undeclaredProperties.length > 0) this.problems.push(describeResult(result));
    if (result.notValidatedBecause === undefined) {
      if (typeof reply.body === 'string')
        this.problems.push(`${where}: body is not JSON: ${text.slice(0, 200)}`);
      for (const literal of nonInt64RetCodes(text)) {
        this.problems.push(
          `${where}: ret_code ${literal} is not an exact int64 integer literal [format int64]`,
        );
      }
    }
    return reply;
  }

  /**
   * Opens a server-sent-event stream, reads events until `enough(events)` holds or `timeoutMs`
   * passes, closes it, and validates the status, the content type and every event.
   */
  async events(
    path: string,
    options: {
      headers?: Record<string, string>;
      /** Runs once the stream is open (its events are buffered meanwhile), e.g. to cause events. */
      afterOpen?: () => Promise<void>;
      enough: (events: ServerSentEvent[]) => boolean;
      timeoutMs: number;
    },
  ): Promise<ServerSentEvent[]> {
    this.noteExercised('GET', path);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeoutMs);
    let text = '';
    let status = 0;
    let contentType = '';
    let parsed: { events: ServerSentEvent[]; problems: string[] } = { events: [], problems: [] };
    try {
      const response = await request(new URL(path, this.baseUrl), {
        method: 'GET',
        headers: { accept: 'text/event-stream', ...options.headers },
        signal: abort.signal,
        headersTimeout: options.timeoutMs,
      });
      status = response.statusCode;
      contentType = String(response.headers['content-type'] ?? '');
      if (status === 200) await options.afterOpen?.();
      try {
        for await (const chunk of response.body) {
          text += Buffer.from(chunk as Uint8Array).toString('utf8');
          parsed = parseEventStream(text.slice(0, text.lastIndexOf('\n\n') + 2));
          if (options.enough(parsed.events)) break;
        }
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      } finally {
        response.body.destroy();
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
    const where = `GET ${path} → ${status}`;
    if (status !== 200)
      this.problems.push(`${where}: expected status 200 for an event stream; body: ${text.slice(0, 300)}`);
    if (status === 200 && !contentType.startsWith('text/event-stream')) {
      this.problems.push(`${where}: event stream sent with Content-Type "${contentType}"`);
    }
    this.problems.push(...parsed.problems.map((p) => `${where}: ${p}`));
    for (const event of parsed.events) {
      const result = validateEvent(path, event);
      if (!result.valid || result.undeclaredProperties.length > 0) this.problems.push(describeResult(result));
    }
    return parsed.events;
  }

  /** Records a failed expectation that is not about one reply (e.g. a state never reached). */
  note(problem: string): void {
    this.problems.push(problem);
  }

  /** The problems as one assertion message. */
  report(): string {
    return this.problems.length === 0
      ? 'no problems'
      : `${this.problems.length} problem(s):\n\n${this.problems.join('\n\n')}`;
  }

  private noteExercised(method: string, path: string): void {
    const upper = method.toUpperCase();
    const route = findRoute(upper, path);
    this.exercised.add(`${upper} ${route?.template ?? path.split('?')[0]}`);
  }
}
