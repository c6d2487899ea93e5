/**
 * The parameters the Python driver sends with each bridge call, parsed once and strictly: a field
 * of the wrong type or a missing required field is a {@link CinderParamsError} (JSON-RPC -32602)
 * before anything is read from or written to LINSTOR.
 */

import { CinderError } from './errors';

/** The backend's `cinder.conf` section as the driver sends it (every call carries it). */
export interface BackendConfig {
  /** `volume_backend_name`, else the section name; used in messages and stats. */
  readonly name: string;
  /** Controllers: `linstor_uris`, else `linstor_default_uri`. */
  readonly uris: readonly string[];
  readonly trustedCa: string | undefined;
  readonly clientCert: string | undefined;
  readonly clientKey: string | undefined;
  /** `linstor_timeout`, seconds. */
  readonly timeoutS: number;
  /** `linstor_default_resource_group_name`: the group of volumes without a volume type. */
  readonly defaultResourceGroup: string;
  /** `linstor_default_storage_pool_name` (unset: the group's own pools; a v1 section: `DfltStorPool`). */
  readonly defaultStoragePool: string | undefined;
  /**
   * `linstor_autoplace_count` as v1 meant it: 0 = a diskful replica on every node with the storage
   * pool, n = n replicas; undefined (not set in a v2 section) = the group's own place count.
   */
  readonly autoplaceCount: number | undefined;
  /** `linstor_controller_diskless`: the Cinder host's node holds no diskful replica. */
  readonly controllerDiskless: boolean;
  /**
   * The section is written for the v1 driver (no v2-only option): its untyped volumes go to a
   * group of this backend (`cinder-v1-<name>`) shaped by the v1 options.
   */
  readonly v1Section: boolean;
  /** `linstor_default_volume_group_name`: the LVM VG v1 built missing storage pools on (named in errors). */
  readonly v1VolumeGroup: string | undefined;
  /** `linstor_volume_downsize_factor`, KiB taken off v1 (`CV_`) volumes. */
  readonly downsizeFactorKib: number;
  /** `linstor_default_blocksize`, bytes per dd block for image copies. */
  readonly blocksize: number;
  /** `linstor_direct` (or the class): DRBD `local` attach on compute nodes instead of a target. */
  readonly direct: boolean;
  /** `linstor_force_udev`. */
  readonly forceUdev: boolean;
  /** `linstor_connector_host_property`: a node property equal to Nova's host name. */
  readonly connectorHostProperty: string | undefined;
  /** The Cinder host's LINSTOR node candidates: the hostname file's content, else host names. */
  readonly cinderHosts: readonly string[];
  /** `my_ip` of the Cinder host. */
  readonly cinderIp: string | undefined;
  /** `reserved_percentage`, `max_over_subscription_ratio` from Cinder's own options. */
  readonly reservedPercentage: number;
  readonly maxOverSubscriptionRatio: number | undefined;
  /** Where a node's `/dev` is; `{node}` stands for the node name (test clusters on one machine). */
  readonly deviceRoot: string;
}

/** A Cinder volume type as the driver sends it. */
export interface VolumeType {
  readonly id: string;
  readonly name: string;
  readonly extraSpecs: Readonly<Record<string, string>>;
}

/** One attachment of a volume. */
export interface Attachment {
  readonly id: string;
  readonly host: string | undefined;
  readonly status: string | undefined;
}

/** A Cinder volume as the driver sends it. */
export interface CinderVolume {
  readonly id: string;
  /** `name_id`: differs from `id` after a generic migration. */
  readonly nameId: string;
  /** Size in GiB. */
  readonly size: number;
  readonly providerLocation: string | undefined;
  readonly volumeType: VolumeType | undefined;
  readonly multiattach: boolean;
  readonly attachments: readonly Attachment[];
  readonly status: string | undefined;
}

/** A Cinder snapshot as the driver sends it. */
export interface CinderSnapshot {
  readonly id: string;
  readonly volumeSize: number;
  readonly volume: CinderVolume;
}

/** An os-brick connector (only the fields used here). */
export interface Connector {
  readonly host: string;
  readonly ip: string | undefined;
}

