/**
 * @linstor-hv/opennebula: the `linstor` datastore (DS_MAD) and transfer manager (TM_MAD) drivers.
 * The remotes shims run `linstor-hv one <ds|tm> <action>` (or the bridge); {@link runOneAction}
 * answers them.
 */

export { DS_ACTIONS, type OneAction, TM_ACTIONS } from './actions';
export { DEFAULT_CONFIG_FILE, loadConfig, type OneConfig } from './config';
export { ActionContext, PLATFORM } from './context';
export { type DatastoreSettings, datastoreSettings } from './datastore';
export { type ErrorFormat, errorFormatFor, FAILURE_OUTPUT } from './errors';
export { BridgeMemory } from './memory';
export { ONE_CALL_BUDGET_MS, openNebulaMethodTable } from './methods';
export { imageDiskName, imageName, snapshotName, volatileDiskName } from './names';
export {
  type CallConvention,
  ONE_ERROR_CODES,
  OneError,
  OneProtocolError,
  parseDocumentCall,
} from './protocol';
export { actionsOf, type OneCall, type OneDriver, type OneResult, runOneAction } from './run';
export { parseXml, type XmlElement, XmlError } from './xml';
