/**
 * The routes of the REST v1 contract beyond the families of `emulator-contract.test.ts`: node
 * lifecycle and net interfaces, node connections, storage pool definitions, properties info, stats,
 * query-max-volume-size, remotes, backups, schedules, external files, the master passphrase,
 * controller administration, error-report deletion, physical storage, DRBD proxy and
 * drbd-reactorctl. Every JSON body (success and error) is validated against
 * `shared/linstor/rest_v1_openapi.yaml` plus `deviations.ts`, and the statuses are the real
 * controller's (linstor-server's REST layer).
 */
import { it } from 'vitest';
import { assertClean, CREATED, FAILED, NOT_FOUND, OK, spawn, useContractEmulator } from './emulator-fixture';
import { describeWithSpec } from './spec-gate';

const contract = useContractEmulator();
const probe = () => contract.probe();

describeWithSpec('the rest of the REST v1 routes validate against the contract', () => {
  it('net interfaces: list, get, create, modify, delete', async () => {
    const p = probe();
    await p.call('GET', '/v1/nodes/pve1/net-interfaces', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/net-interfaces/default', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/net-interfaces/ghost', { expect: NOT_FOUND });
    await p.call('GET', '/v1/nodes/ghost-node/net-interfaces', { expect: NOT_FOUND });
    await p.call('POST', '/v1/nodes/pve1/net-interfaces', {
      body: { name: 'data', address: '10.1.0.1' },
      expect: CREATED,
    });
    await p.call('POST', '/v1/nodes/pve1/net-interfaces', {
      body: { name: 'data', address: '10.1.0.1' },
      expect: FAILED,
    });
    await p.call('POST', '/v1/nodes/pve1/net-interfaces', {
      body: { name: 'bad', address: 'not-an-ip' },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/nodes/pve1/net-interfaces/data', {
      body: { name: 'data', address: '10.1.0.2' },
      expect: OK,
    });
    await p.call('DELETE', '/v1/nodes/pve1/net-interfaces/default', { expect: FAILED });
    await p.call('DELETE', '/v1/nodes/pve1/net-interfaces/data', { expect: OK });
    await p.call('DELETE', '/v1/nodes/pve1/net-interfaces/data', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1', { expect: OK });
    assertClean(p);
  });

  it('node lifecycle: reconnect, evacuate, restore, lost, config, ebs, drbd-reactorctl', async () => {
    const p = probe();
    await p.call('POST', '/v1/nodes', {
      body: {
        name: 'rc-node4',
        type: 'Satellite',
        net_interfaces: [{ name: 'default', address: '10.0.0.4' }],
      },
      expect: CREATED,
    });
    await p.call('PUT', '/v1/nodes/pve1/reconnect', { expect: OK });
    await p.call('PUT', '/v1/nodes/ghost-node/reconnect', { expect: NOT_FOUND });
    await p.call('PUT', '/v1/nodes/rc-node4/restore', { body: {}, expect: FAILED });
    await p.call('PUT', '/v1/nodes/rc-node4/evacuate', { body: {}, expect: OK });
    await p.call('GET', '/v1/nodes/rc-node4', { expect: OK });
    await p.call('PUT', '/v1/nodes/rc-node4/restore', {
      body: { delete_resources: false, delete_snapshots: false },
      expect: OK,
    });
    await p.call('DELETE', '/v1/nodes/rc-node4/lost', { expect: FAILED });
    await contract.emulator.control.nodeOffline('rc-node4');
    await p.call('DELETE', '/v1/nodes/rc-node4/lost', { expect: OK });
    await p.call('DELETE', '/v1/nodes/rc-node4/lost', { expect: OK });
    await p.call('GET', '/v1/nodes/pve1/config', { expect: OK });
    await p.call('PUT', '/v1/nodes/pve1/config', { body: { log: { level: 'DEBUG' } }, expect: OK });
    await p.call('POST', '/v1/nodes/ebs', {
      body: { name: 'rc-ebs', ebs_remote_name: 'no-such-remote' },
      expect: NOT_FOUND,
    });
    await p.call('POST', '/v1/nodes/exec/drbd-reactorctl/status', {
      body: { nodes: ['pve1', 'ghost'] },
      expect: OK,
    });
    await p.call('POST', '/v1/nodes/exec/drbd-reactorctl/evict', {
      body: { nodes: ['pve1'], resource: 'linstor_db' },
      expect: OK,
    });
    for (const cmd of ['disable', 'enable', 'restart']) {
      await p.call('POST', `/v1/nodes/exec/drbd-reactorctl/${cmd}`, {
        body: { nodes: ['pve2'], config: 'linstor_db' },
        expect: OK,
      });
    }
    assertClean(p);
  });

  it('node connections and storage pool definitions', async () => {
    const p = probe();
    await p.call('GET', '/v1/node-connections', { expect: OK });
    await p.call('PUT', '/v1/node-connections/pve2/pve1', {
      body: { override_props: { 'Aux/rc': 'yes' } },
      expect: OK,
    });
    await p.call('GET', '/v1/node-connections?node_a=pve1', { expect: OK });
    await p.call('PUT', '/v1/node-connections/pve1/ghost-node', {
      body: { override_props: { 'Aux/rc': 'yes' } },
      expect: NOT_FOUND,
    });
    await p.call('GET', '/v1/storage-pool-definitions', { expect: OK });
    await p.call('GET', '/v1/storage-pool-definitions/thinpool', { expect: OK });
    await p.call('GET', '/v1/storage-pool-definitions/ghostpool', { expect: NOT_FOUND });
    await p.call('POST', '/v1/storage-pool-definitions', {
      body: { storage_pool_name: 'rcpool' },
      expect: CREATED,
    });
    await p.call('POST', '/v1/storage-pool-definitions', {
      body: { storage_pool_name: 'rcpool' },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/storage-pool-definitions/rcpool', {
      body: { override_props: { 'Aux/rc': 'spd' } },
      expect: OK,
    });
    await p.call('DELETE', '/v1/storage-pool-definitions/thinpool', { expect: FAILED });
    await p.call('DELETE', '/v1/storage-pool-definitions/rcpool', { expect: OK });
    assertClean(p);
  });

  it('properties info of every object kind, and stats', async () => {
    const p = probe();
    for (const path of [
      '/v1/controller/properties/info',
      '/v1/controller/properties/info/all',
      '/v1/nodes/properties/info',
      '/v1/nodes/pve1/storage-pools/properties/info',
      '/v1/storage-pool-definitions/properties/info',
      '/v1/resource-groups/properties/info',
      '/v1/resource-groups/linstor-hv/volume-groups/properties/info',
      '/v1/resource-definitions/properties/info',
      '/v1/resource-definitions/any/volume-definitions/properties/info',
      '/v1/resource-definitions/any/resources/properties/info',
      '/v1/resource-definitions/any/resources/pve1/volumes/properties/info',
      '/v1/resource-definitions/any/resource-connections/properties/info',
      '/v1/resource-definitions/any/drbd-proxy/properties/info',
      '/v1/stats/nodes',
      '/v1/stats/resource-groups',
      '/v1/stats/resource-definitions',
      '/v1/stats/resources',
      '/v1/stats/storage-pools',
      '/v1/stats/error-reports',
    ]) {
      await p.call('GET', path, { expect: OK });
    }
    assertClean(p);
  });

  it('query-max-volume-size and adjustall', async () => {
    const p = probe();
    await p.call('GET', '/v1/resource-groups/linstor-hv/query-max-volume-size', { expect: OK });
    await p.call('GET', '/v1/resource-groups/ghost-group/query-max-volume-size', { expect: NOT_FOUND });
    await p.call('OPTIONS', '/v1/query-max-volume-size', { body: { place_count: 2 }, expect: OK });
    await p.call('OPTIONS', '/v1/query-max-volume-size', {
      body: { place_count: 2, storage_pool: 'thickpool' },
      expect: OK,
    });
    await p.call('OPTIONS', '/v1/query-max-volume-size', { body: { place_count: 4 }, expect: FAILED });
    await p.call('OPTIONS', '/v1/query-max-volume-size', { body: {}, expect: FAILED });
    await p.call('POST', '/v1/resource-groups/adjustall', { body: {}, expect: OK });
    assertClean(p);
  });

  it('encryption passphrase, remotes and backups', async () => {
    const p = probe();
    await p.call('GET', '/v1/encryption/passphrase', { expect: OK });
    await p.call('POST', '/v1/remotes/ebs', {
      body: { remote_name: 'rcebs', availability_zone: 'eu-west-1a', access_key: 'a', secret_key: 's' },
      expect: NOT_FOUND,
    });
    await p.call('PATCH', '/v1/encryption/passphrase', { rawBody: '"nope"', expect: FAILED });
    await p.call('POST', '/v1/encryption/passphrase', {
      body: { new_passphrase: 'secret-1' },
      expect: CREATED,
    });
    await p.call('POST', '/v1/encryption/passphrase', {
      body: { new_passphrase: 'secret-1' },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/encryption/passphrase', {
      body: { new_passphrase: 'secret-2', old_passphrase: 'wrong' },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/encryption/passphrase', {
      body: { new_passphrase: 'secret-2', old_passphrase: 'secret-1' },
      expect: OK,
    });
    await p.call('PATCH', '/v1/encryption/passphrase', { rawBody: '"secret-2"', expect: OK });
    await p.call('POST', '/v1/remotes/linstor', {
      body: { remote_name: 'rclinstor', url: 'controller.example' },
      expect: OK,
    });
    await p.call('POST', '/v1/remotes/linstor', {
      body: { remote_name: 'rclinstor', url: 'controller.example' },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/remotes/linstor/rclinstor', {
      body: { url: 'https://other.example' },
      expect: OK,
    });
    await p.call('POST', '/v1/remotes/ebs', {
      body: { remote_name: 'rcebs', availability_zone: 'eu-west-1a', access_key: 'a', secret_key: 's' },
      expect: OK,
    });
    await p.call('PUT', '/v1/remotes/ebs/rcebs', { body: { availability_zone: 'us-east-2b' }, expect: OK });
    await p.call('POST', '/v1/remotes/s3', {
      body: {
        remote_name: 'rcs3',
        endpoint: 's3.example',
        bucket: 'b',
        region: 'r',
        access_key: 'a',
        secret_key: 's',
      },
      expect: FAILED,
    });
    await p.call('POST', '/v1/remotes/s3', { body: { remote_name: 'rcs3' }, expect: FAILED });
    await p.call('PUT', '/v1/remotes/s3/rcs3', { body: { bucket: 'x' }, expect: NOT_FOUND });
    await p.call('GET', '/v1/remotes', { expect: OK });
    await p.call('GET', '/v1/remotes/s3', { expect: OK });
    await p.call('GET', '/v1/remotes/linstor', { expect: OK });
    await p.call('GET', '/v1/remotes/ebs', { expect: OK });
    await p.call('POST', '/v1/nodes/ebs', {
      body: { name: 'rc-ebs', ebs_remote_name: 'rcebs' },
      expect: FAILED,
    });
    await p.call('GET', '/v1/remotes/rclinstor/backups', { expect: FAILED });
    await p.call('GET', '/v1/remotes/ghost/backups', { expect: NOT_FOUND });
    await p.call('POST', '/v1/remotes/rclinstor/backups', { body: { rsc_name: 'x' }, expect: FAILED });
    await p.call('DELETE', '/v1/remotes/rclinstor/backups?all=true', { expect: FAILED });
    await p.call('POST', '/v1/remotes/rclinstor/backups/restore', {
      body: { node_name: 'pve1', target_rsc_name: 'x' },
      expect: FAILED,
    });
    await p.call('POST', '/v1/remotes/rclinstor/backups/info', {
      body: { src_rsc_name: 'x' },
      expect: FAILED,
    });
    await p.call('POST', '/v1/remotes/rclinstor/backups/abort', { body: { rsc_name: 'x' }, expect: FAILED });
    await p.call('POST', '/v1/remotes/rclinstor/backups/ship', {
      body: { src_rsc_name: 'x', dst_rsc_name: 'y' },
      expect: FAILED,
    });
    await p.call('POST', '/v1/remotes/rcebs/backups/ship', {
      body: { src_rsc_name: 'x', dst_rsc_name: 'y' },
      expect: FAILED,
    });
    await p.call('GET', '/v1/view/backup/queue', { expect: OK });
    await p.call('DELETE', '/v1/remotes?remote_name=rcebs', { expect: OK });
    await p.call('DELETE', '/v1/remotes?remote_name=rcebs', { expect: OK });
    assertClean(p);
  });

  it('schedules and where they are enabled', async () => {
    const p = probe();
    await spawn(p, 'rc-sched');
    await p.call('POST', '/v1/remotes/linstor', {
      body: { remote_name: 'rcsched', url: '10.9.9.9' },
      expect: OK,
    });
    const schedule = {
      schedule_name: 'nightly',
      full_cron: '0 3 * * *',
      inc_cron: '0 * * * *',
      keep_local: 2,
    };
    await p.call('POST', '/v1/schedules', { body: schedule, expect: OK });
    await p.call('POST', '/v1/schedules', { body: schedule, expect: FAILED });
    await p.call('POST', '/v1/schedules', {
      body: { schedule_name: 'bad', full_cron: 'every day' },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/schedules/nightly', {
      body: { keep_remote: 5, on_failure: 'RETRY' },
      expect: OK,
    });
    await p.call('PUT', '/v1/schedules/ghost', { body: { keep_remote: 5 }, expect: NOT_FOUND });
    await p.call('GET', '/v1/schedules', { expect: OK });
    await p.call('PUT', '/v1/remotes/rcsched/backups/schedule/nightly/enable', { body: {}, expect: OK });
    await p.call('PUT', '/v1/remotes/rcsched/backups/schedule/nightly/disable', {
      body: { rsc_name: 'rc-sched' },
      expect: OK,
    });
    await p.call('GET', '/v1/view/schedules-by-resource', { expect: OK });
    await p.call('GET', '/v1/view/schedules-by-resource/rc-sched', { expect: OK });
    await p.call('DELETE', '/v1/remotes/rcsched/backups/schedule/nightly/delete?rsc_dfn_name=rc-sched', {
      expect: OK,
    });
    await p.call('DELETE', '/v1/schedules/nightly', { expect: OK });
    await p.call('DELETE', '/v1/schedules/nightly', { expect: OK });
    assertClean(p);
  });

  it('external files, controller config, auth tokens, error reports, hardware routes', async () => {
    const p = probe();
    await spawn(p, 'rc-files');
    const content = Buffer.from('key=value\n').toString('base64');
    await p.call('PUT', '/v1/files/%2Fetc%2Frc.conf', {
      body: { path: '/etc/rc.conf', content },
      expect: OK,
    });
    await p.call('GET', '/v1/files', { expect: OK });
    await p.call('GET', '/v1/files?content=true', { expect: OK });
    await p.call('GET', '/v1/files/%2Fetc%2Frc.conf', { expect: OK });
    await p.call('GET', '/v1/files/%2Fetc%2Fghost.conf', { expect: NOT_FOUND });
    await p.call('GET', '/v1/files/%2Fetc%2Frc.conf/check/pve1', { expect: OK });
    await p.call('GET', '/v1/files/%2Fetc%2Frc.conf/status/pve1', { expect: OK });
    await p.call('POST', '/v1/resource-definitions/ghost-rd/files/%2Fetc%2Frc.conf', { expect: NOT_FOUND });
    await p.call('POST', '/v1/resource-definitions/rc-files/files/%2Fetc%2Frc.conf', { expect: OK });
    await p.call('DELETE', '/v1/resource-definitions/rc-files/files/%2Fetc%2Frc.conf', { expect: OK });
    await p.call('POST', '/v1/resource-definitions/rc-files/files/%2Fetc%2Frc.conf', { expect: OK });
    await p.call('PUT', '/v1/files/etc%2Frelative.conf', { body: { content }, expect: FAILED });
    await p.call('PUT', '/v1/files/%2Fetc%2Fempty.conf', { body: {}, expect: FAILED });
    await p.call('DELETE', '/v1/files/%2Fetc%2Frc.conf', { expect: OK });
    await p.call('DELETE', '/v1/files/%2Fetc%2Frc.conf', { expect: OK });
    await p.call('GET', '/v1/files/%2Fetc%2Frc.conf', { expect: NOT_FOUND });
    await p.call('GET', '/v1/controller/config', { expect: OK });
    await p.call('PUT', '/v1/controller/config', { body: { log: { level: 'DEBUG' } }, expect: OK });
    await p.call('POST', '/v1/controller/backup/db', { body: { backup_name: 'x' }, expect: FAILED });
    await p.call('POST', '/v1/controller/database/export', { body: { backup_name: 'x' }, expect: FAILED });
    await p.call('POST', '/v1/controller/auth/token', { body: { description: 'rc' }, expect: CREATED });
    await p.call('GET', '/v1/controller/auth/token', { expect: OK });
    await p.call('PUT', '/v1/controller/auth/token/1', { body: { is_active: false }, expect: OK });
    await p.call('PUT', '/v1/controller/auth/token/99', { body: { is_active: false }, expect: NOT_FOUND });
    await p.call('DELETE', '/v1/controller/auth/token/1', { expect: OK });
    await p.call('DELETE', '/v1/controller/auth/token/99', { expect: NOT_FOUND });
    await p.call('DELETE', '/v1/error-reports/no-such-report', { expect: OK });
    await p.call('PATCH', '/v1/error-reports', { body: { since: 0 }, expect: OK });
    await p.call('GET', '/v1/sos-report', { expect: FAILED });
    await p.call('GET', '/v1/physical-storage', { expect: OK });
    await p.call('GET', '/v1/physical-storage/pve1', { expect: OK });
    await p.call('POST', '/v1/physical-storage/pve1', {
      body: { provider_kind: 'LVM_THIN', device_paths: ['/dev/sdz'] },
      expect: FAILED,
    });
    await p.call('PUT', '/v1/resource-definitions/rc-files/drbd-proxy', {
      body: { compression_type: 'zlib' },
      expect: OK,
    });
    const placed = await p.call('GET', '/v1/view/resources?resources=rc-files', { expect: OK });
    const nodes = (placed.body as { node_name: string }[]).map((r) => r.node_name);
    await p.call('POST', `/v1/resource-definitions/rc-files/drbd-proxy/enable/${nodes[0]}/${nodes[1]}`, {
      body: {},
      expect: OK,
    });
    await p.call('POST', `/v1/resource-definitions/rc-files/drbd-proxy/disable/${nodes[0]}/${nodes[1]}`, {
      expect: OK,
    });
    await p.call('PUT', '/v1/resource-definitions/rc-files/volume-definitions/0/encryption-passphrase', {
      body: { new_passphrase: 'x' },
      expect: FAILED,
    });
    assertClean(p);
  });
});
