/**
 * Fault rules of the test control API (`POST /emulator/faults`): make matching `/v1` requests slow,
 * fail, or lose their connection before or after the change is committed, the way a slow satellite,
 * a crashing controller or a broken network would.
 */

export type FaultAction = 'delay' | 'error' | 'drop-before' | 'drop-after';

/** A rule as posted to `POST /emulator/faults`. */
export interface FaultRuleSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Route template to match exactly, e.g. `/v1/resource-groups/{rg}/spawn`. */
  template?: string;
  /** Regular expression tested against the decoded request path (instead of `template`). */
  pathRegex?: string;
  /** How many matching requests the rule affects (default 1; -1 = every one until cleared). */
  times?: number;
  action: FaultAction;
  /** For `delay`: milliseconds to wait before handling the request. */
  delayMs?: number;
  /** For `error`: HTTP status (default 500). */
  status?: number;
  /** For `error`: the entry's ret_code as a decimal string, signed or unsigned (default FAIL_UNKNOWN_ERROR). */
  retCode?: string;
  /** For `error`: the entry's message. */
  message?: string;
}

export interface FaultRule extends FaultRuleSpec {
  id: string;
  /** Remaining matches (-1 = unlimited). */
  remaining: number;
  regex?: RegExp;
}

const ACTIONS: readonly FaultAction[] = ['delay', 'error', 'drop-before', 'drop-after'];
const MAX_DELAY_MS = 600_000;

/** Checks a posted rule; returns the problem in one sentence, or undefined when it is valid. */
export function faultRuleProblem(spec: unknown): string | undefined {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    return 'the fault rule must be a JSON object';
  const s = spec as Record<string, unknown>;
  if (!ACTIONS.includes(s.action as FaultAction)) return `action must be one of ${ACTIONS.join(', ')}`;
  if (s.method !== undefined && typeof s.method !== 'string') return 'method must be a string';
  if (s.template !== undefined && typeof s.template !== 'string') return 'template must be a string';
  if (s.template !== undefined && s.pathRegex !== undefined)
    return 'give either template or pathRegex, not both';
  if (s.pathRegex !== undefined) {
    if (typeof s.pathRegex !== 'string') return 'pathRegex must be a string';
    try {
      new RegExp(s.pathRegex);
    } catch (e) {
      return `pathRegex is not a valid regular expression: ${(e as Error).message}`;
    }
  }
  if (
    s.times !== undefined &&
    (!Number.isInteger(s.times) || (s.times as number) === 0 || (s.times as number) < -1)
  ) {
    return 'times must be a positive integer or -1';
  }
  if (s.action === 'delay') {
    if (!Number.isInteger(s.delayMs) || (s.delayMs as number) < 0 || (s.delayMs as number) > MAX_DELAY_MS) {
      return `delayMs must be an integer from 0 to ${MAX_DELAY_MS}`;
    }
  }
  if (
    s.status !== undefined &&
    (!Number.isInteger(s.status) || (s.status as number) < 100 || (s.status as number) > 599)
  ) {
    return 'status must be an HTTP status code';
  }
  if (s.retCode !== undefined && (typeof s.retCode !== 'string' || !/^-?\d+$/.test(s.retCode))) {
    return 'retCode must be a decimal string';
  }
  if (s.message !== undefined && typeof s.message !== 'string') return 'message must be a string';
  return undefined;
}

/** The active fault rules, in the order they were added. */
export class FaultRules {
  private rules: FaultRule[] = [];
  private nextId = 1;

  /** Adds a rule (already checked with {@link faultRuleProblem}) and returns its id. */
  add(spec: FaultRuleSpec): string {
    const id = `fault-${this.nextId++}`;
    const rule: FaultRule = { ...spec, id, remaining: spec.times ?? 1 };
    if (spec.pathRegex !== undefined) rule.regex = new RegExp(spec.pathRegex);
    this.rules.push(rule);
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return [...this.rules];
  }

  /**
   * The rules that apply to this request, consumed: every matching `delay` rule, then at most one
   * other rule (the first that matches). Rules whose count runs out are removed.
   */
  take(method: string, template: string | undefined, path: string): FaultRule[] {
    const taken: FaultRule[] = [];
    for (const rule of this.rules) {
      if (!matches(rule, method, template, path)) continue;
      taken.push(rule);
      if (rule.remaining > 0) rule.remaining--;
      if (rule.action !== 'delay') break;
    }
    if (taken.length > 0) this.rules = this.rules.filter((r) => r.remaining !== 0);
    return taken;
  }
}

function matches(rule: FaultRule, method: string, template: string | undefined, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  if (rule.template !== undefined && rule.template !== template) return false;
  if (rule.regex && !rule.regex.test(path)) return false;
  return true;
}
