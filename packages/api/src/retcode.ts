/**
 * LINSTOR ApiCallRc return codes (linstor-common consts.json, see reference linstor-api.md §3.2).
 * A ret_code is a signed 64-bit integer; we keep it as an unsigned 64-bit bigint so that every
 * bit survives and masks compare exactly.
 */

export const MASK_ERROR = 0xc000000000000000n;
export const MASK_WARN = 0x8000000000000000n;
export const MASK_INFO = 0x4000000000000000n;
export const MASK_SUCCESS = 0n;
export const MASK_BITS_TYPE = 0xc000000000000000n;
export const MASK_BITS_OP = 0x03000000n;
export const MASK_BITS_OBJ = 0x007c0000n;
export const MASK_BITS_CODE = 0x7fffn;

export const MASK_CRT = 0x01000000n;
export const MASK_MOD = 0x02000000n;
export const MASK_DEL = 0x03000000n;

export const MASK_SCHEDULE = 0x540000n;
export const MASK_EXT_FILES = 0x500000n;
export const MASK_PHYSICAL_DEVICE = 0x4c0000n;
export const MASK_VLM_GRP = 0x480000n;
export const MASK_RSC_GRP = 0x440000n;
export const MASK_KVS = 0x400000n;
export const MASK_NODE = 0x3c0000n;
export const MASK_RSC_DFN = 0x380000n;
export const MASK_RSC = 0x340000n;
export const MASK_VLM_DFN = 0x300000n;
export const MASK_VLM = 0x2c0000n;
export const MASK_NODE_CONN = 0x280000n;
export const MASK_RSC_CONN = 0x240000n;
export const MASK_VLM_CONN = 0x200000n;
export const MASK_NET_IF = 0x1c0000n;
export const MASK_STOR_POOL_DFN = 0x180000n;
export const MASK_STOR_POOL = 0x140000n;
export const MASK_CTRL_CONF = 0x100000n;
export const MASK_SNAPSHOT = 0x0c0000n;
export const MASK_BACKUP = 0x080000n;
export const MASK_REMOTE = 0x040000n;

/** Success codes (bits 0-14, type bits zero). */
export const CREATED = 1n;
export const DELETED = 2n;
export const MODIFIED = 3n;

const err = (code: bigint) => code | MASK_ERROR;
const warn = (code: bigint) => code | MASK_WARN;
const info = (code: bigint) => code | MASK_INFO;

/** Error codes, already carrying MASK_ERROR (compare with {@link sameCode}). */
export const FAIL_SQL = err(100n);
export const FAIL_INVLD_NODE_NAME = err(200n);
export const FAIL_INVLD_NODE_TYPE = err(201n);
export const FAIL_INVLD_RSC_NAME = err(202n);
export const FAIL_INVLD_RSC_PORT = err(203n);
export const FAIL_INVLD_NODE_ID = err(204n);
export const FAIL_INVLD_VLM_NR = err(205n);
export const FAIL_INVLD_VLM_SIZE = err(206n);
export const FAIL_INVLD_MINOR_NR = err(207n);
export const FAIL_INVLD_STOR_POOL_NAME = err(208n);
export const FAIL_INVLD_NET_NAME = err(209n);
export const FAIL_INVLD_NET_ADDR = err(210n);
export const FAIL_INVLD_NET_PORT = err(211n);
export const FAIL_INVLD_NET_TYPE = err(212n);
export const FAIL_INVLD_PROP = err(213n);
export const FAIL_INVLD_TRANSPORT_TYPE = err(214n);
export const FAIL_INVLD_TCP_PORT = err(215n);
export const FAIL_INVLD_CRYPT_PASSPHRASE = err(216n);
export const FAIL_INVLD_ENCRYPT_TYPE = err(217n);
export const FAIL_INVLD_SNAPSHOT_NAME = err(218n);
export const FAIL_INVLD_PLACE_COUNT = err(219n);
export const FAIL_INVLD_FREE_SPACE_MGR_NAME = err(220n);
export const FAIL_INVLD_STOR_DRIVER = err(221n);
export const FAIL_INVLD_DRBD_PROXY_COMPRESSION_TYPE = err(222n);
export const FAIL_INVLD_SNAPSHOT_SHIPPING_NAME = err(223n);
export const FAIL_INVLD_KVS_NAME = err(224n);
export const FAIL_INVLD_LAYER_STACK = err(225n);
export const FAIL_INVLD_EXT_NAME = err(226n);
export const FAIL_INVLD_PROVIDER = err(227n);
export const FAIL_INVLD_VLM_SIZES = err(228n);
export const FAIL_INVLD_LAYER_KIND = err(229n);
export const FAIL_INVLD_REQUEST = err(234n);
export const FAIL_INVLD_RSC_GRP_NAME = err(237n);
export const FAIL_INVLD_BACKUP_CONFIG = err(238n);
export const FAIL_INVLD_RSC_STATE = err(243n);

