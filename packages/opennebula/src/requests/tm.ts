/**
 * Typed requests of the TM actions, from the argv `TransferManager.cc` writes (one line of the
 * transfer file) and, for pre/post/failmigrate, the base64 VM template on stdin.
 */

import {
  checkHostName,
  checkPlainPath,
  type DiskLocation,
  decodeBase64,
  OneProtocolError,
  parseDiskLocation,
  parseDocument,
  parseId,
  parseImageSource,
  parseSizeMb,
  parseVmDirLocation,
  shown,
  splitHostPath,
} from '../protocol';
import { type VmView, vmView } from '../vm';

type Stdin = () => Promise<string>;

function expectArgs(argv: readonly string[], count: number, usage: string): void {
  if (argv.length !== count) {
    throw new OneProtocolError(`Expected ${count} arguments (${usage}), got ${argv.length}.`);
  }
}

type Parsers = Record<string, (value: string | undefined) => unknown>;
type Parsed<P extends Parsers> = { readonly [K in keyof P]: ReturnType<P[K]> } & {
  readonly vmId: number;
  readonly dsId: number;
};

/**
 * The line shape most TM actions share: action-specific arguments, parsed in the order of
 * `parsers`, then `<vmid> <ds_id>`.
 */
function vmLine<P extends Parsers>(argv: readonly string[], usage: string, parsers: P): Parsed<P> {
  const keys = Object.keys(parsers);
  expectArgs(argv, keys.length + 2, usage);
  const request: Record<string, unknown> = {};
  keys.forEach((key, index) => {
    request[key] = parsers[key]!(argv[index]);
  });
  request.vmId = parseId(argv[keys.length], 'VM id');
  request.dsId = parseId(argv[keys.length + 1], 'datastore id');
  return request as Parsed<P>;
}

const diskArgument = (value: string | undefined) => parseDiskLocation(value, 'disk argument');

/** clone / ln: `fe:SOURCE host:<sysdir>/disk.<n> <vmid> <ds_id>`. */
export interface TmImageDiskRequest {
  readonly source: string;
  readonly target: DiskLocation;
  readonly vmId: number;
  readonly dsId: number;
}

export async function parseTmImageDisk(argv: readonly string[]): Promise<TmImageDiskRequest> {
  return vmLine(argv, 'fe:SOURCE host:path vmid ds_id', {
    source: (v) => parseImageSource(v, 'source argument'),
    target: (v) => parseDiskLocation(v, 'target argument'),
  });
}

/** mkimage: `<size_mb> <format> host:<sysdir>/disk.<n> <vmid> <ds_id>`; mkswap without the format. */
export interface TmVolatileRequest {
  readonly sizeMb: number;
  readonly format: 'raw' | 'qcow2' | 'swap';
  readonly target: DiskLocation;
  readonly vmId: number;
  readonly dsId: number;
}

function volatileFormat(value: string | undefined): TmVolatileRequest['format'] {
  const format = value?.toLowerCase();
  if (format !== 'raw' && format !== 'qcow2' && format !== 'swap') {
    throw new OneProtocolError(`The volatile disk format '${shown(value ?? '')}' is not raw, qcow2 or swap.`);
  }
  return format;
}

export async function parseTmMkimage(argv: readonly string[]): Promise<TmVolatileRequest> {
  return vmLine(argv, 'size format host:path vmid ds_id', {
    sizeMb: parseSizeMb,
    format: volatileFormat,
    target: (v) => parseDiskLocation(v, 'target argument'),
  });
}

export async function parseTmMkswap(argv: readonly string[]): Promise<TmVolatileRequest> {
  expectArgs(argv, 4, 'size host:path vmid ds_id');
  return parseTmMkimage([argv[0]!, 'swap', ...argv.slice(1)]);
}

/** delete: `host:<sysdir>/disk.<n> <vmid> <ds_id>` or `host:<sysdir> <vmid> <sys_ds_id>`. */
export interface TmDeleteRequest {
  readonly target:
    | DiskLocation
    | { readonly host: string; readonly path: string; readonly diskId?: undefined };
  readonly vmId: number;
  readonly dsId: number;
}

