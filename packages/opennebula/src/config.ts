/**
 * The adapter's own settings, which OpenNebula's templates have no place for: how OpenNebula host
 * names map to LINSTOR node names, where a host's `/dev` is, how hosts are reached, where locks
 * live. Read from a JSON file (`LINSTOR_HV_ONE_CONFIG`, default `/etc/linstor-hv/opennebula.json`);
 * a missing file means the defaults, which match a standard installation (host name = node name).
 */

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkHostName, OneProtocolError, shown } from './protocol';

/** The settings of one front-end. */
export interface OneConfig {
  /** OpenNebula host name → LINSTOR node name; hosts not listed keep their name when `strictNodes` is off. */
  readonly nodes: Readonly<Record<string, string>>;
  /** Refuse hosts missing from `nodes` (default: true when `nodes` lists any host). */
  readonly strictNodes: boolean;
  /** A host's device root (`/dev`); `{node}` stands for the LINSTOR node name (test trees). */
  readonly deviceRoot: string;
  /** The ssh program used to reach hosts (OpenNebula's `$SSH`, default `ssh`). */
  readonly ssh: string;
  /** ssh login name (default: ssh's own, i.e. oneadmin on a front-end). */
  readonly sshUser: string | undefined;
  /** Ownership id written into `Aux/linstor-hv/owner` (one per OpenNebula installation). */
  readonly ownerId: string;
  /** Host names that are the front-end, never a LINSTOR node (stop/undeploy targets). */
  readonly frontendHosts: readonly string[];
  /** OpenNebula's remotes directory (VERSION, other TM drivers for migrate_other). */
  readonly remotesDir: string;
  /** Where per-(host, resource) attach locks live on the front-end. */
  readonly lockDir: string;
  /** monitord.conf files read for MONITOR_ADDRESS/PORT, first found wins (scripts_common.sh order). */
  readonly monitordConf: readonly string[];
  /** The onevm, onedatastore and oneimage programs. */
  readonly onevm: string;
  readonly onedatastore: string;
  readonly oneimage: string;
  /** The OpenNebula version when it cannot be read from `<remotesDir>/VERSION`. */
  readonly oneVersion: string | undefined;
  /** Staging directory on hosts for streamed qcow2 images (default /var/tmp). */
  readonly stagingDir: string;
}

interface ConfigFile {
  nodes?: Record<string, string>;
  strictNodes?: boolean;
  deviceRoot?: string;
  ssh?: string;
  sshUser?: string;
  ownerId?: string;
  frontendHosts?: string[];
  remotesDir?: string;
  lockDir?: string;
  monitordConf?: string[];
  onevm?: string;
  onedatastore?: string;
  oneimage?: string;
  oneVersion?: string;
  stagingDir?: string;
}

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'nodes',
  'strictNodes',
  'deviceRoot',
  'ssh',
  'sshUser',
  'ownerId',
  'frontendHosts',
  'remotesDir',
  'lockDir',
  'monitordConf',
  'onevm',
  'onedatastore',
  'oneimage',
  'oneVersion',
  'stagingDir',
]);

export const DEFAULT_CONFIG_FILE = '/etc/linstor-hv/opennebula.json';

function defaultRemotesDir(env: NodeJS.ProcessEnv): string {
  if (env.LINSTOR_HV_ONE_REMOTES) return env.LINSTOR_HV_ONE_REMOTES;
  return env.ONE_LOCATION ? join(env.ONE_LOCATION, 'var', 'remotes') : '/var/lib/one/remotes';
}

function stringOf(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new OneProtocolError(
      `'${key}' in the linstor-hv OpenNebula configuration must be a non-empty string.`,
    );
  return value;
}

/** Reads the configuration (file named by `LINSTOR_HV_ONE_CONFIG`, else the default file if present). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): OneConfig {
  const file = env.LINSTOR_HV_ONE_CONFIG ?? DEFAULT_CONFIG_FILE;
  let raw: ConfigFile = {};
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || env.LINSTOR_HV_ONE_CONFIG !== undefined) {
      throw new OneProtocolError(
        `The linstor-hv OpenNebula configuration '${file}' cannot be read: ${(error as Error).message}.`,
      );
    }
  }
  if (text !== undefined) {
    try {
      raw = JSON.parse(text) as ConfigFile;
    } catch (error) {
      throw new OneProtocolError(
        `The linstor-hv OpenNebula configuration '${file}' is not JSON: ${(error as Error).message}.`,
      );
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new OneProtocolError(`The linstor-hv OpenNebula configuration '${file}' must be a JSON object.`);
    }
    const unknown = Object.keys(raw).filter((key) => !KNOWN_KEYS.has(key));
    if (unknown.length > 0) {
      throw new OneProtocolError(
        `The linstor-hv OpenNebula configuration '${file}' has unknown keys: ${unknown.map(shown).join(', ')}.`,
      );
    }
  }
  const nodes: Record<string, string> = {};
  for (const [host, node] of Object.entries(raw.nodes ?? {})) {
    checkHostName(host, 'host name in the node map');
    if (typeof node !== 'string' || node === '') {
      throw new OneProtocolError(`The node map gives host '${host}' no LINSTOR node name.`);
    }
    nodes[host] = node;
  }
  return {
    nodes,
    strictNodes: raw.strictNodes ?? Object.keys(nodes).length > 0,
    deviceRoot: stringOf(raw.deviceRoot, 'deviceRoot') ?? '/dev',
    ssh: stringOf(raw.ssh, 'ssh') ?? env.SSH ?? 'ssh',
    sshUser: stringOf(raw.sshUser, 'sshUser'),
    ownerId: stringOf(raw.ownerId, 'ownerId') ?? 'one',
    frontendHosts: raw.frontendHosts ?? [hostname()],
    remotesDir: stringOf(raw.remotesDir, 'remotesDir') ?? defaultRemotesDir(env),
    lockDir: stringOf(raw.lockDir, 'lockDir') ?? '/var/tmp/linstor-hv/one-locks',
    monitordConf: raw.monitordConf ?? [
      '/var/tmp/one_db/etc/monitord.conf',
      '/etc/one/monitord.conf',
      ...(env.ONE_LOCATION ? [join(env.ONE_LOCATION, 'etc', 'monitord.conf')] : []),
    ],
    onevm: stringOf(raw.onevm, 'onevm') ?? 'onevm',
    onedatastore: stringOf(raw.onedatastore, 'onedatastore') ?? 'onedatastore',
    oneimage: stringOf(raw.oneimage, 'oneimage') ?? 'oneimage',
    oneVersion: stringOf(raw.oneVersion, 'oneVersion'),
    stagingDir: stringOf(raw.stagingDir, 'stagingDir') ?? '/var/tmp',
  };
}
