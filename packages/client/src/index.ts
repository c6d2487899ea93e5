export {
  createLinstorClient,
  LinstorClient,
  type RawReply,
  type RawRequestOptions,
} from './client';
export {
  type ControllerAddress,
  ControllerAddressError,
  DEFAULT_HTTP_PORT,
  DEFAULT_HTTPS_PORT,
  parseControllerAddress,
  parseControllerList,
  splitControllerList,
} from './controllers';
export {
  AllControllersFailedError,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  CloneFailedError,
  LinstorApiError,
  LinstorArgumentError,
  LinstorClientError,
  LinstorConfigError,
  LinstorTransportError,
  OutcomeUnknownError,
  type TransportFailureKind,
  UnsupportedApiVersionError,
  WaitTimeoutError,
} from './errors';
export { type PromotionEventOptions, parseServerSentEvents, type ServerSentEvent } from './events';
export { parseLinstorJson, stringifyLinstorJson } from './json';
export type { ErrorReportFilter } from './kinds/error-reports';
export type { ListPaging, PropsFilter } from './kinds/filters';
export type { NodeListFilter } from './kinds/nodes';
export { CloneReply, type ResourceDefinitionListFilter } from './kinds/resource-definitions';
export type { ResourceGroupListFilter } from './kinds/resource-groups';
export type { ResourceViewFilter } from './kinds/resources';
export type { SnapshotViewFilter } from './kinds/snapshots';
export type { StoragePoolListFilter } from './kinds/storage-pools';
export {
  DEFAULT_TOKEN_FILE,
  type LinstorClientOptions,
  type RequestMetric,
  readTokenFile,
  type TlsOptions,
} from './options';
export { describeEntry, LinstorReply } from './reply';
export { untilAborted } from './timers';
export type { CallOptions, HttpMethod, QueryParams } from './transport/types';
export { CLIENT_VERSION } from './version';
export { pollUntil, resourceNotReadyReason, type WaiterReads, Waiters, type WaitOptions } from './waiters';