/** A disk location, or the VM directory when the path does not end in `/disk.<n>`. */
function diskOrDir(value: string | undefined, what: string): TmDeleteRequest['target'] {
  const { path } = splitHostPath(value, what);
  return /\/disk\.[0-9]+$/.test(path) ? parseDiskLocation(value, what) : parseVmDirLocation(value, what);
}

export async function parseTmDelete(argv: readonly string[]): Promise<TmDeleteRequest> {
  return vmLine(argv, 'host:path vmid ds_id', { target: (v) => diskOrDir(v, 'target argument') });
}

/** mv: `hostA:<path> hostB:<path> <vmid> <ds_id>` (a disk or the VM directory). */
export interface TmMvRequest {
  readonly from: TmDeleteRequest['target'];
  readonly to: TmDeleteRequest['target'];
  readonly vmId: number;
  readonly dsId: number;
}

export async function parseTmMv(argv: readonly string[]): Promise<TmMvRequest> {
  const request = vmLine(argv, 'src_host:path dst_host:path vmid ds_id', {
    from: (v) => diskOrDir(v, 'source argument'),
    to: (v) => diskOrDir(v, 'target argument'),
  });
  if ((request.from.diskId === undefined) !== (request.to.diskId === undefined)) {
    throw new OneProtocolError('mv needs two disks or two VM directories.');
  }
  return request;
}

/** mvds: `host:<sysdir>/disk.<n> SOURCE <vmid> <ds_id>`; cpds adds `<snap_id>` after SOURCE. */
export interface TmSaveRequest {
  readonly disk: DiskLocation;
  readonly target: string;
  /** -1: the current state. */
  readonly snapshotId: number;
  readonly vmId: number;
  readonly dsId: number;
}

const saveTarget = (v: string | undefined) => parseImageSource(v, 'SOURCE argument');

export async function parseTmMvds(argv: readonly string[]): Promise<TmSaveRequest> {
  const request = vmLine(argv, 'host:path SOURCE vmid ds_id', { disk: diskArgument, target: saveTarget });
  return { ...request, snapshotId: -1 };
}

export async function parseTmCpds(argv: readonly string[]): Promise<TmSaveRequest> {
  return vmLine(argv, 'host:path SOURCE snap_id vmid ds_id', {
    disk: diskArgument,
    target: saveTarget,
    snapshotId: (v) => (v === '-1' ? -1 : parseId(v, 'snapshot id')),
  });
}

/** resize: `host:<sysdir>/disk.<n> <size_mb> <vmid> <ds_id>`. */
export interface TmResizeRequest {
  readonly disk: DiskLocation;
  readonly sizeMb: number;
  readonly vmId: number;
  readonly dsId: number;
}

export async function parseTmResize(argv: readonly string[]): Promise<TmResizeRequest> {
  return vmLine(argv, 'host:path size vmid ds_id', { disk: diskArgument, sizeMb: parseSizeMb });
}

/** snap_create / snap_create_live / snap_delete / snap_revert: `host:<path> <snap_id> <vmid> <ds_id>`. */
export interface TmSnapshotRequest {
  readonly disk: DiskLocation;
  readonly snapshotId: number;
  readonly vmId: number;
  readonly dsId: number;
}

export async function parseTmSnapshot(argv: readonly string[]): Promise<TmSnapshotRequest> {
  return vmLine(argv, 'host:path snap_id vmid ds_id', {
    disk: diskArgument,
    snapshotId: (v) => parseId(v, 'snapshot id'),
  });
}

/** context: `<file>… host:<sysdir>/disk.<n> <vmid> <ds_id>`. */
export interface TmContextRequest {
  readonly files: readonly string[];
  readonly target: DiskLocation;
  readonly vmId: number;
  readonly dsId: number;
}

