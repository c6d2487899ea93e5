import type { ApiCallRc } from '@linstor-hv/api';
import { LinstorApiError, LinstorTransportError } from './errors';
import { parseLinstorJson } from './json';
import { entriesOf, errorEntries } from './reply';
import { excerpt } from './text';

/**
 * The one place where a LINSTOR reply is read: lossless JSON, its ApiCallRc entries, and whether it
 * is an error. Every caller (typed methods, `request()`, the event stream) goes through here, so a
 * reply is judged the same way wherever it arrives.
 */

/** A reply as it came off the wire. */
export interface ReplyText {
  status: number;
  text: string;
  /** Origin of the controller that answered. */
  controller: string;
}

/** A reply body read as lossless JSON. */
export interface ReadBody {
  /** Parsed JSON (ret_codes as bigint); undefined for an empty body; the text itself when not JSON. */
  body: unknown;
  /** ApiCallRc entries found in the body (a list, or a clone reply's `messages`). */
  entries: ApiCallRc[];
  /** False when a non-empty body was not JSON. */
  isJson: boolean;
}

/** Parses a reply body; never throws. */
export function readBody(text: string): ReadBody {
  if (text.trim() === '') return { body: undefined, entries: [], isJson: true };
  try {
    const body = parseLinstorJson(text);
    return { body, entries: entriesOf(body), isJson: true };
  } catch {
    return { body: text, entries: [], isJson: false };
  }
}

/** True when the controller refused: an error status, or an error entry even with a 2xx status. */
export function isRefusal(status: number, entries: readonly ApiCallRc[]): boolean {
  return status >= 400 || errorEntries(entries).length > 0;
}

/** The LinstorApiError for a refused reply; a body without entries shows up as an excerpt. */
export function apiErrorOf(
  reply: ReplyText,
  method: string,
  path: string,
  read: ReadBody = readBody(reply.text),
): LinstorApiError {
  const bodyExcerpt = read.entries.length === 0 ? excerpt(reply.text) || undefined : undefined;
  return new LinstorApiError(reply.status, method, path, read.entries, reply.controller, bodyExcerpt);
}

/**
 * Reads a reply and throws unless it is a successful LINSTOR answer: LinstorApiError for a refusal,
 * LinstorTransportError (`protocol`) for a 2xx body that is not JSON.
 */
export function checkReply(reply: ReplyText, method: string, path: string): ReadBody {
  const read = readBody(reply.text);
  if (isRefusal(reply.status, read.entries)) throw apiErrorOf(reply, method, path, read);
  if (!read.isJson) {
    throw new LinstorTransportError(
      reply.controller,
      'protocol',
      `${method} ${path} answered HTTP ${reply.status} with a body that is not JSON: ${excerpt(reply.text)}`,
      true,
    );
  }
  return read;
}
