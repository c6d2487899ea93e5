/**
 * The log levels of the controller's and the satellites' configuration (`PUT /v1/controller/config`,
 * `PUT /v1/nodes/{node}/config`): `log.level` and `log.level_linstor`, SLF4J level names.
 */
import { ApiCallError, entry } from '../http/apicall';
import { FAIL_INVLD_CONF } from './codes';

export interface LogLevels {
  logLevel: string;
  logLevelLinstor: string;
}

export const DEFAULT_LOG_LEVELS: LogLevels = { logLevel: 'INFO', logLevelLinstor: 'INFO' };

const LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'];

/** The levels after a config body's `log` part; an unknown level is FAIL_INVLD_CONF. */
export function withLogLevels(
  current: LogLevels,
  log: { level?: unknown; level_linstor?: unknown } | undefined,
  opObjMask: bigint,
): LogLevels {
  const next = { ...current };
  for (const [field, value] of [
    ['logLevel', log?.level],
    ['logLevelLinstor', log?.level_linstor],
  ] as const) {
    if (value === undefined || value === null) continue;
    const level = String(value).toUpperCase();
    if (!LEVELS.includes(level)) {
      throw new ApiCallError(entry(FAIL_INVLD_CONF | opObjMask, `Invalid log level '${String(value)}'.`));
    }
    next[field] = level;
  }
  return next;
}
