/**
 * What an action works with: the configuration, the progress log, one volume service per
 * datastore (its controllers and resource group), host ↔ node names, the ssh executor of a host,
 * and the `onevm`/`onedatastore` lookups. Created once per call; the bridge creates one per request.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LinstorClient, RequestMetric } from '@linstor-hv/client';
import {
  type HostExecutor,
  LocalExecutor,
  type RunOptions,
  SshExecutor,
  VolumeService,
} from '@linstor-hv/core';
import type { OneConfig } from './config';
import { type DatastoreSettings, datastoreSettings } from './datastore';
import { lockKey, withLock } from './locks';
import { BridgeMemory, createOneClient, PLATFORM } from './memory';
import { OneProtocolError, parseDocument, shown } from './protocol';
import { type VmView, vmView } from './vm';
import type { XmlElement } from './xml';

const run = promisify(execFile);

const CLI_TIMEOUT_MS = 60_000;
const UNDO_BUDGET_MS = 120_000;

/** Progress lines for oned (stderr, `INFO:`), collected or streamed by the runner. */
export interface ActionLog {
  info(message: string): void;
}

/** A host name could not be mapped to a LINSTOR node (or the front-end was used as one). */
export class HostMappingError extends OneProtocolError {}

export { PLATFORM };

/** The per-call state of an action. */
export class ActionContext {
  private readonly clients = new Map<string, LinstorClient>();
  private readonly services = new Map<string, VolumeService>();
  private readonly executors = new Map<string, HostExecutor>();
  private readonly local = new LocalExecutor();

  constructor(
    readonly config: OneConfig,
    readonly log: ActionLog,
    readonly signal?: AbortSignal,
    /** Extra client options (tests count requests through `metrics`). */
    private readonly clientOptions: { metrics?: (metric: RequestMetric) => void } = {},
    /** What a bridge keeps between calls; a one-shot call has none (a memory of its own). */
    memory?: BridgeMemory,
  ) {
    this.oneShot = memory === undefined;
    this.memory = memory ?? new BridgeMemory();
  }

  /** A one-shot call (no resident bridge keeping state between calls). */
  readonly oneShot: boolean;
  private readonly memory: BridgeMemory;

  /** The LINSTOR node name of an OpenNebula host, through the configured map; refused when unmapped. */
  nodeOf(host: string): string {
    const mapped = this.config.nodes[host];
    if (mapped !== undefined) return mapped;
    if (this.isFrontend(host)) {
      throw new HostMappingError(
        `'${shown(host)}' is the front-end, not a LINSTOR node; it cannot hold a LINSTOR disk.`,
      );
    }
    if (this.config.strictNodes) {
      throw new HostMappingError(
        `The OpenNebula host '${shown(host)}' is not in the node map of the linstor-hv configuration; add it under "nodes" with its LINSTOR node name.`,
      );
    }
    return host;
  }

  /** The OpenNebula host name of a LINSTOR node (the reverse of the map). */
  hostOf(node: string): string {
    const entry = Object.entries(this.config.nodes).find(([, n]) => n === node);
    return entry ? entry[0] : node;
  }

  /** True for a host that is the front-end (stop/undeploy move disks there). */
  isFrontend(host: string): boolean {
    return this.config.nodes[host] === undefined && this.config.frontendHosts.includes(host);
  }

  /** The executor that runs argv vectors on a host over ssh (as `user` when given, else sshUser). */
  executor(host: string, user = this.config.sshUser): HostExecutor {
    const key = `${user ?? ''}@${host}`;
    let executor = this.executors.get(key);
    if (!executor) {
      executor = new SshExecutor(
        { host, sshCommand: this.config.ssh, ...(user ? { user } : {}) },
        this.local,
      );
      this.executors.set(key, executor);
    }
    return executor;
  }

  /** Options for a core verb: the call's signal, so a deadline cancels the verb, not just the reply. */
  call(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {};
  }

  /** Options for an undo step: a budget of its own, as the call's signal may have ended the work. */
  undoCall(): { signal: AbortSignal } {
    return { signal: AbortSignal.timeout(UNDO_BUDGET_MS) };
  }

  /** Options for a host command: the call's signal. */
  runOptions(extra: RunOptions = {}): RunOptions {
    return this.signal ? { ...extra, signal: this.signal } : extra;
  }

  /** Runs a program on the front-end (this machine). */
  localExecutor(): HostExecutor {
    return this.local;
  }

  /** The volume service of a datastore (its controllers and resource group). */
  service(datastore: DatastoreSettings): VolumeService {
    const key = `${datastore.controllers}\n${datastore.resourceGroup}`;
    let service = this.services.get(key);
    if (!service) {
      service = new VolumeService({
        client: this.client(datastore.controllers),
        resourceGroup: datastore.resourceGroup,
        platform: PLATFORM,
        ownerId: this.config.ownerId,
        deviceRoot: (node) => this.config.deviceRoot.replaceAll('{node}', node),
        executorFor: (node) => this.executor(this.hostOf(node)),
        placementCache: this.memory.placementsOf(datastore.controllers),
      });
      this.memory.noteServed(datastore.controllers, this.config.ownerId);
      this.services.set(key, service);
    }
    return service;
  }

  private client(controllers: string): LinstorClient {
    let client = this.clients.get(controllers);
    if (!client) {
      client = createOneClient(controllers, {
        ...(this.clientOptions.metrics ? { metrics: this.clientOptions.metrics } : {}),
        ...(this.signal ? { signal: this.signal } : {}),
      });
      this.clients.set(controllers, client);
    }
    return client;
  }

  /** `onevm show -x <id>`, parsed. */
  async onevm(vmId: number): Promise<VmView> {
    return vmView(await this.showXml(this.config.onevm, vmId, 'VM'));
  }

  /** `onedatastore show -x <id>`, parsed. */
  async onedatastore(dsId: number): Promise<DatastoreSettings> {
    return datastoreSettings(await this.showXml(this.config.onedatastore, dsId, 'DATASTORE'));
  }

  /** `<program> show -x <id>` as printed (to hand on to another driver) and parsed. */
  async oneDocument(
    program: 'onevm' | 'onedatastore' | 'oneimage',
    id: number,
  ): Promise<{ text: string; document: XmlElement }> {
    const what = { onevm: 'VM', onedatastore: 'DATASTORE', oneimage: 'IMAGE' }[program];
    return this.show(this.config[program], id, what);
  }

  private async showXml(program: string, id: number, what: string) {
    return (await this.show(program, id, what)).document;
  }

  private async show(program: string, id: number, what: string) {
    let stdout: string;
    try {
      ({ stdout } = await run(program, ['show', '-x', String(id)], {
        timeout: CLI_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        ...(this.signal ? { signal: this.signal } : {}),
      }));
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new OneProtocolError(`'${program} show -x ${id}' failed: ${stderr || (error as Error).message}`);
    }
    const document = parseDocument(stdout, `output of ${program} show -x ${id}`);
    if (document.name !== what)
      throw new OneProtocolError(`'${program} show -x ${id}' did not print a <${what}>.`);
    return { text: stdout.trim(), document };
  }

  /** Runs `work` while no other action attaches or detaches `resource` on `host`. */
  locked<T>(host: string, resource: string, work: () => Promise<T>): Promise<T> {
    return withLock(
      this.config.lockDir,
      lockKey(host, resource),
      work,
      this.signal ? { signal: this.signal } : {},
    );
  }

  /** Releases every client's connections. */
  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => undefined)));
  }
}
