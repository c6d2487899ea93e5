/**
 * The orphan sweep: removes what the orphan audit finds that an unfinished attempt left behind
 * (pending or temporary resource definitions, temporary snapshots, diskless attachments made for
 * them) once it is older than a grace period. It never touches an object that is open somewhere,
 * one that is younger than the grace period (another attempt may still be building it), or one that
 * changed between the audit and the removal (an attempt finished it meanwhile). Dual-primary
 * settings, migration records and definitions without a platform name are reported and left alone:
 * they belong to running guests or need a person to decide.
 */

import {
  PROP_HV_CREATED_AT,
  PROP_HV_PENDING,
  PROP_HV_TEMPORARY,
  type ResourceWithVolumes,
  type Snapshot,
  sameName,
} from '@linstor-hv/api';
import type { CallOptions, LinstorClient } from '@linstor-hv/client';
import { type AuditScope, auditOrphans, type Orphan } from './audit';

/**
 * Set by a sweep on a leftover definition whose age it cannot tell (it has no resources, which
 * carry LINSTOR's creation times): the next sweep measures the grace period from this mark.
 */
export const PROP_HV_SWEEP_SEEN = 'Aux/linstor-hv/sweep-seen';

/** Default grace period: well beyond the longest deadline a Proxmox or bridge call runs under by default. */
export const DEFAULT_SWEEP_GRACE_MS = 10 * 60_000;

/** Beyond the longest time a call may still be building something, before a sweep may take it for a leftover. */
const BUSY_MARGIN_MS = 60_000;

/**
 * The grace period of one sweep: the one asked for, but never shorter than `busyMs` plus a minute,
 * where `busyMs` is how long a call may still be building what it made (the oldest running call's
 * age, or the longest budget a platform gives its calls), so nothing a call still running made (a
 * staging volume between two copies) is taken for a leftover.
 */
export function sweepGraceAbove(graceMs: number, busyMs: number): number {
  return Math.max(graceMs, Math.ceil(busyMs) + BUSY_MARGIN_MS);
}

export interface SweepOptions extends Omit<AuditScope, 'connections'> {
  /** Leftovers younger than this are kept (default ten minutes). */
  readonly graceMs?: number;
  /** Report what would be removed and change nothing. */
  readonly dryRun?: boolean;
  /** The current time (epoch ms); tests pass their own clock. */
  readonly now?: number;
  readonly signal?: AbortSignal;
}

/** What the sweep did with one leftover. */
export type SweepAction = 'removed' | 'would remove' | 'kept' | 'failed';

export interface SweepEntry extends Orphan {
  /** Age in ms, when known (LINSTOR's creation times, or the sweep's own first-seen mark). */
  readonly ageMs?: number;
  readonly action: SweepAction;
  /** Why it was kept, or what failed (one line). */
  readonly note: string;
}

export interface SweepReport {
  readonly entries: readonly SweepEntry[];
  readonly removed: number;
  readonly kept: number;
  readonly failed: number;
}

/** Everything the sweep read about the audited objects, in three requests. */
interface ClusterFacts {
  readonly definitionProps: Map<string, Record<string, string>>;
  readonly resources: readonly ResourceWithVolumes[];
  readonly snapshots: readonly Snapshot[];
}

/**
 * Finds leftovers of unfinished linstor-hv attempts in `scope` and removes those older than the
 * grace period that nobody uses. Safe to run at any time and from several hosts at once: every
 * removal is re-checked against a fresh read first, and a removal that fails is reported, not thrown.
 */
