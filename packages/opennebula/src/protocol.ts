/**
 * What oned hands the `linstor` drivers, parsed once into typed requests. Every value taken from
 * argv, stdin or the XML is checked here, before anything is created or run: ids are numbers,
 * LINSTOR names are names, host names are host names, paths are plain absolute paths. A value that
 * does not fit (a newline in a PATH, a `;` in a SOURCE, a malformed document) is refused with one
 * line that names it, so nothing later ever sees it.
 *
 * Calling conventions are told apart by argv alone, never by the VERSION file (OpenNebula's
 * one_datastore.rb): `<b64> <id>` (≤ 6.6), `- <id>` with the document on stdin (6.4.4+ with `-i`),
 * `<id>` with the document on stdin (6.8+).
 */

import { child, parseXml, textAt, type XmlElement, XmlError } from './xml';

/** Stable codes of the errors this package throws (besides core's, which pass through). */
export const ONE_ERROR_CODES = {
  invalidRequest: 'ONE_INVALID_REQUEST',
  blocked: 'ONE_BLOCKED',
  lockTimeout: 'ONE_LOCK_TIMEOUT',
} as const;

/** The base of every error this package throws itself; `code` is one of {@link ONE_ERROR_CODES}. */
export class OneError extends Error {
  override name = 'OneError';
  constructor(
    message: string,
    readonly code: string = ONE_ERROR_CODES.blocked,
  ) {
    super(message);
  }
}

/** A request oned could not have sent, or a value that is unsafe to use. Nothing was changed. */
export class OneProtocolError extends OneError {
  override name = 'OneProtocolError';
  constructor(message: string) {
    super(message, ONE_ERROR_CODES.invalidRequest);
  }
}

/** How the document reached us. */
export type CallConvention = 'argv' | 'dash-stdin' | 'stdin';

/** A DS driver call (and the TM `monitor`, which the DS driver calls the same way). */
export interface DocumentCall {
  readonly convention: CallConvention;
  /** Image id, datastore id (monitor) or marketplace app id (export). */
  readonly id: number;
  readonly document: XmlElement;
}

