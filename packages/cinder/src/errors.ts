/**
 * Errors of the Cinder adapter. Each carries a stable `code` and a core `kind`, which the bridge
 * puts into the JSON-RPC error's data and the Python driver maps to Cinder's exceptions.
 */

import type { VolumeErrorKind } from '@linstor-hv/core';

/** Every code this package throws, with what it means. */
export const CINDER_ERROR_CODES = {
  CINDER_INVALID_PARAMS: 'the call parameters do not follow the driver contract (JSON-RPC -32602)',
  CINDER_INVALID_EXTRA_SPEC: "a volume type's linstor:* extra spec is unknown or has a bad value",
  CINDER_NODE_NOT_FOUND: 'no LINSTOR node matches a connector or the Cinder host',
  CINDER_NODE_AMBIGUOUS: 'several LINSTOR nodes match a connector or the Cinder host',
  CINDER_BAD_REFERENCE: 'manage_existing got a reference without a usable LINSTOR name',
  CINDER_NO_STORAGE_POOL: 'no node has the storage pool the v1 options place volumes in',
} as const;

export type CinderErrorCode = keyof typeof CINDER_ERROR_CODES;

/**
 * The Cinder exception (`cinder.exception.<name>`) the Python driver raises for each code and for
 * core's error kinds; the driver's `EXCEPTION_BY_CODE`/`EXCEPTION_BY_KIND` must say the same
 * (test/parity.test.ts). `in-use`/`blocked` and `not-found` depend on the method (VolumeIsBusy,
 * SnapshotIsBusy, …); anything not listed is VolumeBackendAPIException.
 */
export const CINDER_EXCEPTIONS: {
  readonly byCode: Readonly<Record<CinderErrorCode, string>>;
  readonly byKind: Readonly<Partial<Record<VolumeErrorKind, string>>>;
} = {
  byCode: {
    CINDER_INVALID_PARAMS: 'InvalidInput',
    CINDER_INVALID_EXTRA_SPEC: 'InvalidVolumeType',
    CINDER_NODE_NOT_FOUND: 'InvalidConnectorException',
    CINDER_NODE_AMBIGUOUS: 'InvalidConnectorException',
    CINDER_BAD_REFERENCE: 'ManageExistingInvalidReference',
    CINDER_NO_STORAGE_POOL: 'VolumeBackendAPIException',
  },
  byKind: {
    'invalid-argument': 'InvalidInput',
    'copy-failed': 'ImageCopyFailure',
  },
};

/** The base of every error this package throws. */
export class CinderError extends Error {
  override name = 'CinderError';
  constructor(
    readonly code: CinderErrorCode,
    readonly kind: VolumeErrorKind,
    message: string,
  ) {
    super(message);
  }
}
