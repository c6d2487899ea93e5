/**
 * Drives the Proxmox entry point the way the Perl plugin does: one JSON request on stdin of
 * `linstor-hv proxmox <method>` (the built bundle), one JSON reply on stdout. Each call is its own
 * process, so a test can SIGKILL it mid-operation.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Starts `linstor-hv proxmox <method>` as node `node` with `args`. */
export function startPveCall(
  storage: PveStorage,
  node: string,
  method: string,
  args: Record<string, unknown>,
  deadlineMs = 45_000,
): PveCall {
  const request = {
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
