/**
 * Request bodies read the way the controller reads them. Its REST layer maps every body onto a class
 * of linstor-server `controller/src/main/java/com/linbit/linstor/api/rest/v1/serializer/JsonGenTypes.java`
 * with a default Jackson `ObjectMapper` (e.g. `api/rest/v1/Resources.java`), so:
 *  - a field the class does not have fails the body ("Unable to parse input json.", the Jackson
 *    text in `details`);
 *  - scalars are coerced to the field's type: `"2"` becomes 2 for a number field (the `linstor`
 *    client sends `rg create --place-count 2` that way), 2 becomes `"2"` for a string field,
 *    `"true"` becomes true; a fraction sent for an integer field is truncated; an empty string
 *    sent for a number is null;
 *  - a value of the wrong structure (an object for a string, a string for a list) fails the body.
 * The shapes below list the fields of the classes the emulator's routes read, in our own notation.
 */

/** The type of one field: a scalar, a list or string-keyed map of a type, a nested class, or anything. */
export type FieldShape =
  | 'string'
  | 'int'
  | 'number'
  | 'bool'
  | 'any'
  | BodyShape
  | { readonly list: FieldShape }
  | { readonly map: FieldShape };

/** One JsonGenTypes class: its name (for error texts) and its fields. */
export interface BodyShape {
  readonly className: string;
  readonly fields: Readonly<Record<string, FieldShape>>;
}

/** What a route reads: one object, or a JSON array of objects (`ResourceCreate[]`). */
export type RequestShape = BodyShape | { readonly list: BodyShape };

/** A body the controller would fail to map; `message` is the Jackson-style text for `details`. */
export class BodyMappingError extends Error {}

const JAVA_TYPES: Record<'string' | 'int' | 'number' | 'bool', string> = {
  string: 'java.lang.String',
  int: 'java.lang.Integer',
  number: 'java.lang.Double',
  bool: 'java.lang.Boolean',
};
const CLASS_PREFIX = 'com.linbit.linstor.api.rest.v1.serializer.JsonGenTypes$';

function isShape(shape: FieldShape): shape is BodyShape {
  return typeof shape === 'object' && 'className' in shape;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'Array value';
  if (value !== null && typeof value === 'object') return 'Object value';
  if (typeof value === 'string') return `String "${value}"`;
  return `${typeof value} value (${String(value)})`;
}

function mismatch(type: string, value: unknown, path: string): BodyMappingError {
  return new BodyMappingError(
    `Cannot deserialize value of type \`${type}\` from ${describe(value)} (through reference chain: ${path})`,
  );
}

function decodeScalar(value: unknown, shape: 'string' | 'int' | 'number' | 'bool', path: string): unknown {
  const type = JAVA_TYPES[shape];
  if (shape === 'string') {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw mismatch(type, value, path);
  }
  if (shape === 'bool') {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number' && Number.isInteger(value)) return value !== 0;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    throw mismatch(type, value, path);
  }
  if (typeof value === 'number') return shape === 'int' ? Math.trunc(value) : value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (shape === 'int' ? /^[+-]?\d+$/.test(text) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
      return Number(text);
    }
  }
  throw mismatch(type, value, path);
}

function decodeField(value: unknown, shape: FieldShape, path: string): unknown {
  if (value === null || shape === 'any') return value;
  if (typeof shape === 'string') return decodeScalar(value, shape, path);
  if (isShape(shape)) return decodeObject(value, shape, path);
  if ('list' in shape) {
    if (!Array.isArray(value)) throw mismatch('java.util.ArrayList', value, path);
    return value.map((item, i) => decodeField(item, shape.list, `${path}[${i}]`));
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw mismatch('java.util.LinkedHashMap', value, path);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = decodeField(item, shape.map, `${path}["${key}"]`);
  return out;
}

function decodeObject(value: unknown, shape: BodyShape, path: string): Record<string, unknown> {
  const className = CLASS_PREFIX + shape.className;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw mismatch(className, value, path);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const field = shape.fields[key];
    if (field === undefined) {
      const known = Object.keys(shape.fields);
      throw new BodyMappingError(
        `Unrecognized field "${key}" (class ${className}), not marked as ignorable ` +
          `(${known.length} known properties: ${known.map((k) => `"${k}"`).join(', ')})`,
      );
    }
    out[key] = decodeField(item, field, `${path}["${key}"]`);
  }
  return out;
}

/**
 * The body as the controller's mapping leaves it (coerced scalars), or a BodyMappingError.
 * An absent body stays absent: the routes treat it as `{}`, as they did before.
 */
export function decodeRequestBody(body: unknown, shape: RequestShape): unknown {
  if (body === undefined) return undefined;
  if ('list' in shape) {
    if (!Array.isArray(body)) throw mismatch(`${CLASS_PREFIX}${shape.list.className}[]`, body, '$');
    return body.map((item, i) => decodeObject(item, shape.list, `${shape.list.className}[${i}]`));
  }
  return decodeObject(body, shape, shape.className);
}

