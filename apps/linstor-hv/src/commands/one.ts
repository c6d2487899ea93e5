/**
 * `linstor-hv one <ds|tm> <action> [args…]`: one action of OpenNebula's `linstor` drivers, run the
 * way oned runs a driver script. argv and stdin are exactly what the remotes shim received; the
 * result goes to stdout alone, progress and the failure line to stderr.
 */
import type { Command } from 'commander';
import type { ProgramIo } from '../program';

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
      const { runOneAction } = await import('@linstor-hv/opennebula');
      if (driver !== 'ds' && driver !== 'tm') {
        await io.writeStderr(`linstor-hv one: the driver must be ds or tm, not '${driver}'\n`);
        exitCode(2);
        return;
      }
      const result = await runOneAction(
        { driver, action, argv, stdin: () => io.readStdin() },
        { onStderr: (text) => void io.writeStderr(text) },
      );
      if (result.stdout !== '') await io.writeStdout(result.stdout);
      exitCode(result.exitCode);
    });
}
