/**
 * OpenNebula documents in the layout oned writes them (`Image::to_xml`, `Datastore::to_xml`,
 * `VirtualMachine::to_xml`; field order of 7.x), built from a few values so each test or demo step
 * states only what matters to it. For tests and the demo, which act as oned; the drivers never use it.
 */

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const cdata = (value: string | number | undefined) => `<![CDATA[${value ?? ''}]]>`;

const PERMISSIONS =
  '<PERMISSIONS><OWNER_U>1</OWNER_U><OWNER_M>1</OWNER_M><OWNER_A>0</OWNER_A><GROUP_U>0</GROUP_U><GROUP_M>0</GROUP_M><GROUP_A>0</GROUP_A><OTHER_U>0</OTHER_U><OTHER_M>0</OTHER_M><OTHER_A>0</OTHER_A></PERMISSIONS>';

export interface DatastoreFixture {
  id: number;
  name?: string;
  type?: 'IMAGE_DS' | 'SYSTEM_DS';
  controllers: string;
  resourceGroup: string;
  bridgeList?: string;
  restrictedDirs?: string;
  safeDirs?: string;
  noDecompress?: boolean;
  limitTransferBw?: string;
  extra?: Record<string, string>;
}

/** `<DATASTORE>` as `Datastore::to_xml` writes it (also what `onedatastore show -x` prints). */
export function datastoreXml(ds: DatastoreFixture): string {
  const system = ds.type === 'SYSTEM_DS';
  const template: Record<string, string> = {
    ALLOW_ORPHANS: 'yes',
    ...(ds.bridgeList !== undefined ? { BRIDGE_LIST: ds.bridgeList } : {}),
    ...(system
      ? { DISK_TYPE: 'BLOCK', DS_MIGRATE: 'YES', SHARED: 'YES' }
      : {
          CLONE_TARGET: 'SELF',
          CLONE_TARGET_SHARED: 'SELF',
          CLONE_TARGET_SSH: 'SELF',
          COMPATIBLE_SYS_DS: '0,101',
          DISK_TYPE: 'BLOCK',
          DISK_TYPE_SHARED: 'BLOCK',
          DISK_TYPE_SSH: 'BLOCK',
          DS_MAD: 'linstor',
          LN_TARGET: 'NONE',
          LN_TARGET_SHARED: 'NONE',
          LN_TARGET_SSH: 'NONE',
        }),
    LINSTOR_CONTROLLERS: ds.controllers,
    LINSTOR_RESOURCE_GROUP: ds.resourceGroup,
    ...(ds.noDecompress ? { NO_DECOMPRESS: 'yes' } : {}),
    ...(ds.limitTransferBw ? { LIMIT_TRANSFER_BW: ds.limitTransferBw } : {}),
    RESTRICTED_DIRS: ds.restrictedDirs ?? '/',
    SAFE_DIRS: ds.safeDirs ?? '/var/tmp',
    TM_MAD: 'linstor',
    ...(system ? {} : { TM_MAD_SYSTEM: 'ssh,shared' }),
    TYPE: ds.type ?? 'IMAGE_DS',
    ...ds.extra,
  };
  const templateXml = Object.entries(template)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `<${k}>${cdata(v)}</${k}>`)
    .join('');
  return (
    `<DATASTORE><ID>${ds.id}</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME><GNAME>oneadmin</GNAME>` +
    `<NAME>${escapeXml(ds.name ?? `linstor-${ds.id}`)}</NAME>${PERMISSIONS}` +
    `<DS_MAD>${cdata(system ? '-' : 'linstor')}</DS_MAD><TM_MAD>${cdata('linstor')}</TM_MAD>` +
    `<BASE_PATH>${cdata(`/var/lib/one//datastores/${ds.id}`)}</BASE_PATH>` +
    `<TYPE>${system ? 1 : 0}</TYPE><DISK_TYPE>2</DISK_TYPE><STATE>0</STATE><CLUSTERS><ID>0</ID></CLUSTERS>` +
    `<TOTAL_MB>0</TOTAL_MB><FREE_MB>0</FREE_MB><USED_MB>0</USED_MB><IMAGES></IMAGES>` +
    `<TEMPLATE>${templateXml}</TEMPLATE></DATASTORE>`
  );
}

export interface ImageFixture {
  id: number;
  path?: string;
  source?: string;
  sizeMb: number;
  format?: string;
  fs?: string;
  type?: number;
  cloningId?: number;
  targetSnapshot?: number;
  md5?: string;
  sha1?: string;
  persistent?: boolean;
  datastoreId: number;
  template?: Record<string, string>;
}

