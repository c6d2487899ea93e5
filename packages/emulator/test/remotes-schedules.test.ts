/**
 * Remotes, the master passphrase, schedules and query-max-volume-size, after linstor-server's
 * CtrlRemoteApiCallHandler, CtrlConfApiCallHandler, CtrlScheduleApiCallHandler and
 * CtrlQueryMaxVlmSizeHelper: exact ret_codes, what the lists show, and the computed sizes.
 */
import {
  CREATED,
  FAIL_EXISTS_REMOTE,
  FAIL_INVLD_BACKUP_CONFIG,
  FAIL_NOT_ENOUGH_NODES,
  FAIL_NOT_FOUND_CRYPT_KEY,
  FAIL_UNKNOWN_ERROR,
  MASK_BACKUP,
  MASK_CRT,
  MASK_REMOTE,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { nextCronTime } from '../src/domain/schedules';
import type { RunningEmulator } from '../src/start';
import { spawn } from './data-helpers';
import { useEmulator } from './emulator-fixture';
import { call, retCodes } from './http-helpers';

let emu: RunningEmulator;
useEmulator({ resetAfterEach: true }, (e) => {
  emu = e;
});

const GIB = 1024 * 1024;

describe('remotes', () => {
  it('stores LINSTOR remotes with the controller URL defaults and refuses a second one of the name', async () => {
    const created = await call(emu.url, 'POST', '/v1/remotes/linstor', {
      remote_name: 'dr',
      url: 'dr.example',
    });
    expect(created.status).toBe(200);
    expect(retCodes(created)).toEqual([CREATED | MASK_CRT | MASK_REMOTE]);
    const dup = await call(emu.url, 'POST', '/v1/remotes/linstor', { remote_name: 'DR', url: 'x' });
    expect(dup.status).toBe(500);
    expect(retCodes(dup)).toEqual([FAIL_EXISTS_REMOTE | MASK_CRT | MASK_REMOTE]);
    await call(emu.url, 'PUT', '/v1/remotes/linstor/dr', { url: 'https://dr2.example' });
    const list = await call(emu.url, 'GET', '/v1/remotes');
    expect(list.json).toEqual({ linstor_remotes: [{ remote_name: 'dr', url: 'https://dr2.example:3371' }] });
  });

  it('needs the master passphrase for S3 and EBS keys, and never reaches an S3 bucket', async () => {
    const s3 = {
      remote_name: 'objects',
      endpoint: 's3.example',
      bucket: 'b',
      region: 'r',
      access_key: 'a',
      secret_key: 's',
    };
    const missing = await call(emu.url, 'POST', '/v1/remotes/s3', { remote_name: 'objects' });
    expect(retCodes(missing)).toEqual([FAIL_INVLD_BACKUP_CONFIG | MASK_BACKUP]);
    const locked = await call(emu.url, 'POST', '/v1/remotes/s3', s3);
    expect(locked.status).toBe(404);
    expect(retCodes(locked)).toEqual([FAIL_NOT_FOUND_CRYPT_KEY | MASK_CRT | MASK_REMOTE]);
    expect((await call(emu.url, 'POST', '/v1/encryption/passphrase', { new_passphrase: 'pw' })).status).toBe(
      201,
    );
    expect((await call(emu.url, 'GET', '/v1/encryption/passphrase')).json).toEqual({ status: 'unlocked' });
    const unreachable = await call(emu.url, 'POST', '/v1/remotes/s3', s3);
    expect(unreachable.status).toBe(500);
    expect(retCodes(unreachable)).toEqual([FAIL_UNKNOWN_ERROR | MASK_BACKUP]);
    const ebs = await call(emu.url, 'POST', '/v1/remotes/ebs', {
      remote_name: 'aws',
      availability_zone: 'eu-central-1a',
      access_key: 'a',
      secret_key: 's',
    });
    expect(ebs.status).toBe(200);
    const listed = await call(emu.url, 'GET', '/v1/remotes/ebs');
    expect(listed.json).toEqual([
      {
        remote_name: 'aws',
        endpoint: 'https://ec2.eu-central-1.amazonaws.com',
        region: 'eu-central-1',
        availability_zone: 'eu-central-1a',
      },
    ]);
  });
});

describe('schedules', () => {
  it('computes the next run of a cron expression in UTC', () => {
    const start = Date.UTC(2026, 0, 1, 10, 30);
    expect(nextCronTime('0 3 * * *', start)).toBe(Date.UTC(2026, 0, 2, 3, 0));
    expect(nextCronTime('*/15 * * * *', start)).toBe(Date.UTC(2026, 0, 1, 10, 45));
    expect(nextCronTime('0 0 1 1 *', start)).toBe(Date.UTC(2027, 0, 1, 0, 0));
    expect(nextCronTime('61 * * * *', start)).toBeUndefined();
  });

  it('lets the RD level override the controller level in schedules-by-resource', async () => {
    await spawn(emu.url, 'linstor-hv', 'vm-sched', 4096);
    await call(emu.url, 'POST', '/v1/remotes/linstor', { remote_name: 'dr', url: '10.9.9.9' });
    await call(emu.url, 'POST', '/v1/schedules', { schedule_name: 'nightly', full_cron: '0 3 * * *' });
    await call(emu.url, 'PUT', '/v1/remotes/dr/backups/schedule/nightly/enable', {});
    const enabled = await call(emu.url, 'GET', '/v1/view/schedules-by-resource?rsc=vm-sched');
    const row = (enabled.json as { data: Record<string, unknown>[] }).data[0]!;
    expect(row).toMatchObject({
      rsc_name: 'vm-sched',
      remote_name: 'dr',
      schedule_name: 'nightly',
      last_snap_time: -1,
    });
    expect(row.next_exec_time as number).toBeGreaterThan(Date.now());
    await call(emu.url, 'PUT', '/v1/remotes/dr/backups/schedule/nightly/disable', { rsc_name: 'vm-sched' });
    const disabled = await call(emu.url, 'GET', '/v1/view/schedules-by-resource?rsc=vm-sched');
    expect((disabled.json as { data: Record<string, unknown>[] }).data[0]).toMatchObject({
      reason: 'disabled',
    });
    const details = await call(emu.url, 'GET', '/v1/view/schedules-by-resource/vm-sched');
    expect(details.json).toEqual({
      data: [{ remote_name: 'dr', schedule_name: 'nightly', ctrl: true, rsc_dfn: false }],
    });
  });
});

describe('query-max-volume-size', () => {
  it('runs the autoplacer per pool: thin pools with the over-subscription ratio, thick ones their free space', async () => {
    const reply = await call(emu.url, 'OPTIONS', '/v1/query-max-volume-size', { place_count: 2 });
    expect(reply.status).toBe(200);
    const body = reply.json as {
      candidates: Record<string, unknown>[];
      default_max_oversubscription_ratio: number;
    };
    expect(body.default_max_oversubscription_ratio).toBe(20);
    const byPool = Object.fromEntries(body.candidates.map((c) => [c.storage_pool, c]));
    expect(byPool.thickpool).toMatchObject({ max_volume_size_kib: 20 * GIB, all_thin: false });
    expect(byPool.thinpool).toMatchObject({ max_volume_size_kib: 100 * GIB * 20, all_thin: true });
    expect((byPool.thinpool!.node_names as string[]).length).toBe(2);

    await spawn(emu.url, 'linstor-hv-thick', 'vm-thick', 5 * GIB);
    const after = await call(emu.url, 'GET', '/v1/resource-groups/linstor-hv-thick/query-max-volume-size');
    const thick = (after.json as { candidates: Record<string, unknown>[] }).candidates;
    // Two of three nodes lost a 5 GiB LV with DRBD metadata (one 4 MiB extent more); the third
    // still has 20, so a pair is limited by the other two's free space.
    expect(thick).toEqual([
      expect.objectContaining({ storage_pool: 'thickpool', max_volume_size_kib: 15 * GIB - 4096 }),
    ]);

    const tooMany = await call(emu.url, 'OPTIONS', '/v1/query-max-volume-size', { place_count: 4 });
    expect(tooMany.status).toBe(500);
    expect(retCodes(tooMany)).toEqual([FAIL_NOT_ENOUGH_NODES]);
  });
});
