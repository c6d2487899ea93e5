/**
 * `linstor-hv bridge --platform <name> [--socket PATH] [--group GROUP]`: the resident JSON-RPC
 * bridge serving one platform's method table. Under systemd the socket comes from socket
 * activation (`LISTEN_FDS`); otherwise the bridge binds `--socket` (default
 * `/run/linstor-hv/<platform>.sock`). It runs until SIGTERM or SIGINT and then stops gracefully.
 */

import type { MethodTable } from '@linstor-hv/bridge';
import type { Command } from 'commander';
import type { ProgramIo } from '../io';

/** A platform's method table, loaded only when its bridge starts. Each adapter adds one line. */
type MethodTableLoader = () => Promise<MethodTable>;

const PLATFORMS: Record<string, MethodTableLoader> = {
  proxmox: async () => (await import('@linstor-hv/proxmox')).proxmoxMethodTable(),
  opennebula: async () => (await import('@linstor-hv/opennebula')).openNebulaMethodTable(),
  cinder: async () => (await import('@linstor-hv/cinder')).cinderMethodTable(),
};

/** The socket a platform's bridge listens on unless told otherwise. */
export function defaultSocketPath(platform: string): string {
  return `/run/linstor-hv/${platform}.sock`;
}

interface BridgeCommandOptions {
  platform: string;
  socket?: string;
  group?: string;
}

/** Adds the `bridge` command to `program`. */
export function registerBridgeCommand(
  program: Command,
  io: ProgramIo,
  exitCode: (code: number) => void,
  version: string,
): void {
  program
    .command('bridge')
    .description(
      'serve a platform adapter over JSON-RPC on a Unix socket (resident; systemd socket activation or --socket)',
    )
    .requiredOption('--platform <name>', `the platform: ${Object.keys(PLATFORMS).sort().join(', ')}`)
    .option(
      '--socket <path>',
      'socket path when not socket-activated (default /run/linstor-hv/<platform>.sock)',
    )
    .option('--group <group>', 'a group allowed to connect (socket 0660 instead of 0600)')
    .action(async (options: BridgeCommandOptions) => {
      const load = Object.hasOwn(PLATFORMS, options.platform) ? PLATFORMS[options.platform] : undefined;
      if (!load) {
        await io.writeStderr(
          `linstor-hv bridge: unknown platform '${options.platform}'; choose one of ${Object.keys(PLATFORMS).sort().join(', ')}\n`,
        );
        exitCode(2);
        return;
      }
      const { startBridge, SocketSetupError } = await import('@linstor-hv/bridge');
      const activated =
        process.env.LISTEN_FDS !== undefined && process.env.LISTEN_PID === String(process.pid);
      try {
        const bridge = await startBridge({
          methods: await load(),
          platform: options.platform,
          version,
          ...(activated
            ? { listenFds: true }
            : { socketPath: options.socket ?? defaultSocketPath(options.platform) }),
          ...(options.group ? { group: options.group } : {}),
          handleSignals: true,
        });
        await bridge.closed;
        exitCode(0);
      } catch (error) {
        if (!(error instanceof SocketSetupError)) throw error;
        await io.writeStderr(`linstor-hv bridge: ${error.message}\n`);
        exitCode(1);
      }
    });
}
