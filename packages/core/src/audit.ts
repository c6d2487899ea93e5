/**
 * The orphan audit: what linstor-hv created that no finished volume owns, temporary objects a verb
 * left behind, and dual-primary settings left on. Tests of every suite run it after fault
 * injection; operators can run it to find leftovers of crashed hosts.
 */

import {
  nameKey,
  PROP_ALLOW_TWO_PRIMARIES,
  PROP_HV_CREATED_BY,
  PROP_HV_MIGRATION,
  PROP_HV_NAME,
  PROP_HV_OWNER,
  PROP_HV_PENDING,
  PROP_HV_PLATFORM,
  PROP_HV_TEMPORARY,
  type Props,
} from '@linstor-hv/api';
import type { LinstorClient } from '@linstor-hv/client';
import { attachmentCreator } from './naming';

/** One leftover. */
export interface Orphan {
  readonly kind: 'resource-definition' | 'snapshot' | 'attachment' | 'dual-primary' | 'migration-record';
  /** The resource definition concerned. */
  readonly resource: string;
  /** The snapshot, node or node pair concerned, when any. */
  readonly detail?: string;
  /** Why it is a leftover, in words. */
  readonly reason: string;
}

/** Everything the audit found; `orphans` is empty on a clean cluster. */
export interface OrphanReport {
  readonly orphans: readonly Orphan[];
  /** Resource definitions examined (those with linstor-hv ownership tags matching the filter). */
  readonly examined: number;
}

/** Which linstor-hv objects to audit: one platform, optionally one installation of it. */
export interface AuditScope {
  readonly platform?: string;
  readonly ownerId?: string;
  /** Also read every audited definition's resource connections (one request each; default true). */
  readonly connections?: boolean;
  /** Aborts the audit (its requests in flight too). */
  readonly signal?: AbortSignal | undefined;
}

function ownedBy(props: Props | undefined, scope: AuditScope): boolean {
  if (props?.[PROP_HV_PLATFORM] === undefined) return false;
  if (scope.platform !== undefined && props[PROP_HV_PLATFORM] !== scope.platform) return false;
  return scope.ownerId === undefined || props[PROP_HV_OWNER] === scope.ownerId;
}

/**
 * Lists leftovers of linstor-hv in the cluster: definitions still marked pending (an unfinished
 * create or clone) or temporary, tagged definitions without a platform name, temporary snapshots,
 * diskless attachments on such definitions or made only for a copy, dual-primary settings on
 * audited definitions or their connections, and migration records.
 */
export async function auditOrphans(client: LinstorClient, scope: AuditScope = {}): Promise<OrphanReport> {
  const filter = [scope.platform !== undefined ? `${PROP_HV_PLATFORM}=${scope.platform}` : PROP_HV_PLATFORM];
  if (scope.ownerId !== undefined) filter.push(`${PROP_HV_OWNER}=${scope.ownerId}`);
  const call = scope.signal ? { signal: scope.signal } : {};
  const [definitions, snapshots, attachments] = await Promise.all([
    client.resourceDefinitions.list({ props: filter }, call),
    client.snapshots.view(undefined, call),
    client.resources.view({ props: [PROP_HV_CREATED_BY] }, call),
  ]);
  const orphans: Orphan[] = [];
  const unfinished = new Set<string>();
  for (const rd of definitions) {
    const name = rd.name ?? '';
    const props = rd.props ?? {};
    if (props[PROP_HV_TEMPORARY] !== undefined) {
      orphans.push({
        kind: 'resource-definition',
        resource: name,
        reason: `temporary volume left by ${props[PROP_HV_TEMPORARY]}`,
      });
      unfinished.add(nameKey(name));
    } else if (props[PROP_HV_PENDING] !== undefined) {
      orphans.push({
        kind: 'resource-definition',
        resource: name,
        reason: `unfinished ${props[PROP_HV_PENDING]}`,
      });
      unfinished.add(nameKey(name));
    } else if (props[PROP_HV_NAME] === undefined) {
      orphans.push({
        kind: 'resource-definition',
        resource: name,
        reason: 'tagged by linstor-hv but owned by no platform volume',
      });
      unfinished.add(nameKey(name));
    }
    if (props[PROP_ALLOW_TWO_PRIMARIES] === 'yes') {
      orphans.push({
        kind: 'dual-primary',
        resource: name,
        reason: 'allow-two-primaries is on for the whole definition',
      });
    }
    if (props[PROP_HV_MIGRATION] !== undefined) {
      orphans.push({
        kind: 'migration-record',
        resource: name,
        reason: 'a migration was begun and not committed or aborted',
      });
    }
  }
  for (const snapshot of snapshots) {
    const props = snapshot.snapshot_definition_props ?? snapshot.props ?? {};
    if (props[PROP_HV_TEMPORARY] === undefined || !ownedBy(props, scope)) continue;
    orphans.push({
      kind: 'snapshot',
      resource: snapshot.resource_name ?? '',
      detail: snapshot.name,
      reason: `temporary snapshot left by ${props[PROP_HV_TEMPORARY]}`,
    });
  }
  for (const resource of attachments) {
    const creator = resource.props?.[PROP_HV_CREATED_BY] ?? '';
    if (scope.platform !== undefined) {
      const expected = attachmentCreator({ platform: scope.platform, ownerId: scope.ownerId });
      if (scope.ownerId !== undefined ? creator !== expected : creator.split(':')[0] !== scope.platform)
        continue;
    }
    const rd = resource.name ?? '';
    if (unfinished.has(nameKey(rd))) {
      orphans.push({
        kind: 'attachment',
        resource: rd,
        detail: resource.node_name,
        reason: 'diskless attachment of a leftover definition',
      });
    } else if (resource.props?.[PROP_HV_TEMPORARY] !== undefined) {
      orphans.push({
        kind: 'attachment',
        resource: rd,
        detail: resource.node_name,
        reason: 'diskless attachment made only for a data copy',
      });
    }
  }
  if (scope.connections ?? true) {
    for (const rd of definitions) {
      const name = rd.name ?? '';
      scope.signal?.throwIfAborted();
      const connections = await client.resourceConnections.list(name, call).catch(() => []);
      for (const connection of connections) {
        if (connection.props?.[PROP_ALLOW_TWO_PRIMARIES] === 'yes') {
          orphans.push({
            kind: 'dual-primary',
            resource: name,
            detail: `${connection.node_a ?? '?'}-${connection.node_b ?? '?'}`,
            reason: 'allow-two-primaries is on for a resource connection',
          });
        }
      }
    }
  }
  return { orphans, examined: definitions.length };
}

/** One line per orphan, for test failure messages and the CLI. */
export function describeOrphans(report: OrphanReport): string {
  return report.orphans
    .map((o) => `${o.kind} ${o.resource}${o.detail ? ` (${o.detail})` : ''}: ${o.reason}`)
    .join('\n');
}
