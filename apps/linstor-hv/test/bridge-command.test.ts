import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BridgeClient } from '@linstor-hv/bridge';
import { sweepGraceAbove } from '@linstor-hv/core';
import { startEmulator } from '@linstor-hv/emulator';
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
async function spawnBridge(platform: string, socket: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [bundle, 'bridge', '--platform', platform, '--socket', socket, ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
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

  it('sweeps the orphans of the storages it served every --sweep-interval', { timeout: 60_000 }, async () => {
    const dir = privateDir();
    const emulator = await startEmulator({ cluster: 'three-node' });
    try {
      // What an alloc_image cut off by SIGKILL an hour ago left: a pending definition of the storage.
      const spawned = await fetch(`${emulator.url}/v1/resource-groups/linstor-hv/spawn`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resource_definition_name: 'vm-100-disk-0',
          volume_sizes: [4096],
          definitions_only: true,
          resource_definition_props: {
            'Aux/linstor-hv/platform': 'proxmox',
            'Aux/linstor-hv/owner': 'drbdstorage',
            'Aux/linstor-hv/name': 'vm-100-disk-0',
            'Aux/linstor-hv/pending': 'create',
            'Aux/linstor-hv/attempt': 'killed',
            'Aux/linstor-hv/created-at': new Date(Date.now() - 3_600_000).toISOString(),
          },
        }),
      });
      expect(spawned.status).toBe(201);
      const socket = join(dir, 'run', 'proxmox.sock');
      const { child, stderr } = await spawnBridge('proxmox', socket, [
        '--sweep-interval',
        '1s',
        '--sweep-grace',
        '10m',
      ]);
      expect(stderr()).toContain('"event":"orphan-sweeper","intervalMs":1000,"graceMs":600000');
      const client = await BridgeClient.connect(socket);
      // The bridge learns the storage (its controllers and owner id) from the calls it serves.
      await client.call('list_images', {
        protocol: 1,
        method: 'list_images',
        storeid: 'drbdstorage',
        scfg: { controller: emulator.url, resourcegroup: 'linstor-hv' },
        node: 'pve1',
        deviceRoot: join(dir, 'dev'),
        statusCacheFile: join(dir, 'cache', 'status-test.json'),
        deadlineMs: 10_000,
        args: { vmid: null },
      });
      client.close();
      const gone = async () =>
        (await fetch(`${emulator.url}/v1/resource-definitions/vm-100-disk-0`)).status === 404;
      for (let i = 0; i < 200 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await gone()).toBe(true);
      child.kill('SIGTERM');
      expect(await new Promise((resolve) => child.once('exit', (code) => resolve(code)))).toBe(0);
      expect(stderr()).toMatch(
        /"event":"orphan-sweep","removed":1,"failed":0,"entries":\[\{[^\n]*"resource":"vm-100-disk-0"/,
      );
    } finally {
      await emulator.stop();
    }
  });

  it('does not sweep with --sweep-interval 0 and refuses a duration it cannot read', {
    timeout: 90_000,
  }, async () => {
    const socket = join(privateDir(), 'run', 'proxmox.sock');
    const { child, stderr } = await spawnBridge('proxmox', socket, ['--sweep-interval', '0']);
    expect(stderr()).toContain('"event":"orphan-sweeper","disabled":"by --sweep-interval"');
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', (code) => resolve(code)))).toBe(0);
    const err: string[] = [];
    const io: ProgramIo = {
      readStdin: async () => '',
      writeStdout: async () => undefined,
      writeStderr: async (t) => void err.push(t),
    };
    expect(await runProgram(['bridge', '--platform', 'proxmox', '--sweep-interval', 'soon'], io)).toBe(2);
    expect(err.join('')).toBe(
      "linstor-hv bridge: 'soon' is not a duration: write e.g. 90s, 10m, 2h or 1h30m\n",
    );
  });

  it('gives OpenNebula calls a day, as oned gives its drivers no time limit, and Proxmox calls a minute', async () => {
    const hello = async (platform: string) => {
      const socket = join(privateDir(), 'run', `${platform}.sock`);
      const { child } = await spawnBridge(platform, socket);
      const client = await BridgeClient.connect(socket);
      try {
        return await client.call<{ defaultDeadlineMs: number; maxDeadlineMs: number }>('bridge.hello');
      } finally {
        client.close();
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    };
    // The OpenNebula shim sends no deadline: an image import runs as long as its copy takes.
    expect(await hello('opennebula')).toMatchObject({
      defaultDeadlineMs: 24 * 3_600_000,
      maxDeadlineMs: 24 * 3_600_000,
    });
    expect(await hello('proxmox')).toMatchObject({ defaultDeadlineMs: 60_000, maxDeadlineMs: 3_600_000 });
  });

  it('never sweeps with a grace shorter than its oldest running call plus a minute', () => {
    expect(sweepGraceAbove(600_000, 0)).toBe(600_000);
    // A copy running for 40 minutes keeps its half-made objects through a 10-minute grace.
    expect(sweepGraceAbove(600_000, 40 * 60_000)).toBe(41 * 60_000);
    expect(sweepGraceAbove(600_000, 0.4)).toBe(600_000);
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
