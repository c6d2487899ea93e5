/**
 * Drives the Proxmox entry points the way the Perl plugin does: one JSON request on stdin of
 * `linstor-hv proxmox <method>` (the built bundle), one JSON reply on stdout, each call its own
 * process so a test can SIGKILL it mid-operation; or the same request as a JSON-RPC call to a
 * resident `linstor-hv bridge --platform proxmox`, falling back to the one-shot command when no
 * bridge answers, as the Perl module does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BridgeCallError, BridgeClient, RPC_CODES } from '@linstor-hv/bridge';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bundled CLI the Perl plugin starts. */
export const CLI_BUNDLE = join(ROOT, 'apps', 'linstor-hv', 'dist', 'linstor-hv.mjs');

export function requireBundle(): void {
  if (!existsSync(CLI_BUNDLE)) throw new Error(`missing ${CLI_BUNDLE}: run pnpm build first`);
}

/** The storage a test drives: a `drbd:` section and the node the call runs on. */
export interface PveStorage {
  storeid: string;
  controller: string;
  resourceGroup: string;
  /** `<dataDir>/nodes/{node}/dev` of the emulator. */
  deviceRoot: string;
  statusCacheFile: string;
  /** Extra storage.cfg options (strings, as PVE passes them). */
  options?: Record<string, string>;
}

/** The reply of one call: the plugin's JSON reply, or what went wrong with the process. */
export type PveReply =
  | { ok: true; result: Record<string, unknown> }
  | { ok: false; error: string; exitCode: number | null; signal: NodeJS.Signals | null };

/** A call in flight; `kill` ends the process like a crash would. */
export interface PveCall {
  readonly child: ChildProcess;
  readonly reply: Promise<PveReply>;
  kill(): void;
}

/** The request the Perl module sends, on stdin of the one-shot command or as the bridge call's params. */
function pveRequest(
  storage: PveStorage,
  node: string,
  method: string,
  args: Record<string, unknown>,
  deadlineMs: number,
) {
  return {
    protocol: 1,
    method,
    storeid: storage.storeid,
    scfg: { controller: storage.controller, resourcegroup: storage.resourceGroup, ...storage.options },
    node,
    deviceRoot: storage.deviceRoot,
    peerAccess: 'local',
    statusCacheFile: storage.statusCacheFile,
    deadlineMs,
    args,
  };
}

/** Starts `linstor-hv proxmox <method>` as node `node` with `args`. */
export function startPveCall(
  storage: PveStorage,
  node: string,
  method: string,
  args: Record<string, unknown>,
  deadlineMs = 45_000,
): PveCall {
  const request = pveRequest(storage, node, method, args, deadlineMs);
  const child = spawn(process.execPath, [CLI_BUNDLE, 'proxmox', method], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/sbin:/bin:/usr/sbin:/usr/bin', LC_ALL: 'C' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  child.stdin?.end(JSON.stringify(request));
  const reply = new Promise<PveReply>((resolve) => {
    child.on('close', (exitCode, signal) => {
      try {
        const parsed = JSON.parse(stdout) as {
          ok: boolean;
          result?: Record<string, unknown>;
          error?: string;
        };
        if (parsed.ok) return resolve({ ok: true, result: parsed.result ?? {} });
        return resolve({ ok: false, error: String(parsed.error), exitCode, signal });
      } catch {
        const why = signal ? `killed by ${signal}` : `exit ${exitCode}, no reply`;
        return resolve({ ok: false, error: `${why}${stderr ? `: ${stderr.trim()}` : ''}`, exitCode, signal });
      }
    });
  });
  return { child, reply, kill: () => child.kill('SIGKILL') };
}

/** Runs one call to its end. */
export function pveCall(
  storage: PveStorage,
  node: string,
  method: string,
  args: Record<string, unknown>,
  deadlineMs?: number,
): Promise<PveReply> {
  return startPveCall(storage, node, method, args, deadlineMs).reply;
}

/** A resident `linstor-hv bridge --platform proxmox` child process that a test can kill and restart. */
export class PveBridge {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly socketPath: string) {}

  /** Starts the bridge and waits until it answers `bridge.hello`. */
  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        CLI_BUNDLE,
        'bridge',
        '--platform',
        'proxmox',
        '--socket',
        this.socketPath,
        // The soak's own orphan checks must see what the workload leaves, not what a sweep removed.
        '--sweep-interval',
        '0',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { PATH: '/sbin:/bin:/usr/sbin:/usr/bin', LC_ALL: 'C' },
      },
    );
    // Its log lines go nowhere, but the pipe must be drained.
    child.stderr?.resume();
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await BridgeClient.connect(this.socketPath, { timeoutMs: 2_000 });
        try {
          await client.call('bridge.hello', {}, { deadlineMs: 5_000 });
          return;
        } finally {
          client.close();
        }
      } catch (error) {
        if (child.exitCode !== null || attempt >= 100) throw new Error(`the bridge did not start: ${error}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Ends the bridge with `signal` (SIGTERM lets calls in flight finish; SIGKILL is a crash). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.child?.kill(signal);
    await this.exited;
    this.child = undefined;
  }

  /** A crash and a restart, as systemd's Restart=on-failure would do. */
  async restart(signal: NodeJS.Signals): Promise<void> {
    await this.stop(signal);
    await this.start();
  }
}

/**
 * One call through the bridge at `socketPath`, as the Perl module makes it: when nothing answers
 * on the socket the one-shot command runs instead; a bridge that took the call and then went away
 * is a failed call (the caller repeats it, as the module does for the methods safe to repeat).
 */
export async function bridgePveCall(
  socketPath: string,
  storage: PveStorage,
  node: string,
  method: string,
  args: Record<string, unknown>,
  deadlineMs = 45_000,
): Promise<PveReply> {
  let client: BridgeClient;
  try {
    client = await BridgeClient.connect(socketPath, { timeoutMs: 2_000 });
  } catch {
    return pveCall(storage, node, method, args, deadlineMs);
  }
  try {
    const result = await client.call<Record<string, unknown>>(
      method,
      pveRequest(storage, node, method, args, deadlineMs),
      { deadlineMs },
    );
    return { ok: true, result: result ?? {} };
  } catch (error) {
    // A bridge that is shutting down took nothing: the one-shot command answers instead.
    if (error instanceof BridgeCallError && error.rpcCode === RPC_CODES.SHUTTING_DOWN)
      return pveCall(storage, node, method, args, deadlineMs);
    return { ok: false, error: (error as Error).message, exitCode: null, signal: null };
  } finally {
    client.close();
  }
}
