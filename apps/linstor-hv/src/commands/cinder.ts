/**
 * `linstor-hv cinder`: one Cinder driver call without a bridge. The Python driver falls back to it
 * when no bridge answers on its socket: stdin carries the JSON-RPC request line it would have sent
 * to the bridge, stdout gets the reply line the bridge would have sent (same error data), so the
 * driver reads both the same way. The call gets the request's deadline.
 */
import type { Command } from 'commander';
import type { ProgramIo } from '../io';

const DEFAULT_DEADLINE_MS = 60_000;

type Reply = { jsonrpc: '2.0'; id: unknown } & ({ result: unknown } | { error: unknown });

/** The reply to one request line (never throws: every failure is an error reply). */
async function runLine(text: string): Promise<Reply> {
  const { RPC_CODES, toRpcError } = await import('@linstor-hv/bridge');
  const fail = (id: unknown, code: number, message: string, dataCode: string): Reply => ({
    jsonrpc: '2.0',
    id,
    error: { code, message, data: { code: dataCode, kind: 'invalid-argument', outcome: 'not-started' } },
  });
  let request: { id?: unknown; method?: unknown; params?: unknown; deadlineMs?: unknown };
  try {
    request = JSON.parse(text) as typeof request;
  } catch {
    return fail(null, RPC_CODES.PARSE_ERROR, 'The request is not JSON.', 'BRIDGE_PARSE_ERROR');
  }
  const id = request?.id ?? null;
  if (typeof request !== 'object' || request === null || typeof request.method !== 'string') {
    return fail(id, RPC_CODES.INVALID_REQUEST, 'The request names no method.', 'BRIDGE_INVALID_REQUEST');
  }
  const { cinderMethodTable } = await import('@linstor-hv/cinder');
  const table = cinderMethodTable();
  const method = Object.hasOwn(table, request.method) ? table[request.method] : undefined;
  if (!method) {
    return fail(
      id,
      RPC_CODES.METHOD_NOT_FOUND,
      `No Cinder method '${request.method}'.`,
      'BRIDGE_METHOD_NOT_FOUND',
    );
  }
  const deadlineMs =
    typeof request.deadlineMs === 'number' && request.deadlineMs > 0
      ? request.deadlineMs
      : DEFAULT_DEADLINE_MS;
  try {
    const result = await method(request.params, {
      signal: AbortSignal.timeout(deadlineMs),
      deadline: Date.now() + deadlineMs,
    });
    return { jsonrpc: '2.0', id, result };
  } catch (error) {
    return { jsonrpc: '2.0', id, error: toRpcError(error) };
  }
}

/** Registers `linstor-hv cinder` on the program. */
export function registerCinderCommand(
  program: Command,
  io: ProgramIo,
  exitCode: (code: number) => void,
): void {
  program
    .command('cinder')
    .description(
      'run one Cinder driver call without a bridge: JSON-RPC request line on stdin, reply line on stdout',
    )
    .action(async () => {
      const text = (await io.readStdin()).trim();
      const reply = await runLine(text);
      await io.writeStdout(`${JSON.stringify(reply)}\n`);
      exitCode('error' in reply ? 1 : 0);
    });
}
