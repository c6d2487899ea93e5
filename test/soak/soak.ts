/**
 * The soak: a mixed workload (create, write, snapshot, rollback, resize, attach, migrate, clone,
 * delete) from three emulated PVE nodes through the Proxmox entry points (a resident bridge, or the
 * one-shot command, picked per call) and from core's API at once, against an emulator process with
 * random faults (latency, 5xx, dropped connections, lost replies after commit, a satellite offline,
 * the controller SIGKILLed and restarted, the bridge SIGTERMed or SIGKILLed and restarted) and a
 * black-holed controller first in every controller list. Invariants: every failure is one clear
 * line, every failed operation succeeds when repeated, data checksums always match the model, and
 * no orphan is left (checked while it runs and at the end). Deterministic choices from a seed;
 * timings are not (the machine decides), so a seed reproduces the workload, not the interleaving.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLinstorClient, type LinstorClient } from '@linstor-hv/client';
import { auditOrphans, createVolumeService, type Orphan, type VolumeService } from '@linstor-hv/core';
import { type SpawnedEmulator, spawnEmulatorProcess } from '@linstor-hv/emulator';
import { bridgePveCall, PveBridge, type PveReply, type PveStorage, pveCall, requireBundle } from './pve';

const NODES = ['pve1', 'pve2', 'pve3'] as const;
const SIZE_KIB = 4096;
const DATA_BYTES = 64 * 1024;
/** A failed operation is repeated this often; the last repeat runs with the faults paused. */
const REPEATS = 4;

export interface SoakOptions {
  seed: number;
  durationMs: number;
  /**
   * Work the run does at least, however long that takes: it goes on past `durationMs` until this
   * many operations succeeded and this many checksums were compared, so what a run proves does
   * not depend on how fast the machine is.
   */
  minimum?: { operations: number; checksums: number };
  /** Progress lines (one per fault and per violation); default: none. */
  log?: (line: string) => void;
}

export interface OperationFigures {
  ok: number;
  /** Failed at first, succeeded when repeated. */
  recovered: number;
  /** Still failing after every repeat: a violation. */
  unrecovered: number;
}

export interface SoakSummary {
  seed: number;
  minutes: number;
  operations: Record<string, OperationFigures>;
  faults: Record<string, number>;
  /** Distinct first-failure messages (one line each), with counts. */
  errors: Record<string, number>;
  checksumsVerified: number;
  orphanChecks: number;
  /** PVE calls by entry point. */
  pveCalls: { bridge: number; oneshot: number };
  violations: string[];
}

/** A small seeded generator (mulberry32): the workload's choices follow the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface VolumeModel {
  volname: string;
  /** sha256 of the first DATA_BYTES. */
  sha: string;
  snapshots: { name: string; sha: string }[];
  sizeKib: number;
}

class Soak {
  readonly summary: SoakSummary;
  private emulator!: SpawnedEmulator;
  private bridge!: PveBridge;
  private controllers = '';
  private client!: LinstorClient;
  private core!: VolumeService;
  private scratch = '';
  private readonly random: () => number;
  private readonly deadline: number;
  private calm = 0;
  private restarting: Promise<void> | undefined;
  private readonly inFlight = new Set<string>();
  private suspects = new Map<string, number>();
  private counter = 0;

  constructor(private readonly options: SoakOptions) {
    this.random = seededRandom(options.seed);
    this.deadline = Date.now() + options.durationMs;
    this.summary = {
      seed: options.seed,
      minutes: Math.round((options.durationMs / 60_000) * 10) / 10,
      operations: {},
      faults: {},
      errors: {},
      checksumsVerified: 0,
      orphanChecks: 0,
      pveCalls: { bridge: 0, oneshot: 0 },
      violations: [],
    };
  }

  /** The workload goes on: the duration has not passed, or the minimum work is not done yet. */
  private running(): boolean {
    if (Date.now() < this.deadline) return true;
    const minimum = this.options.minimum;
    if (!minimum) return false;
    const done = Object.values(this.summary.operations).reduce((sum, f) => sum + f.ok + f.recovered, 0);
    return done < minimum.operations || this.summary.checksumsVerified < minimum.checksums;
  }

