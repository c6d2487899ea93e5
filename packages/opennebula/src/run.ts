/**
 * Runs one driver action the way oned expects it to behave: the request parsed and checked before
 * anything happens, the result alone on stdout, progress as `INFO:` lines on stderr, and a failure
 * as one plain line in the format of the running OpenNebula version (see ./errors.ts).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestMetric } from '@linstor-hv/client';
import { DS_ACTIONS, type OneAction, TM_ACTIONS } from './actions';
import { loadConfig, type OneConfig } from './config';
import { ActionContext } from './context';
import {
  type ErrorFormat,
  errorFormatFor,
  FAILURE_OUTPUT,
  failureKind,
  failureMessage,
  failureText,
  infoLine,
} from './errors';
import type { BridgeMemory } from './memory';
import { OneProtocolError, shown } from './protocol';

/** Which driver an action belongs to. */
export type OneDriver = 'ds' | 'tm';

/** One call of a driver action, as the remotes shim passes it on. */
export interface OneCall {
  readonly driver: OneDriver;
  /** The action, possibly with a `.ssh`/`.shared` suffix (mixed-mode system datastores). */
  readonly action: string;
  readonly argv: readonly string[];
  /** Reads stdin (called only by the conventions that carry a document there). */
  readonly stdin: () => Promise<string>;
}

/** What the process prints and how it ends. */
export interface OneResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly signal?: AbortSignal;
  /** Receives stderr text as it is produced (progress lines stream to oned). */
  readonly onStderr?: (text: string) => void;
  /** Counts REST requests (benchmarks). */
  readonly metrics?: (metric: RequestMetric) => void;
  /** What a resident bridge keeps between calls (see {@link BridgeMemory}). */
  readonly memory?: BridgeMemory;
}

/** The actions of a driver, for `--help` and the bridge. */
export function actionsOf(driver: OneDriver): string[] {
  return Object.keys(driver === 'ds' ? DS_ACTIONS : TM_ACTIONS).sort();
}

/** The action table entry for a call (`.ssh`/`.shared` suffixes behave like the plain action). */
function lookup(driver: OneDriver, action: string): OneAction {
  const plain = action.replace(/\.(ssh|shared)$/, '');
  const table = driver === 'ds' ? DS_ACTIONS : TM_ACTIONS;
  const found = Object.hasOwn(table, plain) ? table[plain] : undefined;
  if (!found) {
    throw new OneProtocolError(
      `The linstor ${driver === 'ds' ? 'datastore' : 'transfer manager'} driver has no action '${shown(action)}'.`,
    );
  }
  return found;
}

/** The OpenNebula version: the configured one, else `<remotes>/VERSION`; undefined when unknown. */
function oneVersion(config: OneConfig | undefined): string | undefined {
  if (config?.oneVersion) return config.oneVersion;
  if (!config) return undefined;
  try {
    return readFileSync(join(config.remotesDir, 'VERSION'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Runs one action and returns what to print and the exit status. */
export async function runOneAction(call: OneCall, options: RunOptions = {}): Promise<OneResult> {
  let stderr = '';
  let format: ErrorFormat = 'prefixed';
  let vmId: number | undefined;
  const emit = (text: string) => {
    stderr += text;
    options.onStderr?.(text);
  };
  const log = {
    info: (message: string) => {
      if (format !== 'plain') emit(`${infoLine(`${call.driver} ${call.action}: ${message}`, vmId)}\n`);
    },
  };
  let context: ActionContext | undefined;
  try {
    let config: OneConfig | undefined;
    try {
      config = loadConfig(options.env ?? process.env);
    } finally {
      format = errorFormatFor(oneVersion(config));
    }
    const action = lookup(call.driver, call.action);
    const request = await action.parse(call.argv, call.stdin);
    const requestVm = (request as { vmId?: unknown }).vmId;
    if (typeof requestVm === 'number') vmId = requestVm;
    context = new ActionContext(
      config,
      log,
      options.signal,
      options.metrics ? { metrics: options.metrics } : {},
      options.memory,
    );
    const stdout = (await action.run(context, request as never)) ?? '';
    return { exitCode: 0, stdout, stderr };
  } catch (error) {
    const message = `linstor ${call.driver} ${call.action}: ${failureMessage(error)}`;
    emit(failureText(format, message));
    return { exitCode: FAILURE_OUTPUT[failureKind(error)].exitCode, stdout: '', stderr };
  } finally {
    await context?.close();
  }
}
