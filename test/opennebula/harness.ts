/**
 * Runs the installed `linstor` remotes tree the way oned does: a copy of
 * packages/opennebula/remotes under a private `remotes/` directory (with a VERSION file), the
 * bundled linstor-hv as the command the shims run, and test doubles on PATH: `onevm` and
 * `onedatastore` print fixture XML, and `ssh` runs the command on this machine (every emulated
 * node's device tree is here) and logs it. The emulator runs in this process, three nodes pve1..3,
 * which the OpenNebula hosts one-host-1..3 map to.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll } from 'vitest';
import { b64, type DatastoreFixture, datastoreXml, vmXml } from './fixtures';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BUNDLE = join(ROOT, 'apps', 'linstor-hv', 'dist', 'linstor-hv.mjs');
export const REMOTES_SOURCE = join(ROOT, 'packages', 'opennebula', 'remotes');
export const MiB = 1024 * 1024;
export const HOSTS = ['one-host-1', 'one-host-2', 'one-host-3'];
export const NODE_OF: Record<string, string> = {
  'one-host-1': 'pve1',
  'one-host-2': 'pve2',
  'one-host-3': 'pve3',
};
export const IMAGE_DS = 100;
export const SYSTEM_DS = 101;

export interface DriverRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface OneTestbed {
  emulator: RunningEmulator;
  client: LinstorClient;
  dir: string;
  remotes: string;
  /** The VM directory of a VM on a host as the test sees it (`<host tree>/datastores/<sys ds>/<vmid>`). */
  vmDir(host: string, vmId: number): string;
  /** The VM directory as oned names it (`/var/lib/one//datastores/<sys ds>/<vmid>`), mapped per host by the ssh double. */
  sysDir(vmId: number): string;
  /** The device of a resource on an OpenNebula host. */
  device(host: string, resource: string): string;
  imageDs(overrides?: Partial<DatastoreFixture>): DatastoreFixture;
  systemDs(overrides?: Partial<DatastoreFixture>): DatastoreFixture;
  /** Makes `onedatastore show -x` / `onevm show -x` print these. */
  putDatastore(ds: DatastoreFixture): Promise<void>;
  putVm(vm: Parameters<typeof vmXml>[0]): Promise<void>;
  /** Runs `datastore/linstor/<action>` or `tm/linstor/<action>` with argv and stdin. */
  run(
    driver: 'ds' | 'tm',
    action: string,
    argv: string[],
    stdin?: string,
    env?: Record<string, string>,
  ): Promise<DriverRun>;
  /** A DS action in a calling convention: `argv` (≤ 6.6), `dash` (`- <id>` + stdin), `stdin` (6.8+). */
  runDs(
    action: string,
    document: string,
    id: number,
    convention?: 'argv' | 'dash' | 'stdin',
    env?: Record<string, string>,
  ): Promise<DriverRun>;
  /** Commands the ssh double ran, one per line (`<host> <command>`). */
  sshLog(): Promise<string[]>;
  clearSshLog(): Promise<void>;
  setVersion(version: string): Promise<void>;
  /** Calls the virsh double received (one per line). */
  virshLog(): Promise<string[]>;
  stop(): Promise<void>;
}

const SSH_DOUBLE = `#!/bin/sh
# ssh double: runs the remote command on this machine, where every emulated node's tree lives.
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -o|-p|-i|-l) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
host=$1
shift
printf '%s %s\\n' "$host" "$*" >> "$ONE_TEST_SSH_LOG"
# Each host has its own /var/lib/one/datastores: a tree of its own under $ONE_TEST_HOSTS.
command=$(printf '%s' "$*" | sed "s#/var/lib/one//*datastores#$ONE_TEST_HOSTS/$host/datastores#g")
exec /bin/sh -c "$command"
`;

const SHOW_DOUBLE = (kind: string) => `#!/bin/sh
# ${kind} double: 'show -x <id>' prints the fixture the test wrote.
[ "$1" = show ] && [ "$2" = -x ] || { echo "unexpected arguments: $*" >&2; exit 2; }
file="$ONE_TEST_FIXTURES/${kind}-$3.xml"
[ -f "$file" ] || { echo "[one.${kind}.info] Error getting ${kind} [$3]." >&2; exit 255; }
exec cat "$file"
`;

