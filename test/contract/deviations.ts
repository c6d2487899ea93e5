/**
 * Every place where the real LINSTOR controller (v1.34.x, REST API 1.28.0) is known to answer
 * differently from its own OpenAPI contract. The contract validator in `openapi.ts` consults this
 * table and nothing else to loosen validation, so each relaxation is visible here with its reason.
 *
 * Each reason is quoted word for word from the document named in `source` (a test checks that every
 * quote is really there, ignoring Markdown emphasis and line breaks); `note` adds our own words where
 * the quote needs them. Entries whose `source` is "spec analysis" are defects of the spec document
 * itself that no server body could satisfy; their `note` explains why.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'HEAD';

export type DeviationRule =
  /** Paths that are not part of the LINSTOR REST API at all; their bodies are not checked. */
  | { kind: 'outside-spec'; pathPrefix: string }
  /** A `/v1` path the spec does not know answers 404/405 with an ApiCallRcList. */
  | { kind: 'unknown-route-reply'; statuses: readonly number[]; schema: string }
  /**
   * Error statuses (4xx/5xx) of any endpoint carry an ApiCallRcList, also where the spec declares the
   * single-object `OperationFailed` response, declares no body, or does not declare the status.
   */
  | { kind: 'error-replies-are-lists'; schema: string }
  /** A GET on `template` returns one element of the list that `listTemplate` returns. */
  | { kind: 'single-object-get'; template: string; listTemplate: string }
  /** A success reply of this operation is one element of the array the spec declares. */
  | { kind: 'element-for-array'; method: HttpMethod; template: string; status: number }
  /** A success reply of this operation carries `schema` where the spec declares no body. */
  | { kind: 'body-where-none'; method: HttpMethod; template: string; status: number; schema: string }
  /** The server answers `serverStatus` where the spec declares `specStatus` for success. */
  | { kind: 'success-status'; method: HttpMethod; template: string; specStatus: number; serverStatus: number }
  /** Error replies of this endpoint use `schema` (any 4xx/5xx status), not the bare list. */
  | { kind: 'error-reply-shape'; method: HttpMethod; template: string; schema: string }
  /** Response bodies may use these extra values for an enum property of a component schema. */
  | { kind: 'extra-enum-values'; schema: string; property: string; extraValues: readonly string[] }
  /** A bound the spec puts on a query or path parameter that the server does not enforce. */
  | { kind: 'parameter-bound-not-enforced'; parameter: string; keyword: 'maximum' | 'minimum' }
  /** Request bodies may leave out a property the spec marks as required in a component schema. */
  | { kind: 'optional-request-property'; schema: string; property: string }
  /** The last path parameter of `template` may contain `/` (the server template is `{key : .*}`). */
  | { kind: 'greedy-path-parameter'; template: string; parameter: string }
  /**
   * `oneOf` over layer payloads is resolved by the sibling `type` field instead of "exactly one
   * matches": `branches` maps each LayerType to the component schema its `data` must satisfy.
   */
  | {
      kind: 'layer-data-by-type';
      schema: string;
      property: string;
      branches: Readonly<Record<string, string>>;
    };

export interface Deviation {
  /** Stable identifier, printed in validation results that relied on this entry. */
  id: string;
  rule: DeviationRule;
  /** Why the real server answers this way: verbatim passages of `source`. */
  quotes: readonly string[];
  /** Our own explanation, where the quotes alone do not carry it. */
  note?: string;
  /** The document (and section) the quotes come from, or "spec analysis". */
  source: string;
}

const SINGLE_OBJECT_GET_QUOTES = [
  'They are not in the spec (the spec only mentions them in prose: "can be queried by adding its name"). ' +
    'Each returns a single object (not an array), or 404 with an ApiCallRcList',
];

function singleObjectGet(id: string, template: string, listTemplate: string): Deviation {
  return {
    id,
    rule: { kind: 'single-object-get', template, listTemplate },
    quotes: SINGLE_OBJECT_GET_QUOTES,
    note: `${template} is validated against the element schema of GET ${listTemplate}.`,
    source: 'linstor-api.md §1 (Single-object GETs)',
  };
}