const ID = /^(0|[1-9][0-9]{0,9})$/;
/** A LINSTOR resource name as our drivers and addon-linstor write it. */
const RESOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{1,47}$/;
/** RFC 1123 host names (OpenNebula host names are host names). */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*$/;
/** Characters a plain absolute path of a datastore or a VM directory needs, and nothing a shell reads. */
const PLAIN_PATH = /^\/[A-Za-z0-9_.+@,=/-]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** The longest document accepted (oned's documents are a few KiB; a VM with many disks ~100 KiB). */
const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

/** Text safe to show in one line of an error: control characters made visible, length bounded. */
export function shown(value: string): string {
  let visible = '';
  for (const c of value) {
    const code = c.codePointAt(0) ?? 0;
    visible += isControl(code) ? `\\x${code.toString(16).padStart(2, '0')}` : c;
  }
  return visible.length > 120 ? `${visible.slice(0, 117)}...` : visible;
}

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/** True when text holds a control character (newline, NUL, escape, …). */
export function hasControlCharacter(value: string): boolean {
  for (const c of value) if (isControl(c.codePointAt(0) ?? 0)) return true;
  return false;
}

/** A non-negative integer id (image, VM, datastore, disk, snapshot). */
export function parseId(value: string | undefined, what: string): number {
  if (value === undefined || !ID.test(value)) {
    throw new OneProtocolError(`The ${what} '${shown(value ?? '')}' is not a number.`);
  }
  return Number(value);
}

/** A size in MB, above 0. */
export function parseSizeMb(value: string | undefined, what = 'size'): number {
  const size = parseId(value, what);
  if (size === 0) throw new OneProtocolError(`The ${what} must be above 0 MB.`);
  return size;
}

/** A LINSTOR resource name (an image SOURCE); refused when it holds anything but name characters. */
export function checkResourceName(value: string | undefined, what: string): string {
  if (value === undefined || !RESOURCE_NAME.test(value)) {
    throw new OneProtocolError(
      `The ${what} '${shown(value ?? '')}' is not a LINSTOR resource name (2 to 48 letters, digits, '_' or '-', starting with a letter or '_').`,
    );
  }
  return value;
}

/** An OpenNebula host name. */
export function checkHostName(value: string | undefined, what = 'host'): string {
  if (value === undefined || value.length > 253 || !HOST_NAME.test(value)) {
    throw new OneProtocolError(`The ${what} '${shown(value ?? '')}' is not a host name.`);
  }
  return value;
}

/** A plain absolute path (datastore and VM directories): no `..`, nothing a shell would interpret. */
export function checkPlainPath(value: string | undefined, what: string): string {
  if (value === undefined || !PLAIN_PATH.test(value) || value.split('/').includes('..')) {
    throw new OneProtocolError(
      `The ${what} '${shown(value ?? '')}' is not a plain absolute path (letters, digits and _ . + @ , = / - only, no '..').`,
    );
  }
  return value;
}

/** `host:path` as the TM receives it (`fe:SOURCE` for images, `host:<sysdir>/disk.<n>` for disks). */
export function splitHostPath(value: string | undefined, what: string): { host: string; path: string } {
  const at = value?.indexOf(':') ?? -1;
  if (value === undefined || at <= 0) {
    throw new OneProtocolError(`The ${what} '${shown(value ?? '')}' is not of the form host:path.`);
  }
  return { host: checkHostName(value.slice(0, at), `host of the ${what}`), path: value.slice(at + 1) };
}

/** A VM disk location `host:<sysdir>/disk.<n>`. */
export interface DiskLocation {
  readonly host: string;
  /** `<sysdir>/disk.<n>` */
  readonly path: string;
  /** `<DATASTORE_LOCATION>/<sys_ds_id>/<vmid>` */
  readonly vmDir: string;
  readonly diskId: number;
}

/** Parses `host:<sysdir>/disk.<n>`. */
export function parseDiskLocation(value: string | undefined, what: string): DiskLocation {
  const { host, path } = splitHostPath(value, what);
  checkPlainPath(path, `path of the ${what}`);
  const match = /^(.*)\/disk\.(0|[1-9][0-9]{0,5})$/.exec(path);
  if (!match) throw new OneProtocolError(`The ${what} '${shown(path)}' does not end in /disk.<n>.`);
  return { host, path, vmDir: match[1]!, diskId: Number(match[2]) };
}

/** A VM directory location `host:<sysdir>` (delete and mv of the whole directory). */
export function parseVmDirLocation(value: string | undefined, what: string): { host: string; path: string } {
  const { host, path } = splitHostPath(value, what);
  checkPlainPath(path, `path of the ${what}`);
  if (!/\/[0-9]+\/[0-9]+\/?$/.test(path)) {
    throw new OneProtocolError(
      `The ${what} '${shown(path)}' is not a VM directory (<datastores>/<ds id>/<vm id>).`,
    );
  }
  return { host, path: path.replace(/\/+$/, '') };
}

/** The image SOURCE of a TM argument `fe:SOURCE` (or a bare SOURCE). */
export function parseImageSource(value: string | undefined, what: string): string {
  const source = value?.includes(':') ? splitHostPath(value, what).path : value;
  return checkResourceName(source, `image SOURCE in the ${what}`);
}

/** Decodes base64 text (whitespace ignored) to UTF-8, refusing anything that is not base64. */
export function decodeBase64(text: string, what: string): string {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0) throw new OneProtocolError(`The ${what} is empty.`);
  if (compact.length > MAX_DOCUMENT_BYTES || !BASE64.test(compact)) {
    throw new OneProtocolError(`The ${what} is not base64.`);
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

/** Parses an XML document, turning XML errors into protocol errors. */
export function parseDocument(xml: string, what: string): XmlElement {
  try {
    return parseXml(xml);
  } catch (error) {
    if (error instanceof XmlError)
      throw new OneProtocolError(`The ${what} is not valid XML: ${error.message}.`);
    throw error;
  }
}

/**
 * Reads a DS-driver-style call (DS actions, TM `monitor`): `<b64> <id>`, `- <id>` + stdin or
 * `<id>` + stdin; the document's root must be `expectedRoot`.
 */
export async function parseDocumentCall(
  argv: readonly string[],
  readStdin: () => Promise<string>,
  expectedRoot = 'DS_DRIVER_ACTION_DATA',
): Promise<DocumentCall> {
  let convention: CallConvention;
  let encoded: string;
  let idText: string | undefined;
  if (argv.length === 1) {
    convention = 'stdin';
    idText = argv[0];
    encoded = await readStdin();
  } else if (argv.length === 2 && argv[0] === '-') {
    convention = 'dash-stdin';
    idText = argv[1];
    encoded = await readStdin();
  } else if (argv.length === 2) {
    convention = 'argv';
    encoded = argv[0]!;
    idText = argv[1];
  } else {
    throw new OneProtocolError(
      `Expected '<base64 document> <id>', '- <id>' or '<id>' (document on stdin), got ${argv.length} arguments.`,
    );
  }
  const id = parseId(idText, 'id argument');
  const document = parseDocument(decodeBase64(encoded, 'driver action document'), 'driver action document');
  if (document.name !== expectedRoot) {
    throw new OneProtocolError(
      `The driver action document's root is <${document.name}>, not <${expectedRoot}>.`,
    );
  }
  return { convention, id, document };
}

/** The `<IMAGE>` of a DS document; refused when absent. */
export function imageOf(document: XmlElement): XmlElement {
  const image = child(document, 'IMAGE');
  if (!image) throw new OneProtocolError('The driver action document has no <IMAGE>.');
  return image;
}

/** The `<DATASTORE>` of a DS document; refused when absent. */
export function datastoreOf(document: XmlElement): XmlElement {
  const datastore = child(document, 'DATASTORE');
  if (!datastore) throw new OneProtocolError('The driver action document has no <DATASTORE>.');
  return datastore;
}

/** A required text field of an XML element. */
export function requiredText(element: XmlElement, path: string): string {
  const value = textAt(element, path);
  if (value === undefined) throw new OneProtocolError(`<${element.name}/${path}> is missing or empty.`);
  return value;
}

/** A yes/no attribute (`YES`, `yes`, `1`, `true` count as yes). */
export function flagAt(element: XmlElement | undefined, path: string): boolean {
  return /^(yes|1|true|on)$/i.test(textAt(element, path) ?? '');
}
