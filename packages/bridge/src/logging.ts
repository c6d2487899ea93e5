/**
 * Logging: one JSON line per call on stderr, so journald shows it: method, id, duration, outcome,
 * the error's codes, and the figures the method reported (e.g. REST calls). Never params: they may
 * hold a token.
 */

import { toRpcError } from './errors';
import type { Policy } from './policy';

/** Where log lines go (one JSON object each, without the newline). */
export type LogSink = (line: string) => void;

/** Writes each line to stderr. */
export const stderrSink: LogSink = (line) => {
  process.stderr.write(`${line}\n`);
};

/** Writes one event (a bridge event or a call) as a JSON line. */
export function logEvent(sink: LogSink, event: string, fields: Record<string, unknown>): void {
  try {
    sink(JSON.stringify({ time: new Date().toISOString(), event, ...fields }));
  } catch {
    // A log that cannot be written must not fail a call.
  }
}

/** A caller-chosen id is logged only when it is short and plain, so a log line cannot be forged. */
function loggableId(id: unknown): unknown {
  if (typeof id === 'number') return id;
  if (typeof id === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(id)) return id;
  return undefined;
}

/** Policy: logs the call once it has settled. */
export function withLogging(sink: LogSink): Policy {
  return (next) => async (invocation) => {
    const { record } = invocation;
    const line: Record<string, unknown> = { method: record.method, id: loggableId(record.id) };
    try {
      const result = await next(invocation);
      line.outcome = record.outcome ?? 'completed';
      return result;
    } catch (error) {
      const rpc = toRpcError(error);
      Object.assign(line, { outcome: rpc.data.outcome, rpcCode: rpc.code, code: rpc.data.code });
      if (rpc.data.errorReportIds) line.errorReportIds = rpc.data.errorReportIds;
      throw error;
    } finally {
      line.ms = Math.round((performance.now() - record.startedAt) * 100) / 100;
      if (record.aborted) line.aborted = record.aborted;
      logEvent(sink, 'call', { ...line, ...record.figures });
    }
  };
}
