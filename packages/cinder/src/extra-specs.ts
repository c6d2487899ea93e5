/**
 * The `linstor:*` extra specs of a volume type (the keys of LINBIT's v2 driver), parsed into the
 * shape of the type's resource group. Values arrive as strings ("3", "True", Cinder's `<is> True`);
 * an unknown `linstor:` key or a bad value is refused with the key and the reason. Keys of other
 * scopes belong to other consumers and are ignored.
 */

import type { AutoSelectFilter, LayerType, Props, ProviderKind } from '@linstor-hv/api';
import type { GroupShape } from '@linstor-hv/core';
import { CinderError } from './errors';
import type { BackendConfig, VolumeType } from './protocol';

const PREFIX = 'linstor:';
/** Replicas of a type that names none (LINSTOR's own default place count). */
const DEFAULT_REPLICAS = 2;
const PROPERTY_PREFIX = 'linstor:property:';

/** Every layer and provider kind LINSTOR knows (the api's types keep these lists complete). */
const LAYER_WORDS: Record<LayerType, true> = {
  DRBD: true,
  LUKS: true,
  STORAGE: true,
  NVME: true,
  WRITECACHE: true,
  CACHE: true,
  BCACHE: true,
  OPENFLEX: true,
};
const PROVIDER_WORDS: Record<ProviderKind, true> = {
  DISKLESS: true,
  LVM: true,
  LVM_THIN: true,
  ZFS: true,
  ZFS_THIN: true,
  FILE: true,
  FILE_THIN: true,
  SPDK: true,
  REMOTE_SPDK: true,
  EBS_TARGET: true,
  EBS_INIT: true,
  STORAGE_SPACES: true,
  STORAGE_SPACES_THIN: true,
  EXOS: true,
};
const LAYERS: ReadonlySet<string> = new Set(Object.keys(LAYER_WORDS));
const PROVIDERS: ReadonlySet<string> = new Set(Object.keys(PROVIDER_WORDS));
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{1,47}$/;
const PROP_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;

function bad(type: VolumeType, key: string, why: string): CinderError {
  return new CinderError(
    'CINDER_INVALID_EXTRA_SPEC',
    'invalid-argument',
    `Volume type '${type.name || type.id}' has a bad extra spec '${key}': ${why}.`,
  );
}

/** Cinder's scheduler syntax `<is> True` or a plain word. */
function parseBool(type: VolumeType, key: string, raw: string): boolean {
  const value = raw
    .replace(/^<is>\s*/i, '')
    .trim()
    .toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(value)) return true;
  if (['false', 'no', '0', 'off'].includes(value)) return false;
  throw bad(type, key, `'${raw}' is not true or false`);
}

function parseList(type: VolumeType, key: string, raw: string): string[] {
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw bad(type, key, 'the list is empty');
  return items;
}

function parseChoices(type: VolumeType, key: string, raw: string, allowed: ReadonlySet<string>): string[] {
  return parseList(type, key, raw).map((item) => {
    const upper = item.toUpperCase();
    if (!allowed.has(upper)) throw bad(type, key, `'${item}' is not one of ${[...allowed].join(', ')}`);
    return upper;
  });
}

/** `key` or `key=value` items of replicas_on_same/different, under `Aux/` as v2 puts them. */
function parseAuxList(type: VolumeType, key: string, raw: string): string[] {
  return parseList(type, key, raw).map((item) => {
    const [name] = item.split('=', 1);
    if (name === undefined || !PROP_KEY.test(name)) throw bad(type, key, `'${item}' is not a property name`);
    return `Aux/${item}`;
  });
}

/** Where the v1 options put diskful replicas (see `Backend.v1Placement`). */
export interface V1Placement {
  readonly placeCount: number;
  /** The only nodes that may hold them (every node with the pool, less the Cinder host's). */
  readonly nodes?: readonly string[];
}

/** A LINSTOR name made of a backend name (the characters LINSTOR refuses become `_`). */
function nameOf(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
}

/**
 * The resource group of a volume type; untyped volumes go to `linstor_default_resource_group_name`,
 * or in a v1 section to a group of the backend that the v1 options shape.
 */
export function groupNameOf(type: VolumeType | undefined, backend: BackendConfig): string {
  if (type) return `cinder-${type.id}`;
  return backend.v1Section ? `cinder-v1-${nameOf(backend.name)}` : backend.defaultResourceGroup;
}