const BACKUP_STATUS_QUOTES = [
  'POST /v1/remotes/{r}/backups, .../backups/restore, .../backups/ship (the spec says 200 for these three)',
];

export const DEVIATIONS: readonly Deviation[] = [
  {
    id: 'health-outside-spec',
    rule: { kind: 'outside-spec', pathPrefix: '/health' },
    quotes: [
      'GET /health → 200 with empty body when DB and services are up, otherwise 500 with a text body. ' +
        'No auth is needed (together with / and /ui). linstor-proxmox uses it to pick a live controller.',
    ],
    source: 'linstor-api.md §1 (Health)',
  },
  {
    id: 'metrics-outside-spec',
    rule: { kind: 'outside-spec', pathPrefix: '/metrics' },
    quotes: ['GET /metrics is Prometheus text and outside /v1.'],
    source: 'linstor-api.md §1 (Metrics)',
  },
  {
    id: 'emulator-control-api',
    rule: { kind: 'outside-spec', pathPrefix: '/emulator/' },
    quotes: [
      'A test control API outside /v1 (e.g. /emulator/...) lets tests act as the hypervisor and as the network',
      'Adapters never call it.',
    ],
    note: 'It is the emulator’s own API, not LINSTOR’s.',
    source: 'ARCHITECTURE.md (The emulator)',
  },
  {
    id: 'unknown-route-404',
    rule: { kind: 'unknown-route-reply', statuses: [404, 405], schema: 'ApiCallRcList' },
    quotes: [
      'Unknown route → 404 [{"ret_code": FAIL_UNKNOWN_ERROR, "message": "Path \'/v1/…\' not found on server."}].',
      "Wrong method → 405 \"Method 'X' not allowed on path '/…'.\".",
    ],
    source: 'linstor-api.md §3.3',
  },
  {
    id: 'error-replies-are-lists',
    rule: { kind: 'error-replies-are-lists', schema: 'ApiCallRcList' },
    quotes: [
      'Every create, modify, delete or action call returns ApiCallRcList = ApiCallRc[].',
      'Find the first entry with both error bits set. If there is none, keep the success status.',
      '300–399 → 404',
      'anything else → 500. This covers "already exists", "in use", "not enough nodes" and "invalid property".',
    ],
    note:
      'The spec’s shared OperationFailed response names a single ApiCallRc, and most endpoints declare ' +
      'neither 404 nor every error status they can answer.',
    source: 'linstor-api.md §3.1, §3.3',
  },
  singleObjectGet('single-get-node', '/v1/nodes/{node}', '/v1/nodes'),
  {
    id: 'single-get-resource-connection',
    rule: {
      kind: 'single-object-get',
      template: '/v1/resource-definitions/{resource}/resource-connections/{node_a}/{node_b}',
      listTemplate: '/v1/resource-definitions/{resource}/resource-connections',
    },
    quotes: [],
    note:
      'The spec declares a list for one node pair, but the controller answers one ResourceConnection ' +
      '(linstor-server controller/src/main/java/com/linbit/linstor/api/rest/v1/ResourceConnections.java ' +
      "writes resList.get(0) when both nodes are given) or 404 FAIL_NOT_FOUND_RSC_CONN; LINSTOR's own " +
      'client reads it as one object.',
    source: 'spec analysis',
  },
  singleObjectGet(
    'single-get-net-interface',
    '/v1/nodes/{node}/net-interfaces/{netinterface}',
    '/v1/nodes/{node}/net-interfaces',
  ),
  singleObjectGet(
    'single-get-resource-definition',
    '/v1/resource-definitions/{resource}',
    '/v1/resource-definitions',
  ),
  singleObjectGet('single-get-resource-group', '/v1/resource-groups/{resource_group}', '/v1/resource-groups'),
  singleObjectGet(
    'single-get-volume-definition',
    '/v1/resource-definitions/{resource}/volume-definitions/{volume_number}',
    '/v1/resource-definitions/{resource}/volume-definitions',
  ),
  singleObjectGet(
    'single-get-resource',
    '/v1/resource-definitions/{resource}/resources/{node}',
    '/v1/resource-definitions/{resource}/resources',
  ),
  singleObjectGet(
    'single-get-volume',
    '/v1/resource-definitions/{resource}/resources/{node}/volumes/{volume_number}',
    '/v1/resource-definitions/{resource}/resources/{node}/volumes',
  ),
  singleObjectGet(
    'single-get-storage-pool',
    '/v1/nodes/{node}/storage-pools/{storagepool}',
    '/v1/nodes/{node}/storage-pools',
  ),
  singleObjectGet(
    'single-get-volume-group',
    '/v1/resource-groups/{resource_group}/volume-groups/{volume_number}',
    '/v1/resource-groups/{resource_group}/volume-groups',
  ),
  {
    id: 'volume-definition-create-200',
    rule: {
      kind: 'success-status',
      method: 'POST',
      template: '/v1/resource-definitions/{resource}/volume-definitions',
      specStatus: 201,
      serverStatus: 200,
    },
    quotes: ['200 in the server. The spec says 201, so accept any 2xx.'],
    source: 'linstor-api.md §2.6',
  },
  {
    id: 'backup-create-201',
    rule: {
      kind: 'success-status',
      method: 'POST',
      template: '/v1/remotes/{remote_name}/backups',
      specStatus: 200,
      serverStatus: 201,
    },
    quotes: BACKUP_STATUS_QUOTES,
    source: 'linstor-api.md §3.3',
  },
  {
    id: 'backup-restore-201',
    rule: {
      kind: 'success-status',
      method: 'POST',
      template: '/v1/remotes/{remote_name}/backups/restore',
      specStatus: 200,
      serverStatus: 201,
    },
    quotes: BACKUP_STATUS_QUOTES,
    source: 'linstor-api.md §3.3',
  },
  {
    id: 'backup-ship-201',
    rule: {
      kind: 'success-status',
      method: 'POST',
      template: '/v1/remotes/{remote_name}/backups/ship',
      specStatus: 200,
      serverStatus: 201,
    },
    quotes: BACKUP_STATUS_QUOTES,
    source: 'linstor-api.md §3.3',
  },
  {
    id: 'passphrase-create-201',
    rule: {
      kind: 'success-status',
      method: 'POST',
      template: '/v1/encryption/passphrase',
      specStatus: 200,
      serverStatus: 201,
    },
    quotes: [
      'Success status per endpoint (server code wins over the spec where they differ):',
      'POST /v1/encryption/passphrase',
    ],
    note: 'It is listed under 201; the spec declares 200.',
    source: 'linstor-api.md §3.3',
  },
  {
    id: 'clone-error-wrapped',
    rule: {
      kind: 'error-reply-shape',
      method: 'POST',
      template: '/v1/resource-definitions/{resource}/clone',
      schema: 'ResourceDefinitionCloneStarted',
    },
    quotes: [
      'On error: 500 with the same object shape, with the errors in messages — not a bare ApiCallRcList.',
    ],
    note: 'The status itself follows the §3.3 mapping of the first error entry, so the shape holds for every error status.',
    source: 'linstor-api.md §2.5',
  },
  {
    id: 'node-type-upper-case',
    rule: {
      kind: 'extra-enum-values',
      schema: 'Node',
      property: 'type',
      extraValues: ['CONTROLLER', 'SATELLITE', 'COMBINED', 'AUXILIARY'],
    },
    quotes: [
      'type: the server emits the enum name in upper case, e.g. "SATELLITE" or "COMBINED", while the spec ' +
        'enum lists Satellite. Compare case-insensitively.',
    ],
    source: 'linstor-api.md §2.2',
  },
  {
    id: 'limit-maximum-not-enforced',
    rule: { kind: 'parameter-bound-not-enforced', parameter: 'limit', keyword: 'maximum' },
    quotes: [
      'limit=0 (the default) means no limit. The spec says maximum: 50, but the server does not enforce it ' +
        '(if (limit > 0) skip(offset).limit(limit)).',
    ],
    source: 'linstor-api.md §1 (Pagination)',
  },
  {
    id: 'autoplace-empty-body',
    rule: { kind: 'optional-request-property', schema: 'AutoPlaceRequest', property: 'select_filter' },
    quotes: ["An empty body {} is valid and uses the RG's settings. linstor-proxmox does this."],
    note: 'The spec marks select_filter as required.',
    source: 'linstor-api.md §2.7 (Autoplace semantics)',
  },
  {
    id: 'controller-property-key-with-slashes',
    rule: { kind: 'greedy-path-parameter', template: '/v1/controller/properties/{key}', parameter: 'key' },
    quotes: [
      '{key} may contain / (server path template {key : .*}), e.g. DELETE /v1/controller/properties/Aux/foo.',
    ],
    source: 'linstor-api.md §2.1',
  },
  {
    id: 'volume-layer-data-by-type',
    rule: {
      kind: 'layer-data-by-type',
      schema: 'VolumeLayer',
      property: 'data',
      branches: {
        DRBD: 'DrbdVolume',
        LUKS: 'LUKSVolume',
        STORAGE: 'StorageVolume',
        NVME: 'NVMEVolume',
        WRITECACHE: 'WritecacheVolume',
        CACHE: 'CacheVolume',
        BCACHE: 'BCacheVolume',
      },
    },
    quotes: [],
    note:
      'VolumeLayer.data is a oneOf over seven layer payload schemas that have no required properties and ' +
      'allow additional properties, so every object matches all of them and "exactly one" can never ' +
      'hold: no body with layer_data_list[] (which the server fills with {type, data}, one per layer, ' +
      'linstor-api.md §2.7) could pass. The payload is chosen by the sibling type, so data is checked ' +
      'against the schema of that layer type instead.',
    source: 'spec analysis',
  },
  {
    id: 'passphrase-status-object',
    rule: { kind: 'element-for-array', method: 'GET', template: '/v1/encryption/passphrase', status: 200 },
    quotes: ['python-linstor (PyPI) runs unmodified against it in the test suite'],
    note:
      "linstor-server's rest/v1/Encryption.java writes the PassphraseStatus object itself, and " +
      "python-linstor's crypt_status() reads `status` from that object (a list breaks it), so the " +
      'element of the declared array is sent.',
    source: 'ARCHITECTURE.md (The emulator)',
  },
  {
    id: 'remote-list-object',
    rule: { kind: 'element-for-array', method: 'GET', template: '/v1/remotes', status: 200 },
    quotes: ['python-linstor (PyPI) runs unmodified against it in the test suite'],
    note:
      "linstor-server's rest/v1/Remotes.java writes one RemoteList object, and python-linstor's " +
      'RemoteListResponse reads s3_remotes/linstor_remotes/ebs_remotes from that object.',
    source: 'ARCHITECTURE.md (The emulator)',
  },
  ...(
    [
      ['POST', '/v1/resource-definitions/{resource}/files/{extFileName}'],
      ['DELETE', '/v1/resource-definitions/{resource}/files/{extFileName}'],
      ['DELETE', '/v1/controller/auth/token/{authtokenid}'],
    ] as const
  ).map(
    ([method, template]): Deviation => ({
      id: `api-call-rc-list-body ${method} ${template}`,
      rule: { kind: 'body-where-none', method, template, status: 200, schema: 'ApiCallRcList' },
      quotes: ['Every create, modify, delete or action call returns ApiCallRcList = ApiCallRc[].'],
      note: "linstor-server's REST layer maps these calls' replies with ApiCallRcRestUtils.mapToMonoResponse.",
      source: 'linstor-api.md §3.1',
    }),
  ),
];
