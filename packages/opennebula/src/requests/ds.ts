/**
 * Typed requests of the DS actions, read from the `DS_DRIVER_ACTION_DATA` document once. Field
 * names follow OpenNebula's `Image::to_xml` / `Datastore::to_xml`.
 */

import { type DatastoreSettings, datastoreSettings } from '../datastore';
import {
  checkResourceName,
  type DocumentCall,
  datastoreOf,
  hasControlCharacter,
  imageOf,
  OneProtocolError,
  parseDocumentCall,
  parseId,
  parseSizeMb,
  requiredText,
  shown,
} from '../protocol';
import { checkFsType } from '../vm';
import { child, textAt, type XmlElement } from '../xml';

/** Where `ds cp` / `ds stat` read an image from. */
export type ImageSourcePath =
  | { readonly kind: 'http'; readonly url: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'ssh'; readonly host: string; readonly user?: string; readonly path: string };

/** Characters refused in an image PATH: every one a shell would read, and control characters. */
const UNSAFE_PATH_CHARACTERS = /[;&|$`<>\\'"(){}*?!#~]/;

/** Parses IMAGE/PATH: `http(s)://…`, `file://…`, `ssh://[user@]host:/path` or an absolute local path. */
export function parseImagePath(value: string): ImageSourcePath {
  if (UNSAFE_PATH_CHARACTERS.test(value) || hasControlCharacter(value)) {
    throw new OneProtocolError(
      `The image PATH '${shown(value)}' contains characters that are not allowed in a path or URL.`,
    );
  }
  if (/^https?:\/\//i.test(value)) {
    try {
      return { kind: 'http', url: new URL(value).toString() };
    } catch {
      throw new OneProtocolError(`The image PATH '${shown(value)}' is not a valid URL.`);
    }
  }
  // downloader.sh's pseudo-URL `ssh://user@host:path`, the form ds export offers to marketplaces.
  const ssh = /^ssh:\/\/(?:([a-z_][a-z0-9_-]{0,31})@)?([A-Za-z0-9.-]+):(\/.*)$/.exec(value);
  if (ssh) return { kind: 'ssh', ...(ssh[1] ? { user: ssh[1] } : {}), host: ssh[2]!, path: ssh[3]! };
  const path = value.startsWith('file://') ? decodeURIComponent(value.slice('file://'.length)) : value;
  if (!path.startsWith('/')) {
    throw new OneProtocolError(
      `The image PATH '${shown(value)}' is neither an absolute path nor an http(s), file or ssh URL this datastore can import.`,
    );
  }
  if (path.split('/').includes('..'))
    throw new OneProtocolError(`The image PATH '${shown(value)}' contains '..'.`);
  return { kind: 'file', path };
}

/** What every image action shares. */
interface ImageRequestBase {
  readonly call: DocumentCall;
  readonly imageId: number;
  readonly image: XmlElement;
  readonly datastore: DatastoreSettings;
}

function imageBase(call: DocumentCall): ImageRequestBase {
  const image = imageOf(call.document);
  const imageId = parseId(requiredText(image, 'ID'), 'IMAGE/ID');
  return { call, imageId, image, datastore: datastoreSettings(datastoreOf(call.document)) };
}

type Stdin = () => Promise<string>;

export interface DsCpRequest extends ImageRequestBase {
  readonly source: ImageSourcePath;
  readonly sizeMb: number;
  readonly md5: string | undefined;
  readonly sha1: string | undefined;
}

export async function parseDsCp(argv: readonly string[], stdin: Stdin): Promise<DsCpRequest> {
  const base = imageBase(await parseDocumentCall(argv, stdin));
  const md5 = textAt(base.image, 'TEMPLATE/MD5');
  const sha1 = textAt(base.image, 'TEMPLATE/SHA1');
  if (md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(md5))
    throw new OneProtocolError(`MD5 '${shown(md5)}' is not an MD5 sum.`);
  if (sha1 !== undefined && !/^[0-9a-fA-F]{40}$/.test(sha1))
    throw new OneProtocolError(`SHA1 '${shown(sha1)}' is not a SHA1 sum.`);
  return {
    ...base,
    source: parseImagePath(requiredText(base.image, 'PATH')),
    sizeMb: parseSizeMb(requiredText(base.image, 'SIZE'), 'IMAGE/SIZE'),
    md5: md5?.toLowerCase(),
    sha1: sha1?.toLowerCase(),
  };
}

export interface DsMkfsRequest extends ImageRequestBase {
  readonly sizeMb: number;
  /** `raw`, `qcow2`, or `save_as` (disk-saveas: only the name is wanted). */
  readonly format: string;
  readonly fs: string | undefined;
  readonly fsOpts: readonly string[];
}

/** FS_OPTS words: options and values for mkfs, never anything a shell would read. */
export function parseFsOpts(value: string | undefined): string[] {
  const words = (value ?? '').split(/\s+/).filter((w) => w.length > 0);
  for (const word of words) {
    if (!/^[A-Za-z0-9_=,.:+/-]+$/.test(word))
      throw new OneProtocolError(`FS_OPTS '${shown(word)}' is not a plain mkfs option.`);
  }
  return words;
}

export async function parseDsMkfs(argv: readonly string[], stdin: Stdin): Promise<DsMkfsRequest> {
  const base = imageBase(await parseDocumentCall(argv, stdin));
  // ≤ 5.12 has FSTYPE where 6.x has FORMAT (reference Correction 9).
  const format = (textAt(base.image, 'FORMAT') ?? textAt(base.image, 'FSTYPE') ?? 'raw').toLowerCase();
  if (!/^(raw|qcow2|save_as)$/.test(format)) {
    throw new OneProtocolError(`The image FORMAT '${shown(format)}' is not raw, qcow2 or save_as.`);
  }
  const fs = textAt(base.image, 'FS');
  const fsOpts =
    textAt(base.image, 'TEMPLATE/FS_OPTS') ??
    textAt(child(base.call.document, 'DATASTORE'), 'TEMPLATE/FS_OPTS');
  return {
    ...base,
    sizeMb: parseSizeMb(requiredText(base.image, 'SIZE'), 'IMAGE/SIZE'),
    format,
    fs: fs === undefined ? undefined : checkFsType(fs),
    fsOpts: parseFsOpts(fsOpts),
  };
}

export interface DsCloneRequest extends ImageRequestBase {
  /** The SOURCE of the image being cloned (IMAGE/PATH). */
  readonly sourceName: string;
  readonly sizeMb: number;
}

export async function parseDsClone(argv: readonly string[], stdin: Stdin): Promise<DsCloneRequest> {
  const base = imageBase(await parseDocumentCall(argv, stdin));
  return {
    ...base,
    sourceName: checkResourceName(
      requiredText(base.image, 'PATH'),
      'SOURCE of the image to clone (IMAGE/PATH)',
    ),
    sizeMb: parseSizeMb(requiredText(base.image, 'SIZE'), 'IMAGE/SIZE'),
  };
}

export interface DsImageSourceRequest extends ImageRequestBase {
  readonly source: string;
}

export async function parseDsRm(argv: readonly string[], stdin: Stdin): Promise<DsImageSourceRequest> {
  const base = imageBase(await parseDocumentCall(argv, stdin));
  return { ...base, source: checkResourceName(requiredText(base.image, 'SOURCE'), 'image SOURCE') };
}

export interface DsSnapshotRequest extends DsImageSourceRequest {
  readonly snapshotId: number;
}

export async function parseDsSnapshot(argv: readonly string[], stdin: Stdin): Promise<DsSnapshotRequest> {
  const request = await parseDsRm(argv, stdin);
  return {
    ...request,
    snapshotId: parseId(requiredText(request.image, 'TARGET_SNAPSHOT'), 'IMAGE/TARGET_SNAPSHOT'),
  };
}

export interface DsStatRequest {
  readonly call: DocumentCall;
  readonly source: ImageSourcePath;
  readonly datastore: DatastoreSettings;
}

export async function parseDsStat(argv: readonly string[], stdin: Stdin): Promise<DsStatRequest> {
  const call = await parseDocumentCall(argv, stdin);
  const image = imageOf(call.document);
  return {
    call,
    source: parseImagePath(requiredText(image, 'PATH')),
    datastore: datastoreSettings(datastoreOf(call.document)),
  };
}

export interface DsMonitorRequest {
  readonly call: DocumentCall;
  readonly datastore: DatastoreSettings;
  /** `MONITOR_VM_DISKS` of a system datastore's monitor call. */
  readonly monitorVmDisks: boolean;
}

export async function parseDsMonitor(argv: readonly string[], stdin: Stdin): Promise<DsMonitorRequest> {
  const call = await parseDocumentCall(argv, stdin);
  return {
    call,
    datastore: datastoreSettings(datastoreOf(call.document)),
    monitorVmDisks: textAt(call.document, 'MONITOR_VM_DISKS') === '1',
  };
}

export interface DsExportRequest extends DsImageSourceRequest {
  readonly appId: number;
  readonly sizeMb: number;
  readonly md5: string | undefined;
}

export async function parseDsExport(argv: readonly string[], stdin: Stdin): Promise<DsExportRequest> {
  const call = await parseDocumentCall(argv, stdin);
  const image = imageOf(call.document);
  const md5 = textAt(image, 'TEMPLATE/MD5');
  return {
    call,
    appId: call.id,
    imageId: parseId(requiredText(image, 'ID'), 'IMAGE/ID'),
    image,
    datastore: datastoreSettings(datastoreOf(call.document)),
    source: checkResourceName(requiredText(image, 'SOURCE'), 'image SOURCE'),
    sizeMb: parseSizeMb(requiredText(image, 'SIZE'), 'IMAGE/SIZE'),
    md5: md5 !== undefined && /^[0-9a-fA-F]{32}$/.test(md5) ? md5.toLowerCase() : undefined,
  };
}