/**
 * The shape the group of `type` must have: its `linstor:*` specs over the backend's defaults
 * (`linstor_default_storage_pool_name`, and `linstor_autoplace_count` with
 * `linstor_controller_diskless` as `v1` resolves them).
 */
export function groupShapeOf(type: VolumeType, backend: BackendConfig, v1?: V1Placement): GroupShape {
  const filter: AutoSelectFilter = {};
  const props: Props = {};
  for (const [key, raw] of Object.entries(type.extraSpecs)) {
    if (!key.startsWith(PREFIX)) continue;
    if (key.startsWith(PROPERTY_PREFIX)) {
      const propKey = key.slice(PROPERTY_PREFIX.length).replaceAll(':', '/');
      if (!PROP_KEY.test(propKey) || propKey.startsWith('Aux/linstor-hv')) {
        throw bad(type, key, `'${propKey}' is not a usable LINSTOR property key`);
      }
      props[propKey] = raw;
      continue;
    }
    const name = key.slice(PREFIX.length);
    switch (name) {
      case 'storage_pool':
        filter.storage_pool_list = parseList(type, key, raw).map((pool) => {
          if (!NAME.test(pool)) throw bad(type, key, `'${pool}' is not a storage pool name`);
          return pool;
        });
        break;
      case 'redundancy': {
        const value = raw.trim();
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 32) {
          throw bad(type, key, `'${raw}' is not a replica count from 1 to 32`);
        }
        filter.place_count = Number(value);
        break;
      }
      case 'diskless_on_remaining':
        filter.diskless_on_remaining = parseBool(type, key, raw);
        break;
      case 'do_not_place_with_regex':
        try {
          new RegExp(raw);
        } catch {
          throw bad(type, key, `'${raw}' is not a regular expression`);
        }
        filter.not_place_with_rsc_regex = raw;
        break;
      case 'layer_list':
        filter.layer_stack = parseChoices(type, key, raw, LAYERS);
        break;
      case 'provider_list':
        filter.provider_list = parseChoices(type, key, raw, PROVIDERS);
        break;
      case 'replicas_on_same':
        filter.replicas_on_same = parseAuxList(type, key, raw);
        break;
      case 'replicas_on_different':
        filter.replicas_on_different = parseAuxList(type, key, raw);
        break;
      default:
        throw bad(
          type,
          key,
          'unknown key; use storage_pool, redundancy, diskless_on_remaining, do_not_place_with_regex, layer_list, provider_list, replicas_on_same, replicas_on_different or property:<Key>',
        );
    }
  }
  // v1's node list was read for the default pool; a type that names its pools keeps only the count.
  const ownPools = filter.storage_pool_list !== undefined;
  if (!ownPools && backend.defaultStoragePool !== undefined) {
    filter.storage_pool_list = [backend.defaultStoragePool];
  }
  applyV1(filter, v1, !ownPools);
  // Always a place count: a group without one is how LINBIT's v2 driver ended up with volumes
  // that had no replica at all.
  filter.place_count ??= DEFAULT_REPLICAS;
  return {
    description: `For volume type "${type.name || type.id}"`,
    selectFilter: filter,
    ...(Object.keys(props).length > 0 ? { props } : {}),
  };
}

/** The v1 placement, where the type's own specs leave room: its count and its nodes. */
function applyV1(filter: AutoSelectFilter, v1: V1Placement | undefined, withNodes = true): void {
  if (!v1) return;
  filter.place_count ??= v1.placeCount;
  if (withNodes && v1.nodes) filter.node_name_list = [...v1.nodes];
}

/**
 * The shape of the group of untyped volumes. `linstor_default_resource_group_name` is the
 * operator's: created when absent, never changed. A v1 section's group is this backend's own and
 * follows the v1 options.
 */
export function defaultGroupShape(backend: BackendConfig, v1?: V1Placement): GroupShape {
  const filter: AutoSelectFilter = {};
  if (backend.defaultStoragePool !== undefined) filter.storage_pool_list = [backend.defaultStoragePool];
  applyV1(filter, v1);
  if (backend.v1Section) {
    filter.place_count ??= DEFAULT_REPLICAS;
    return {
      description: `For untyped Cinder volumes of backend "${backend.name}" (v1 options)`,
      selectFilter: filter,
    };
  }
  return {
    description: 'For Cinder volumes without a volume type',
    selectFilter: filter,
    keepExisting: true,
  };
}