/** Starts the emulator and the private remotes tree. */
export async function startTestbed(): Promise<OneTestbed> {
  if (!existsSync(BUNDLE)) throw new Error(`missing ${BUNDLE}: run pnpm build first`);
  const dir = await mkdtemp(join(tmpdir(), 'linstor-hv-one-'));
  const emulator = await startEmulator({ cluster: 'three-node', dataDir: join(dir, 'emulator') });
  const client = createLinstorClient({ controllers: emulator.url, tokenFile: false, retries: 1 });
  const remotes = join(dir, 'var', 'remotes');
  const bin = join(dir, 'bin');
  const fixtures = join(dir, 'fixtures');
  await mkdir(join(remotes, 'datastore'), { recursive: true });
  await mkdir(join(remotes, 'tm'), { recursive: true });
  await mkdir(bin, { recursive: true });
  await mkdir(fixtures, { recursive: true });
  await mkdir(join(dir, 'staging'), { recursive: true });
  await mkdir(join(dir, 'home'), { recursive: true });
  await cp(join(REMOTES_SOURCE, 'datastore', 'linstor'), join(remotes, 'datastore', 'linstor'), {
    recursive: true,
  });
  await cp(join(REMOTES_SOURCE, 'tm', 'linstor'), join(remotes, 'tm', 'linstor'), { recursive: true });
  await writeFile(join(remotes, 'VERSION'), '7.0.0\n');
  const scripts: Record<string, string> = {
    'linstor-hv': `#!/bin/sh\nexec ${process.execPath} ${BUNDLE} "$@"\n`,
    ssh: SSH_DOUBLE,
    onevm: SHOW_DOUBLE('vm'),
    onedatastore: SHOW_DOUBLE('datastore'),
    // virsh double (run on a host through the ssh double): logs the call, as a guest agent would answer.
    virsh: '#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$ONE_TEST_VIRSH_LOG"\n',
  };
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(join(bin, name), text);
    await chmod(join(bin, name), 0o755);
  }
  const config = {
    nodes: NODE_OF,
    deviceRoot: join(emulator.dataDir, 'nodes', '{node}', 'dev'),
    ssh: join(bin, 'ssh'),
    frontendHosts: ['one-frontend'],
    lockDir: join(dir, 'locks'),
    stagingDir: join(dir, 'staging'),
    monitordConf: [join(dir, 'monitord.conf')],
  };
  const configFile = join(dir, 'opennebula.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const sshLogFile = join(dir, 'ssh.log');
  await writeFile(sshLogFile, '');
  const env = {
    PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: join(dir, 'home'),
    LINSTOR_HV_ONE_CONFIG: configFile,
    ONE_TEST_SSH_LOG: sshLogFile,
    ONE_TEST_FIXTURES: fixtures,
    ONE_TEST_VIRSH_LOG: join(dir, 'virsh.log'),
    ONE_TEST_HOSTS: join(dir, 'hosts'),
  };

  const run = (
    driver: 'ds' | 'tm',
    action: string,
    argv: string[],
    stdin?: string,
    extra?: Record<string, string>,
  ) =>
    new Promise<DriverRun>((resolvePromise, reject) => {
      const script = join(remotes, driver === 'ds' ? 'datastore' : 'tm', 'linstor', action);
      const child = spawn(script, argv, { env: { ...env, ...extra }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        stderr += c;
      });
      child.on('error', reject);
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(stdin ?? '');
    });

  const host = (h: string) => join(dir, 'hosts', h);
  const dsBase = (id: number, type: DatastoreFixture['type']): DatastoreFixture => ({
    id,
    type,
    controllers: emulator.url,
    resourceGroup: 'linstor-hv',
    bridgeList: HOSTS.join(' '),
    safeDirs: join(dir, 'staging'),
  });
  return {
    emulator,
    client,
    dir,
    remotes,
    vmDir: (h, vmId) => join(host(h), 'datastores', String(SYSTEM_DS), String(vmId)),
    sysDir: (vmId) => `/var/lib/one//datastores/${SYSTEM_DS}/${vmId}`,
    device: (h, resource) =>
      join(emulator.dataDir, 'nodes', NODE_OF[h] ?? h, 'dev', 'drbd', 'by-res', resource, '0'),
    imageDs: (o = {}) => ({ ...dsBase(IMAGE_DS, 'IMAGE_DS'), ...o }),
    systemDs: (o = {}) => ({ ...dsBase(SYSTEM_DS, 'SYSTEM_DS'), ...o }),
    putDatastore: (ds) => writeFile(join(fixtures, `datastore-${ds.id}.xml`), datastoreXml(ds)),
    putVm: (vm) => writeFile(join(fixtures, `vm-${vm.id}.xml`), vmXml(vm)),
    run,
    runDs: (action, document, id, convention = 'stdin', extra) => {
      const encoded = b64(document);
      if (convention === 'argv') return run('ds', action, [encoded, String(id)], undefined, extra);
      if (convention === 'dash') return run('ds', action, ['-', String(id)], encoded, extra);
      return run('ds', action, [String(id)], encoded, extra);
    },
    sshLog: async () => (await readFile(sshLogFile, 'utf8')).split('\n').filter((l) => l !== ''),
    clearSshLog: () => writeFile(sshLogFile, ''),
    virshLog: async () =>
      (await readFile(join(dir, 'virsh.log'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
    setVersion: (version) => writeFile(join(remotes, 'VERSION'), `${version}\n`),
    stop: async () => {
      await client.close();
      await emulator.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One testbed per test file. */
export function useTestbed(): () => OneTestbed {
  let bed: OneTestbed | undefined;
  beforeAll(async () => {
    bed = await startTestbed();
  });
  afterAll(async () => {
    await bed?.stop();
  });
  return () => {
    if (!bed) throw new Error('the testbed starts in beforeAll');
    return bed;
  };
}

/** sha256 of the first `bytes` of a file or device. */
export async function sha256Of(path: string, bytes: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    let done = 0;
    while (done < bytes) {
      const { bytesRead } = await handle.read(buffer, done, bytes - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return createHash('sha256').update(buffer).digest('hex');
  } finally {
    await handle.close();
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes bytes into a device without truncating it. */
export async function writeDevice(path: string, data: Buffer, offset = 0): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
  } finally {
    await handle.close();
  }
}
