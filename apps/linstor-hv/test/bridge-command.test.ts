import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BridgeClient } from '@linstor-hv/bridge';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSocketPath } from '../src/commands/bridge';
import type { ProgramIo } from '../src/io';
import { runProgram } from '../src/program';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(appDir, '..', '..');
const bundle = join(appDir, 'dist', 'linstor-hv.mjs');
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function privateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'linstor-hv-bridge-cmd-'));
  dirs.push(dir);
  return dir;
}

/** Starts the built program's bridge for `platform` on `socket`; resolves once it listens. */
async function spawnBridge(platform: string, socket: string) {
  const child = spawn(process.execPath, [bundle, 'bridge', '--platform', platform, '--socket', socket], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const log = { text: '' };
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    log.text += chunk;
  });
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (log.text.includes('"event":"listening"')) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
    child.once('exit', () => {
      clearInterval(poll);
      reject(new Error(`the bridge exited: ${log.text}`));
    });
  });
  return { child, stderr: () => log.text };
}

describe('linstor-hv bridge', () => {
  it('refuses an unknown platform with the list of known ones', async () => {
    const err: string[] = [];
    const io: ProgramIo = {
      readStdin: async () => '',
      writeStdout: async () => undefined,
      writeStderr: async (t) => void err.push(t),
    };
    expect(await runProgram(['bridge', '--platform', 'xen'], io)).toBe(2);
    expect(err.join('')).toMatch(/^linstor-hv bridge: unknown platform 'xen'; choose one of .*proxmox/);
  });

  it.each([
    ['opennebula', ['one.ds.cp', 'one.tm.clone', 'one.tm.premigrate']],
    ['cinder', ['create_volume', 'create_snapshot', 'initialize_connection']],
  ])('serves the %s methods on --socket and stops on SIGTERM with exit 0', async (platform, methods) => {
    const socket = join(privateDir(), 'run', `${platform}.sock`);
    const { child } = await spawnBridge(platform, socket);
    const client = await BridgeClient.connect(socket);
    const hello = await client.call<{ platform: string; methods: string[] }>('bridge.hello');
    expect(hello.platform).toBe(platform);
    expect(hello.methods).toEqual(expect.arrayContaining(methods));
    client.close();
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', (code) => resolve(code)))).toBe(0);
  });

  it('serves the Proxmox methods on --socket, logs to stderr and stops on SIGTERM with exit 0', async () => {
    const socket = join(privateDir(), 'run', 'proxmox.sock');
    const { child, stderr } = await spawnBridge('proxmox', socket);
    const client = await BridgeClient.connect(socket);
    const hello = await client.call<{ platform: string; methods: string[] }>('bridge.hello');
    expect(hello.platform).toBe('proxmox');
    expect(hello.methods).toEqual(
      expect.arrayContaining(['alloc_image', 'status', 'volume_snapshot_rollback']),
    );
    // A request the plugin could not have sent: invalid params, one line.
    await expect(
      client.call('status', { protocol: 1, method: 'status', deadlineMs: 1000 }),
    ).rejects.toMatchObject({
      rpcCode: -32602,
      message: 'the request has no storage id',
      data: { code: 'PROXMOX_INVALID_REQUEST', kind: 'protocol', outcome: 'failed' },
    });
    client.close();
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', (code) => resolve(code)))).toBe(0);
    expect(stderr()).toMatch(/"event":"call","method":"status"/);
    expect(stderr()).toMatch(/"event":"stopped","clean":true/);
  });

  it('listens where the systemd socket unit and the Perl module expect it', () => {
    const unit = readFileSync(join(repoRoot, 'packages/proxmox/systemd/linstor-hv-proxmox.socket'), 'utf8');
    const service = readFileSync(
      join(repoRoot, 'packages/proxmox/systemd/linstor-hv-proxmox.service'),
      'utf8',
    );
    const perl = readFileSync(
      join(repoRoot, 'packages/proxmox/perl/PVE/Storage/Custom/LINSTORPlugin.pm'),
      'utf8',
    );
    expect(unit).toMatch(new RegExp(`^ListenStream=${defaultSocketPath('proxmox')}$`, 'm'));
    expect(unit).toMatch(/^SocketMode=0600$/m);
    expect(unit).toMatch(/^DirectoryMode=0700$/m);
    expect(perl).toContain(`our $BRIDGE_SOCKET = '${defaultSocketPath('proxmox')}';`);
    expect(service).toMatch(/^ExecStart=\/usr\/bin\/node \/usr\/bin\/linstor-hv bridge --platform proxmox$/m);
    expect(service).toMatch(/^User=root$/m);
  });
});