export async function sweepOrphans(client: LinstorClient, options: SweepOptions = {}): Promise<SweepReport> {
  const graceMs = options.graceMs ?? DEFAULT_SWEEP_GRACE_MS;
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const scope: AuditScope = {
    ...(options.platform !== undefined ? { platform: options.platform } : {}),
    ...(options.ownerId !== undefined ? { ownerId: options.ownerId } : {}),
    connections: false,
  };
  const audit = await auditOrphans(client, scope);
  const now = options.now ?? Date.now();
  const facts = await readFacts(client, audit.orphans, call);
  const entries: SweepEntry[] = [];
  /** What happened to each leftover definition: its attachments and snapshots follow it. */
  const definitionActions = new Map<string, SweepAction>();
  // Definitions first: removing one removes its attachments and snapshots with it.
  const ordered = [...audit.orphans].sort((a, b) => rank(a) - rank(b));
  for (const orphan of ordered) {
    options.signal?.throwIfAborted();
    // A snapshot or attachment of a leftover definition shares the definition's fate.
    const definitionAction =
      orphan.kind === 'resource-definition' ? undefined : definitionActions.get(key(orphan.resource));
    if (definitionAction !== undefined) {
      entries.push(entry(orphan, undefined, definitionAction, 'with its definition'));
      continue;
    }
    const decision = decide(orphan, facts, now, graceMs);
    if (decision.keep !== undefined || decision.remove === undefined) {
      entries.push(entry(orphan, decision.ageMs, 'kept', decision.keep ?? 'left alone'));
      if (orphan.kind === 'resource-definition') definitionActions.set(key(orphan.resource), 'kept');
      if (decision.markUnknownAge && !options.dryRun) await markSeen(client, orphan.resource, now, call);
      continue;
    }
    if (options.dryRun) {
      entries.push(entry(orphan, decision.ageMs, 'would remove', ''));
      if (orphan.kind === 'resource-definition') definitionActions.set(key(orphan.resource), 'would remove');
      continue;
    }
    try {
      const outcome = await decision.remove(client, call);
      const action: SweepAction = outcome === undefined ? 'removed' : 'kept';
      entries.push(entry(orphan, decision.ageMs, action, outcome ?? ''));
      if (orphan.kind === 'resource-definition') definitionActions.set(key(orphan.resource), action);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      entries.push(entry(orphan, decision.ageMs, 'failed', message.replace(/\s*\n\s*/g, ' ')));
      if (orphan.kind === 'resource-definition') definitionActions.set(key(orphan.resource), 'failed');
    }
  }
  const count = (action: SweepAction) => entries.filter((e) => e.action === action).length;
  return {
    entries,
    removed: count('removed'),
    kept: count('kept') + count('would remove'),
    failed: count('failed'),
  };
}

const key = (resource: string) => resource.toUpperCase();

function rank(orphan: Orphan): number {
  return orphan.kind === 'resource-definition' ? 0 : orphan.kind === 'snapshot' ? 1 : 2;
}

function entry(orphan: Orphan, ageMs: number | undefined, action: SweepAction, note: string): SweepEntry {
  return { ...orphan, ...(ageMs !== undefined ? { ageMs } : {}), action, note };
}

async function readFacts(
  client: LinstorClient,
  orphans: readonly Orphan[],
  call: CallOptions,
): Promise<ClusterFacts> {
  const names = [...new Set(orphans.map((o) => o.resource).filter((n) => n !== ''))];
  if (names.length === 0) return { definitionProps: new Map(), resources: [], snapshots: [] };
  const [definitions, resources, snapshots] = await Promise.all([
    client.resourceDefinitions.list({ resourceDefinitions: names }, call),
    client.resources.view({ resources: names }, call),
    client.snapshots.view({ resources: names }, call),
  ]);
  const definitionProps = new Map<string, Record<string, string>>();
  for (const rd of definitions) if (rd.name) definitionProps.set(key(rd.name), rd.props ?? {});
  return { definitionProps, resources, snapshots };
}

interface Decision {
  readonly ageMs?: number;
  /** Why the leftover stays (undefined: remove it). */
  readonly keep?: string;
  /** The leftover's age is unknown: mark it so the next sweep can measure it. */
  readonly markUnknownAge?: boolean;
  /** Removes it after re-checking; resolves to a reason when the re-check says keep. */
  readonly remove?: (client: LinstorClient, call: CallOptions) => Promise<string | undefined>;
}