export async function parseTmContext(argv: readonly string[]): Promise<TmContextRequest> {
  if (argv.length < 4)
    throw new OneProtocolError(
      `Expected context files, host:path, vmid and ds_id; got ${argv.length} arguments.`,
    );
  const files = argv.slice(0, -3).map((file) => {
    // A file may be given as `path:name` (renamed inside the ISO); both parts are plain paths/names.
    const [path = '', alias] = file.split(':', 2);
    checkPlainPath(path, 'context file');
    if (alias !== undefined && !/^[A-Za-z0-9_.+-]+$/.test(alias))
      throw new OneProtocolError(`The context file name '${shown(alias)}' is not a plain file name.`);
    return file;
  });
  return {
    files,
    target: parseDiskLocation(argv[argv.length - 3], 'target argument'),
    vmId: parseId(argv[argv.length - 2], 'VM id'),
    dsId: parseId(argv[argv.length - 1], 'datastore id'),
  };
}

/** pre/post/failmigrate: `<src_host> <dst_host> <sysdir> <vmid> <sys_ds_id> [<calling TM>]` + stdin VM. */
export interface TmMigrateRequest {
  readonly sourceHost: string;
  readonly targetHost: string;
  readonly vmDir: string;
  readonly vmId: number;
  readonly dsId: number;
  /** Set when another system TM called us through migrate_other: do only our own disks. */
  readonly callingTm: string | undefined;
  readonly vm: VmView;
  /** The template as received, passed on to other TMs' drivers. */
  readonly templateBase64: string;
}

export async function parseTmMigrate(argv: readonly string[], stdin: Stdin): Promise<TmMigrateRequest> {
  if (argv.length !== 5 && argv.length !== 6) {
    throw new OneProtocolError(
      `Expected src_host dst_host sysdir vmid ds_id [tm_mad], got ${argv.length} arguments.`,
    );
  }
  const templateBase64 = (await stdin()).trim();
  const vm = vmView(
    parseDocument(decodeBase64(templateBase64, 'VM template on stdin'), 'VM template on stdin'),
  );
  const vmId = parseId(argv[3], 'VM id');
  if (vm.id !== vmId) throw new OneProtocolError(`The VM template on stdin is VM ${vm.id}, not VM ${vmId}.`);
  const callingTm = argv[5];
  if (callingTm !== undefined && !/^[a-z0-9_]{1,32}$/.test(callingTm)) {
    throw new OneProtocolError(`The calling TM '${shown(callingTm)}' is not a driver name.`);
  }
  return {
    sourceHost: checkHostName(argv[0], 'source host'),
    targetHost: checkHostName(argv[1], 'target host'),
    vmDir: checkPlainPath(argv[2], 'VM directory').replace(/\/+$/, ''),
    vmId,
    dsId: parseId(argv[4], 'datastore id'),
    callingTm,
    vm,
    templateBase64,
  };
}

/** restore (6.10+): `host:<sysdir> <vmid> <backup image id> <increment id> <disk id>`; -1: the last increment, every disk. */
export interface TmRestoreRequest {
  readonly vmDir: { readonly host: string; readonly path: string };
  readonly vmId: number;
  readonly backupImageId: number;
  readonly incrementId: number;
  /** undefined: every disk in the backup. */
  readonly diskId: number | undefined;
}

export async function parseTmRestore(argv: readonly string[]): Promise<TmRestoreRequest> {
  expectArgs(argv, 5, 'host:sysdir vmid backup_image_id increment_id disk_id');
  const orAll = (value: string | undefined, what: string) => (value === '-1' ? -1 : parseId(value, what));
  const diskId = orAll(argv[4], 'disk id');
  return {
    vmDir: parseVmDirLocation(argv[0], 'VM directory argument'),
    vmId: parseId(argv[1], 'VM id'),
    backupImageId: parseId(argv[2], 'backup image id'),
    incrementId: orAll(argv[3], 'increment id'),
    diskId: diskId === -1 ? undefined : diskId,
  };
}
