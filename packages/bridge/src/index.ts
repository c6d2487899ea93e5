/**
 * @linstor-hv/bridge: the resident JSON-RPC 2.0 server adapters hand their method tables to. It
 * imports nothing of linstor-hv and knows no platform.
 */

export { BridgeCallError, BridgeClient, BridgeConnectionError, type CallOptions } from './client';
export { CallAbort } from './deadline';
export { BridgeError, oneLine, toRpcError } from './errors';
export { encodeLine, LineReader } from './framing';
export { type BridgeLimits, DEFAULT_LIMITS, resolveLimits } from './limits';
export { type LogSink, stderrSink } from './logging';
export type { BridgeStats, MethodFigures } from './metrics';
export { BRIDGE_PROTOCOL, type Bridge, type BridgeOptions, startBridge } from './server';
export { SocketSetupError, systemdListenFd } from './socket';
export {
  type BridgeCall,
  type BridgeMethod,
  type MethodTable,
  type Outcome,
  RPC_CODES,
  type RpcError,
  type RpcErrorData,
  type RpcReply,
} from './types';
