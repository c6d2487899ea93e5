/**
 * The emulator's data plane: real bytes behind every volume, so that tests can check data (not
 * just status codes) across snapshot, rollback, restore and clone.
 *
 * Layout under the data directory:
 *   volumes/<RDKEY>/<vlmNr>.img                 one sparse file per volume of a resource definition
 *   snapshots/<RDKEY>/<SNAPKEY>/<vlmNr>.img     one sparse copy per snapshot volume
 *   nodes/<node>/dev/drbd/by-res/<rd>/<vlmNr>   symlink to the volume file (udev's by-res link)
 *   nodes/<node>/dev/drbd<minor>                symlink to the volume file (the DRBD device)
 *
 * DRBD keeps all replicas identical, so every node's device links point at the same file: data
 * written through one node is read through any other node that has the resource.
 *
 * Contract for callers (the store is the truth, files follow it):
 *   - A volume file exists while its volume definition exists and the resource definition has at
 *     least one resource; create it (createVolume) when deploying, delete it when the last
 *     resource or the volume definition goes.
 *   - A node's device links exist exactly while the resource is deployed on that node (diskful or
 *     diskless).
 *   - A snapshot's files exist while its snapshot record exists.
 *   - Create files BEFORE the store transaction commits and delete them AFTER it committed; a crash
 *     in between then only leaves orphans, which reconcile() removes at startup.
 */
