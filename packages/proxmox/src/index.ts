/**
 * @linstor-hv/proxmox: the handlers behind the `drbd:` storage plugin's Perl module. The module
 * sends one JSON request per PVE method to the resident bridge ({@link proxmoxMethodTable}) or,
 * when no bridge runs, to `linstor-hv proxmox <method>` ({@link runProxmoxMethod}).
 */

export { ConnectionPool } from './connections';
export { type CallScope, HandlerContext, PLATFORM } from './context';
export { HANDLERS, type Handler } from './handlers';
export {
  PROTOCOL_VERSION,
  ProtocolError,
  type ProxmoxReply,
  type ProxmoxRequest,
  parseRequest,
  parseRequestObject,
  type StorageConfig,
} from './protocol';
export {
  describeError,
  type ProxmoxBridgeCall,
  type ProxmoxBridgeMethod,
  proxmoxMethods,
  proxmoxMethodTable,
  runProxmoxMethod,
} from './run';
export { type StatusFigures, writeStatusCache } from './status-cache';
export {
  baseNameOf,
  checkSnapshotName,
  coreName,
  parseVolname,
  snapshotCoreName,
  snapshotResourceName,
  type VolumeName,
  VolumeNameError,
} from './volname';
