/**
 * The test control API routes that need the server's own state: reset, the request log and the
 * fault rules. They live outside `/v1`, are never authenticated and never logged. (Node
 * offline/online is in nodes.ts; device open/close in the devices module.)
 */
import type { RouteDef } from '../http/route';
import { type FaultRuleSpec, type FaultRules, faultRuleProblem } from '../infra/faults';
import type { RequestLog } from '../infra/request-log';

export interface ControlHooks {
  /** Empties the store and the data directory, then writes the cluster again. */
  reset(): Promise<void>;
  faults: FaultRules;
  log: RequestLog;
}

/** Builds the control routes around the given server state. */
export function controlRoutes(hooks: ControlHooks): RouteDef[] {
  return [
    {
      method: 'POST',
      template: '/emulator/reset',
      transaction: false,
      handler: async () => {
        await hooks.reset();
        return { status: 200, json: { reset: true } };
      },
    },
    {
      method: 'GET',
      template: '/emulator/requests',
      handler: () => ({
        status: 200,
        text: JSON.stringify(hooks.log.list()),
        headers: { 'Content-Type': 'application/json' },
      }),
    },
    {
      method: 'GET',
      template: '/emulator/requests/counts',
      handler: () => ({
        status: 200,
        text: JSON.stringify(hooks.log.countsByRoute()),
        headers: { 'Content-Type': 'application/json' },
      }),
    },
    {
      method: 'DELETE',
      template: '/emulator/requests',
      transaction: false,
      handler: () => {
        hooks.log.clear();
        return { status: 200, json: { cleared: true } };
      },
    },
    {
      method: 'GET',
      template: '/emulator/faults',
      handler: () => ({
        status: 200,
        text: JSON.stringify(hooks.faults.list().map(({ regex: _regex, ...rule }) => rule)),
        headers: { 'Content-Type': 'application/json' },
      }),
    },
    {
      method: 'POST',
      template: '/emulator/faults',
      transaction: false,
      handler: (req) => {
        const problem = faultRuleProblem(req.body);
        if (problem) return { status: 400, json: { error: problem } };
        return { status: 201, json: { id: hooks.faults.add(req.body as FaultRuleSpec) } };
      },
    },
    {
      method: 'DELETE',
      template: '/emulator/faults',
      transaction: false,
      handler: () => {
        hooks.faults.clear();
        return { status: 200, json: { cleared: true } };
      },
    },
  ];
}