/** `<IMAGE>` as `Image::to_xml` writes it. */
export function imageXml(image: ImageFixture): string {
  const template: Record<string, string> = { DEV_PREFIX: 'vd', ...image.template };
  if (image.md5) template.MD5 = image.md5;
  if (image.sha1) template.SHA1 = image.sha1;
  const templateXml = Object.entries(template)
    .map(([k, v]) => `<${k}>${cdata(v)}</${k}>`)
    .join('');
  return (
    `<IMAGE><ID>${image.id}</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME><GNAME>oneadmin</GNAME>` +
    `<NAME>image-${image.id}</NAME>${PERMISSIONS}<TYPE>${image.type ?? 0}</TYPE><DISK_TYPE>2</DISK_TYPE>` +
    `<PERSISTENT>${image.persistent ? 1 : 0}</PERSISTENT><REGTIME>1735689600</REGTIME><MODTIME>1735689600</MODTIME>` +
    `<SOURCE>${cdata(image.source)}</SOURCE><PATH>${cdata(image.path)}</PATH>` +
    `<FORMAT>${cdata(image.format)}</FORMAT><FS>${cdata(image.fs)}</FS>` +
    `<SIZE>${image.sizeMb}</SIZE><STATE>4</STATE><PREV_STATE>4</PREV_STATE><RUNNING_VMS>0</RUNNING_VMS>` +
    `<CLONING_OPS>0</CLONING_OPS><CLONING_ID>${image.cloningId ?? -1}</CLONING_ID>` +
    `<TARGET_SNAPSHOT>${image.targetSnapshot ?? -1}</TARGET_SNAPSHOT>` +
    `<DATASTORE_ID>${image.datastoreId}</DATASTORE_ID><DATASTORE>linstor-${image.datastoreId}</DATASTORE>` +
    `<VMS></VMS><CLONES></CLONES><APP_CLONES></APP_CLONES><TEMPLATE>${templateXml}</TEMPLATE>` +
    `<SNAPSHOTS><ALLOW_ORPHANS>${cdata('YES')}</ALLOW_ORPHANS><CURRENT_BASE>${cdata(-1)}</CURRENT_BASE>` +
    `<NEXT_SNAPSHOT>${cdata(0)}</NEXT_SNAPSHOT></SNAPSHOTS><BACKUP_INCREMENTS/><BACKUP_DISK_IDS/></IMAGE>`
  );
}

/** `DS_DRIVER_ACTION_DATA` with an image (absent for monitor) and extra root elements. */
export function actionData(parts: {
  image?: ImageFixture;
  datastore: DatastoreFixture;
  extra?: string;
}): string {
  return `<DS_DRIVER_ACTION_DATA>${parts.image ? imageXml(parts.image) : ''}${datastoreXml(parts.datastore)}${parts.extra ?? ''}</DS_DRIVER_ACTION_DATA>`;
}

export interface VmDiskFixture {
  diskId: number;
  source?: string;
  imageId?: number;
  persistent?: boolean;
  clone?: boolean;
  sizeMb: number;
  datastoreId: number;
  tmMad?: string;
  fs?: string;
  type?: string;
  readonly?: boolean;
}

/** `<VM>` as `onevm show -x` prints it (the parts drivers read). */
export function vmXml(vm: {
  id: number;
  deployId?: string;
  host?: string;
  systemDs?: number;
  disks: VmDiskFixture[];
}): string {
  const disks = vm.disks
    .map((d) => {
      const fields: Record<string, string | number | undefined> = {
        ALLOW_ORPHANS: 'YES',
        CLONE: d.source === undefined ? undefined : d.clone === false || d.persistent ? 'NO' : 'YES',
        CLONE_TARGET: 'SELF',
        DATASTORE_ID: d.datastoreId,
        DEV_PREFIX: 'vd',
        DISK_ID: d.diskId,
        DISK_TYPE: 'BLOCK',
        DRIVER: 'raw',
        FORMAT: 'raw',
        FS: d.fs,
        IMAGE_ID: d.imageId,
        LN_TARGET: 'NONE',
        PERSISTENT: d.persistent ? 'YES' : undefined,
        READONLY: d.readonly ? 'YES' : 'NO',
        SIZE: d.sizeMb,
        SOURCE: d.source,
        TARGET: `vd${String.fromCharCode(97 + d.diskId)}`,
        TM_MAD: d.tmMad ?? 'linstor',
        TYPE: d.type ?? (d.source === undefined ? 'fs' : 'BLOCK'),
      };
      return `<DISK>${Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<${k}>${cdata(v)}</${k}>`)
        .join('')}</DISK>`;
    })
    .join('');
  return (
    `<VM><ID>${vm.id}</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME><GNAME>oneadmin</GNAME><NAME>vm-${vm.id}</NAME>` +
    `${PERMISSIONS}<LAST_POLL>0</LAST_POLL><STATE>3</STATE><LCM_STATE>3</LCM_STATE><PREV_STATE>3</PREV_STATE>` +
    `<PREV_LCM_STATE>3</PREV_LCM_STATE><RESCHED>0</RESCHED><STIME>1735689600</STIME><ETIME>0</ETIME>` +
    `<DEPLOY_ID>${vm.deployId ?? `one-${vm.id}`}</DEPLOY_ID><TEMPLATE>${disks}<VMID>${cdata(vm.id)}</VMID></TEMPLATE>` +
    `<USER_TEMPLATE/><HISTORY_RECORDS><HISTORY><OID>${vm.id}</OID><SEQ>0</SEQ>` +
    `<HOSTNAME>${vm.host ?? ''}</HOSTNAME><DS_ID>${vm.systemDs ?? 101}</DS_ID><VM_MAD>${cdata('kvm')}</VM_MAD>` +
    `<TM_MAD>${cdata('linstor')}</TM_MAD></HISTORY></HISTORY_RECORDS></VM>`
  );
}

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
