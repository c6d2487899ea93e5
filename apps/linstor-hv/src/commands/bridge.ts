/**
 * `linstor-hv bridge --platform <name> [--socket PATH] [--group GROUP] [--sweep-interval D]
 * [--sweep-grace D]`: the resident JSON-RPC bridge serving one platform's method table, and (for
 * platforms that have one) the periodic orphan sweep of the storages it served. Under systemd the socket comes from socket
 * activation (`LISTEN_FDS`); otherwise the bridge binds `--socket` (default
 * `/run/linstor-hv/<platform>.sock`, for Cinder `/run/linstor-hv-cinder/cinder.sock`, for OpenNebula
 * `/run/linstor-hv-one/opennebula.sock`). It runs until
 * SIGTERM or SIGINT and then stops gracefully.
 */

import type { BridgeLimits, MethodTable } from '@linstor-hv/bridge';
import type { SweepReport } from '@linstor-hv/core';
import type { Command } from 'commander';
import type { ProgramIo } from '../io';
import { startOrphanSweeper } from './cleanup';

/** What a platform hands the bridge: its method table and, where it has one, its orphan sweep. */
interface PlatformBridge {
  methods: MethodTable;
  /** Sweeps the leftovers of the storages the bridge served (see `linstor-hv cleanup`). */
  sweep?: (options: { graceMs: number; signal: AbortSignal }) => Promise<SweepReport>;
  /** Releases what the table kept (LINSTOR clients) once the bridge stopped. */
  close?: () => Promise<void>;
  /** Call deadlines other than the bridge's defaults (a platform whose calls may run for hours). */
  limits?: Pick<BridgeLimits, 'defaultDeadlineMs' | 'maxDeadlineMs'>;
}

/** A platform's table, loaded only when its bridge starts. Each adapter adds one entry. */
type PlatformLoader = () => Promise<PlatformBridge>;

const PLATFORMS: Record<string, PlatformLoader> = {
  proxmox: async () => {
    const { ConnectionPool, proxmoxMethodTable } = await import('@linstor-hv/proxmox');
    const pool = new ConnectionPool();
    return {
      methods: proxmoxMethodTable(pool),
      sweep: (options) => pool.sweepOrphans(options),
      close: () => pool.close(),
    };
  },
  opennebula: async () => {
    const { BridgeMemory, ONE_CALL_BUDGET_MS, openNebulaMethodTable } = await import(
      '@linstor-hv/opennebula'
    );
    const memory = new BridgeMemory();
    return {
      methods: openNebulaMethodTable(memory),
      sweep: (options) => memory.sweepOrphans(options),
      close: () => memory.close(),
      limits: { defaultDeadlineMs: ONE_CALL_BUDGET_MS, maxDeadlineMs: ONE_CALL_BUDGET_MS },
    };
  },
  cinder: async () => {
    const { BackendRegistry, cinderMethodTable, sweepCinderOrphans } = await import('@linstor-hv/cinder');
    const registry = new BackendRegistry();
    return {
      methods: cinderMethodTable(registry),
      sweep: (options) => sweepCinderOrphans(registry, options),
      close: () => registry.close(),
    };
  },
};

/** How often the bridge sweeps orphans unless told otherwise. */
const DEFAULT_SWEEP_INTERVAL = '15m';

/**
 * Sockets in a directory of their own: a bridge's socket directory belongs to its service user
 * and is closed to others (0700), so a bridge that does not run as root cannot share
 * /run/linstor-hv (root's) with the Proxmox bridge on the same host.
 */
const OWN_SOCKET_PATHS: Record<string, string> = {
  cinder: '/run/linstor-hv-cinder/cinder.sock',
  opennebula: '/run/linstor-hv-one/opennebula.sock',
};

/** The socket a platform's bridge listens on unless told otherwise. */
export function defaultSocketPath(platform: string): string {
  return OWN_SOCKET_PATHS[platform] ?? `/run/linstor-hv/${platform}.sock`;
}

interface BridgeCommandOptions {
  platform: string;
  socket?: string;
  group?: string;
  sweepInterval: string;
  sweepGrace: string;
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
      'socket path when not socket-activated (default /run/linstor-hv/<platform>.sock; cinder: /run/linstor-hv-cinder/cinder.sock; opennebula: /run/linstor-hv-one/opennebula.sock)',
    )
    .option('--group <group>', 'a group allowed to connect (socket 0660 instead of 0600)')
    .option(
      '--sweep-interval <duration>',
      'how often to remove leftovers of unfinished operations of the storages served (e.g. 15m; 0 or off: never)',
      DEFAULT_SWEEP_INTERVAL,
    )
    .option('--sweep-grace <duration>', 'leftovers younger than this are kept (e.g. 10m)', '10m')
    .action(async (options: BridgeCommandOptions) => {
      const load = Object.hasOwn(PLATFORMS, options.platform) ? PLATFORMS[options.platform] : undefined;
      if (!load) {
        await io.writeStderr(
          `linstor-hv bridge: unknown platform '${options.platform}'; choose one of ${Object.keys(PLATFORMS).sort().join(', ')}\n`,
        );
        exitCode(2);
        return;
      }
      const { parseDuration, sweepGraceAbove } = await import('@linstor-hv/core');
      let intervalMs: number;
      let graceMs: number;
      try {
        intervalMs = options.sweepInterval === 'off' ? 0 : parseDuration(options.sweepInterval);
        graceMs = parseDuration(options.sweepGrace);
      } catch (error) {
        await io.writeStderr(`linstor-hv bridge: ${(error as Error).message}\n`);
        exitCode(2);
        return;
      }
      const { startBridge, SocketSetupError } = await import('@linstor-hv/bridge');
      const activated =
        process.env.LISTEN_FDS !== undefined && process.env.LISTEN_PID === String(process.pid);
      const platform = await load();
      const log = (line: string) => void io.writeStderr(`${line}\n`);
      const sweep = platform.sweep;
      let running: { longestRunningMs(): number } | undefined;
      const sweeper =
        sweep && intervalMs > 0
          ? startOrphanSweeper(
              (signal) =>
                sweep({ graceMs: sweepGraceAbove(graceMs, running?.longestRunningMs() ?? 0), signal }),
              { intervalMs, log },
            )
          : undefined;
      log(
        JSON.stringify({
          event: 'orphan-sweeper',
          ...(sweeper
            ? { intervalMs, graceMs }
            : { disabled: sweep ? 'by --sweep-interval' : 'not for this platform' }),
        }),
      );
      try {
        const bridge = await startBridge({
          methods: platform.methods,
          platform: options.platform,
          version,
          ...(platform.limits ? { limits: platform.limits } : {}),
          ...(activated
            ? { listenFds: true }
            : { socketPath: options.socket ?? defaultSocketPath(options.platform) }),
          ...(options.group ? { group: options.group } : {}),
          handleSignals: true,
        });
        running = bridge;
        await bridge.closed;
        exitCode(0);
      } catch (error) {
        if (!(error instanceof SocketSetupError)) throw error;
        await io.writeStderr(`linstor-hv bridge: ${error.message}\n`);
        exitCode(1);
      } finally {
        await sweeper?.stop();
        await platform.close?.();
      }
    });
}