const shape = (className: string, fields: Record<string, FieldShape>): BodyShape => ({ className, fields });
const STRINGS = { list: 'string' } as const;
const PROPS = { map: 'string' } as const;
const PROPS_MODIFY = { override_props: PROPS, delete_props: STRINGS, delete_namespaces: STRINGS } as const;
const SNAP_COPY = { snap_names: STRINGS, copy_all_snaps: 'bool' } as const;

const API_CALL_RC = shape('ApiCallRc', {
  ret_code: 'number',
  message: 'string',
  cause: 'string',
  details: 'string',
  correction: 'string',
  error_report_ids: STRINGS,
  obj_refs: PROPS,
  created_at: 'string',
});

const AUTO_SELECT_FILTER = shape('AutoSelectFilter', {
  place_count: 'int',
  additional_place_count: 'int',
  node_name_list: STRINGS,
  storage_pool: 'string',
  storage_pool_list: STRINGS,
  storage_pool_diskless_list: STRINGS,
  not_place_with_rsc: STRINGS,
  not_place_with_rsc_regex: 'string',
  replicas_on_same: STRINGS,
  replicas_on_different: STRINGS,
  x_replicas_on_different_map: { map: 'int' },
  layer_stack: STRINGS,
  provider_list: STRINGS,
  diskless_on_remaining: 'bool',
  diskless_type: 'string',
  overprovision: 'number',
  port_count: 'int',
});

/** A `type`/`data` pair of a layer list; `data` depends on `type` and is taken as it comes. */
const layerData = (className: string) => shape(className, { type: 'string', data: 'any' });

const VOLUME_DEFINITION = shape('VolumeDefinition', {
  volume_number: 'int',
  size_kib: 'int',
  props: PROPS,
  flags: STRINGS,
  layer_data: { list: layerData('VolumeDefinitionLayer') },
  uuid: 'string',
});

const RESOURCE_DEFINITION = shape('ResourceDefinition', {
  name: 'string',
  external_name: 'string',
  props: PROPS,
  flags: STRINGS,
  layer_data: { list: layerData('ResourceDefinitionLayer') },
  uuid: 'string',
  resource_group_name: 'string',
  volume_definitions: { list: VOLUME_DEFINITION },
});

const RESOURCE = shape('Resource', {
  name: 'string',
  node_name: 'string',
  props: PROPS,
  // Response-only parts a client may echo back; their deep layouts are taken as they come.
  effective_props: 'any',
  flags: STRINGS,
  layer_object: 'any',
  state: 'any',
  uuid: 'string',
  create_timestamp: 'int',
});

const NET_INTERFACE = shape('NetInterface', {
  name: 'string',
  address: 'string',
  satellite_port: 'int',
  satellite_encryption_type: 'string',
  is_active: 'bool',
  uuid: 'string',
});

const SNAPSHOT_VOLUME_DEFINITION = shape('SnapshotVolumeDefinition', {
  volume_number: 'int',
  size_kib: 'int',
  snapshot_volume_definition_props: PROPS,
  volume_definition_props: PROPS,
});

const SNAPSHOT = shape('Snapshot', {
  name: 'string',
  resource_name: 'string',
  nodes: STRINGS,
  props: PROPS,
  snapshot_definition_props: PROPS,
  resource_definition_props: PROPS,
  flags: STRINGS,
  volume_definitions: { list: SNAPSHOT_VOLUME_DEFINITION },
  uuid: 'string',
  snapshots: { list: 'any' },
});