/** The parameters were not what the driver contract says (JSON-RPC -32602). */
export class CinderParamsError extends CinderError {
  override name = 'CinderParamsError';
  readonly rpcCode = -32602;
  constructor(message: string) {
    super('CINDER_INVALID_PARAMS', 'invalid-argument', message);
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed fields of one object, naming the field's full path in errors. */
export class Fields {
  constructor(
    private readonly value: Json,
    private readonly path: string,
  ) {}

  static of(value: unknown, path: string): Fields {
    if (!isObject(value)) throw new CinderParamsError(`'${path}' must be an object.`);
    return new Fields(value, path);
  }

  private where(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }

  string(key: string): string {
    const v = this.value[key];
    if (typeof v !== 'string' || v === '')
      throw new CinderParamsError(`'${this.where(key)}' must be a non-empty string.`);
    return v;
  }

  optString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  number(key: string, options: { min?: number; integer?: boolean } = {}): number {
    const v = this.value[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || (options.integer && !Number.isInteger(v))) {
      throw new CinderParamsError(
        `'${this.where(key)}' must be a${options.integer ? 'n integer' : ' number'}.`,
      );
    }
    if (options.min !== undefined && v < options.min) {
      throw new CinderParamsError(`'${this.where(key)}' must be at least ${options.min}.`);
    }
    return v;
  }

  optNumber(key: string, options: { min?: number; integer?: boolean } = {}): number | undefined {
    return this.has(key) ? this.number(key, options) : undefined;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.value[key];
    if (typeof v !== 'boolean') throw new CinderParamsError(`'${this.where(key)}' must be true or false.`);
    return v;
  }

  strings(key: string): string[] {
    if (!this.has(key)) return [];
    const v = this.value[key];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
      throw new CinderParamsError(`'${this.where(key)}' must be a list of strings.`);
    }
    return v as string[];
  }

  object(key: string): Fields {
    return Fields.of(this.value[key], this.where(key));
  }

  list(key: string): Fields[] {
    if (!this.has(key)) return [];
    const v = this.value[key];
    if (!Array.isArray(v)) throw new CinderParamsError(`'${this.where(key)}' must be a list.`);
    return v.map((item, i) => Fields.of(item, `${this.where(key)}[${i}]`));
  }

  stringMap(key: string): Record<string, string> {
    if (!this.has(key)) return {};
    const v = this.value[key];
    if (!isObject(v)) throw new CinderParamsError(`'${this.where(key)}' must be an object.`);
    const out: Record<string, string> = {};
    for (const [k, item] of Object.entries(v)) {
      if (typeof item !== 'string')
        throw new CinderParamsError(`'${this.where(key)}.${k}' must be a string.`);
      out[k] = item;
    }
    return out;
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

function id(fields: Fields, key: string): string {
  const value = fields.string(key);
  if (!ID.test(value)) throw new CinderParamsError(`'${key}' ${JSON.stringify(value)} is not a Cinder id.`);
  return value;
}

/**
 * How long the Python driver lets one call run, retries and a bridge restart included
 * (`max(60, 5 × linstor_timeout)` seconds; linstordrv.py builds its bridge client with it).
 */
export function callBudgetMs(config: Pick<BackendConfig, 'timeoutS'>): number {
  return Math.max(60, 5 * config.timeoutS) * 1000;
}

/** Parses the `backend` object every call carries. */
export function parseBackend(params: Fields): BackendConfig {
  const b = params.object('backend');
  const uris = b.strings('uris');
  if (uris.length === 0) throw new CinderParamsError("'backend.uris' must name at least one controller.");
  const cinderHosts = b.strings('cinderHosts');
  return {
    name: b.string('name'),
    uris,
    trustedCa: b.optString('trustedCa'),
    clientCert: b.optString('clientCert'),
    clientKey: b.optString('clientKey'),
    timeoutS: b.optNumber('timeoutS', { min: 1 }) ?? 60,
    defaultResourceGroup: b.optString('defaultResourceGroup') ?? 'DfltRscGrp',
    defaultStoragePool: b.optString('defaultStoragePool'),
    autoplaceCount: b.optNumber('autoplaceCount', { min: 0, integer: true }),
    controllerDiskless: b.bool('controllerDiskless', false),
    v1Section: b.bool('v1Section', false),
    v1VolumeGroup: b.optString('v1VolumeGroup'),
    downsizeFactorKib: b.optNumber('downsizeFactorKib', { min: 0 }) ?? 4096,
    blocksize: b.optNumber('blocksize', { min: 512, integer: true }) ?? 4096,
    direct: b.bool('direct', true),
    forceUdev: b.bool('forceUdev', true),
    connectorHostProperty: b.optString('connectorHostProperty'),
    cinderHosts,
    cinderIp: b.optString('cinderIp'),
    reservedPercentage: b.optNumber('reservedPercentage', { min: 0 }) ?? 0,
    maxOverSubscriptionRatio: b.optNumber('maxOverSubscriptionRatio', { min: 1 }),
    deviceRoot: b.optString('deviceRoot') ?? '/dev',
  };
}

/** Parses a volume type at `key` (absent or null: no type). */
export function parseVolumeType(params: Fields, key: string): VolumeType | undefined {
  if (!params.has(key)) return undefined;
  const type = params.object(key);
  return { id: id(type, 'id'), name: type.optString('name') ?? '', extraSpecs: type.stringMap('extraSpecs') };
}

/** Parses a volume object at `key` of the params. */
export function parseVolume(params: Fields, key = 'volume'): CinderVolume {
  const v = params.object(key);
  return {
    id: id(v, 'id'),
    nameId: v.has('nameId') ? id(v, 'nameId') : id(v, 'id'),
    size: v.number('size', { min: 1, integer: true }),
    providerLocation: v.optString('providerLocation'),
    volumeType: parseVolumeType(v, 'volumeType'),
    multiattach: v.bool('multiattach', false),
    attachments: v.list('attachments').map((a) => ({
      id: a.string('id'),
      host: a.optString('host'),
      status: a.optString('status'),
    })),
    status: v.optString('status'),
  };
}

/** Parses a snapshot object (with its volume) at `key` of the params. */
export function parseSnapshot(params: Fields, key = 'snapshot'): CinderSnapshot {
  const s = params.object(key);
  return {
    id: id(s, 'id'),
    volumeSize: s.number('volumeSize', { min: 1, integer: true }),
    volume: parseVolume(s, 'volume'),
  };
}

/** Parses a connector at `key`; `null` (force detach) gives undefined. */
export function parseConnector(params: Fields, key = 'connector'): Connector | undefined {
  if (!params.has(key)) return undefined;
  const c = params.object(key);
  return { host: c.string('host'), ip: c.optString('ip') };
}
