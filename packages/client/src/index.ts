export {
  CloneReply,
  createLinstorClient,
  type ErrorReportFilter,
  LinstorClient,
  type ListPaging,
  type NodeListFilter,
  type PropsFilter,
  type RawReply,
  type RawRequestOptions,
  type ResourceDefinitionListFilter,
  type ResourceGroupListFilter,
  type ResourceViewFilter,
  type SnapshotViewFilter,
  type StoragePoolListFilter,
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
  CloneFailedError,
  LinstorApiError,
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
export {
  DEFAULT_TOKEN_FILE,
  type LinstorClientOptions,
  type RequestMetric,
  readTokenFile,
  type TlsOptions,
} from './options';
export { describeEntry, LinstorReply } from './reply';
export type { CallOptions, HttpMethod, QueryParams } from './transport';
export { CLIENT_VERSION } from './version';
export { pollUntil, resourceNotReadyReason, Waiters, type WaitOptions } from './waiters';