import {
  closeSync,
  existsSync,
  constants as fsConstants,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { nameKey } from '@linstor-hv/api';
import type { RscRec, SnapRec, VdRec } from '../domain/model';
import type { Store } from '../infra/store';
import { type CopyMethod, copySparse, errnoOf } from './sparse-copy';

/** What checkConsistency found; paths are absolute. */
export interface ConsistencyReport {
  /** Data files (volumes, snapshots, unfinished copies) that no committed record references. */
  orphanFiles: string[];
  /** Device links of resources that are not deployed on that node, or pointing at the wrong file. */
  orphanLinks: string[];
  /** Data files that committed records reference but that do not exist (data lost). */
  missingFiles: string[];
  /** Device links that a deployed resource should have but that do not exist. */
  missingLinks: string[];
  /**
   * Volume files whose size is not their volume definition's (a resize that never committed);
   * reconcile() sets the size the record has.
   */
  wrongSizeFiles: string[];
}

/** A volume as the device links need it: its number and DRBD minor. */
export interface DeviceVolume {
  volumeNumber: number;
  minor: number;
}

const IMG = '.img';

/** What the committed records call for: data file path -> size in bytes (undefined: any size), link path -> target. */
interface ExpectedFiles {
  files: Map<string, number | undefined>;
  links: Map<string, string>;
}

/** File-backed volumes, snapshots and per-node device trees under one data directory. */
export class DataPlane {
  readonly dataDir: string;
  /** How the most recent copy was made (reflink, GNU cp sparse copy, or zero-skipping scan). */
  lastCopyMethod: CopyMethod | undefined;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
  }

  /** Path of a volume's data file. */
  volumePath(rdName: string, volumeNumber: number): string {
    return join(this.dataDir, 'volumes', nameKey(rdName), `${volumeNumber}${IMG}`);
  }

  /** Path of a snapshot volume's data file. */
  snapshotPath(rdName: string, snapName: string, volumeNumber: number): string {
    return join(this.snapshotDir(rdName, snapName), `${volumeNumber}${IMG}`);
  }

  /** Root of a node's device tree (what adapters use as their device root instead of `/`). */
  nodeRoot(nodeName: string): string {
    return join(this.dataDir, 'nodes', nodeName);
  }

  /** A node's by-res device path `<node root>/dev/drbd/by-res/<rd>/<vlmNr>`. */
  devicePath(nodeName: string, rdName: string, volumeNumber: number): string {
    return join(this.nodeRoot(nodeName), 'dev', 'drbd', 'by-res', rdName, String(volumeNumber));
  }

  /** A node's minor device path `<node root>/dev/drbd<minor>` (the API's `/dev/drbd<minor>`). */
  minorDevicePath(nodeName: string, minor: number): string {
    return join(this.nodeRoot(nodeName), 'dev', `drbd${minor}`);
  }

  /** True when the volume's data file exists. */
  hasVolume(rdName: string, volumeNumber: number): boolean {
    return existsSync(this.volumePath(rdName, volumeNumber));
  }

  /**
   * Creates the volume's sparse data file of exactly `sizeKib` KiB, unless it already exists: a
   * replica joining an existing resource gets the data its peers hold (DRBD would sync it).
   * An existing smaller file is grown. Returns true when it created the file.
   */
  createVolume(rdName: string, volumeNumber: number, sizeKib: number): boolean {
    const path = this.volumePath(rdName, volumeNumber);
    const bytes = sizeKib * 1024;
    // Optimistic: one open when the directory is there (the common case), the mkdir only when not.
    const createNew = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL;
    let fd: number;
    try {
      fd = openSync(path, createNew);
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'EEXIST') {
        if (statSync(path).size < bytes) truncateSync(path, bytes);
        return false;
      }
      if (code !== 'ENOENT') throw e;
      mkdirSync(dirname(path), { recursive: true });
      fd = openSync(path, createNew);
    }
    try {
      if (bytes > 0) ftruncateSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  /** Grows the volume's data file to `sizeKib` KiB (never shrinks: DRBD cannot shrink either). */
  resizeVolume(rdName: string, volumeNumber: number, sizeKib: number): void {
    const path = this.volumePath(rdName, volumeNumber);
    if (statSync(path).size < sizeKib * 1024) truncateSync(path, sizeKib * 1024);
  }

  /** Deletes a volume's data file (no-op when absent). */
  deleteVolume(rdName: string, volumeNumber: number): void {
    unlinkIfPresent(this.volumePath(rdName, volumeNumber));
    removeEmptyDir(join(this.dataDir, 'volumes', nameKey(rdName)));
  }

  /** Deletes every volume file of a resource definition. */
  deleteVolumes(rdName: string): void {
    removeFlatDir(join(this.dataDir, 'volumes', nameKey(rdName)));
  }

  /** Space the volume really occupies in KiB (allocated blocks, small for a fresh thin volume); 0 when absent. */
  allocatedKib(rdName: string, volumeNumber: number): number {
    return allocatedKibOf(this.volumePath(rdName, volumeNumber));
  }

  /** Space a snapshot volume really occupies in KiB; 0 when absent. */
  snapshotAllocatedKib(rdName: string, snapName: string, volumeNumber: number): number {
    return allocatedKibOf(this.snapshotPath(rdName, snapName, volumeNumber));
  }

  /** Creates (or repairs) a node's by-res and minor device links for one volume. */
  linkDevice(nodeName: string, rdName: string, volumeNumber: number, minor: number): void {
    const target = this.volumePath(rdName, volumeNumber);
    placeSymlink(this.devicePath(nodeName, rdName, volumeNumber), target);
    placeSymlink(this.minorDevicePath(nodeName, minor), target);
  }

  /** Removes a node's device links for one volume (no-op when absent). */
  unlinkDevice(nodeName: string, rdName: string, volumeNumber: number, minor: number): void {
    const byRes = this.devicePath(nodeName, rdName, volumeNumber);
    unlinkIfPresent(byRes);
    unlinkIfPresent(this.minorDevicePath(nodeName, minor));
    removeEmptyDir(dirname(byRes));
  }

  /** Links every volume of a resource on a node (deploy, diskful or diskless). */
  linkResource(nodeName: string, rdName: string, volumes: readonly DeviceVolume[]): void {
    for (const v of volumes) this.linkDevice(nodeName, rdName, v.volumeNumber, v.minor);
  }

  /** Unlinks every volume of a resource on a node (undeploy). */
  unlinkResource(nodeName: string, rdName: string, volumes: readonly DeviceVolume[]): void {
    for (const v of volumes) this.unlinkDevice(nodeName, rdName, v.volumeNumber, v.minor);
  }

  /** Takes a point-in-time copy of a volume as snapshot `snapName` (copy-on-write or sparse copy). */
  async snapshotVolume(rdName: string, snapName: string, volumeNumber: number): Promise<void> {
    await this.copyInto(
      this.volumePath(rdName, volumeNumber),
      this.snapshotPath(rdName, snapName, volumeNumber),
    );
  }

  /** Replaces `targetRd`'s volume with the snapshot's data (snapshot restore into another RD). */
  async restoreSnapshot(
    srcRd: string,
    snapName: string,
    volumeNumber: number,
    targetRd: string,
    targetVolumeNumber = volumeNumber,
  ): Promise<void> {
    await this.copyInto(
      this.snapshotPath(srcRd, snapName, volumeNumber),
      this.volumePath(targetRd, targetVolumeNumber),
    );
  }

  /**
   * Rolls a volume back to a snapshot: the volume's content becomes the snapshot's. The file is
   * replaced atomically, and keeps `sizeKib` when the volume grew after the snapshot.
   */
  async rollbackVolume(
    rdName: string,
    snapName: string,
    volumeNumber: number,
    sizeKib?: number,
  ): Promise<void> {
    const dst = this.volumePath(rdName, volumeNumber);
    this.lastCopyMethod = await copySparse(this.snapshotPath(rdName, snapName, volumeNumber), dst);
    if (sizeKib !== undefined && statSync(dst).size < sizeKib * 1024) truncateSync(dst, sizeKib * 1024);
  }

  /** Deletes every file of a snapshot (no-op when absent). */
  deleteSnapshot(rdName: string, snapName: string): void {
    removeFlatDir(this.snapshotDir(rdName, snapName));
    removeEmptyDir(join(this.dataDir, 'snapshots', nameKey(rdName)));
  }

  /** Copies a volume's current data into another RD's volume (the clone's data step). */
  async cloneVolume(srcRd: string, volumeNumber: number, targetRd: string): Promise<void> {
    await this.copyInto(this.volumePath(srcRd, volumeNumber), this.volumePath(targetRd, volumeNumber));
  }

  /**
   * Compares the files on disk with the committed records: which files and links nothing
   * references, and which referenced ones are missing. Reads only; see reconcile().
   */
  checkConsistency(store: Store): ConsistencyReport {
    return this.compareWith(this.expectedFiles(store));
  }

  /**
   * Startup repair after a crash: removes orphan files and links, recreates the device links of
   * deployed resources (links are derived state), gives volume files the size their volume
   * definition records, and returns what it found. Missing data files
   * cannot be recreated; they stay in the report for the caller to log.
   */
  reconcile(store: Store): ConsistencyReport {
    const expected = this.expectedFiles(store);
    const report = this.compareWith(expected);
    for (const path of [...report.orphanFiles, ...report.orphanLinks]) {
      rmSync(path, { force: true, recursive: true });
      removeEmptyDir(dirname(path));
      removeEmptyDir(dirname(dirname(path)));
    }
    for (const path of report.wrongSizeFiles) {
      const bytes = expected.files.get(path);
      if (bytes !== undefined) truncateSync(path, bytes);
    }
    for (const link of [...report.missingLinks, ...report.orphanLinks]) {
      const target = expected.links.get(link);
      if (target !== undefined) placeSymlink(link, target);
    }
    return report;
  }

  /** What checkConsistency reports, against an already computed expectedFiles(). */
  private compareWith(expected: ExpectedFiles): ConsistencyReport {
    const report: ConsistencyReport = {
      orphanFiles: [],
      orphanLinks: [],
      missingFiles: [],
      missingLinks: [],
      wrongSizeFiles: [],
    };

    for (const path of listFiles(join(this.dataDir, 'volumes'), 2)) {
      if (!expected.files.has(path)) report.orphanFiles.push(path);
    }
    for (const path of listFiles(join(this.dataDir, 'snapshots'), 3)) {
      if (!expected.files.has(path)) report.orphanFiles.push(path);
    }
    for (const [path, bytes] of expected.files) {
      if (!existsSync(path)) report.missingFiles.push(path);
      else if (bytes !== undefined && statSync(path).size !== bytes) report.wrongSizeFiles.push(path);
    }

    for (const link of this.listDeviceLinks()) {
      const target = expected.links.get(link);
      if (target === undefined || linkTarget(link) !== target) report.orphanLinks.push(link);
    }
    for (const link of expected.links.keys()) {
      if (!isSymlink(link)) report.missingLinks.push(link);
    }
    return report;
  }

  /** Copies `src` over `dst` (creating `dst`'s directory) and records the copy method. */
  private async copyInto(src: string, dst: string): Promise<void> {
    await mkdir(dirname(dst), { recursive: true });
    this.lastCopyMethod = await copySparse(src, dst);
  }

  private snapshotDir(rdName: string, snapName: string): string {
    return join(this.dataDir, 'snapshots', nameKey(rdName), nameKey(snapName));
  }

  /** Every data file and device link (link path -> target) that the committed records call for. */
  private expectedFiles(store: Store): ExpectedFiles {
    // path -> size in bytes the records call for (undefined: any size, e.g. snapshots)
    const files = new Map<string, number | undefined>();
    const links = new Map<string, string>();
    for (const vd of store.list<VdRec>('vds')) {
      const rdKey = nameKey(vd.rdName);
      const resources = store.list<RscRec>('resources', [rdKey]);
      if (resources.length === 0) continue;
      const target = this.volumePath(vd.rdName, vd.volumeNumber);
      files.set(target, vd.sizeKib * 1024);
      for (const rsc of resources) {
        links.set(this.devicePath(rsc.nodeName, rsc.rdName, vd.volumeNumber), target);
        links.set(this.minorDevicePath(rsc.nodeName, vd.minor), target);
      }
    }
    for (const snap of store.list<SnapRec>('snapshots')) {
      for (const v of snap.volumes)
        files.set(this.snapshotPath(snap.rdName, snap.name, v.volumeNumber), undefined);
    }
    return { files, links };
  }

  /** All symlinks in the node device trees (by-res links and drbd<minor> links). */
  private listDeviceLinks(): string[] {
    const found: string[] = [];
    const nodesDir = join(this.dataDir, 'nodes');
    for (const node of readDirNames(nodesDir)) {
      const devDir = join(nodesDir, node, 'dev');
      for (const name of readDirNames(devDir)) {
        const path = join(devDir, name);
        if (/^drbd\d+$/.test(name) && isSymlink(path)) found.push(path);
      }
      const byRes = join(devDir, 'drbd', 'by-res');
      for (const rd of readDirNames(byRes)) {
        for (const vol of readDirNames(join(byRes, rd))) found.push(join(byRes, rd, vol));
      }
    }
    return found;
  }
}

/**
 * Replaces whatever is at `link` with a relative symlink to `target` (relative, so a moved data
 * dir keeps working). Optimistic: a new link in an existing directory costs one system call; the
 * directory is made, or what is in the way removed, only when the first attempt says so, and a
 * link that already points at `target` is left as it is.
 */
function placeSymlink(link: string, target: string): void {
  const relTarget = relative(dirname(link), target);
  try {
    symlinkSync(relTarget, link);
    return;
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT') mkdirSync(dirname(link), { recursive: true });
    else if (code === 'EEXIST') {
      if (readLink(link) === relTarget) return;
      rmSync(link, { force: true });
    } else throw e;
  }
  symlinkSync(relTarget, link);
}

/** The target text of a symlink, or undefined when `path` is not one. */
function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

/** Removes a file or link; no-op when absent. */
function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (errnoOf(e) !== 'ENOENT') throw e;
  }
}

