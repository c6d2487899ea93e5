/**
 * Backup schedules (`/v1/schedules`) and where they are switched on
 * (`/v1/remotes/{remote}/backups/schedule/{schedule}/enable|disable|delete`), after linstor-server's
 * CtrlScheduleApiCallHandler and CtrlScheduledBackupsApiCallHandler. A schedule has a full-backup
 * cron, an optional incremental cron (both five-field Unix cron), retention counts and a failure
 * policy. It is enabled or disabled per remote on the controller, a resource group or a resource
 * definition; the most specific level wins (RD over RG over controller), which
 * `/v1/view/schedules-by-resource` shows. The emulator never ships a backup (domain/remotes.ts),
 * so `last_snap_time` stays -1.
 */
import {
  type ApiCallRc,
  CREATED,
  DELETED,
  FAIL_EXISTS_SCHEDULE,
  FAIL_NOT_FOUND_SCHEDULE,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_SCHEDULE,
  MODIFIED,
  nameKey,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { FAIL_INVLD_CONF, FAIL_INVLD_SCHEDULE_NAME, notFoundError } from './codes';
import { newUuid } from './lookup';

export interface ScheduleRec {
  name: string;
  fullCron: string;
  incCron?: string;
  keepLocal?: number;
  keepRemote?: number;
  onFailure: 'SKIP' | 'RETRY';
  maxRetries?: number;
  uuid: string;
}

/** Where a schedule is switched on or off for a remote. */
export type ScheduleLevel = 'ctrl' | 'rsc_grp' | 'rsc_dfn';

export interface ScheduleSwitchRec {
  remote: string;
  schedule: string;
  level: ScheduleLevel;
  /** RG or RD name; '' for the controller. */
  target: string;
  enabled: boolean;
}

const SCHEDULE_NAME = /^[A-Za-z][A-Za-z0-9_-]{1,47}$/;
const FIELD_RANGES: readonly [number, number][] = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function describe(name: string): string {
  return `Schedule '${name}'`;
}

/** The allowed values of each of the five cron fields, or undefined when the expression is invalid. */
function parseCron(expression: string): Set<number>[] | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const sets: Set<number>[] = [];
  for (const [i, field] of fields.entries()) {
    const [lo, hi] = FIELD_RANGES[i]!;
    const set = new Set<number>();
    for (const part of field.split(',')) {
      const m = /^(\*|\d+(?:-\d+)?)(?:\/(\d+))?$/.exec(part);
      if (!m) return undefined;
      const step = m[2] ? Number(m[2]) : 1;
      let from = lo;
      let to = hi;
      if (m[1] !== '*') {
        const [a, b] = m[1]!.split('-').map(Number);
        from = a!;
        to = b ?? (m[2] ? hi : a!);
      }
      if (from < lo || to > hi || from > to || step < 1) return undefined;
      for (let v = from; v <= to; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    sets.push(set);
  }
  return sets;
}

/** The next time (ms, local clock of the emulator in UTC) a cron expression fires after `after`. */
export function nextCronTime(expression: string, after: number): number | undefined {
  const sets = parseCron(expression);
  if (!sets) return undefined;
  const [minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const t = new Date(Math.floor(after / 60_000) * 60_000 + 60_000);
  // A year of minutes is the longest any valid expression waits.
  for (let i = 0; i < 366 * 24 * 60; i++) {
    if (
      months.has(t.getUTCMonth() + 1) &&
      days.has(t.getUTCDate()) &&
      weekdays.has(t.getUTCDay()) &&
      hours.has(t.getUTCHours()) &&
      minutes.has(t.getUTCMinutes())
    ) {
      return t.getTime();
    }
    t.setTime(t.getTime() + 60_000);
  }
  return undefined;
}

function checkCron(value: unknown, what: string, mask: bigint): string {
  if (typeof value !== 'string' || !parseCron(value)) {
    throw new ApiCallError(
      entry(
        FAIL_INVLD_CONF | mask,
        `Error parsing ${what}: '${String(value)}' is not a valid cron expression.`,
      ),
    );
  }
  return value.trim();
}

function checkCount(value: unknown, what: string, mask: bigint): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ApiCallError(entry(FAIL_INVLD_CONF | mask, `Invalid ${what}: ${String(value)}.`));
  }
  return n;
}

function onFailure(value: unknown, mask: bigint): 'SKIP' | 'RETRY' | undefined {
  if (value === undefined || value === null) return undefined;
  const v = String(value).toUpperCase();
  if (v !== 'SKIP' && v !== 'RETRY') {
    throw new ApiCallError(entry(FAIL_INVLD_CONF | mask, `Invalid on_failure value '${String(value)}'.`));
  }
  return v;
}

export function getSchedule(ctx: EmulatorContext, name: string): ScheduleRec | undefined {
  return name ? ctx.store.get<ScheduleRec>('schedules', [nameKey(name)]) : undefined;
}

export function listSchedules(ctx: EmulatorContext): ScheduleRec[] {
  return ctx.store
    .list<ScheduleRec>('schedules')
    .sort((a, b) => nameKey(a.name).localeCompare(nameKey(b.name)));
}

export function requireSchedule(ctx: EmulatorContext, name: string, mask = 0n): ScheduleRec {
  const rec = getSchedule(ctx, name);
  if (!rec) throw notFoundError(FAIL_NOT_FOUND_SCHEDULE, 'schedule', name, mask);
  return rec;
}

/** The wire `Schedule`. */
export function scheduleView(rec: ScheduleRec): Record<string, unknown> {
  const view: Record<string, unknown> = { schedule_name: rec.name, full_cron: rec.fullCron };
  if (rec.incCron) view.inc_cron = rec.incCron;
  if (rec.keepLocal !== undefined) view.keep_local = rec.keepLocal;
  if (rec.keepRemote !== undefined) view.keep_remote = rec.keepRemote;
  view.on_failure = rec.onFailure;
  if (rec.maxRetries !== undefined) view.max_retries = rec.maxRetries;
  return view;
}

/** `POST /v1/schedules`. */
export function createSchedule(ctx: EmulatorContext, body: Record<string, unknown>): ApiCallRc[] {
  const mask = MASK_CRT | MASK_SCHEDULE;
  const name = typeof body.schedule_name === 'string' ? body.schedule_name : '';
  if (!SCHEDULE_NAME.test(name)) {
    throw new ApiCallError(entry(FAIL_INVLD_SCHEDULE_NAME | mask, `Invalid schedule name '${name}'.`));
  }
  if (getSchedule(ctx, name)) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_SCHEDULE | mask,
        `A schedule with the name '${name}' already exists. Please use a different name or try to modify the schedule instead.`,
      ),
    );
  }
  const rec: ScheduleRec = {
    name,
    fullCron: checkCron(body.full_cron, 'full-cron', mask),
    onFailure: onFailure(body.on_failure, mask) ?? 'SKIP',
    uuid: newUuid(),
  };
  if (body.inc_cron !== undefined && body.inc_cron !== '')
    rec.incCron = checkCron(body.inc_cron, 'inc-cron', mask);
  const keepLocal = checkCount(body.keep_local, 'keep_local', mask);
  const keepRemote = checkCount(body.keep_remote, 'keep_remote', mask);
  const maxRetries = checkCount(body.max_retries, 'max_retries', mask);
  if (keepLocal !== undefined) rec.keepLocal = keepLocal;
  if (keepRemote !== undefined) rec.keepRemote = keepRemote;
  if (maxRetries !== undefined) rec.maxRetries = maxRetries;
  ctx.store.put('schedules', [nameKey(name)], rec);
  return [
    entry(CREATED | mask, `${describe(name)} created successfully.`, {
      details: `${describe(name)} UUID is: ${rec.uuid}`,
    }),
  ];
}

