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
export {
  /** Others must not plant, read or redirect (by a link) what a root process keeps between runs. */
  makePrivateDirectory,
  /** A symbolic link could point a root process at any file; these files are never read through one. */
  readWithoutFollowing,
  /** A reader never sees half a file, and a link planted at the name is replaced, not written through. */
  replacePrivateFile,
} from './private-file';
export { describeEntry, LinstorReply } from './reply';
export { untilAborted } from './timers';
export type { CallOptions, HttpMethod, QueryParams } from './transport/types';
export { CLIENT_VERSION } from './version';
export { pollUntil, resourceNotReadyReason, type WaiterReads, Waiters, type WaitOptions } from './waiters';
