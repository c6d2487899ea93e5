import {
  PROP_ALLOW_TWO_PRIMARIES,
  PROP_HV_CREATED_BY,
  PROP_HV_MIGRATION,
  PROP_HV_NAME,
  PROP_HV_OWNER,
  PROP_HV_PENDING,
  PROP_HV_PLATFORM,
  PROP_HV_TEMPORARY,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { auditOrphans, describeOrphans } from '../src/audit';
import { OWNER, PLATFORM, useCluster } from './cluster';

const cluster = useCluster();

const tags = { [PROP_HV_PLATFORM]: PLATFORM, [PROP_HV_OWNER]: OWNER };

describe('auditOrphans', () => {
  it('finds each kind of leftover, and only within its scope', async () => {
    const { client, service } = cluster;
    expect((await auditOrphans(client, { platform: PLATFORM, ownerId: OWNER })).orphans).toEqual([]);
    const spawn = (name: string, props: Record<string, string>) =>
      client.resourceGroups.spawn('linstor-hv', {
        resource_definition_name: name,
        volume_sizes: [1024],
        resource_definition_props: props,
      });

    await client.resourceGroups.create({
      name: 'single',
      select_filter: { place_count: 1, storage_pool: 'thinpool' },
    });
    await client.resourceGroups.spawn('single', {
      resource_definition_name: 'unfinished',
      volume_sizes: [1024],
      select_filter: { node_name_list: ['pve1'] },
      resource_definition_props: { ...tags, [PROP_HV_NAME]: 'unfinished', [PROP_HV_PENDING]: 'create' },
    });
    await spawn('lhv-tmp-rb-0123', { ...tags, [PROP_HV_TEMPORARY]: 'rollback:vol' });
    await spawn('nameless', tags);
    await cluster
      .serviceWith({ resourceGroup: 'single' })
      .create({ name: 'healthy', sizeKib: 1024, preferredNode: 'pve1' });
    await service.create({ name: 'dual', sizeKib: 1024, preferredNode: 'pve1' });
    await client.resourceDefinitions.modify('dual', {
      override_props: {
        [PROP_ALLOW_TWO_PRIMARIES]: 'yes',
        [PROP_HV_MIGRATION]: '{"from":"pve1","to":"pve2"}',
      },
    });
    await service.attach('healthy', 'pve2'); // an ordinary attachment: not a leftover
    const info = await service.info('healthy');
    const [a, b] = ['pve1', 'pve2'];
    await client.resourceConnections.modify('healthy', a, b, {
      override_props: { [PROP_ALLOW_TWO_PRIMARIES]: 'yes' },
    });
    await client.snapshots.create('healthy', {
      name: 'lhv-tmp-cs-0123',
      snapshot_definition_props: { ...tags, [PROP_HV_TEMPORARY]: 'clone:x' },
    });
    expect(info.replicas.map((r) => r.node)).toEqual(['pve1', 'pve2']);
    const free = 'pve3';
    await client.resources.createOnNode('healthy', free, {
      resource: {
        flags: ['DRBD_DISKLESS'],
        props: { [PROP_HV_CREATED_BY]: `${PLATFORM}:${OWNER}`, [PROP_HV_TEMPORARY]: 'copy' },
      },
    });
    await client.resources.createOnNode('unfinished', free, {
      resource: { flags: ['DRBD_DISKLESS'], props: { [PROP_HV_CREATED_BY]: `${PLATFORM}:${OWNER}` } },
    });

    const report = await auditOrphans(client, { platform: PLATFORM, ownerId: OWNER });
    const found = report.orphans
      .map((o) => `${o.kind} ${o.resource}${o.detail ? ` ${o.detail}` : ''}`)
      .sort();
    expect(found).toEqual(
      [
        'resource-definition unfinished',
        'resource-definition lhv-tmp-rb-0123',
        'resource-definition nameless',
        'dual-primary dual',
        'migration-record dual',
        `dual-primary healthy ${a}-${b}`,
        'snapshot healthy lhv-tmp-cs-0123',
        `attachment healthy ${free}`,
        `attachment unfinished ${free}`,
      ].sort(),
    );
    expect(describeOrphans(report)).toMatch(/^resource-definition unfinished: unfinished create$/m);
    // Another owner's audit sees none of it.
    expect((await auditOrphans(client, { platform: PLATFORM, ownerId: 'other' })).orphans).toEqual([]);
    expect((await auditOrphans(client, { platform: 'other-platform' })).orphans).toEqual([]);
  });
});