/**
 * Removes a directory of files (a volume or snapshot directory) and the directory; no-op when
 * absent. Cheaper than a recursive rm, which inspects every entry first; anything unexpected
 * inside (a subdirectory) is left to the recursive rm.
 */
function removeFlatDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw e;
  }
  try {
    for (const name of names) unlinkIfPresent(join(dir, name));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The absolute path a symlink points at, or undefined when `path` is not a symlink. */
function linkTarget(path: string): string | undefined {
  try {
    return resolve(dirname(path), readlinkSync(path));
  } catch {
    return undefined;
  }
}

/** Space a file really occupies in KiB (allocated blocks); 0 when absent. */
function allocatedKibOf(path: string): number {
  try {
    return Math.ceil((statSync(path).blocks * 512) / 1024);
  } catch {
    return 0;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function readDirNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Regular files exactly `depth` directory levels below `root` (anything else at that depth too). */
function listFiles(root: string, depth: number): string[] {
  if (depth === 0) return [root];
  const out: string[] = [];
  for (const name of readDirNames(root)) {
    const path = join(root, name);
    if (depth > 1 && !lstatSync(path).isDirectory()) {
      out.push(path); // a stray file where a directory belongs is an orphan too
      continue;
    }
    out.push(...listFiles(path, depth - 1));
  }
  return out;
}

/** Removes `dir` when it is empty; keeps it (silently) otherwise. */
function removeEmptyDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty or already gone: both fine
  }
}
