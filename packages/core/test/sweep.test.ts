import {
  PROP_HV_CREATED_BY,
  PROP_HV_MIGRATION,
  PROP_HV_NAME,
  PROP_HV_OWNER,
  PROP_HV_PENDING,
  PROP_HV_PLATFORM,
  PROP_HV_TEMPORARY,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { auditOrphans } from '../src/audit';
import {
  formatDuration,
  PROP_HV_SWEEP_SEEN,
  parseDuration,
  type SweepReport,
  sweepOrphans,
} from '../src/sweep';
import { OWNER, PLATFORM, useCluster } from './cluster';

const cluster = useCluster();

const tags = { [PROP_HV_PLATFORM]: PLATFORM, [PROP_HV_OWNER]: OWNER };
const scope = { platform: PLATFORM, ownerId: OWNER };
const GRACE = 10 * 60_000;
const later = () => Date.now() + GRACE + 60_000;

/** `action kind resource [detail]: note` per entry, sorted, for whole-report comparisons. */
function lines(report: SweepReport): string[] {
  return report.entries
    .map(
      (e) =>
        `${e.action} ${e.kind} ${e.resource}${e.detail ? ` ${e.detail}` : ''}${e.note ? `: ${e.note}` : ''}`,
    )
    .sort();
}

async function definitions(): Promise<string[]> {
  return (await cluster.client.resourceDefinitions.list()).map((rd) => rd.name ?? '').sort();
}

describe('sweepOrphans', () => {
  it('removes exactly the leftovers of unfinished attempts that are older than the grace period and unused', async () => {
    const { client, service, emulator } = cluster;
    // One replica on pve1: pve3 stays free for the attachments (no tie-breaker there).
    await client.resourceGroups.create({
      name: 'single',
      select_filter: { place_count: 1, storage_pool: 'thinpool' },
    });
    const spawn = (name: string, props: Record<string, string>, definitionsOnly = false) =>
      client.resourceGroups.spawn('single', {
        resource_definition_name: name,
        volume_sizes: [1024],
        definitions_only: definitionsOnly,
        select_filter: { node_name_list: ['pve1'] },
        resource_definition_props: props,
      });
    await spawn('unfinished', { ...tags, [PROP_HV_NAME]: 'unfinished', [PROP_HV_PENDING]: 'create' });
    await client.resources.createOnNode('unfinished', 'pve3', {
      resource: { flags: ['DRBD_DISKLESS'], props: { [PROP_HV_CREATED_BY]: `${PLATFORM}:${OWNER}` } },
    });
    await spawn('bare', { ...tags, [PROP_HV_NAME]: 'bare', [PROP_HV_PENDING]: 'create' }, true);
    await spawn('lhv-tmp-rb-0123', { ...tags, [PROP_HV_TEMPORARY]: 'rollback:vol' });
    await spawn('busy', { ...tags, [PROP_HV_NAME]: 'busy', [PROP_HV_PENDING]: 'clone' });
    await spawn('nameless', tags);
    await spawn('foreign', {
      [PROP_HV_PLATFORM]: PLATFORM,
      [PROP_HV_OWNER]: 'other',
      [PROP_HV_NAME]: 'foreign',
      [PROP_HV_PENDING]: 'create',
    });
    const single = cluster.serviceWith({ resourceGroup: 'single' });
    await single.create({ name: 'healthy', sizeKib: 1024, preferredNode: 'pve1' });
    await service.create({ name: 'migrating', sizeKib: 1024, preferredNode: 'pve1' });
    await client.resourceDefinitions.modify('migrating', {
      override_props: { [PROP_HV_MIGRATION]: '{"from":"pve1","to":"pve2"}' },
    });
    await client.snapshots.create('healthy', {
      name: 'lhv-tmp-cs-0123',
      snapshot_definition_props: { ...tags, [PROP_HV_TEMPORARY]: 'clone:x' },
    });
    await client.resources.createOnNode('healthy', 'pve3', {
      resource: {
        flags: ['DRBD_DISKLESS'],
        props: { [PROP_HV_CREATED_BY]: `${PLATFORM}:${OWNER}`, [PROP_HV_TEMPORARY]: 'copy' },
      },
    });
    const busyNode = (await client.resources.view({ resources: ['busy'] }))[0]?.node_name ?? '';
    expect((await emulator.control.openDevice(busyNode, 'busy', 'rw')).status).toBe(200);
    const before = await definitions();

    // Everything is younger than the grace period: nothing is touched.
    const young = await sweepOrphans(client, { ...scope, graceMs: GRACE });
    expect(young.removed).toBe(0);
    expect(lines(young)).toContain(
      `kept resource-definition unfinished: younger than the grace period (10m)`,
    );
    expect(lines(young)).toContain(
      'kept resource-definition bare: age unknown (no resources yet); marked, a sweep after 10m removes it',
    );
    expect(await definitions()).toEqual(before);
    const marked = (await client.resourceDefinitions.list({ resourceDefinitions: ['bare'] }))[0]?.props;
    expect(Number(marked?.[PROP_HV_SWEEP_SEEN])).toBeGreaterThan(0);

    // A dry run later says what would go and changes nothing.
    const dry = await sweepOrphans(client, { ...scope, graceMs: GRACE, dryRun: true, now: later() });
    expect(dry.removed).toBe(0);
    expect(lines(dry)).toContain('would remove resource-definition unfinished');
    expect(lines(dry)).toContain('would remove attachment unfinished pve3: with its definition');
    expect(await definitions()).toEqual(before);

    const swept = await sweepOrphans(client, { ...scope, graceMs: GRACE, now: later() });
    expect(lines(swept)).toEqual(
      [
        'removed resource-definition unfinished',
        'removed attachment unfinished pve3: with its definition',
        'removed resource-definition bare',
        'removed resource-definition lhv-tmp-rb-0123',
        'removed snapshot healthy lhv-tmp-cs-0123',
        'removed attachment healthy pve3',
        `kept resource-definition busy: in use on ${busyNode}`,
        'kept resource-definition nameless: not made by an unfinished attempt; check it by hand',
        'kept migration-record migrating: left alone: finish or abort the migration on the platform',
      ].sort(),
    );
    expect(swept).toMatchObject({ removed: 6, kept: 3, failed: 0 });
    expect(await definitions()).toEqual(
      before.filter((name) => !['unfinished', 'bare', 'lhv-tmp-rb-0123'].includes(name)),
    );
    expect((await client.snapshots.list('healthy')).map((s) => s.name)).toEqual([]);
    expect((await single.info('healthy')).replicas.map((r) => r.node)).toEqual(['pve1']);
    // Another owner's leftover is outside the scope.
    expect((await auditOrphans(client, { platform: PLATFORM, ownerId: 'other' })).orphans).toHaveLength(1);

    // Once the guest lets go, the next sweep removes the last one; a repeat then finds nothing to do.
    await emulator.control.closeDevice(busyNode, 'busy');
    const last = await sweepOrphans(client, { ...scope, graceMs: GRACE, now: later() });
    expect(lines(last)).toContain('removed resource-definition busy');
    const again = await sweepOrphans(client, { ...scope, graceMs: GRACE, now: later() });
    expect(again.removed).toBe(0);
    expect(lines(again).filter((l) => !l.startsWith('kept'))).toEqual([]);
  });

  it('is what VolumeService.sweepOrphans runs for the service’s own owner', async () => {
    const { client, service } = cluster;
    await client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: 'svc-left',
      volume_sizes: [1024],
      resource_definition_props: { ...tags, [PROP_HV_NAME]: 'svc-left', [PROP_HV_PENDING]: 'create' },
    });
    const report = await service.sweepOrphans({ graceMs: 0 });
    expect(lines(report)).toContain('removed resource-definition svc-left');
    expect(await definitions()).not.toContain('svc-left');
  });
});

describe('durations', () => {
  it('parses and writes the forms --grace takes', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('45')).toBe(45_000);
    for (const bad of ['', 'm', '10 minutes', '-5m', '1.5h']) {
      expect(() => parseDuration(bad)).toThrow(
        `'${bad}' is not a duration: write e.g. 90s, 10m, 2h or 1h30m`,
      );
    }
    expect([90_000, 600_000, 5_400_000, 3_600_000, 1_000].map(formatDuration)).toEqual([
      '1m30s',
      '10m',
      '1h30m',
      '1h',
      '1s',
    ]);
  });
});
