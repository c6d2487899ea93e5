import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BridgeCallError, BridgeClient, SocketSetupError, startBridge, systemdListenFd } from '../src';
import { clearStaleSocket } from '../src/socket';
import { newState, testMethods } from './fixtures/methods';
import { later, privateDir, startTestBridge, until } from './helpers';

const here = dirname(fileURLToPath(import.meta.url));

function bridgeOn(socketPath: string, extra: { group?: number } = {}) {
  return startBridge({
    methods: testMethods(newState()),
    platform: 'test',
    version: '1.2.3',
    socketPath,
    log: () => undefined,
    ...extra,
  }).then((bridge) => {
    later(() => bridge.close({ graceMs: 100 }));
    return bridge;
  });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SocketSetupError);
  return (error as Error).message;
}

/** A socket file nobody answers on, as a crashed bridge leaves it (its process got SIGKILL). */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, [
    '-e',
    `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
  ]);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

describe('the socket path', () => {
  it('is a socket of mode 0600 in a directory of mode 0700, created when missing', async () => {
    const path = join(privateDir(), 'run', 'linstor-hv', 'p.sock');
    await bridgeOn(path);
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(lstatSync(dirname(path)).mode & 0o777).toBe(0o700);
  });

  it('is 0660 with the configured group', async () => {
    const path = join(privateDir(), 'grouped', 'p.sock');
    const gid = process.getgid!();
    await bridgeOn(path, { group: gid });
    expect(lstatSync(path).mode & 0o777).toBe(0o660);
    expect(lstatSync(path).gid).toBe(gid);
    expect(lstatSync(dirname(path)).mode & 0o777).toBe(0o750);
  });

  it('is refused when something that is not a socket sits there', async () => {
    const path = join(privateDir(), 'file.sock');
    writeFileSync(path, 'keep me');
    expect(await refusal(bridgeOn(path))).toBe(
      `${path} exists and is not a socket; remove it or choose another --socket path`,
    );
    expect(existsSync(path)).toBe(true);
  });

  it('is refused in a directory others may write to', async () => {
    const dir = privateDir();
    chmodSync(dir, 0o777);
    expect(await refusal(bridgeOn(join(dir, 'p.sock')))).toBe(
      `${dir} has mode 0777: others could replace the socket; use a directory with mode 0700`,
    );
  });

  it('is refused in a directory of another user', async () => {
    const dir = privateDir();
    const other = process.getuid!() === 0 ? 65534 : undefined;
    if (other !== undefined) chownSync(dir, other, other);
    // Not root: the check is the same with the service user named explicitly.
    const uid = other === undefined ? process.getuid!() + 1 : undefined;
    const { prepareSocketDirectory } = await import('../src/socket');
    expect(() => prepareSocketDirectory(join(dir, 'p.sock'), uid === undefined ? {} : { uid })).toThrow(
      /belongs to uid \d+, not to the service user \(uid \d+\); use a directory of its own/,
    );
  });

  it('replaces a stale socket of ours that nobody answers on', async () => {
    const path = join(privateDir(), 'stale.sock');
    await staleSocket(path);
    expect(lstatSync(path).isSocket()).toBe(true);
    await bridgeOn(path);
    const client = await BridgeClient.connect(path);
    later(() => client.close());
    expect(await client.call('echo', { ok: 1 })).toEqual({ ok: 1 });
  });

  it('refuses a stale-looking socket of another user, and one a live bridge answers on', async () => {
    const path = join(privateDir(), 'other.sock');
    await staleSocket(path);
    expect(await refusal(clearStaleSocket(path, { uid: lstatSync(path).uid + 1 }))).toMatch(
      /^.*other\.sock is a socket of uid \d+, not of the service user \(uid \d+\); remove it by hand$/,
    );
    await bridgeOn(path);
    expect(await refusal(bridgeOn(path))).toBe(
      `a bridge already answers on ${path}; stop it first or choose another --socket path`,
    );
  });
});

describe('graceful shutdown', () => {
  it('finishes calls in flight, refuses new ones with -32002, removes the socket, then stops', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    const running = client.call('sleep', { ms: 300, key: 'in-flight' });
    await until(() => h.state.running === 1);
    const stopped = h.bridge.close();
    const refused = await client.call('echo', { late: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BridgeCallError);
    expect(refused).toMatchObject({
      rpcCode: -32002,
      message: 'the bridge is shutting down and started nothing; repeat the call',
    });
    expect(existsSync(h.socketPath)).toBe(false);
    expect(await running).toEqual({ slept: 300 });
    await stopped;
    expect(h.state.undone.size).toBe(0);
    expect(h.logs.map((l) => l.event)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
  });

  it('aborts calls still running after the grace period; they undo and say so', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    const running = client.call('sleep', { ms: 60_000, key: 'cut' }).catch((e: unknown) => e);
    await until(() => h.state.running === 1);
    await h.bridge.close({ graceMs: 50 });
    expect(await running).toMatchObject({
      rpcCode: -32001,
      message: 'sleep was stopped because the bridge shut down: sleep cut was undone',
      data: { outcome: 'undone' },
    });
    expect(h.state.undone.has('cut')).toBe(true);
  });
});

describe('systemd socket activation', () => {
  it('takes the socket systemd passes as fd 3 and stops on SIGTERM', async () => {
    const dir = privateDir();
    const bundle = join(dir, 'activated-bridge.mjs');
    await build({
      entryPoints: [join(here, 'fixtures', 'activated-bridge.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    });
    const path = join(dir, 'activated.sock');
    // What systemd does: bind and listen, put the socket on fd 3, set LISTEN_FDS and LISTEN_PID
    // to the pid that then execs the service. Perl is there wherever the Proxmox tests run.
    const activate = [
      'use Socket; use POSIX (); $^F = 3;', // fds up to 3 stay open across exec
      'my ($path, $node, $script) = @ARGV;',
      'socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die $!;',
      'bind($s, pack_sockaddr_un($path)) or die $!; listen($s, 16) or die $!;',
      'POSIX::dup2(fileno($s), 3) or die $!;',
      '$ENV{LISTEN_FDS} = 1; $ENV{LISTEN_PID} = $$;',
      'exec($node, $script) or die $!;',
    ].join(' ');
    const child = spawn('perl', ['-e', activate, path, process.execPath, bundle], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    later(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const ready = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (chunk) => resolve(String(chunk)));
      child.once('exit', () => reject(new Error(`the activated bridge exited: ${stderr}`)));
    });
    expect(ready).toBe('ready cleared\n');
    const client = await BridgeClient.connect(path);
    expect(await client.call('bridge.hello')).toMatchObject({ platform: 'test', version: '9.9.9' });
    const running = client.call('sleep', { ms: 200, key: 'during-stop' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGTERM');
    expect(await running).toEqual({ slept: 200 });
    const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).toMatch(/"event":"listening","socket":"fd 3"/);
    expect(stderr).toMatch(/"event":"signal","signal":"SIGTERM"/);
    // systemd owns the socket file; the bridge leaves it.
    expect(lstatSync(path).isSocket()).toBe(true);
  });

  it('ignores LISTEN_FDS meant for another process and refuses more than one socket', () => {
    expect(systemdListenFd({ LISTEN_FDS: '1', LISTEN_PID: '1' }, 4242)).toBeUndefined();
    expect(() => systemdListenFd({ LISTEN_FDS: '2', LISTEN_PID: '4242' }, 4242)).toThrow(
      'systemd passed 2 sockets; the bridge serves exactly one (ListenStream= once)',
    );
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '1', LISTEN_PID: '1', LISTEN_FDNAMES: 'x' };
    systemdListenFd(env, 4242);
    expect(env).toEqual({});
  });

  it('refuses to start with neither a socket from systemd nor a path', async () => {
    expect(
      await refusal(
        startBridge({
          methods: {},
          platform: 'test',
          version: '0',
          listenFds: true,
          env: {},
          log: () => undefined,
        }),
      ),
    ).toBe('no socket from systemd (LISTEN_FDS/LISTEN_PID unset) and no --socket path');
  });
});
