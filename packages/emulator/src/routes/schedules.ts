/**
 * Schedules (linstor-server's rest/v1/Schedules.java, the schedule routes of Backups.java and the
 * `schedules-by-resource` views of View.java); the rules are in domain/schedules.ts. All answer 200.
 */
import {
  type ApiCallRc,
  MASK_DEL,
  MASK_MOD,
  MASK_SCHEDULE,
  MODIFIED,
  nameKey,
  sameName,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { rgOf } from '../domain/deployment';
import { requireRd, requireRg } from '../domain/lookup';
import type { RdRec } from '../domain/model';
import { requireRemote } from '../domain/remotes';
import {
  createSchedule,
  deleteSchedule,
  deleteScheduleSwitch,
  listScheduleSwitches,
  listSchedules,
  modifySchedule,
  nextCronTime,
  requireSchedule,
  type ScheduleLevel,
  type ScheduleSwitchRec,
  scheduleView,
  setScheduleSwitch,
} from '../domain/schedules';
import { entry, replyEntries } from '../http/apicall';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

type Body = Record<string, unknown>;

function ok(entries: ApiCallRc[]): EmuReply {
  return replyEntries(entries, 200);
}

/** The level a BackupSchedule body (or the delete's query) addresses: RD, else RG, else controller. */
function levelOf(
  ctx: EmulatorContext,
  rscName: unknown,
  grpName: unknown,
  mask: bigint,
): { level: ScheduleLevel; target: string; what: string } {
  if (typeof rscName === 'string' && rscName !== '') {
    const rd = requireRd(ctx, rscName, mask);
    return { level: 'rsc_dfn', target: rd.name, what: `resource definition '${rd.name}'` };
  }
  if (typeof grpName === 'string' && grpName !== '') {
    const rg = requireRg(ctx, grpName, mask);
    return { level: 'rsc_grp', target: rg.name, what: `resource group '${rg.name}'` };
  }
  return { level: 'ctrl', target: '', what: 'the controller' };
}

function switchSchedule(
  ctx: EmulatorContext,
  remote: string,
  schedule: string,
  body: Body,
  enabled: boolean,
): EmuReply {
  const mask = MASK_MOD | MASK_SCHEDULE;
  const rem = requireRemote(ctx, remote, mask);
  const sched = requireSchedule(ctx, schedule, mask);
  const { level, target, what } = levelOf(ctx, body.rsc_name, body.grp_name, mask);
  setScheduleSwitch(ctx, { remote: rem.name, schedule: sched.name, level, target, enabled });
  return ok([
    entry(
      MODIFIED | mask,
      `Backup shipping schedule '${sched.name}' to remote '${rem.name}' ${enabled ? 'enabled' : 'disabled'} on ${what}.`,
    ),
  ]);
}

/** The switches that decide for one RD, most specific first (RD, RG, controller), per remote+schedule. */
function effectiveSwitches(ctx: EmulatorContext, rd: RdRec): ScheduleSwitchRec[] {
  const rank: Record<ScheduleLevel, number> = { rsc_dfn: 0, rsc_grp: 1, ctrl: 2 };
  const rgName = rgOf(ctx, rd).name;
  const applying = listScheduleSwitches(ctx)
    .filter(
      (sw) =>
        sw.level === 'ctrl' ||
        (sw.level === 'rsc_grp' && sameName(sw.target, rgName)) ||
        (sw.level === 'rsc_dfn' && sameName(sw.target, rd.name)),
    )
    .sort((a, b) => rank[a.level] - rank[b.level]);
  const decided = new Map<string, ScheduleSwitchRec>();
  for (const sw of applying) {
    const key = `${nameKey(sw.remote)}\0${nameKey(sw.schedule)}`;
    if (!decided.has(key)) decided.set(key, sw);
  }
  return [...decided.values()];
}

/** The time fields of a row with a `reason` (no shipping planned), as the controller fills them. */
const NO_TIMES = {
  last_snap_time: -1,
  last_snap_inc: false,
  next_exec_time: -1,
  next_exec_inc: false,
  next_planned_full: -1,
  next_planned_inc: -1,
};

function scheduledRscs(ctx: EmulatorContext, rd: RdRec): Record<string, unknown>[] {
  const hasResources = ctx.store.count('resources', [nameKey(rd.name)]) > 0;
  const rows = effectiveSwitches(ctx, rd).map((sw) => {
    const row: Record<string, unknown> = {
      rsc_name: rd.name,
      remote_name: sw.remote,
      schedule_name: sw.schedule,
    };
    const reason = !sw.enabled ? 'disabled' : hasResources ? undefined : 'undeployed';
    if (reason) return { ...row, reason, ...NO_TIMES };
    const sched = ctx.store.get<{ fullCron: string; incCron?: string }>('schedules', [nameKey(sw.schedule)]);
    const now = ctx.now();
    const full = sched ? nextCronTime(sched.fullCron, now) : undefined;
    const inc = sched?.incCron ? nextCronTime(sched.incCron, now) : undefined;
    const incFirst = inc !== undefined && (full === undefined || inc < full);
    row.last_snap_time = -1;
    row.last_snap_inc = false;
    row.next_exec_time = (incFirst ? inc : full) ?? -1;
    row.next_exec_inc = incFirst;
    row.next_planned_full = full ?? -1;
    row.next_planned_inc = inc ?? -1;
    return row;
  });
  // The controller leaves remote and schedule out of a 'none set' row; the spec requires them, so
  // they are sent empty (README, "Where the spec is silent").
  return rows.length
    ? rows
    : [{ rsc_name: rd.name, remote_name: '', schedule_name: '', reason: 'none set', ...NO_TIMES }];
}

export const scheduleRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/schedules',
    handler: (_req, ctx) => ({ status: 200, json: { data: listSchedules(ctx).map(scheduleView) } }),
  }),
  route({
    method: 'POST',
    template: '/v1/schedules',
    handler: withObjectBody((body: Body, _req, ctx) => ok(createSchedule(ctx, body))),
  }),
  route({
    method: 'PUT',
    template: '/v1/schedules/{schedule}',
    handler: withObjectBody((body: Body, req, ctx) => ok(modifySchedule(ctx, req.params.schedule, body))),
  }),
  route({
    method: 'DELETE',
    template: '/v1/schedules/{schedule}',
    handler: (req, ctx) => ok(deleteSchedule(ctx, req.params.schedule)),
  }),
  route({
    method: 'PUT',
    template: '/v1/remotes/{remote}/backups/schedule/{schedule}/enable',
    handler: withObjectBody((body: Body, req, ctx) =>
      switchSchedule(ctx, req.params.remote, req.params.schedule, body, true),
    ),
  }),
  route({
    method: 'PUT',
    template: '/v1/remotes/{remote}/backups/schedule/{schedule}/disable',
    handler: withObjectBody((body: Body, req, ctx) =>
      switchSchedule(ctx, req.params.remote, req.params.schedule, body, false),
    ),
  }),
  route({
    method: 'DELETE',
    template: '/v1/remotes/{remote}/backups/schedule/{schedule}/delete',
    handler: (req, ctx) => {
      const mask = MASK_DEL | MASK_SCHEDULE;
      const rem = requireRemote(ctx, req.params.remote, mask);
      const sched = requireSchedule(ctx, req.params.schedule, mask);
      const { level, target, what } = levelOf(
        ctx,
        req.query.get('rsc_dfn_name'),
        req.query.get('rsc_grp_name'),
        mask,
      );
      const removed = deleteScheduleSwitch(ctx, { remote: rem.name, schedule: sched.name, level, target });
      return ok([
        removed
          ? entry(
              MODIFIED | mask,
              `Backup shipping schedule '${sched.name}' to remote '${rem.name}' removed from ${what}.`,
            )
          : entry(
              WARN_NOT_FOUND | mask,
              `Backup shipping schedule '${sched.name}' to remote '${rem.name}' is not set on ${what}.`,
            ),
      ]);
    },
  }),
  route({
    method: 'GET',
    template: '/v1/view/schedules-by-resource',
    handler: (req, ctx) => {
      const wanted = req.query.get('rsc');
      const rds = ctx.store
        .list<RdRec>('rds')
        .filter((rd) => !wanted || sameName(rd.name, wanted))
        .sort((a, b) => nameKey(a.name).localeCompare(nameKey(b.name)));
      return { status: 200, json: { data: rds.flatMap((rd) => scheduledRscs(ctx, rd)) } };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/view/schedules-by-resource/{rsc}',
    handler: (req, ctx) => {
      const rd = requireRd(ctx, req.params.rsc);
      const rgName = rgOf(ctx, rd).name;
      const data = listScheduleSwitches(ctx)
        .filter(
          (sw) =>
            sw.level === 'ctrl' ||
            (sw.level === 'rsc_grp' && sameName(sw.target, rgName)) ||
            (sw.level === 'rsc_dfn' && sameName(sw.target, rd.name)),
        )
        .reduce<Map<string, Record<string, unknown>>>((rows, sw) => {
          const key = `${nameKey(sw.remote)}\0${nameKey(sw.schedule)}`;
          const row = rows.get(key) ?? { remote_name: sw.remote, schedule_name: sw.schedule };
          row[sw.level] = sw.enabled;
          rows.set(key, row);
          return rows;
        }, new Map());
      return { status: 200, json: { data: [...data.values()] } };
    },
  }),
];
