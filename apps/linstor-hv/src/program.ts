/**
 * The `linstor-hv` command line: the resident bridge (`bridge --platform …`), adapter entry points
 * (`proxmox <method>`), the emulator (`emulator serve`), and the demo. Each action is loaded only when it runs, so the Proxmox plugin,
 * which starts this program for every storage operation, pays only for what it uses.
 */
import { Command, CommanderError } from 'commander';
import { registerBridgeCommand } from './commands/bridge';
import { registerCinderCommand } from './commands/cinder';
import { registerCleanupCommand } from './commands/cleanup';
import { registerOneCommand } from './commands/one';
import { type ProgramIo, processIo } from './io';
import { LINSTOR_HV_VERSION } from './version';

export { LINSTOR_HV_VERSION };

/**
 * Builds the program. `exitCode` receives the code the process should end with; actions that keep
 * running (the emulator) never set it.
 */
export function createProgram(io: ProgramIo, exitCode: (code: number) => void): Command {
  const program = new Command('linstor-hv')
    .description('LINSTOR storage for Proxmox VE, OpenNebula and OpenStack Cinder')
    .version(LINSTOR_HV_VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.writeStdout(text),
      writeErr: (text) => void io.writeStderr(text),
    });

  program
    .command('proxmox')
    .description('run one Proxmox VE storage plugin method: JSON request on stdin, JSON reply on stdout')
    .argument('<method>', 'the PVE plugin method, e.g. alloc_image')
    .action(async (method: string) => {
      const { runProxmoxMethod } = await import('@linstor-hv/proxmox');
      const reply = await runProxmoxMethod(method, await io.readStdin());
      await io.writeStdout(`${JSON.stringify(reply)}\n`);
      exitCode(reply.ok ? 0 : 1);
    });

  registerOneCommand(program, io, exitCode);
  registerCinderCommand(program, io, exitCode);
  registerBridgeCommand(program, io, exitCode, LINSTOR_HV_VERSION);

  const emulator = program.command('emulator').description('the LINSTOR controller emulator');
  emulator
    .command('serve')
    .description('run an emulated LINSTOR controller (see --help of the emulator for options)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'emulator options, e.g. --listen http://127.0.0.1:3370 --data-dir DIR')
    .action(async (options: string[]) => {
      const { runServe } = await import('@linstor-hv/emulator');
      await runServe(options);
    });

  registerCleanupCommand(program, io, exitCode);

  program
    .command('demo')
    .description('run the Proxmox plugin against an emulated three-node cluster and print what happened')
    .action(async () => {
      const { runDemo } = await import('./demo');
      exitCode(await runDemo(io));
    });

  return program;
}

/** Runs the program on `argv` (without node and script paths) and returns the exit code, or undefined while an action keeps running. */
export async function runProgram(argv: string[], io: ProgramIo = processIo): Promise<number | undefined> {
  let code: number | undefined;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    await io.writeStderr(`linstor-hv: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
  return code;
}
