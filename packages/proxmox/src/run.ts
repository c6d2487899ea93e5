/**
 * Runs PVE plugin methods, two ways over the same code: one request per process
 * (`linstor-hv proxmox <method>`, {@link runProxmoxMethod}) and many through the resident bridge
 * ({@link proxmoxMethodTable}). Either way the handler gets a signal that aborts at the request's
 * deadline (and, in the bridge, when the caller goes away); core stops between steps and undoes
 * what it started. Nothing races the handler: the reply comes when the work has stopped.
 */

import { ConnectionPool, type Connections, countingRestCalls } from './connections';
import { HandlerContext } from './context';
import { HANDLERS, type Handler } from './handlers';
import {
  oneLine,
  ProtocolError,
  type ProxmoxReply,
  type ProxmoxRequest,
  parseRequest,
  parseRequestObject,
} from './protocol';

/** The methods `linstor-hv proxmox <method>` and the bridge accept. */
export function proxmoxMethods(): string[] {
  return Object.keys(HANDLERS).sort();
}

function handlerOf(method: string): Handler | undefined {
  return Object.hasOwn(HANDLERS, method) ? HANDLERS[method] : undefined;
}

async function callHandler(
  handler: Handler,
  request: ProxmoxRequest,
  scope: { signal: AbortSignal; deadline: number; connections?: Connections },
): Promise<Record<string, unknown>> {
  const context = new HandlerContext(request, scope);
  try {
    return (await handler(context)) ?? {};
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** Runs `method` with the JSON request text the Perl plugin sent and returns the reply to print. */
export async function runProxmoxMethod(method: string, requestText: string): Promise<ProxmoxReply> {
  const handler = handlerOf(method);
  if (!handler) {
    return { ok: false, error: `linstor-hv does not know the Proxmox method '${oneLine(method)}'` };
  }
  try {
    const request = parseRequest(requestText, method);
    const result = await callHandler(handler, request, {
      signal: AbortSignal.timeout(request.deadlineMs),
      deadline: Date.now() + request.deadlineMs,
    });
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}

/** One line for PVE: core's messages already say what failed, why and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof ProtocolError) return oneLine(error.message);
  if (error instanceof Error) return oneLine(error.message || error.name);
  return oneLine(String(error));
}

/** What the bridge hands each method (structurally the bridge's `BridgeCall`). */
export interface ProxmoxBridgeCall {
  signal: AbortSignal;
  deadline: number;
  report?: (figures: Record<string, number>) => void;
}

/** A method of the bridge's table (structurally the bridge's `BridgeMethod`). */
export type ProxmoxBridgeMethod = (params: unknown, call: ProxmoxBridgeCall) => Promise<unknown>;

/** A request the plugin could not have sent: answered as JSON-RPC invalid params. */
function invalidParams(error: ProtocolError): Error {
  return Object.assign(new Error(oneLine(error.message)), {
    rpcCode: -32602,
    code: 'PROXMOX_INVALID_REQUEST',
    kind: 'protocol',
    outcome: 'failed',
  });
}

/**
 * The bridge's method table for Proxmox: one method per PVE plugin method, by its PVE name, taking
 * the same request object the one-shot command reads on stdin. Clients and volume services are
 * kept in `pool` between calls; each call reports its REST calls for the bridge's log line.
 */
export function proxmoxMethodTable(
  pool: ConnectionPool = new ConnectionPool(),
): Record<string, ProxmoxBridgeMethod> {
  const table: Record<string, ProxmoxBridgeMethod> = {};
  for (const method of proxmoxMethods()) {
    const handler = handlerOf(method)!;
    table[method] = async (params, call) => {
      let request: ProxmoxRequest;
      try {
        // The params are the request object itself, checked by the rules the one-shot path uses.
        request = parseRequestObject(params, method);
      } catch (error) {
        throw error instanceof ProtocolError ? invalidParams(error) : error;
      }
      try {
        const { value, restCalls } = await countingRestCalls(() =>
          callHandler(handler, request, {
            signal: call.signal,
            deadline: call.deadline,
            connections: pool.connectionsFor(request),
          }),
        );
        call.report?.({ restCalls });
        return value;
      } catch (error) {
        const restCalls = (error as { restCalls?: unknown }).restCalls;
        if (typeof restCalls === 'number') call.report?.({ restCalls });
        throw error instanceof ProtocolError ? invalidParams(error) : error;
      }
    };
  }
  return table;
}
