/**
 * The OpenNebula bridge's orphan sweep. With a clock of the test's own (BridgeMemory.sweepOrphans
 * with `now`): leftovers of OpenNebula actions cut off (a volume still pending, a restore's
 * temporary staging volume) go once older than the grace period and open nowhere; a younger one,
 * one open on a host, a finished image and another platform's leftover stay; nothing is swept on
 * a cluster the bridge never served. Then through a real `linstor-hv bridge --platform opennebula
 * --sweep-interval 1s`: the bridge learns the cluster from a call it serves and removes a leftover.
 */

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BridgeMemory } from '@linstor-hv/opennebula';
import { actionData } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { BUNDLE, IMAGE_DS, useTestbed } from './harness';

const bed = useTestbed();
const HOUR = 3_600_000;

/** A definition as OpenNebula's driver (owner `one`) or another platform tags it. */
async function definition(
  name: string,
  props: Record<string, string>,
  options: { platform?: string; owner?: string; deployed?: boolean } = {},
): Promise<void> {
  await bed().client.resourceGroups.spawn('linstor-hv', {
    resource_definition_name: name,
    volume_sizes: [4096],
    ...(options.deployed ? {} : { definitions_only: true }),
    resource_definition_props: {
      'Aux/linstor-hv/platform': options.platform ?? 'opennebula',
      'Aux/linstor-hv/owner': options.owner ?? 'one',
      'Aux/linstor-hv/name': name,
      'Aux/linstor-hv/created-at': new Date().toISOString(),
      ...props,
    },
  });
}

const exists = async (name: string) =>
  (await bed().client.resourceDefinitions.list({ resourceDefinitions: [name] })).length > 0;

describe('the OpenNebula orphan sweep', () => {
  it('removes what cut-off actions left once older than the grace period, never an image or anything open', async () => {
    const b = bed();
    const pending = { 'Aux/linstor-hv/pending': 'create', 'Aux/linstor-hv/attempt': 'killed' };
    await definition('OpenNebula-Image-70', { ...pending, 'Aux/one/IMAGE_ID': '70', 'Aux/one/DS_ID': '100' });
    await definition(
      'OpenNebula-Restore-vm71-disk0',
      { 'Aux/linstor-hv/temporary': 'one-restore', 'Aux/one/RESTORE_OF': 'x', 'Aux/one/DS_ID': '0' },
      { deployed: true },
    );
    await definition(
      'OpenNebula-Restore-vm72-disk0',
      { 'Aux/linstor-hv/temporary': 'one-restore', 'Aux/one/RESTORE_OF': 'y', 'Aux/one/DS_ID': '0' },
      { deployed: true },
    );
    await definition(
      'OpenNebula-Image-73',
      { 'Aux/one/IMAGE_ID': '73', 'Aux/one/DS_ID': '100' },
      { deployed: true },
    );
    await definition('vm-100-disk-0', pending, { platform: 'proxmox', owner: 'drbdstorage' });
    // A host has the second staging volume open (a restore still copying from it).
    const [open] = await b.client.resources.view({ resources: ['OpenNebula-Restore-vm72-disk0'] });
    expect(
      (await b.emulator.control.openDevice(open!.node_name!, 'OpenNebula-Restore-vm72-disk0', 'rw')).status,
    ).toBe(200);

    const memory = new BridgeMemory();
    const signal = new AbortController().signal;
    try {
      // A cluster the bridge never served is not swept.
      expect(
        await memory.sweepOrphans({ graceMs: 10 * 60_000, signal, now: Date.now() + HOUR }),
      ).toMatchObject({
        entries: [],
        removed: 0,
      });
      memory.noteServed(b.emulator.url, 'one');
      // Now: everything is younger than the grace period.
      const young = await memory.sweepOrphans({ graceMs: 10 * 60_000, signal, now: Date.now() });
      expect(young.removed).toBe(0);
      expect(young.entries.map((e) => e.resource).sort()).toEqual([
        'OpenNebula-Image-70',
        'OpenNebula-Restore-vm71-disk0',
        'OpenNebula-Restore-vm72-disk0',
      ]);
      // An hour on: the cut-off import and the unused staging volume go.
      const later = await memory.sweepOrphans({ graceMs: 10 * 60_000, signal, now: Date.now() + HOUR });
      const byName = Object.fromEntries(
        later.entries.filter((e) => e.kind === 'resource-definition').map((e) => [e.resource, e]),
      );
      expect(byName['OpenNebula-Image-70']?.action).toBe('removed');
      expect(byName['OpenNebula-Restore-vm71-disk0']?.action).toBe('removed');
      expect(byName['OpenNebula-Restore-vm72-disk0']).toMatchObject({ action: 'kept' });
      expect(byName['OpenNebula-Restore-vm72-disk0']?.note).toMatch(/use|open/i);
      expect(later.failed).toBe(0);
    } finally {
      await memory.close();
      await b.emulator.control.closeDevice(open!.node_name!, 'OpenNebula-Restore-vm72-disk0');
    }
    expect(await exists('OpenNebula-Image-70')).toBe(false);
    expect(await exists('OpenNebula-Restore-vm71-disk0')).toBe(false);
    expect(await exists('OpenNebula-Restore-vm72-disk0')).toBe(true);
    expect(await exists('OpenNebula-Image-73')).toBe(true);
    expect(await exists('vm-100-disk-0')).toBe(true);
  });

  it('runs in `linstor-hv bridge --platform opennebula` every --sweep-interval, for the clusters it served', {
    timeout: 120_000,
  }, async () => {
    const b = bed();
    await b.putDatastore(b.imageDs());
    // What a ds cp killed an hour ago left: a definition still pending.
    await definition('OpenNebula-Image-80', {
      'Aux/linstor-hv/pending': 'create',
      'Aux/linstor-hv/attempt': 'killed',
      'Aux/linstor-hv/created-at': new Date(Date.now() - HOUR).toISOString(),
      'Aux/one/IMAGE_ID': '80',
      'Aux/one/DS_ID': String(IMAGE_DS),
    });
    const socket = join(b.dir, 'sweeping.sock');
    const child = spawn(
      process.execPath,
      [BUNDLE, 'bridge', '--platform', 'opennebula', '--socket', socket, '--sweep-interval', '1s'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
    });
    try {
      for (let i = 0; i < 300 && !log.includes('"event":"listening"'); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(log).toContain('"event":"orphan-sweeper","intervalMs":1000,"graceMs":600000');
      await new Promise((r) => setTimeout(r, 2_500));
      // Not served yet: nothing swept.
      expect(await exists('OpenNebula-Image-80')).toBe(true);
      const monitor = await b.runDs('monitor', actionData({ datastore: b.imageDs() }), IMAGE_DS, 'stdin', {
        LINSTOR_HV_ONE_SOCKET: socket,
      });
      expect(monitor, monitor.stderr).toMatchObject({ code: 0 });
      expect(log).toContain('one.ds.monitor');
      for (let i = 0; i < 100 && (await exists('OpenNebula-Image-80')); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await exists('OpenNebula-Image-80')).toBe(false);
      expect(log).toMatch(
        /"event":"orphan-sweep","removed":1,"failed":0,"entries":\[\{[^\n]*"resource":"OpenNebula-Image-80"/,
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
