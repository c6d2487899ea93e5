/**
 * Test helpers: a client of the emulator's test control API (`/emulator/...`), and a starter that
 * runs the bundled emulator (`dist/emulator.mjs`) as a child process, for tests that must kill it.
 * Adapters never use this module.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterDescription } from './cluster';
import type { FaultRuleSpec } from './infra/faults';
import type { RequestLogEntry } from './infra/request-log';

/** TLS settings the control client needs for an https base URL. */
export interface ControlTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** A reply of the control API, returned as is so tests can assert refusals. */
export interface ControlReply {
  status: number;
  body: unknown;
}

const CONTROL_TIMEOUT_MS = 30_000;

/** Client of the test control API of one emulator. */
export class EmulatorControl {
  constructor(
    readonly baseUrl: string,
    private readonly tls?: ControlTls,
  ) {}

  /** Empties all state and data, writes the cluster again, clears faults and the request log. */
  async reset(): Promise<void> {
    await this.expectOk('POST', '/emulator/reset');
  }

  /** The request log (every `/v1` request since the last clear). */
  async requests(): Promise<RequestLogEntry[]> {
    return (await this.expectOk('GET', '/emulator/requests')) as RequestLogEntry[];
  }

  /** Request counts keyed by `"<METHOD> <template>"`. */
  async requestCounts(): Promise<Record<string, number>> {
    return (await this.expectOk('GET', '/emulator/requests/counts')) as Record<string, number>;
  }

  async clearRequests(): Promise<void> {
    await this.expectOk('DELETE', '/emulator/requests');
  }

  /** Adds a fault rule and returns its id. */
  async addFault(rule: FaultRuleSpec): Promise<string> {
    return ((await this.expectOk('POST', '/emulator/faults', rule)) as { id: string }).id;
  }

  /** The active fault rules with their remaining counts. */
  async faults(): Promise<(FaultRuleSpec & { id: string; remaining: number })[]> {
    return (await this.expectOk('GET', '/emulator/faults')) as (FaultRuleSpec & {
      id: string;
      remaining: number;
    })[];
  }

  async clearFaults(): Promise<void> {
    await this.expectOk('DELETE', '/emulator/faults');
  }

  /** Takes a node offline: its satellite is no longer connected. */
  async nodeOffline(node: string): Promise<void> {
    await this.expectOk('POST', `/emulator/nodes/${encodeURIComponent(node)}/offline`);
  }

  async nodeOnline(node: string): Promise<void> {
    await this.expectOk('POST', `/emulator/nodes/${encodeURIComponent(node)}/online`);
  }

  /** Opens a resource's device on a node the way QEMU would (read-write makes the node Primary). */
  openDevice(node: string, rd: string, mode: 'rw' | 'ro', volume = 0): Promise<ControlReply> {
    return this.call('POST', `/emulator/devices/${encodeURIComponent(node)}/${encodeURIComponent(rd)}/open`, {
      mode,
      volume,
    });
  }

  /** Closes a resource's device on a node. */
  closeDevice(node: string, rd: string): Promise<ControlReply> {
    return this.call('POST', `/emulator/devices/${encodeURIComponent(node)}/${encodeURIComponent(rd)}/close`);
  }

  /** Sends one request to the emulator (any path) and returns status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<ControlReply> {
    const url = new URL(path, this.baseUrl);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = requestFn(
        url,
        {
          method,
          headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
          timeout: CONTROL_TIMEOUT_MS,
          ...(url.protocol === 'https:'
            ? { ca: this.tls?.ca, cert: this.tls?.cert, key: this.tls?.key }
            : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text === '' ? undefined : JSON.parse(text);
            } catch {
              // Not JSON: keep the text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`control request ${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async expectOk(method: string, path: string, body?: unknown): Promise<unknown> {
    const reply = await this.call(method, path, body);
    if (reply.status < 200 || reply.status > 299) {
      throw new Error(
        `emulator control ${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`,
      );
    }
    return reply.body;
  }
}

export interface SpawnOptions {
  /** Default: a fresh temp directory, removed by `stop()` (kept by `kill()`, so a restart can reuse it). */
  dataDir?: string;
  cluster?: ClusterDescription | 'three-node';
  /** Listener URLs such as `http://127.0.0.1:0` or `https://127.0.0.1:0`; default one HTTP listener. */
  listen?: string[];
  /** Black-hole listeners as `host:port`. */
  blackhole?: string[];
  tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert?: boolean };
  /** Bearer tokens (passed through a temporary token file, never on the command line). */
  tokens?: string[];
  /** Journal size in bytes that triggers a state snapshot (small values exercise compaction). */
  journalLimit?: number;
  /** Plain listeners answer `/v1/...` with a 302 to the first HTTPS listener. */
  redirectHttp?: boolean;
  restApiVersion?: string;
  /** How long to wait for the startup line (default 30 s). */
  startupTimeoutMs?: number;
}

