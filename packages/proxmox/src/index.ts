/**
 * @linstor-hv/proxmox: the handlers behind the `drbd:` storage plugin's Perl module. The module
 * runs `linstor-hv proxmox <method>` with one JSON request; {@link runProxmoxMethod} answers it.
 */

export { HandlerContext, PLATFORM } from './context';
export { HANDLERS, type Handler } from './handlers';
export {
  PROTOCOL_VERSION,
  ProtocolError,
  type ProxmoxReply,
  type ProxmoxRequest,
  parseRequest,
  type StorageConfig,
} from './protocol';
export { describeError, proxmoxMethods, runProxmoxMethod } from './run';
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
