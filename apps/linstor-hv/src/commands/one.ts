/**
 * `linstor-hv one <ds|tm> <action> [args…]`: one action of OpenNebula's `linstor` drivers, run the
 * way oned runs a driver script. argv and stdin are exactly what the remotes shim received; the
 * result goes to stdout alone, progress and the failure line to stderr.
 *
 * When a bridge (`linstor-hv bridge --platform opennebula`) listens on the front-end's socket
 * (`LINSTOR_HV_ONE_SOCKET`, default /run/linstor-hv-one/opennebula.sock), the call is handed to it as
 * `one.<driver>.<action>` and its answer printed; when there is none, it is shutting down or the
 * connection is lost, the action runs here (every action is safe to repeat).
 */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { ProgramIo } from '../io';
import { defaultSocketPath } from './bridge';

/** The environment a bridge call passes on (configuration selectors, never secrets). */
const PASSED_ENV = ['LINSTOR_HV_ONE_CONFIG', 'LINSTOR_HV_ONE_REMOTES', 'ONE_LOCATION', 'SSH'];
/** JSON-RPC codes after which nothing ran: the bridge is stopping, or it serves another platform. */
const NOTHING_STARTED = new Set([-32002, -32601]);

interface OneResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Whether oned hands this call a document on stdin (DS conventions, tm monitor, migrations). */
function takesStdin(driver: string, action: string, argv: readonly string[]): boolean {
  if (/^(pre|post|fail)migrate$/.test(action)) return true;
  return (driver === 'ds' || action === 'monitor') && (argv.length === 1 || argv[0] === '-');
}

function isResult(value: unknown): value is OneResult {
  const r = value as OneResult | null;
  return (
    r !== null &&
    typeof r === 'object' &&
    typeof r.exitCode === 'number' &&
    typeof r.stdout === 'string' &&
    typeof r.stderr === 'string'
  );
}

/** The bridge's answer, or undefined when the call should run here. */
async function viaBridge(
  socket: string,
  driver: string,
  action: string,
  argv: string[],
  stdin: () => Promise<string>,
): Promise<OneResult | undefined> {
  const { BridgeCallError, BridgeClient } = await import('@linstor-hv/bridge');
  let client: Awaited<ReturnType<typeof BridgeClient.connect>>;
  try {
    client = await BridgeClient.connect(socket, { timeoutMs: 2_000 });
  } catch {
    return undefined;
  }
  try {
    const env: Record<string, string> = {};
    for (const key of PASSED_ENV) if (process.env[key] !== undefined) env[key] = process.env[key]!;
    const result = await client.call(`one.${driver}.${action}`, {
      argv,
      ...(takesStdin(driver, action, argv) ? { stdin: await stdin() } : {}),
      env,
    });
    return isResult(result) ? result : undefined;
  } catch (error) {
    if (error instanceof BridgeCallError && !NOTHING_STARTED.has(error.rpcCode)) {
      return { exitCode: 1, stdout: '', stderr: `linstor ${driver} ${action}: ${error.message}\n` };
    }
    return undefined; // nothing started, or the connection was lost: run it here
  } finally {
    client.close();
  }
}

/** Registers the `one` command on the program. */
export function registerOneCommand(program: Command, io: ProgramIo, exitCode: (code: number) => void): void {
  program
    .command('one')
    .description("run one action of OpenNebula's linstor datastore (ds) or transfer manager (tm) driver")
    .argument('<driver>', 'ds or tm')
    .argument('<action>', 'the driver action, e.g. cp, clone, delete')
    .argument('[args...]', 'the arguments oned passed, unchanged')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (driver: string, action: string, _args: string[], _options: unknown, command: Command) => {
      // Commander may reorder option-like arguments (`-`, `-1`); take them from the raw argv instead.
      const raw = (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? [];
      const at = raw.indexOf('one');
      const argv = at >= 0 ? raw.slice(at + 3) : _args;
      if (driver !== 'ds' && driver !== 'tm') {
        await io.writeStderr(`linstor-hv one: the driver must be ds or tm, not '${driver}'\n`);
        exitCode(2);
        return;
      }
      let stdinText: Promise<string> | undefined;
      const stdin = () => {
        stdinText ??= io.readStdin();
        return stdinText;
      };
      const socket = process.env.LINSTOR_HV_ONE_SOCKET ?? defaultSocketPath('opennebula');
      const plain = action.replace(/\.(ssh|shared)$/, '');
      const bridged =
        existsSync(socket) && statSync(socket).isSocket()
          ? await viaBridge(socket, driver, plain, argv, stdin)
          : undefined;
      let result: OneResult;
      if (bridged) {
        if (bridged.stderr !== '') await io.writeStderr(bridged.stderr);
        result = bridged;
      } else {
        const { runOneAction } = await import('@linstor-hv/opennebula');
        result = await runOneAction(
          { driver, action, argv, stdin },
          { onStderr: (text) => void io.writeStderr(text) },
        );
      }
      if (result.stdout !== '') await io.writeStdout(result.stdout);
      exitCode(result.exitCode);
    });
}
