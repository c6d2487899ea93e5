import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyData } from '../src/copy';
import { CommandFailedError, LocalExecutor, SshExecutor, shellQuote, sshArgv } from '../src/exec';

let dir: string;
let fakeSsh: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'core-exec-'));
  // Stands in for ssh: records its argv, then runs the remote command line with sh as sshd would.
  fakeSsh = join(dir, 'fake-ssh');
  await writeFile(
    fakeSsh,
    `#!/bin/sh
printf '%s\\n' "$@" > "${dir}/ssh-argv"
while [ "$1" != "--" ]; do shift; done
shift
host="$1"; shift
[ "$host" = "unreachable" ] && { echo "ssh: connect to host unreachable: No route" >&2; exit 255; }
exec sh -c "$1"
`,
  );
  await chmod(fakeSsh, 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalExecutor', () => {
  const local = new LocalExecutor();

  it('runs argv without a shell and returns stdout', async () => {
    const result = await local.run(['printf', '%s|', 'a b', '$HOME', "it's"]);
    expect(result.stdout).toBe("a b|$HOME|it's|");
  });

  it('reports a failing command with its stderr', async () => {
    const failure = await local.run(['ls', join(dir, 'missing')]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(CommandFailedError);
    expect((failure as CommandFailedError).exitCode).toBe(2);
    expect((failure as Error).message).toMatch(/'ls' on local exited with status 2: .*No such file/);
  });

  it('reports a program that does not exist', async () => {
    await expect(local.run(['no-such-program-linstor-hv'])).rejects.toThrow(/ENOENT/);
  });

  it('stops a command at its timeout', async () => {
    await expect(local.run(['sleep', '5'], { timeoutMs: 200 })).rejects.toThrow(/timed out after 200 ms/);
  });

  it('splits stderr into lines at \\r and \\n', async () => {
    const lines: string[] = [];
    await local.run(['sh', '-c', "printf 'one\\rtwo\\nthree' >&2"], { onStderrLine: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('checks paths', async () => {
    expect(await local.pathExists(dir)).toBe(true);
    expect(await local.pathExists(join(dir, 'nope'))).toBe(false);
  });
});

describe('ssh executor', () => {
  it('quotes every argument so the remote shell sees exactly the argv', async () => {
    const ssh = new SshExecutor({ host: 'pve2', user: 'oneadmin', sshCommand: fakeSsh });
    const nasty = ['a b', "it's", '$(touch pwned)', '`id`', ';rm -rf /', 'x\ny', '', '*', '-n'];
    const result = await ssh.run(['printf', '%s|', ...nasty]);
    expect(result.stdout).toBe(`${nasty.join('|')}|`);
    const argv = (await readFile(join(dir, 'ssh-argv'), 'utf8')).trimEnd().split('\n');
    expect(argv.slice(0, 8)).toEqual([
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-l',
      'oneadmin',
      '--',
      'pve2',
    ]);
  });

  it('builds argv with port, key file and options, never a secret', () => {
    const argv = sshArgv(
      {
        host: 'node-1.example',
        port: 2222,
        identityFile: '/var/lib/one/.ssh/id_ed25519',
        options: { StrictHostKeyChecking: 'accept-new' },
      },
      ['dd', 'of=/dev/drbd/by-res/r/0'],
    );
    expect(argv).toEqual([
      'ssh',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'StrictHostKeyChecking=accept-new',
      '-p',
      '2222',
      '-i',
      '/var/lib/one/.ssh/id_ed25519',
      '--',
      'node-1.example',
      "dd 'of=/dev/drbd/by-res/r/0'",
    ]);
  });

  it('refuses hosts, users and options that ssh could read as its own options', () => {
    expect(() => new SshExecutor({ host: '-oProxyCommand=evil' })).toThrow(/not a host name/);
    expect(() => new SshExecutor({ host: 'h', user: '-x' })).toThrow(/not a user name/);
    expect(() => sshArgv({ host: 'h', options: { 'Proxy Command': 'x' } }, ['true'])).toThrow(
      /not an ssh option/,
    );
    expect(() => sshArgv({ host: 'h', options: { ProxyCommand: 'x\ny' } }, ['true'])).toThrow(
      /not an ssh option/,
    );
  });

  it('tells a failed connection from a failed command, and checks paths remotely', async () => {
    const down = new SshExecutor({ host: 'unreachable', sshCommand: fakeSsh });
    await expect(down.run(['true'])).rejects.toThrow(
      /on ssh unreachable exited with status 255: ssh could not run the command/,
    );
    await expect(down.pathExists('/')).rejects.toBeInstanceOf(CommandFailedError);
    const up = new SshExecutor({ host: 'pve1', sshCommand: fakeSsh });
    expect(await up.pathExists(dir)).toBe(true);
    expect(await up.pathExists(join(dir, "it's missing"))).toBe(false);
  });

  it('streams an image into a device on the remote host (dd over ssh, with progress)', async () => {
    const ssh = new SshExecutor({ host: 'pve2', sshCommand: fakeSsh });
    const target = join(dir, "remote device's file");
    await writeFile(target, Buffer.alloc(3 * 1024 * 1024));
    const data = randomBytes(2 * 1024 * 1024);
    const seen: number[] = [];
    const result = await copyData(
      { stream: Readable.from([data]) },
      { path: target },
      {
        executor: ssh,
        sourceBytes: data.length,
        targetBytes: 3 * 1024 * 1024,
        onProgress: (p) => seen.push(p.bytesDone),
      },
    );
    expect(result).toEqual({ sourceFormat: 'raw', bytesCopied: data.length });
    const written = (await readFile(target)).subarray(0, data.length);
    expect(createHash('sha256').update(written).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
    expect(seen.at(-1)).toBe(data.length);
  });

  it('quotes the empty string and single quotes', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("a'b")).toBe("'a'\\''b'");
    expect(shellQuote('/dev/drbd/by-res/vm-1/0')).toBe('/dev/drbd/by-res/vm-1/0');
  });
});
