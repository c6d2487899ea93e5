/**
 * `ds monitor` and `tm monitor` (MONITOR_VM_DISKS=1) while the emulator has a satellite offline
 * (its control API, as a lost network would): the capacity leaves the node's pools out, an INFO
 * line on stderr names the node, stdout stays the three lines oned parses, and the VM disk sizes
 * still reach monitord. Back online, the node counts again and the note goes.
 */

import { createSocket } from 'node:dgram';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { actionData, b64 } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, SYSTEM_DS, useTestbed } from './harness';

const bed = useTestbed();
const GiB_IN_MB = 1024;
const VM = 77;

/** The three capacity lines, parsed as oned does (KEY=VALUE, nothing else). */
function capacityOf(stdout: string): Record<string, number> {
  const lines = stdout.split('\n');
  expect(lines.at(-1)).toBe('');
  expect(lines.slice(0, -1).map((l) => l.split('=')[0])).toEqual(['USED_MB', 'TOTAL_MB', 'FREE_MB']);
  const figures = Object.fromEntries(lines.slice(0, -1).map((l) => l.split('=') as [string, string]));
  for (const value of Object.values(figures)) expect(value).toMatch(/^\d+$/);
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v)]));
}

/** Runs ds monitor and tm monitor (VM disks sent to a UDP stand-in for monitord). */
async function monitorBoth(): Promise<{
  ds: { capacity: Record<string, number>; stderr: string };
  tm: { capacity: Record<string, number>; stderr: string; vmPayload: string };
}> {
  const b = bed();
  const ds = await b.runDs('monitor', actionData({ datastore: b.imageDs() }), IMAGE_DS);
  expect(ds.code, ds.stderr).toBe(0);
  const server = createSocket('udp4');
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const received = new Promise<string>((resolve) =>
    server.once('message', (m) => resolve(m.toString('utf8'))),
  );
  try {
    await writeFile(
      join(b.dir, 'monitord.conf'),
      `NETWORK = [\n  MONITOR_ADDRESS = "auto",\n  PORT = ${server.address().port},\n  PUBKEY = ""\n]\n`,
    );
    const document = actionData({
      datastore: b.systemDs(),
      extra:
        '<DATASTORE_LOCATION>/var/lib/one//datastores</DATASTORE_LOCATION><MONITOR_VM_DISKS>1</MONITOR_VM_DISKS>',
    });
    const tm = await b.run('tm', 'monitor', [String(SYSTEM_DS)], b64(document));
    expect(tm.code, tm.stderr).toBe(0);
    const payload = (await received).trim().split(' ')[4]!;
    const vms = inflateSync(Buffer.from(payload, 'base64')).toString('utf8');
    const vm = new RegExp(`VM=\\[ID=${VM},MONITOR="([A-Za-z0-9+/=]+)"\\]`).exec(vms);
    expect(vm, vms).not.toBeNull();
    return {
      ds: { capacity: capacityOf(ds.stdout), stderr: ds.stderr },
      tm: {
        capacity: capacityOf(tm.stdout),
        stderr: tm.stderr,
        vmPayload: Buffer.from(vm![1]!, 'base64').toString('utf8'),
      },
    };
  } finally {
    server.close();
  }
}

describe('monitor with a node offline', () => {
  it('counts only online nodes, says which node is left out, and keeps stdout parseable', async () => {
    const b = bed();
    await b.putDatastore(b.imageDs());
    await b.putDatastore(b.systemDs());
    // A VM disk as the driver tags it, with replicas on two of the three nodes.
    await b.client.resourceGroups.spawn('linstor-hv', {
      resource_definition_name: `OpenNebula-Volatile-vm${VM}-disk0`,
      volume_sizes: [8 * 1024],
      resource_definition_props: {
        'Aux/linstor-hv/platform': 'opennebula',
        'Aux/linstor-hv/owner': 'one',
        'Aux/one/VM_ID': String(VM),
        'Aux/one/DISK_ID': '0',
      },
    });
    const view = await b.client.resources.view({ resources: [`OpenNebula-Volatile-vm${VM}-disk0`] });
    const offline = view.map((r) => r.node_name!).sort()[0]!;

    const before = await monitorBoth();
    // Three 100 GiB thin pools, two replicas each volume: 150 GiB.
    expect(before.ds.capacity.TOTAL_MB).toBe(150 * GiB_IN_MB);
    expect(before.tm.capacity).toEqual(before.ds.capacity);
    expect(before.ds.stderr).not.toMatch(/cannot reach/);
    expect(before.tm.vmPayload).toMatch(/^DISK_SIZE=\[ID=0,SIZE=\d+\]$/m);

    await b.emulator.control.nodeOffline(offline);
    try {
      const during = await monitorBoth();
      // Two 100 GiB pools left, two replicas: 100 GiB; the offline node's free space is not counted.
      for (const { capacity, stderr } of [during.ds, during.tm]) {
        expect(capacity.TOTAL_MB).toBe(100 * GiB_IN_MB);
        expect(capacity.USED_MB).toBe(capacity.TOTAL_MB! - capacity.FREE_MB!);
        expect(capacity.FREE_MB).toBeLessThanOrEqual(before.ds.capacity.FREE_MB! - 50 * GiB_IN_MB);
        const note = stderr.split('\n').filter((l) => l.includes('cannot reach'));
        expect(note, stderr).toHaveLength(1);
        expect(note[0]).toMatch(
          new RegExp(
            `^INFO: (ds|tm) monitor: LINSTOR cannot reach node\\(s\\) ${offline}: their storage pools are left out`,
          ),
        );
      }
      // The disk's other replica still reports its size.
      expect(during.tm.vmPayload).toMatch(/^DISK_SIZE=\[ID=0,SIZE=\d+\]$/m);
    } finally {
      await b.emulator.control.nodeOnline(offline);
    }
    const after = await monitorBoth();
    expect(after.ds.capacity.TOTAL_MB).toBe(150 * GiB_IN_MB);
    expect(after.tm.stderr).not.toMatch(/cannot reach/);
  });
});