  private log(line: string) {
    this.options.log?.(line);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private violation(text: string) {
    this.summary.violations.push(text);
    this.log(`VIOLATION ${text}`);
  }

  async start() {
    requireBundle();
    this.scratch = mkdtempSync(join(tmpdir(), 'linstor-hv-soak-'));
    this.emulator = await spawnEmulatorProcess({
      dataDir: join(this.scratch, 'emulator'),
      blackhole: ['127.0.0.1:0'],
    });
    this.bridge = new PveBridge(join(this.scratch, 'run', 'proxmox.sock'));
    await this.bridge.start();
    const blackhole = this.emulator.blackholeUrls[0]!;
    // The black-holed controller comes first: every call must get past it.
    this.controllers = `${blackhole},${this.emulator.url}`;
    this.client = createLinstorClient({ controllers: this.emulator.url, tokenFile: false, env: {} });
    const coreClient = createLinstorClient({
      controllers: this.controllers,
      tokenFile: false,
      env: {},
      connectTimeoutMs: 1_000,
      probeTimeoutMs: 1_000,
    });
    this.core = createVolumeService({
      client: coreClient,
      resourceGroup: 'linstor-hv',
      platform: 'soak-core',
      ownerId: 'core',
      deviceRoot: (node) => join(this.emulator.dataDir, 'nodes', node, 'dev'),
    });
  }

  private storage(): PveStorage {
    return {
      storeid: 'drbdstorage',
      controller: this.controllers,
      resourceGroup: 'linstor-hv',
      deviceRoot: join(this.emulator.dataDir, 'nodes', '{node}', 'dev'),
      statusCacheFile: join(this.scratch, 'cache', 'status-0.json'),
    };
  }

  // --- faults ------------------------------------------------------------------------------------

  private async faultLoop() {
    while (this.running()) {
      await sleep(2_000 + this.random() * 3_000);
      if (this.calm > 0 || !this.running()) continue;
      const kind = this.pick([
        'latency',
        'latency',
        '5xx',
        'dropped connection',
        'lost reply after commit',
        'satellite offline',
        'controller SIGKILL',
        'bridge SIGTERM',
        'bridge SIGKILL',
      ] as const);
      this.summary.faults[kind] = (this.summary.faults[kind] ?? 0) + 1;
      this.log(`fault: ${kind}`);
      try {
        await this.inject(kind);
      } catch (error) {
        this.log(`fault ${kind} not injected: ${(error as Error).message}`);
      }
    }
  }

  private async inject(kind: string) {
    const mutating = this.pick(['POST', 'PUT', 'DELETE']);
    const control = this.emulator.control;
    switch (kind) {
      case 'latency':
        await control.addFault({
          pathRegex: '^/v1/',
          action: 'delay',
          delayMs: 200 + Math.floor(this.random() * 1_300),
          times: 1 + Math.floor(this.random() * 5),
        });
        return;
      case '5xx':
        await control.addFault({
          method: mutating,
          pathRegex: '^/v1/',
          action: 'error',
          status: 500,
          times: 1,
        });
        return;
      case 'dropped connection':
        await control.addFault({ pathRegex: '^/v1/', action: 'drop-before', times: 1 });
        return;
      case 'lost reply after commit':
        await control.addFault({ method: mutating, pathRegex: '^/v1/', action: 'drop-after', times: 1 });
        return;
      case 'satellite offline': {
        const node = this.pick(NODES);
        await control.nodeOffline(node);
        await sleep(1_000 + this.random() * 3_000);
        await this.emulator.control.nodeOnline(node);
        return;
      }
      case 'controller SIGKILL':
        await this.restartController();
        return;
      case 'bridge SIGTERM':
      case 'bridge SIGKILL':
        await this.bridge.restart(kind === 'bridge SIGTERM' ? 'SIGTERM' : 'SIGKILL');
        return;
    }
  }

  private async restartController() {
    if (this.restarting) return this.restarting;
    this.restarting = (async () => {
      const { dataDir, url } = this.emulator;
      const blackhole = this.emulator.blackholeUrls[0]!.replace(/^http:\/\//, '');
      await this.emulator.kill('SIGKILL');
      await sleep(500 + this.random() * 1_500);
      for (let i = 0; ; i++) {
        try {
          this.emulator = await spawnEmulatorProcess({ dataDir, listen: [url], blackhole: [blackhole] });
          return;
        } catch (error) {
          if (i >= 20) throw error;
          await sleep(500);
        }
      }
    })().finally(() => {
      this.restarting = undefined;
    });
    return this.restarting;
  }

  /** Pauses fault injection, clears rules, brings every node back. */
  private async beCalm<T>(work: () => Promise<T>): Promise<T> {
    this.calm++;
    try {
      await this.restarting;
      await this.hypervisor(() => this.emulator.control.clearFaults());
      for (const node of NODES) await this.hypervisor(() => this.emulator.control.nodeOnline(node));
      return await work();
    } finally {
      this.calm--;
    }
  }

  /** A hypervisor-side action (QEMU opening a device): not under test, so retried until it works. */
  private async hypervisor<T>(action: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        await this.restarting;
        return await action();
      } catch (error) {
        if (i >= 40) throw error;
        await sleep(250);
      }
    }
  }

