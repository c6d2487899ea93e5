/**
 * A front-end in a directory, for tests and the demo: the `linstor` remotes tree installed under
 * `var/remotes` (with a VERSION file) exactly as an operator installs it, the linstor-hv bundle
 * as the command the scripts run, and doubles on PATH for what a real front-end has: `onevm` and
 * `onedatastore` print the documents written with {@link OneSandbox.putVm} / `putDatastore`, `ssh`
 * runs the command on this machine (each host's `/var/lib/one/datastores` mapped to a tree of its
 * own, the emulator's per-node device trees being here already) and logs it, `virsh` logs.
 * The drivers never use this module.
 */

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { b64, type DatastoreFixture, datastoreXml, vmXml } from './documents';

/** What a driver script printed and how it ended. */
export interface DriverRun {
  code: number;
  stdout: string;
  stderr: string;
}

export const SANDBOX_SYSTEM_DS = 101;
export const SANDBOX_IMAGE_DS = 100;

/** A front-end sandbox. */
export interface OneSandbox {
  readonly dir: string;
  readonly remotes: string;
  /** A VM's directory on a host as seen from this machine. */
  vmDir(host: string, vmId: number): string;
  /** The VM directory as oned names it (`/var/lib/one//datastores/<sys ds>/<vmid>`). */
  sysDir(vmId: number): string;
  /** A resource's device on a host (`<emulator data>/nodes/<node>/dev/drbd/by-res/<rd>/0`). */
  device(host: string, resource: string): string;
  imageDs(overrides?: Partial<DatastoreFixture>): DatastoreFixture;
  systemDs(overrides?: Partial<DatastoreFixture>): DatastoreFixture;
  putDatastore(ds: DatastoreFixture): Promise<void>;
  putVm(vm: Parameters<typeof vmXml>[0]): Promise<void>;
  /** A document `onevm`/`onedatastore`/`oneimage show -x <id>` prints, as given. */
  putXml(kind: 'vm' | 'datastore' | 'image', id: number, xml: string): Promise<void>;
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
  sshLog(): Promise<string[]>;
  clearSshLog(): Promise<void>;
  virshLog(): Promise<string[]>;
  setVersion(version: string): Promise<void>;
  remove(): Promise<void>;
}