/** The request classes, by their JsonGenTypes name. */
export const REQUEST_SHAPES = {
  ControllerPropsModify: shape('ControllerPropsModify', PROPS_MODIFY),
  KeyValueStoreModify: shape('KeyValueStoreModify', PROPS_MODIFY),
  Node: shape('Node', {
    name: 'string',
    type: 'string',
    flags: STRINGS,
    props: PROPS,
    net_interfaces: { list: NET_INTERFACE },
    connection_status: 'string',
    uuid: 'string',
    storage_providers: STRINGS,
    resource_layers: STRINGS,
    unsupported_providers: { map: STRINGS },
    unsupported_layers: { map: STRINGS },
    eviction_timestamp: 'int',
    platform: 'string',
    os_variant: 'string',
  }),
  NodeModify: shape('NodeModify', { node_type: 'string', ...PROPS_MODIFY }),
  StoragePool: shape('StoragePool', {
    storage_pool_name: 'string',
    node_name: 'string',
    provider_kind: 'string',
    props: PROPS,
    static_traits: PROPS,
    free_capacity: 'int',
    total_capacity: 'int',
    free_space_mgr_name: 'string',
    uuid: 'string',
    reports: { list: API_CALL_RC },
    supports_snapshots: 'bool',
    shared_space: 'string',
    external_locking: 'bool',
  }),
  StoragePoolDefinitionModify: shape('StoragePoolDefinitionModify', PROPS_MODIFY),
  ResourceDefinitionCreate: shape('ResourceDefinitionCreate', {
    drbd_port: 'int',
    drbd_secret: 'string',
    drbd_peer_slots: 'int',
    drbd_transport_type: 'string',
    resource_definition: RESOURCE_DEFINITION,
  }),
  ResourceDefinitionModify: shape('ResourceDefinitionModify', {
    ...PROPS_MODIFY,
    drbd_port: 'int',
    drbd_peer_slots: 'int',
    layer_stack: STRINGS,
    resource_group: 'string',
  }),
  ResourceDefinitionCloneRequest: shape('ResourceDefinitionCloneRequest', {
    name: 'string',
    external_name: 'string',
    use_zfs_clone: 'bool',
    layer_list: STRINGS,
    volume_passphrases: STRINGS,
    resource_group: 'string',
    ...PROPS_MODIFY,
  }),
  VolumeDefinitionCreate: shape('VolumeDefinitionCreate', {
    volume_definition: VOLUME_DEFINITION,
    drbd_minor_number: 'int',
    passphrase: 'string',
  }),
  VolumeDefinitionModify: shape('VolumeDefinitionModify', {
    size_kib: 'int',
    ...PROPS_MODIFY,
    flags: STRINGS,
  }),
  ResourceGroup: shape('ResourceGroup', {
    name: 'string',
    description: 'string',
    props: PROPS,
    select_filter: AUTO_SELECT_FILTER,
    uuid: 'string',
    peer_slots: 'int',
  }),
  ResourceGroupModify: shape('ResourceGroupModify', {
    description: 'string',
    ...PROPS_MODIFY,
    select_filter: AUTO_SELECT_FILTER,
    peer_slots: 'int',
    ...SNAP_COPY,
  }),
  ResourceGroupSpawn: shape('ResourceGroupSpawn', {
    resource_definition_name: 'string',
    resource_definition_external_name: 'string',
    volume_sizes: { list: 'int' },
    select_filter: AUTO_SELECT_FILTER,
    partial: 'bool',
    definitions_only: 'bool',
    peer_slots: 'int',
    volume_passphrases: STRINGS,
    resource_definition_props: PROPS,
  }),
  ResourceGroupAdjust: shape('ResourceGroupAdjust', { select_filter: AUTO_SELECT_FILTER, ...SNAP_COPY }),
  QuerySizeInfoRequest: shape('QuerySizeInfoRequest', {
    select_filter: AUTO_SELECT_FILTER,
    ignore_cache_older_than_sec: 'int',
  }),
  QueryAllSizeInfoRequest: shape('QueryAllSizeInfoRequest', {
    select_filter: AUTO_SELECT_FILTER,
    ignore_cache_older_than_sec: 'int',
  }),
  VolumeGroup: shape('VolumeGroup', { volume_number: 'int', props: PROPS, uuid: 'string', flags: STRINGS }),
  VolumeGroupModify: shape('VolumeGroupModify', { ...PROPS_MODIFY, flags: STRINGS }),
  ResourceCreate: shape('ResourceCreate', {
    resource: RESOURCE,
    layer_list: STRINGS,
    drbd_node_id: 'int',
    drbd_tcp_port_count: 'int',
    drbd_tcp_ports: { list: 'int' },
    ...SNAP_COPY,
    drbd_client: 'bool',
  }),
  ResourceModify: shape('ResourceModify', { ...PROPS_MODIFY, drbd_tiebreaker: 'bool', drbd_client: 'bool' }),
  ResourceMakeAvailable: shape('ResourceMakeAvailable', {
    layer_list: STRINGS,
    diskful: 'bool',
    drbd_tcp_ports: { list: 'int' },
    ...SNAP_COPY,
  }),
  AutoPlaceRequest: shape('AutoPlaceRequest', {
    diskless_on_remaining: 'bool',
    select_filter: AUTO_SELECT_FILTER,
    layer_list: STRINGS,
    ...SNAP_COPY,
  }),
  ToggleDiskRequest: shape('ToggleDiskRequest', {
    operation: 'string',
    storage_pool: 'string',
    migrate_from: 'string',
    layer_list: STRINGS,
  }),
  ResourceConnectionModify: shape('ResourceConnectionModify', PROPS_MODIFY),
  VolumeModify: shape('VolumeModify', PROPS_MODIFY),
  CreateMultiSnapshotRequest: shape('CreateMultiSnapshotRequest', { snapshots: { list: SNAPSHOT } }),
  Snapshot: SNAPSHOT,
  SnapshotModify: shape('SnapshotModify', PROPS_MODIFY),
  SnapshotRestore: shape('SnapshotRestore', {
    to_resource: 'string',
    nodes: STRINGS,
    stor_pool_rename: PROPS,
  }),
} as const satisfies Record<string, BodyShape>;
