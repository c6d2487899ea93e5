/**
 * The remotes tree with a bridge on the front-end: `linstor-hv one` hands the call to the bridge
 * (`one.<driver>.<action>`, argv and stdin unchanged) and prints its answer; with the socket gone
 * or the bridge stopping, the same call runs as a one-shot command.
 */

import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBridge } from '@linstor-hv/bridge';
import { openNebulaMethodTable } from '@linstor-hv/opennebula';
import { actionData as documentOf } from '@linstor-hv/opennebula/sandbox';
import { describe, expect, it } from 'vitest';
import { IMAGE_DS, MiB, sha256, sha256Of, useTestbed } from './harness';

const bed = useTestbed();

describe('through the bridge', () => {
  it('hands ds cp and tm actions to a running bridge, and runs them itself when there is none', async () => {
    const b = bed();
    const socket = join(b.dir, 'opennebula.sock');
    const lines: string[] = [];
    // The configuration travels with each call (the shim's LINSTOR_HV_ONE_CONFIG), not with the bridge.
    const bridge = await startBridge({
      methods: openNebulaMethodTable(),
      socketPath: socket,
      platform: 'opennebula',
      version: 'test',
      log: (line) => lines.push(line),
    });
    try {
      const data = randomBytes(1 * MiB);
      await writeFile(join(b.dir, 'staging', 'bridged.img'), data);
      const document = documentOf({
        image: { id: 60, path: join(b.dir, 'staging', 'bridged.img'), sizeMb: 1, datastoreId: IMAGE_DS },
        datastore: b.imageDs(),
      });
      const env = { LINSTOR_HV_ONE_SOCKET: socket };
      const cp = await b.runDs('cp', document, 60, 'stdin', env);
      expect(cp, cp.stderr).toMatchObject({ code: 0, stdout: 'OpenNebula-Image-60 raw' });
      expect(lines.some((l) => l.includes('one.ds.cp'))).toBe(true);
      const view = await b.client.resources.view({ resources: ['OpenNebula-Image-60'] });
      const node = view.find((r) => !(r.flags ?? []).includes('DISKLESS'))!.node_name!;
      expect(await sha256Of(b.device(`one-host-${node.slice(3)}`, 'OpenNebula-Image-60'), MiB)).toBe(
        sha256(data),
      );
      // A refusal comes back through the bridge as the same one line.
      const bad = await b.runDs(
        'rm',
        documentOf({
          image: { id: 60, source: 'x;y', sizeMb: 1, datastoreId: IMAGE_DS },
          datastore: b.imageDs(),
        }),
        60,
        'argv',
        env,
      );
      expect(bad.code).not.toBe(0);
      expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
        /^linstor ds rm: The image SOURCE 'x;y' is not a LINSTOR resource name/,
      );
      expect(lines.some((l) => l.includes('one.ds.rm'))).toBe(true);
    } finally {
      await bridge.close();
    }
    // The socket is gone: the shim's call runs as a one-shot command with the same result.
    const before = lines.length;
    const rm = await b.runDs(
      'rm',
      documentOf({
        image: { id: 60, source: 'OpenNebula-Image-60', sizeMb: 1, datastoreId: IMAGE_DS },
        datastore: b.imageDs(),
      }),
      60,
      'stdin',
      { LINSTOR_HV_ONE_SOCKET: socket },
    );
    expect(rm, rm.stderr).toMatchObject({ code: 0, stdout: '' });
    expect(lines.length).toBe(before);
    expect(await b.client.resourceDefinitions.getOrUndefined('OpenNebula-Image-60')).toBeUndefined();
  });
});