export interface SpawnedEmulator {
  url: string;
  urls: string[];
  blackholeUrls: string[];
  dataDir: string;
  pid: number;
  control: EmulatorControl;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal (default SIGKILL) and waits for the exit; the data dir is kept. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, wait for a clean exit, and remove a temporary data dir. */
  stop(): Promise<void>;
}

interface StartupLine {
  urls: string[];
  blackholeUrls: string[];
  dataDir: string;
}

/** The emulator package directory (works from src/ and from a bundle in dist/). */
function packageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === '@linstor-hv/emulator')
      return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the @linstor-hv/emulator package directory');
}

function newestMtime(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Path of the bundled bin; builds it first when it is missing or older than the sources. */
export function emulatorBundle(): string {
  const pkg = packageDir();
  const bundle = join(pkg, 'dist', 'emulator.mjs');
  const sources = Math.max(newestMtime(join(pkg, 'src')), newestMtime(join(pkg, '..', 'api', 'src')));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) {
    execFileSync(process.execPath, [join(pkg, 'build.mjs')], { cwd: pkg, stdio: 'pipe' });
  }
  return bundle;
}

/** Children still running; killed when the test process exits so no emulator outlives its test run. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL');
    });
  }
}

/** Runs the emulator bin as a child process and waits for its startup line. */
export async function spawnEmulatorProcess(options: SpawnOptions = {}): Promise<SpawnedEmulator> {
  const bundle = emulatorBundle();
  // A scratch directory only when something must be written for the child (data, cluster, tokens),
  // so a test that kills the process and never calls stop() leaves nothing behind in /tmp.
  const needsScratch =
    options.dataDir === undefined ||
    (options.cluster !== undefined && typeof options.cluster !== 'string') ||
    Boolean(options.tokens?.length);
  const scratch = needsScratch ? await mkdtemp(join(tmpdir(), 'linstor-hv-emulator-run-')) : undefined;
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? join(scratch!, 'data');
  const args = ['serve', '--data-dir', dataDir];
  if (options.cluster !== undefined) {
    if (typeof options.cluster === 'string') args.push('--cluster', options.cluster);
    else {
      const clusterFile = join(scratch!, 'cluster.json');
      await writeFile(clusterFile, JSON.stringify(options.cluster));
      args.push('--cluster', clusterFile);
    }
  }
  for (const l of options.listen ?? ['http://127.0.0.1:0']) args.push('--listen', l);
  for (const b of options.blackhole ?? []) args.push('--blackhole', b);
  if (options.tls) {
    args.push('--tls-cert', options.tls.certFile, '--tls-key', options.tls.keyFile);
    if (options.tls.caFile) args.push('--tls-ca', options.tls.caFile);
    if (options.tls.requireClientCert) args.push('--require-client-cert');
  }
  if (options.tokens?.length) {
    const tokenFile = join(scratch!, 'tokens');
    await writeFile(tokenFile, `${options.tokens.join('\n')}\n`, { mode: 0o600 });
    args.push('--token-file', tokenFile);
  }
  if (options.redirectHttp) args.push('--redirect-http');
  if (options.journalLimit !== undefined) args.push('--journal-limit', String(options.journalLimit));
  if (options.restApiVersion) args.push('--rest-api-version', options.restApiVersion);

  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let startup: StartupLine;
  try {
    startup = await readStartupLine(child, options.startupTimeoutMs ?? 30_000);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    if (scratch) await rm(scratch, { recursive: true, force: true });
    throw e;
  }
  const url = startup.urls[0] ?? '';
  const controlTls = options.tls?.caFile ? { ca: readFileSync(options.tls.caFile, 'utf8') } : undefined;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    urls: startup.urls,
    blackholeUrls: startup.blackholeUrls,
    dataDir: startup.dataDir,
    pid: child.pid ?? 0,
    control: new EmulatorControl(url, controlTls),
    exited,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      if (scratch) await rm(scratch, { recursive: true, force: true });
      if (temporary) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function readStartupLine(child: ChildProcess, timeoutMs: number): Promise<StartupLine> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(
      () => fail(new Error(`emulator did not start within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      try {
        resolve(JSON.parse(stdout.slice(0, newline)) as StartupLine);
      } catch {
        reject(new Error(`unexpected emulator startup line: ${stdout.slice(0, newline)}`));
      }
      // Keep draining so the child never blocks on a full pipe.
      child.stdout?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => {
      if (stderr.length < 64_000) stderr += c.toString('utf8');
    });
    child.once('exit', (code, signal) =>
      fail(new Error(`emulator exited during startup (code ${code}, signal ${signal}): ${stderr}`)),
    );
  });
}