export const FAIL_NOT_FOUND_NODE = err(300n);
export const FAIL_NOT_FOUND_RSC_DFN = err(301n);
export const FAIL_NOT_FOUND_RSC = err(302n);
export const FAIL_NOT_FOUND_VLM_DFN = err(303n);
export const FAIL_NOT_FOUND_VLM = err(304n);
export const FAIL_NOT_FOUND_NET_IF = err(305n);
export const FAIL_NOT_FOUND_NODE_CONN = err(306n);
export const FAIL_NOT_FOUND_RSC_CONN = err(307n);
export const FAIL_NOT_FOUND_VLM_CONN = err(308n);
export const FAIL_NOT_FOUND_STOR_POOL_DFN = err(309n);
export const FAIL_NOT_FOUND_STOR_POOL = err(310n);
export const FAIL_NOT_FOUND_DFLT_STOR_POOL = err(311n);
export const FAIL_NOT_FOUND_CRYPT_KEY = err(312n);
export const FAIL_NOT_FOUND_SNAPSHOT_DFN = err(313n);
export const FAIL_NOT_FOUND_SNAPSHOT_VLM_DFN = err(314n);
export const FAIL_NOT_FOUND_SNAPSHOT = err(315n);
export const FAIL_NOT_FOUND_KVS = err(316n);
export const FAIL_NOT_FOUND_RSC_GRP = err(317n);
export const FAIL_NOT_FOUND_VLM_GRP = err(318n);
export const FAIL_NOT_FOUND_EXT_FILE = err(320n);
export const FAIL_NOT_FOUND_REMOTE = err(321n);
export const FAIL_NOT_FOUND_BACKUP = err(322n);
export const FAIL_NOT_FOUND_SCHEDULE = err(323n);

export const FAIL_ACC_DENIED_NODE = err(400n);
export const FAIL_ACC_DENIED_RSC_DFN = err(401n);
export const FAIL_ACC_DENIED_RSC = err(402n);
export const FAIL_ACC_DENIED_COMMAND = err(412n);

export const FAIL_EXISTS_NODE = err(500n);
export const FAIL_EXISTS_RSC_DFN = err(501n);
export const FAIL_EXISTS_RSC = err(502n);
export const FAIL_EXISTS_VLM_DFN = err(503n);
export const FAIL_EXISTS_VLM = err(504n);
export const FAIL_EXISTS_NET_IF = err(505n);
export const FAIL_EXISTS_NODE_CONN = err(506n);
export const FAIL_EXISTS_RSC_CONN = err(507n);
export const FAIL_EXISTS_VLM_CONN = err(508n);
export const FAIL_EXISTS_STOR_POOL_DFN = err(509n);
export const FAIL_EXISTS_STOR_POOL = err(510n);
export const FAIL_EXISTS_STOR_DRIVER = err(511n);
export const FAIL_EXISTS_CRYPT_PASSPHRASE = err(512n);
export const FAIL_EXISTS_SNAPSHOT_DFN = err(514n);
export const FAIL_EXISTS_SNAPSHOT = err(516n);
export const FAIL_EXISTS_EXT_NAME = err(517n);
export const FAIL_EXISTS_RSC_GRP = err(522n);
export const FAIL_EXISTS_VLM_GRP = err(523n);
export const FAIL_EXISTS_SNAPSHOT_SHIPPING = err(525n);
export const FAIL_EXISTS_REMOTE = err(527n);
export const FAIL_EXISTS_SCHEDULE = err(528n);

export const FAIL_MISSING_PROPS = err(600n);
export const FAIL_MISSING_STLT_CONN = err(605n);

export const FAIL_POOL_EXHAUSTED_VLM_NR = err(800n);
export const FAIL_POOL_EXHAUSTED_MINOR_NR = err(801n);
export const FAIL_POOL_EXHAUSTED_TCP_PORT = err(802n);
export const FAIL_POOL_EXHAUSTED_NODE_ID = err(803n);

export const FAIL_SNAPSHOT_ROLLBACK_IN_PROGRESS = err(971n);
export const FAIL_NOT_ALL_UPTODATE = err(974n);
export const FAIL_SNAPSHOT_NOT_UPTODATE = err(979n);
export const FAIL_NOT_ENOUGH_FREE_SPACE = err(980n);
export const FAIL_SNAPSHOT_SHIPPING_IN_PROGRESS = err(984n);
export const FAIL_INSUFFICIENT_REPLICA_COUNT = err(991n);
export const FAIL_RSC_BUSY = err(992n);
export const FAIL_INSUFFICIENT_PEER_SLOTS = err(993n);
export const FAIL_SNAPSHOTS_NOT_SUPPORTED = err(994n);
export const FAIL_NOT_CONNECTED = err(995n);
export const FAIL_NOT_ENOUGH_NODES = err(996n);
export const FAIL_IN_USE = err(997n);
export const FAIL_UNKNOWN_ERROR = err(998n);
export const FAIL_IMPL_ERROR = err(999n);