/** `PUT /v1/schedules/{name}`. */
export function modifySchedule(
  ctx: EmulatorContext,
  name: string,
  body: Record<string, unknown>,
): ApiCallRc[] {
  const mask = MASK_MOD | MASK_SCHEDULE;
  const rec = { ...requireSchedule(ctx, name, mask) };
  if (body.full_cron !== undefined) rec.fullCron = checkCron(body.full_cron, 'full-cron', mask);
  if (body.inc_cron !== undefined) {
    if (body.inc_cron === '') delete rec.incCron;
    else rec.incCron = checkCron(body.inc_cron, 'inc-cron', mask);
  }
  for (const [field, key] of [
    ['keepLocal', 'keep_local'],
    ['keepRemote', 'keep_remote'],
    ['maxRetries', 'max_retries'],
  ] as const) {
    const value = checkCount(body[key], key, mask);
    if (value !== undefined) rec[field] = value;
  }
  rec.onFailure = onFailure(body.on_failure, mask) ?? rec.onFailure;
  ctx.store.put('schedules', [nameKey(rec.name)], rec);
  return [
    entry(MODIFIED | mask, `${describe(rec.name)} modified successfully.`, {
      details: `${describe(rec.name)} UUID is: ${rec.uuid}`,
    }),
  ];
}

/** `DELETE /v1/schedules/{name}`: also every enable/disable of it. */
export function deleteSchedule(ctx: EmulatorContext, name: string): ApiCallRc[] {
  const mask = MASK_DEL | MASK_SCHEDULE;
  const rec = getSchedule(ctx, name);
  if (!rec) return [entry(WARN_NOT_FOUND | mask, `${describe(name)} not found.`)];
  for (const sw of ctx.store.list<ScheduleSwitchRec>('scheduleSwitches')) {
    if (nameKey(sw.schedule) === nameKey(rec.name)) ctx.store.delete('scheduleSwitches', switchKey(sw));
  }
  ctx.store.delete('schedules', [nameKey(rec.name)]);
  return [
    entry(DELETED | mask, `${describe(rec.name)} marked for deletion.`, {
      details: `${describe(rec.name)} UUID is: ${rec.uuid}`,
    }),
  ];
}

function switchKey(sw: Pick<ScheduleSwitchRec, 'remote' | 'schedule' | 'level' | 'target'>): string[] {
  return [nameKey(sw.remote), nameKey(sw.schedule), sw.level, nameKey(sw.target)];
}

/** Switches a schedule on or off for a remote at one level. */
export function setScheduleSwitch(ctx: EmulatorContext, sw: ScheduleSwitchRec): void {
  ctx.store.put('scheduleSwitches', switchKey(sw), sw);
}

/** Removes the switch at one level (back to inheriting); returns whether there was one. */
export function deleteScheduleSwitch(
  ctx: EmulatorContext,
  sw: Pick<ScheduleSwitchRec, 'remote' | 'schedule' | 'level' | 'target'>,
): boolean {
  const key = switchKey(sw);
  if (!ctx.store.get('scheduleSwitches', key)) return false;
  ctx.store.delete('scheduleSwitches', key);
  return true;
}

/** Removes every switch that names a remote (the remote was deleted). */
export function deleteSchedulesOfRemote(ctx: EmulatorContext, remote: string): void {
  for (const sw of ctx.store.list<ScheduleSwitchRec>('scheduleSwitches', [nameKey(remote)])) {
    ctx.store.delete('scheduleSwitches', switchKey(sw));
  }
}

export function listScheduleSwitches(ctx: EmulatorContext): ScheduleSwitchRec[] {
  return ctx.store.list<ScheduleSwitchRec>('scheduleSwitches');
}
