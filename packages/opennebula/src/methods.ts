/**
 * The bridge's method table for OpenNebula: `one.ds.<action>` and `one.tm.<action>`, each taking
 * the shim's argv, stdin and environment and answering with what the one-shot command would print,
 * so a shim can hand a call to the resident bridge and print the same bytes.
 */

import { BridgeMemory } from './memory';
import { OneProtocolError } from './protocol';
import { actionsOf, type OneDriver, runOneAction } from './run';

/** What a shim sends: its argv and stdin unchanged, and the OpenNebula variables of its environment. */
interface OneMethodParams {
  argv: string[];
  stdin?: string;
  env?: Record<string, string>;
}

/** The call context the bridge hands a method (its abort signal and deadline). */
interface BridgeCallLike {
  signal: AbortSignal;
  deadline: number;
}

function paramsOf(params: unknown): OneMethodParams {
  const p = params as Partial<OneMethodParams> | null;
  if (
    p === null ||
    typeof p !== 'object' ||
    !Array.isArray(p.argv) ||
    !p.argv.every((a) => typeof a === 'string') ||
    (p.stdin !== undefined && typeof p.stdin !== 'string') ||
    (p.env !== undefined && (typeof p.env !== 'object' || p.env === null))
  ) {
    throw Object.assign(
      new OneProtocolError('params must be {"argv": [strings], "stdin"?: string, "env"?: {…}}.'),
      { rpcCode: -32602 },
    );
  }
  return p as OneMethodParams;
}

/**
 * The deadline of an OpenNebula call through the bridge. oned gives driver actions no time limit
 * unless its `-w` option sets one, and an import or a copy runs as long as its data takes, so the
 * bridge's one-minute default would cut them off where the one-shot command would not. When oned
 * does give up, it kills the shim, and the bridge ends the call because its caller left.
 */
export const ONE_CALL_BUDGET_MS = 24 * 60 * 60 * 1000;

/** Environment keys a shim may pass on (the ones that select configuration, never secrets). */
const PASSED_ENV = ['LINSTOR_HV_ONE_CONFIG', 'LINSTOR_HV_ONE_REMOTES', 'ONE_LOCATION', 'SSH'];

/**
 * The OpenNebula method table for `linstor-hv bridge --platform opennebula`; `memory` is what the
 * bridge keeps between calls (group placements, and the clusters and owners its orphan sweep covers).
 */
export function openNebulaMethodTable(
  memory: BridgeMemory = new BridgeMemory(),
): Record<string, (params: unknown, call: BridgeCallLike) => Promise<unknown>> {
  const table: Record<string, (params: unknown, call: BridgeCallLike) => Promise<unknown>> = {};
  for (const driver of ['ds', 'tm'] as OneDriver[]) {
    for (const action of actionsOf(driver)) {
      table[`one.${driver}.${action}`] = async (params, call) => {
        const { argv, stdin, env } = paramsOf(params);
        const passed: NodeJS.ProcessEnv = { ...process.env };
        for (const key of PASSED_ENV) if (typeof env?.[key] === 'string') passed[key] = env[key];
        return runOneAction(
          { driver, action, argv, stdin: async () => stdin ?? '' },
          { env: passed, signal: call.signal, memory },
        );
      };
    }
  }
  return table;
}