export const WARN_NOT_CONNECTED = warn(1002n);
export const WARN_STLT_NOT_UPDATED = warn(1003n);
export const WARN_DEL_UNSET_PROP = warn(1005n);
export const WARN_RSC_ALREADY_DEPLOYED = warn(1006n);
export const WARN_RSC_ALREADY_HAS_DISK = warn(1007n);
export const WARN_RSC_ALREADY_DISKLESS = warn(1008n);
export const WARN_ALL_DISKLESS = warn(1009n);
export const WARN_STORAGE_ERROR = warn(1010n);
export const WARN_NOT_ENOUGH_NODES_FOR_TIE_BREAKER = warn(1013n);
export const WARN_NODE_EVICTED = warn(1017n);
export const WARN_VLMDFN_RESIZE_SAME_SIZE = warn(1023n);
export const WARN_NOT_FOUND = warn(3000n);
export const WARN_NO_EFFECT = warn(3001n);
export const WARN_DEPRECATED = warn(4000n);

export const INFO_NO_RSC_SPAWNED = info(10000n);
export const INFO_PROP_SET = info(10002n);
export const INFO_TIE_BREAKER_CREATED = info(10003n);
export const INFO_TIE_BREAKER_DELETING = info(10004n);
export const INFO_PROP_REMOVED = info(10005n);
export const INFO_TIE_BREAKER_TAKEOVER = info(10006n);
export const INFO_RSC_ALREADY_EXISTS = info(10008n);

export const UNKNOWN_API_CALL = 0x0fffffffffffffffn | MASK_ERROR;
export const API_CALL_AUTH_REQ = 0x0ffffffffffffffen | MASK_ERROR;
export const API_CALL_PARSE_ERROR = 0x0ffffffffffffffdn | MASK_ERROR;
export const FAIL_SIGN_IN = err(10000n);
export const FAIL_SIGN_IN_MISSING_CREDENTIALS = err(10001n);

export type RetCodeKind = 'error' | 'warning' | 'info' | 'success';

const U64 = (1n << 64n) - 1n;

/** Normalises a ret_code given as signed int64 (wire form), unsigned, string or number to unsigned 64-bit. */
export function toRetCode(value: bigint | string | number): bigint {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  return BigInt.asUintN(64, big) & U64;
}

/** The signed int64 form, as the controller writes it into JSON. */
export function toSignedRetCode(rc: bigint): bigint {
  return BigInt.asIntN(64, rc);
}

/** Classifies a ret_code by its two type bits; an error also has the warn bit, so it is tested first. */
export function classifyRetCode(rc: bigint): RetCodeKind {
  const type = toRetCode(rc) & MASK_BITS_TYPE;
  if (type === MASK_ERROR) return 'error';
  if (type === MASK_WARN) return 'warning';
  if (type === MASK_INFO) return 'info';
  return 'success';
}

export const isErrorCode = (rc: bigint) => classifyRetCode(rc) === 'error';
export const isWarningCode = (rc: bigint) => classifyRetCode(rc) === 'warning';
export const isInfoCode = (rc: bigint) => classifyRetCode(rc) === 'info';

/** The code's identity: type bits plus code bits, with operation and object bits masked out. */
export function retCodeIdentity(rc: bigint): bigint {
  return toRetCode(rc) & (MASK_BITS_TYPE | MASK_BITS_CODE);
}

/** Exact comparison of two codes (type + code bits equal); never a bit-subset test. */
export function sameCode(rc: bigint, code: bigint): boolean {
  return retCodeIdentity(rc) === retCodeIdentity(code);
}

/** The numeric code field (bits 0-14). */
export function codeNumber(rc: bigint): number {
  return Number(toRetCode(rc) & MASK_BITS_CODE);
}

export const isNotFoundCode = (rc: bigint) => {
  const n = codeNumber(rc);
  return isErrorCode(rc) && n >= 300 && n <= 399;
};
export const isAlreadyExistsCode = (rc: bigint) => {
  const n = codeNumber(rc);
  return isErrorCode(rc) && n >= 500 && n <= 599;
};
export const isAccessDeniedCode = (rc: bigint) => {
  const n = codeNumber(rc);
  return isErrorCode(rc) && n >= 400 && n <= 499;
};

/**
 * HTTP status the controller answers for a reply (ApiCallRcRestUtils.toResponse, linstor-api.md §3.3):
 * the endpoint's success status unless an error entry exists; then 404 / 403 / 401 / 500 by code.
 */
export function httpStatusForReply(retCodes: readonly bigint[], successStatus: number): number {
  const firstError = retCodes.find((rc) => isErrorCode(rc));
  if (firstError === undefined) return successStatus;
  if (sameCode(firstError, FAIL_SIGN_IN_MISSING_CREDENTIALS)) return 401;
  if (sameCode(firstError, FAIL_SIGN_IN)) return 403;
  const n = codeNumber(firstError);
  if (n >= 300 && n <= 399) return 404;
  if (n >= 400 && n <= 499) return 403;
  return 500;
}
