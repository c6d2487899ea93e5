/**
 * What `.../properties/info` lists: the settable properties of each object kind with a short
 * description, a type (`boolean`, `range`, `long`, `string`, `regex`, `symbol`, `numeric-or-symbol`),
 * allowed values for enumerations and ranges, a default and a unit, as linstor-server's
 * CtrlPropsInfoApiCallHandler renders its whitelist (the value is left out for `long` and
 * `string`). The emulator lists the properties it interprets or that plugins set; every key here
 * is accepted by domain/props.ts (a test checks this). Descriptions are our own words.
 */
export interface PropInfo {
  info: string;
  prop_type: string;
  value?: string;
  dflt?: string;
  unit?: string;
}

/** LinStorObject names as the controller uses them in `properties/info/all`. */
export type PropsObject =
  | 'CTRL'
  | 'NODE'
  | 'NODE_CONN'
  | 'RSC_GRP'
  | 'RSC_DFN'
  | 'RSC'
  | 'RSC_CONN'
  | 'VLM_GRP'
  | 'VLM_DFN'
  | 'VLM'
  | 'STOR_POOL'
  | 'STOR_POOL_DFN'
  | 'DRBD_PROXY';

type Entry = { key: string; on: readonly PropsObject[] } & PropInfo;

const DRBD_LEVELS: readonly PropsObject[] = ['CTRL', 'RSC_GRP', 'RSC_DFN', 'RSC'];
const DRBD_CONN_LEVELS: readonly PropsObject[] = [
  'CTRL',
  'NODE_CONN',
  'RSC_GRP',
  'RSC_DFN',
  'RSC',
  'RSC_CONN',
];