function resourcesOf(facts: ClusterFacts, resource: string): ResourceWithVolumes[] {
  return facts.resources.filter((r) => r.name !== undefined && sameName(r.name, resource));
}

function oldest(timestamps: readonly (number | undefined)[]): number | undefined {
  const known = timestamps.filter((t): t is number => typeof t === 'number' && t > 0);
  return known.length === 0 ? undefined : Math.min(...known);
}

function inUse(resources: readonly ResourceWithVolumes[]): string | undefined {
  const nodes = resources.filter((r) => r.state?.in_use === true).map((r) => r.node_name ?? '?');
  return nodes.length === 0 ? undefined : `in use on ${nodes.join(', ')}`;
}

function younger(ageMs: number, graceMs: number): string | undefined {
  return ageMs < graceMs ? `younger than the grace period (${formatDuration(graceMs)})` : undefined;
}

function decide(orphan: Orphan, facts: ClusterFacts, now: number, graceMs: number): Decision {
  const resources = resourcesOf(facts, orphan.resource);

  switch (orphan.kind) {
    case 'resource-definition':
      return decideDefinition(orphan, facts, resources, now, graceMs);
    case 'snapshot': {
      const snapshot = facts.snapshots.find(
        (s) =>
          s.resource_name !== undefined &&
          sameName(s.resource_name, orphan.resource) &&
          s.name === orphan.detail,
      );
      const created = oldest((snapshot?.snapshots ?? []).map((n) => n.create_timestamp));
      if (created === undefined) return { keep: 'age unknown (LINSTOR reports no creation time)' };
      const ageMs = now - created;
      const keep = younger(ageMs, graceMs);
      if (keep) return { ageMs, keep };
      const name = orphan.detail ?? '';
      return {
        ageMs,
        remove: async (client, call) => {
          const fresh = await client.snapshots.getOrUndefined(orphan.resource, name, call);
          if (!fresh) return undefined; // gone meanwhile: nothing left
          const props = fresh.snapshot_definition_props ?? fresh.props ?? {};
          if (props[PROP_HV_TEMPORARY] === undefined) return 'no longer temporary (an attempt kept it)';
          await client.snapshots.delete(orphan.resource, name, {}, call);
          return undefined;
        },
      };
    }
    case 'attachment': {
      const resource = resources.find((r) => r.node_name === orphan.detail);
      const created = resource?.create_timestamp;
      if (created === undefined) return { keep: 'age unknown (LINSTOR reports no creation time)' };
      const ageMs = now - created;
      const keep = (resource && inUse([resource])) ?? younger(ageMs, graceMs);
      if (keep) return { ageMs, keep };
      const node = orphan.detail ?? '';
      return {
        ageMs,
        remove: async (client, call) => {
          const fresh = (
            await client.resources.view({ resources: [orphan.resource], nodes: [node] }, call)
          ).find((r) => r.node_name === node);
          if (!fresh) return undefined;
          const busy = inUse([fresh]);
          if (busy) return busy;
          await client.resources.delete(orphan.resource, node, {}, call);
          return undefined;
        },
      };
    }
    case 'dual-primary':
      return { keep: 'left alone: belongs to a live migration or a guest; check it by hand' };
    case 'migration-record':
      return { keep: 'left alone: finish or abort the migration on the platform' };
  }
}