  // --- operations --------------------------------------------------------------------------------

  /** Runs an operation; a failure must be one line and the operation must succeed when repeated. */
  private async operation<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
    const figures = this.summary.operations[name] ?? { ok: 0, recovered: 0, unrecovered: 0 };
    this.summary.operations[name] = figures;
    let first: string | undefined;
    for (let attempt = 0; attempt <= REPEATS; attempt++) {
      try {
        const result = attempt === REPEATS ? await this.beCalm(run) : await run();
        if (first === undefined) figures.ok++;
        else figures.recovered++;
        return result;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (first === undefined) {
          first = message;
          if (message === '' || /\n/.test(message))
            this.violation(`${name}: error is not one line: ${JSON.stringify(message)}`);
          const key = `${name}: ${message
            .replace(/\d+/g, 'N')
            .replace(/'[^']*'/g, "'…'")
            .slice(0, 160)}`;
          this.summary.errors[key] = (this.summary.errors[key] ?? 0) + 1;
        }
        if (attempt === REPEATS) {
          figures.unrecovered++;
          this.violation(`${name} still fails after ${REPEATS} repeats: ${message} (first: ${first})`);
          return undefined;
        }
        await sleep(300 + attempt * 500);
      }
    }
    return undefined;
  }

  private async pve(
    node: string,
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    await this.restarting;
    const viaBridge = this.random() < 0.5;
    this.summary.pveCalls[viaBridge ? 'bridge' : 'oneshot']++;
    const reply: PveReply = viaBridge
      ? await bridgePveCall(this.bridge.socketPath, this.storage(), node, method, args, 30_000)
      : await pveCall(this.storage(), node, method, args, 30_000);
    if (!reply.ok) throw new Error(reply.error);
    return reply.result;
  }

  private async readDevice(path: string): Promise<string> {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(DATA_BYTES);
      await handle.read(buffer, 0, DATA_BYTES, 0);
      return sha(buffer);
    } finally {
      await handle.close();
    }
  }

  private async writeDevice(path: string): Promise<string> {
    const data = Buffer.alloc(DATA_BYTES);
    for (let i = 0; i < DATA_BYTES; i += 4) data.writeUInt32LE(Math.floor(this.random() * 2 ** 32), i);
    const handle = await open(path, 'r+');
    try {
      await handle.write(data, 0, DATA_BYTES, 0);
    } finally {
      await handle.close();
    }
    return sha(data);
  }

  private verify(what: string, expected: string, actual: string) {
    this.summary.checksumsVerified++;
    if (expected !== actual) this.violation(`checksum mismatch: ${what}`);
  }

  /** One PVE node's workload: its own VM ids, its own volumes. */
  private async pveWorker(node: string, index: number) {
    const vmid = 100 + index;
    const volumes: VolumeModel[] = [];
    let disk = 0;
    while (this.running()) {
      const op =
        volumes.length < 2
          ? 'create'
          : this.pick([
              'create',
              'write',
              'snapshot',
              'rollback',
              'resize',
              'attach',
              'migrate',
              'clone',
              'delete',
            ] as const);
      const volume = volumes.length > 0 ? this.pick(volumes) : undefined;
      if (volume) this.inFlight.add(volume.volname.toUpperCase());
      try {
        await this.pveStep(node, vmid, op, volume, volumes, () => `vm-${vmid}-disk-${disk++}`);
      } finally {
        if (volume) this.inFlight.delete(volume.volname.toUpperCase());
      }
    }
    return volumes;
  }

  private async pveStep(
    node: string,
    vmid: number,
    op: string,
    volume: VolumeModel | undefined,
    volumes: VolumeModel[],
    nextName: () => string,
  ) {
    const others = NODES.filter((n) => n !== node);
    if (op === 'create' || !volume) {
      const name = nextName();
      this.inFlight.add(name.toUpperCase());
      try {
        const created = await this.operation('create', () =>
          this.pve(node, 'alloc_image', { vmid, name, sizeKib: SIZE_KIB }),
        );
        if (!created) return;
        const model: VolumeModel = { volname: name, sha: '', snapshots: [], sizeKib: SIZE_KIB };
        volumes.push(model);
        await this.writeOwn(node, model);
      } finally {
        this.inFlight.delete(name.toUpperCase());
      }
      return;
    }
    switch (op) {
      case 'write':
        await this.writeOwn(node, volume);
        return;
      case 'snapshot': {
        const name = `s${++this.counter}`;
        const done = await this.operation('snapshot', () =>
          this.pve(node, 'volume_snapshot', { volname: volume.volname, snapname: name }),
        );
        if (done) volume.snapshots.push({ name, sha: volume.sha });
        return;
      }
      case 'rollback': {
        const latest = volume.snapshots.at(-1);
        if (!latest) return;
        const done = await this.operation('rollback', () =>
          this.pve(node, 'volume_snapshot_rollback', { volname: volume.volname, snapname: latest.name }),
        );
        if (done) {
          volume.sha = latest.sha;
          await this.check(node, volume, 'after rollback');
        }
        return;
      }
      case 'resize': {
        const sizeKib = volume.sizeKib + SIZE_KIB;
        const done = await this.operation('resize', () =>
          this.pve(node, 'volume_resize', {
            volname: volume.volname,
            sizeBytes: sizeKib * 1024,
            running: false,
          }),
        );
        if (done) {
          volume.sizeKib = sizeKib;
          await this.check(node, volume, 'after resize');
        }
        return;
      }
      case 'attach': {
        const other = this.pick(others);
        await this.check(other, volume, `attached on ${other}`);
        await this.operation('detach', () =>
          this.pve(other, 'deactivate_volume', { volname: volume.volname }),
        );
        return;
      }
      case 'migrate':
        await this.migrate(node, this.pick(others), volume);
        return;
      case 'clone': {
        const snapshot = volume.snapshots.at(-1);
        if (!snapshot) return;
        const cloned = await this.operation('clone', () =>
          this.pve(node, 'clone_image', { volname: volume.volname, vmid, snapname: snapshot.name }),
        );
        if (!cloned) return;
        const clone: VolumeModel = {
          volname: String(cloned.volname),
          sha: snapshot.sha,
          snapshots: [],
          sizeKib: volume.sizeKib,
        };
        volumes.push(clone);
        await this.check(node, clone, 'clone');
        return;
      }
      case 'delete': {
        const done = await this.operation('delete', () =>
          this.pve(node, 'free_image', { volname: volume.volname }),
        );
        if (done) volumes.splice(volumes.indexOf(volume), 1);
        return;
      }
    }
  }

  /** Activates on `node` and compares the data with the model. */
  private async check(node: string, volume: VolumeModel, what: string) {
    const activated = await this.operation('attach', () =>
      this.pve(node, 'activate_volume', { volname: volume.volname }),
    );
    if (!activated) return;
    this.verify(
      `${volume.volname} ${what} on ${node}`,
      volume.sha,
      await this.readDevice(String(activated.path)),
    );
  }

  private async writeOwn(node: string, volume: VolumeModel) {
    const activated = await this.operation('attach', () =>
      this.pve(node, 'activate_volume', { volname: volume.volname }),
    );
    if (!activated) return;
    volume.sha = await this.writeDevice(String(activated.path));
  }

  /** PVE's live migration: QEMU runs on `from`, the target activates, QEMU moves, the source lets go. */
  private async migrate(from: string, to: string, volume: VolumeModel) {
    const resource = volume.volname;
    const source = await this.operation('attach', () =>
      this.pve(from, 'activate_volume', { volname: resource }),
    );
    if (!source) return;
    await this.hypervisor(() => this.emulator.control.openDevice(from, resource, 'rw'));
    try {
      const target = await this.operation('migrate', () =>
        this.pve(to, 'activate_volume', { volname: resource, hints: { 'live-migrate': 1 } }),
      );
      await this.hypervisor(() => this.emulator.control.closeDevice(from, resource));
      if (!target) return;
      await this.hypervisor(() => this.emulator.control.openDevice(to, resource, 'rw'));
      await this.operation('migrate', () => this.pve(from, 'deactivate_volume', { volname: resource }));
      this.verify(`${resource} migrated to ${to}`, volume.sha, await this.readDevice(String(target.path)));
      await this.hypervisor(() => this.emulator.control.closeDevice(to, resource));
      await this.operation('detach', () => this.pve(to, 'deactivate_volume', { volname: resource }));
    } finally {
      await this.hypervisor(() => this.emulator.control.closeDevice(from, resource)).catch(() => undefined);
    }
  }

  /** core's API used directly, as the OpenNebula and Cinder adapters do. */
  private async coreWorker() {
    const names: string[] = [];
    let n = 0;
    while (this.running()) {
      const op =
        names.length === 0 ? 'create' : this.pick(['create', 'attach', 'snapshot', 'delete'] as const);
      if (op === 'create') {
        const name = `core-${n++}`;
        this.inFlight.add(name.toUpperCase());
        const done = await this.operation('core create', () => this.core.create({ name, sizeKib: SIZE_KIB }));
        this.inFlight.delete(name.toUpperCase());
        if (done) names.push(name);
        continue;
      }
      const name = this.pick(names);
      this.inFlight.add(name.toUpperCase());
      try {
        if (op === 'attach') {
          const node = this.pick(NODES);
          await this.operation('core attach', () => this.core.attach(name, node));
          await this.operation('core detach', () => this.core.detach(name, node));
        } else if (op === 'snapshot') {
          await this.operation('core snapshot', () => this.core.createSnapshot(name, `s${++this.counter}`));
        } else {
          const done = await this.operation('core delete', () => this.core.delete(name));
          if (done) names.splice(names.indexOf(name), 1);
        }
      } finally {
        this.inFlight.delete(name.toUpperCase());
      }
    }
  }

  /** Orphans seen twice in a row (10 s apart) on volumes no worker is working on are violations. */
  private async orphanLoop() {
    while (this.running()) {
      await sleep(10_000);
      if (!this.running()) break;
      let orphans: readonly Orphan[];
      try {
        await this.restarting;
        orphans = (await auditOrphans(this.client, { connections: false })).orphans;
      } catch {
        continue; // the controller is away: next round
      }
      this.summary.orphanChecks++;
      const seen = new Map<string, number>();
      for (const orphan of orphans) {
        if (this.inFlight.has(orphan.resource.toUpperCase()) || /^pm-/i.test(orphan.resource)) continue;
        const key = `${orphan.kind} ${orphan.resource}${orphan.detail ? ` ${orphan.detail}` : ''}: ${orphan.reason}`;
        const count = (this.suspects.get(key) ?? 0) + 1;
        seen.set(key, count);
        if (count === 3) this.violation(`orphan while running: ${key}`);
      }
      this.suspects = seen;
    }
  }

  async run(): Promise<SoakSummary> {
    await this.start();
    try {
      const workers = NODES.map((node, i) => this.pveWorker(node, i));
      await Promise.all([this.faultLoop(), this.orphanLoop(), this.coreWorker(), ...workers]).then(
        async ([, , , ...models]) => {
          await this.beCalm(async () => {
            await this.finalChecks(models.flat());
          });
        },
      );
      return this.summary;
    } finally {
      await this.client?.close();
      await this.bridge?.stop().catch(() => undefined);
      await this.emulator?.stop().catch(() => undefined);
      rmSync(this.scratch, { recursive: true, force: true });
    }
  }

  private async finalChecks(volumes: VolumeModel[]) {
    const listed = await this.pve('pve1', 'list_images', {});
    const names = ((listed.images as { volname: string }[]) ?? []).map((i) => i.volname).sort();
    const expected = volumes.map((v) => v.volname).sort();
    if (JSON.stringify(names) !== JSON.stringify(expected)) {
      this.violation(`list_images shows ${names.join(',')} but the workload holds ${expected.join(',')}`);
    }
    for (const volume of volumes) await this.check('pve1', volume, 'at the end');
    const orphans = (await auditOrphans(this.client, { connections: true })).orphans.filter(
      (o) => o.kind !== 'dual-primary' || !/resource connection/.test(o.reason),
    );
    this.summary.orphanChecks++;
    for (const orphan of orphans) {
      this.violation(
        `orphan at the end: ${orphan.kind} ${orphan.resource} ${orphan.detail ?? ''}: ${orphan.reason}`,
      );
    }
  }
}

/** Runs a soak and returns its figures (violations included; the caller decides what fails). */
export function runSoak(options: SoakOptions): Promise<SoakSummary> {
  return new Soak(options).run();
}

/** The summary as a table a person reads. */
export function formatSoakSummary(summary: SoakSummary): string {
  const rows: string[][] = [['operation', 'ok', 'recovered on repeat', 'unrecovered']];
  for (const [name, f] of Object.entries(summary.operations).sort()) {
    rows.push([name, String(f.ok), String(f.recovered), String(f.unrecovered)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const faults = Object.entries(summary.faults)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `soak: seed ${summary.seed}, ${summary.minutes} min`,
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    `faults injected: ${faults || 'none'}`,
    `checksums verified: ${summary.checksumsVerified}, orphan checks: ${summary.orphanChecks}`,
    `PVE calls: ${summary.pveCalls.bridge} through the bridge, ${summary.pveCalls.oneshot} one-shot`,
    `distinct first-failure messages: ${Object.keys(summary.errors).length}`,
    ...Object.entries(summary.errors)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([message, count]) => `  ${count}× ${message}`),
    `violations: ${summary.violations.length}`,
    ...summary.violations.map((v) => `  ${v}`),
  ].join('\n');
}