export interface SandboxOptions {
  /** The emulator's URL and data directory. */
  readonly emulator: { readonly url: string; readonly dataDir: string };
  /** The bundled linstor-hv (`apps/linstor-hv/dist/linstor-hv.mjs`). */
  readonly bundle: string;
  /** OpenNebula host → LINSTOR node. */
  readonly nodes: Readonly<Record<string, string>>;
  /** The LINSTOR resource group of both datastores (default `linstor-hv`). */
  readonly resourceGroup?: string;
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
# ${kind} double: 'show -x <id>' prints the document the sandbox was given.
[ "$1" = show ] && [ "$2" = -x ] || { echo "unexpected arguments: $*" >&2; exit 2; }
file="$ONE_TEST_FIXTURES/${kind}-$3.xml"
[ -f "$file" ] || { echo "[one.${kind}.info] Error getting ${kind} [$3]." >&2; exit 255; }
exec cat "$file"
`;

/** The remotes tree shipped in this package. */
export function remotesSource(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'remotes');
}

/** Creates a sandbox front-end in a new temporary directory. */
export async function createSandbox(
  options: SandboxOptions,
  remotesFrom = remotesSource(),
): Promise<OneSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'linstor-hv-one-'));
  const remotes = join(dir, 'var', 'remotes');
  const bin = join(dir, 'bin');
  const fixtures = join(dir, 'fixtures');
  for (const path of [
    join(remotes, 'datastore'),
    join(remotes, 'tm'),
    bin,
    fixtures,
    join(dir, 'staging'),
    join(dir, 'home'),
  ]) {
    await mkdir(path, { recursive: true });
  }
  await cp(join(remotesFrom, 'datastore', 'linstor'), join(remotes, 'datastore', 'linstor'), {
    recursive: true,
  });
  await cp(join(remotesFrom, 'tm', 'linstor'), join(remotes, 'tm', 'linstor'), { recursive: true });
  await writeFile(join(remotes, 'VERSION'), '7.0.0\n');
  const scripts: Record<string, string> = {
    'linstor-hv': `#!/bin/sh\nexec ${process.execPath} ${options.bundle} "$@"\n`,
    ssh: SSH_DOUBLE,
    onevm: SHOW_DOUBLE('vm'),
    onedatastore: SHOW_DOUBLE('datastore'),
    oneimage: SHOW_DOUBLE('image'),
    // virsh double (run on a host through the ssh double): logs the call, as a guest agent would answer.
    virsh: '#!/bin/sh\nprintf \'%s\\n\' "$*" >> "$ONE_TEST_VIRSH_LOG"\n',
  };
  for (const [name, text] of Object.entries(scripts)) {
    await writeFile(join(bin, name), text);
    await chmod(join(bin, name), 0o755);
  }
  const configFile = join(dir, 'opennebula.json');
  await writeFile(
    configFile,
    JSON.stringify(
      {
        nodes: options.nodes,
        deviceRoot: join(options.emulator.dataDir, 'nodes', '{node}', 'dev'),
        ssh: join(bin, 'ssh'),
        frontendHosts: ['one-frontend'],
        lockDir: join(dir, 'locks'),
        stagingDir: join(dir, 'staging'),
        monitordConf: [join(dir, 'monitord.conf')],
      },
      null,
      2,
    ),
  );
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

  const dsBase = (id: number, type: DatastoreFixture['type']): DatastoreFixture => ({
    id,
    type,
    controllers: options.emulator.url,
    resourceGroup: options.resourceGroup ?? 'linstor-hv',
    bridgeList: Object.keys(options.nodes).join(' '),
    safeDirs: join(dir, 'staging'),
  });
  const readLines = async (file: string) =>
    (await readFile(file, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
  return {
    dir,
    remotes,
    vmDir: (host, vmId) => join(dir, 'hosts', host, 'datastores', String(SANDBOX_SYSTEM_DS), String(vmId)),
    sysDir: (vmId) => `/var/lib/one//datastores/${SANDBOX_SYSTEM_DS}/${vmId}`,
    device: (host, resource) =>
      join(
        options.emulator.dataDir,
        'nodes',
        options.nodes[host] ?? host,
        'dev',
        'drbd',
        'by-res',
        resource,
        '0',
      ),
    imageDs: (o = {}) => ({ ...dsBase(SANDBOX_IMAGE_DS, 'IMAGE_DS'), ...o }),
    systemDs: (o = {}) => ({ ...dsBase(SANDBOX_SYSTEM_DS, 'SYSTEM_DS'), ...o }),
    putDatastore: (ds) => writeFile(join(fixtures, `datastore-${ds.id}.xml`), datastoreXml(ds)),
    putVm: (vm) => writeFile(join(fixtures, `vm-${vm.id}.xml`), vmXml(vm)),
    putXml: (kind, id, xml) => writeFile(join(fixtures, `${kind}-${id}.xml`), xml),
    run,
    runDs: (action, document, id, convention = 'stdin', extra) => {
      const encoded = b64(document);
      if (convention === 'argv') return run('ds', action, [encoded, String(id)], undefined, extra);
      if (convention === 'dash') return run('ds', action, ['-', String(id)], encoded, extra);
      return run('ds', action, [String(id)], encoded, extra);
    },
    sshLog: () => readLines(sshLogFile),
    clearSshLog: () => writeFile(sshLogFile, ''),
    virshLog: () => readLines(join(dir, 'virsh.log')),
    setVersion: (version) => writeFile(join(remotes, 'VERSION'), `${version}\n`),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** sha256 of the first `bytes` of a file or device (the size comes from LINSTOR, not from stat). */
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

/** Writes bytes into a device without truncating it (as a block device behaves). */
export async function writeDevice(path: string, data: Buffer, offset = 0): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.write(data, 0, data.length, offset);
  } finally {
    await handle.close();
  }
}
