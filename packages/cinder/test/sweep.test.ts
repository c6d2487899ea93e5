/**
 * The Cinder bridge's orphan sweep (sweepCinderOrphans, run by `linstor-hv bridge --platform
 * cinder` every --sweep-interval): it removes what failed calls left half-made once older than the
 * grace period, never a volume Cinder knows, never a call still running (the grace period never
 * undercuts the driver's call budget), and nothing of another platform.
 */

import {
  PROP_HV_ATTEMPT,
  PROP_HV_CREATED_AT,
  PROP_HV_NAME,
  PROP_HV_PENDING,
  PROP_HV_PLATFORM,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { sweepCinderOrphans, sweepGraceMs } from '../src/sweep';
import { useTableCluster, volume } from './fixture';

const MINUTE = 60_000;

describe('the grace period of a Cinder sweep', () => {
  it('is the one asked for, but never shorter than the longest call budget of the backends plus a minute', () => {
    expect(sweepGraceMs(10 * MINUTE, [{ timeoutS: 60 }])).toBe(10 * MINUTE);
    // linstor_timeout = 300 (the RHOSO guide's advice): the driver lets a call run 25 minutes.
    expect(sweepGraceMs(10 * MINUTE, [{ timeoutS: 60 }, { timeoutS: 300 }])).toBe(26 * MINUTE);
    expect(sweepGraceMs(0, [{ timeoutS: 1 }])).toBe(2 * MINUTE);
  });
});

describe('sweepCinderOrphans', { timeout: 120_000 }, () => {
  const cluster = useTableCluster();

  /** A definition as a call cut off `ageMs` ago left it (pending mark, attempt, start time). */
  async function leftover(name: string, platform: string, pending: string, ageMs: number): Promise<void> {
    const reply = await cluster.emulator.control.call('POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: name,
      volume_sizes: [4096],
      definitions_only: true,
      resource_definition_props: {
        [PROP_HV_PLATFORM]: platform,
        [PROP_HV_NAME]: name,
        [PROP_HV_PENDING]: pending,
        [PROP_HV_ATTEMPT]: 'cut-off',
        [PROP_HV_CREATED_AT]: new Date(Date.now() - ageMs).toISOString(),
      },
    });
    expect(reply.status).toBe(201);
  }

  async function exists(name: string): Promise<boolean> {
    return (await cluster.emulator.control.call('GET', `/v1/resource-definitions/${name}`)).status === 200;
  }

  it('removes half-made volumes of failed calls older than the grace, and nothing Cinder knows', async () => {
    // Two backends on this cluster: the second gives its calls 25 minutes (linstor_timeout 300).
    const known = volume(1);
    const made = await cluster.call('create_volume', { volume: known });
    await cluster.call('get_volume_stats', { backend: { ...cluster.backend, name: 'lin2', timeoutS: 300 } });
    expect(cluster.registry.list()).toHaveLength(2);

    await leftover('volume-cut-off-clone', 'cinder', 'clone', 60 * MINUTE);
    await leftover('volume-cut-off-create', 'cinder', 'create', 3 * MINUTE);
    // Older than --sweep-grace, but a call of the second backend may still be building it.
    await leftover('volume-still-running', 'cinder', 'clone', 20 * MINUTE);
    await leftover('vm-100-disk-9', 'proxmox', 'create', 60 * MINUTE);

    const report = await sweepCinderOrphans(cluster.registry, {
      graceMs: 10 * MINUTE,
      signal: new AbortController().signal,
    });
    const action = (name: string) => report.entries.find((e) => e.resource === name)?.action;
    expect(action('volume-cut-off-clone')).toBe('removed');
    expect(action('volume-cut-off-create')).toBe('kept');
    expect(action('volume-still-running')).toBe('kept');
    expect(report.entries.find((e) => e.resource === 'volume-still-running')?.note).toBe(
      'younger than the grace period (26m)',
    );
    // Neither another platform's leftover nor Cinder's finished volume is even looked at.
    expect(action('vm-100-disk-9')).toBeUndefined();
    expect(action(made.resourceName as string)).toBeUndefined();
    expect(report).toMatchObject({ removed: 1, failed: 0 });

    expect(await exists('volume-cut-off-clone')).toBe(false);
    for (const name of [
      'volume-cut-off-create',
      'volume-still-running',
      'vm-100-disk-9',
      made.resourceName,
    ]) {
      expect(await exists(name as string), name as string).toBe(true);
    }
  });
});