const ENTRIES: readonly Entry[] = [
  {
    key: 'DrbdOptions/Net/allow-two-primaries',
    on: DRBD_CONN_LEVELS,
    info: 'Lets two nodes be primary at once (needed while a VM migrates live).',
    prop_type: 'boolean',
    value: 'yes|no',
    dflt: 'no',
  },
  {
    key: 'DrbdOptions/Net/protocol',
    on: DRBD_CONN_LEVELS,
    info: 'Replication protocol: A asynchronous, B memory-synchronous, C synchronous.',
    prop_type: 'symbol',
    value: 'A|B|C',
    dflt: 'C',
  },
  {
    key: 'DrbdOptions/Resource/quorum',
    on: DRBD_LEVELS,
    info: 'How many nodes must be reachable for a primary to keep writing.',
    prop_type: 'numeric-or-symbol',
    value: 'off|majority|all|1-32',
    dflt: 'off',
  },
  {
    key: 'DrbdOptions/Resource/on-no-quorum',
    on: DRBD_LEVELS,
    info: 'What a primary does with I/O once it lost quorum.',
    prop_type: 'symbol',
    value: 'io-error|suspend-io',
    dflt: 'suspend-io',
  },
  {
    key: 'DrbdOptions/PeerDevice/c-plan-ahead',
    on: [...DRBD_LEVELS, 'RSC_CONN', 'VLM_DFN'],
    info: 'How far ahead the dynamic resync-speed controller plans.',
    prop_type: 'range',
    value: '(0 - 300)',
    dflt: '20',
    unit: '1/10 seconds',
  },
  {
    key: 'DrbdOptions/auto-quorum',
    on: ['CTRL', 'RSC_GRP', 'RSC_DFN'],
    info: 'Lets LINSTOR set quorum and on-no-quorum from the number of replicas.',
    prop_type: 'symbol',
    value: 'io-error|suspend-io|disabled',
    dflt: 'suspend-io',
  },
  {
    key: 'DrbdOptions/AutoEvictAllowEviction',
    on: ['CTRL', 'NODE'],
    info: 'Whether a node that stays unreachable may be evicted automatically.',
    prop_type: 'boolean',
    value: 'true|false',
    dflt: 'true',
  },
  {
    key: 'DrbdOptions/AutoEvictAfterTime',
    on: ['CTRL', 'NODE'],
    info: 'Minutes a node may stay unreachable before it is evicted.',
    prop_type: 'long',
    dflt: '60',
    unit: 'minutes',
  },
  {
    key: 'DrbdOptions/auto-add-quorum-tiebreaker',
    on: ['CTRL', 'RSC_GRP', 'RSC_DFN'],
    info: 'Adds a diskless tie-breaker when an even number of replicas needs one for quorum.',
    prop_type: 'boolean',
    value: 'true|false',
    dflt: 'true',
  },
  {
    key: 'StorPoolName',
    on: ['RSC', 'RSC_GRP', 'RSC_DFN', 'VLM', 'VLM_DFN', 'VLM_GRP'],
    info: 'Storage pool a volume is placed in.',
    prop_type: 'string',
  },
  {
    key: 'PeerSlotsNewResource',
    on: ['CTRL', 'RSC_GRP', 'RSC_DFN'],
    info: 'DRBD peer slots new resources get.',
    prop_type: 'range',
    value: '(1 - 31)',
    dflt: '7',
  },
  {
    key: 'MaxOversubscriptionRatio',
    on: ['CTRL', 'STOR_POOL', 'STOR_POOL_DFN'],
    info: 'How far thin pools may be promised beyond their size.',
    prop_type: 'string',
    dflt: '20',
  },
  {
    key: 'MaxFreeCapacityOversubscriptionRatio',
    on: ['CTRL', 'STOR_POOL', 'STOR_POOL_DFN'],
    info: 'Over-subscription ratio applied to the free capacity of thin pools.',
    prop_type: 'string',
    dflt: '20',
  },
  {
    key: 'MaxTotalCapacityOversubscriptionRatio',
    on: ['CTRL', 'STOR_POOL', 'STOR_POOL_DFN'],
    info: 'Over-subscription ratio applied to the total capacity of thin pools.',
    prop_type: 'string',
    dflt: '20',
  },
  {
    key: 'TcpPortAutoRange',
    on: ['CTRL'],
    info: 'Range DRBD TCP ports are allocated from.',
    prop_type: 'regex',
    value: '\\d+-\\d+',
    dflt: '7000-7999',
  },
  {
    key: 'MinorNrAutoRange',
    on: ['CTRL'],
    info: 'Range DRBD minor numbers are allocated from.',
    prop_type: 'regex',
    value: '\\d+-\\d+',
    dflt: '1000-49999',
  },
  {
    key: 'PrefNic',
    on: ['NODE', 'STOR_POOL', 'RSC_GRP', 'RSC_DFN', 'RSC'],
    info: 'Net interface DRBD traffic should use.',
    prop_type: 'string',
  },
  {
    key: 'Site',
    on: ['NODE'],
    info: 'Site the node belongs to (used by placement rules and DRBD proxy).',
    prop_type: 'string',
  },
  {
    key: 'UseZFSClone',
    on: ['CTRL', 'RSC_GRP', 'RSC_DFN'],
    info: 'Clones ZFS volumes with zfs clone instead of copying.',
    prop_type: 'boolean',
    value: 'true|false',
    dflt: 'false',
  },
  {
    key: 'Auth/TokenAuthenticationEnabled',
    on: ['CTRL'],
    info: 'Requires a bearer token on REST requests.',
    prop_type: 'boolean',
    value: 'true|false',
    dflt: 'false',
  },
  {
    key: 'FileSystem/Type',
    on: ['RSC_GRP', 'RSC_DFN', 'VLM_DFN'],
    info: 'File system created on a new volume.',
    prop_type: 'symbol',
    value: 'ext4|xfs',
  },
  {
    key: 'StorDriver/FileDir',
    on: ['STOR_POOL'],
    info: 'Directory a FILE or FILE_THIN pool keeps its volumes in.',
    prop_type: 'string',
  },
  {
    key: 'DrbdOptions/Net/compression',
    on: ['DRBD_PROXY'],
    info: 'Compression DRBD proxy applies to replication traffic.',
    prop_type: 'symbol',
    value: 'none|zlib|lzma|lz4',
    dflt: 'none',
  },
];

/** The properties info of one object kind. */
export function propsInfo(object: PropsObject): Record<string, PropInfo> {
  const out: Record<string, PropInfo> = {};
  for (const { key, on, ...info } of ENTRIES) if (on.includes(object)) out[key] = info;
  return out;
}

/** Every object kind's properties info (`GET /v1/controller/properties/info/all`). */
export function allPropsInfo(): Record<string, Record<string, PropInfo>> {
  const objects = new Set<PropsObject>(ENTRIES.flatMap((e) => e.on));
  return Object.fromEntries([...objects].sort().map((o) => [o, propsInfo(o)]));
}

/** Every key listed, for the test that checks domain/props.ts accepts them. */
export function listedKeys(): string[] {
  return ENTRIES.map((e) => e.key);
}
