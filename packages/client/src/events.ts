import type { EventMayPromoteChange } from '@linstor-hv/api';
import { LinstorTransportError } from './errors';
import { apiErrorOf } from './parse-reply';
import { excerpt } from './text';
import type { Transport } from './transport/transport';
import type { CallOptions } from './transport/types';

/** Options of the promotion event stream. */
export interface PromotionEventOptions extends CallOptions {
  /**
   * Sent as `Last-Event-ID`. The default `'current'` makes the controller start with the current
   * may-promote state of every DRBD resource; `null` sends no header (changes only).
   */
  lastEventId?: string | null;
}

/** One server-sent event. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

const PROMOTION_PATH = '/v1/events/drbd/promotion';

/**
 * Splits a text/event-stream into events: `event:` and `data:` lines, a blank line ends an event,
 * lines starting with `:` are comments. Multiple data lines are joined with newlines.
 */
export async function* parseServerSentEvents(
  chunks: AsyncIterable<Buffer | string>,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A lone '\r' at the end may be the first half of '\r\n': wait for more input.
      if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}

/** Opens the promotion stream and yields each `may-promote-change`; ends quietly when aborted. */
export async function* readPromotionEvents(
  transport: Transport,
  options: PromotionEventOptions,
): AsyncGenerator<EventMayPromoteChange> {
  const { lastEventId = 'current', ...call } = options;
  const headers: Record<string, string> = {};
  if (lastEventId !== null) headers['last-event-id'] = lastEventId;
  const stream = await transport.stream({ method: 'GET', path: PROMOTION_PATH, headers, ...call });
  try {
    if (stream.status >= 400) {
      const text = await stream.body
        .setEncoding('utf8')
        .toArray()
        .then((parts) => parts.join(''));
      throw apiErrorOf({ status: stream.status, text, controller: stream.controller }, 'GET', PROMOTION_PATH);
    }
    for await (const sse of parseServerSentEvents(stream.body)) {
      if (sse.event === 'error') {
        // The controller reports a failure inside the stream as an event carrying ApiCallRc entries.
        const reply = { status: 500, text: sse.data, controller: stream.controller };
        throw apiErrorOf(reply, 'GET', PROMOTION_PATH);
      }
      if (sse.event !== 'may-promote-change') continue;
      let change: EventMayPromoteChange;
      try {
        change = JSON.parse(sse.data) as EventMayPromoteChange;
      } catch {
        throw new LinstorTransportError(
          stream.controller,
          'protocol',
          `event data is not JSON: ${excerpt(sse.data)}`,
          true,
        );
      }
      yield change;
    }
  } catch (e) {
    if (call.signal?.aborted) return;
    throw e;
  } finally {
    stream.body.destroy();
  }
}