function decideDefinition(
  orphan: Orphan,
  facts: ClusterFacts,
  resources: readonly ResourceWithVolumes[],
  now: number,
  graceMs: number,
): Decision {
  const props = facts.definitionProps.get(key(orphan.resource)) ?? {};
  const mark = props[PROP_HV_PENDING] ?? props[PROP_HV_TEMPORARY];
  if (mark === undefined) return { keep: 'not made by an unfinished attempt; check it by hand' };
  const busy = inUse(resources);
  const seen = Number(props[PROP_HV_SWEEP_SEEN]);
  // The attempt's own start time when core wrote one, else LINSTOR's resource times, else our mark.
  const startedAt = Date.parse(props[PROP_HV_CREATED_AT] ?? '');
  const created = Number.isFinite(startedAt)
    ? startedAt
    : oldest([...resources.map((r) => r.create_timestamp), Number.isFinite(seen) ? seen : undefined]);
  if (created === undefined) {
    return {
      keep: `age unknown (no resources yet); marked, a sweep after ${formatDuration(graceMs)} removes it`,
      markUnknownAge: true,
    };
  }
  const ageMs = now - created;
  const keep = busy ?? younger(ageMs, graceMs);
  if (keep) return { ageMs, keep };
  return {
    ageMs,
    remove: async (client, call) => {
      // Re-read: an attempt may have finished the volume, or a guest opened it, since the audit.
      const [fresh] = await client.resourceDefinitions.list({ resourceDefinitions: [orphan.resource] }, call);
      if (!fresh || !sameName(fresh.name ?? '', orphan.resource)) return undefined;
      const freshProps = fresh.props ?? {};
      if ((freshProps[PROP_HV_PENDING] ?? freshProps[PROP_HV_TEMPORARY]) !== mark) {
        return 'finished by an attempt meanwhile';
      }
      const nowBusy = inUse(await client.resources.view({ resources: [orphan.resource] }, call));
      if (nowBusy) return nowBusy;
      for (const snapshot of await client.snapshots.list(orphan.resource, call)) {
        if (snapshot.name) await client.snapshots.delete(orphan.resource, snapshot.name, {}, call);
      }
      await client.resourceDefinitions.delete(orphan.resource, call);
      return undefined;
    },
  };
}

async function markSeen(
  client: LinstorClient,
  resource: string,
  now: number,
  call: CallOptions,
): Promise<void> {
  await client.resourceDefinitions
    .modify(resource, { override_props: { [PROP_HV_SWEEP_SEEN]: String(now) } }, call)
    .catch(() => undefined); // best effort: the next sweep tries again
}

/** `90s`, `10m`, `1h30m`, `1h0m1s`: a duration as the cleanup table and `--grace` write it (whole seconds). */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (total === 0) return '0s';
  const parts = [
    hours > 0 ? `${hours}h` : '',
    minutes > 0 || (hours > 0 && seconds > 0) ? `${minutes}m` : '',
  ];
  return `${parts.join('')}${seconds > 0 ? `${seconds}s` : ''}`;
}

/** Parses `30s`, `10m`, `2h`, `1h30m` or a plain number of seconds; throws on anything else. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(trimmed);
  if (!match || trimmed === '') {
    throw new RangeError(`'${text}' is not a duration: write e.g. 90s, 10m, 2h or 1h30m`);
  }
  const [, h = '0', m = '0', s = '0'] = match;
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000;
}

/**
 * One sweep per target (a LINSTOR cluster and owner a resident bridge has served), merged into one
 * report. A target that fails does not stop the others; the first error is thrown after they ran.
 */
export async function sweepEach<T>(
  targets: Iterable<T>,
  sweepOne: (target: T) => Promise<SweepReport>,
  signal: AbortSignal,
): Promise<SweepReport> {
  const entries: SweepEntry[] = [];
  const totals = { removed: 0, kept: 0, failed: 0 };
  let firstError: unknown;
  for (const target of targets) {
    signal.throwIfAborted();
    try {
      const report = await sweepOne(target);
      entries.push(...report.entries);
      totals.removed += report.removed;
      totals.kept += report.kept;
      totals.failed += report.failed;
    } catch (error) {
      if (signal.aborted) throw error;
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
  return { entries, ...totals };
}
