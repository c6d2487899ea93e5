/**
 * Runs one PVE plugin method: parses the request, calls the method's handler within the request's
 * deadline, and turns every outcome into a reply. Errors become one line a PVE user can act on;
 * stack traces never reach PVE's task log.
 */

import { HandlerContext } from './context';
import { HANDLERS } from './handlers';
import { oneLine, ProtocolError, type ProxmoxReply, parseRequest } from './protocol';

/** The methods `linstor-hv proxmox <method>` accepts. */
export function proxmoxMethods(): string[] {
  return Object.keys(HANDLERS).sort();
}

class DeadlineError extends Error {}

/** Runs `method` with the JSON request text the Perl plugin sent and returns the reply to print. */
export async function runProxmoxMethod(method: string, requestText: string): Promise<ProxmoxReply> {
  const handler = Object.hasOwn(HANDLERS, method) ? HANDLERS[method] : undefined;
  if (!handler) {
    return { ok: false, error: `linstor-hv does not know the Proxmox method '${oneLine(method)}'` };
  }
  let context: HandlerContext | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    context = new HandlerContext(parseRequest(requestText, method));
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DeadlineError(
              `${method} did not finish within ${Math.round(context!.request.deadlineMs / 1000)} s`,
            ),
          ),
        context!.request.deadlineMs,
      );
    });
    const result = await Promise.race([handler(context), deadline]);
    return { ok: true, result: result ?? {} };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  } finally {
    if (timer) clearTimeout(timer);
    await context?.close().catch(() => undefined);
  }
}

/** One line for PVE: core's messages already say what failed, why and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof ProtocolError) return oneLine(error.message);
  if (error instanceof Error) return oneLine(error.message || error.name);
  return oneLine(String(error));
}
