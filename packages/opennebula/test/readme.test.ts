/**
 * The README's installation text checked against the drivers: the `onedatastore create` templates
 * parse into the settings the actions read, the oned.conf lists name the driver where oned looks
 * for it, and the action table lists exactly the actions the remotes tree and the code provide.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { datastoreSettings } from '../src/datastore';
import { actionsOf } from '../src/run';
import { parseXml } from '../src/xml';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');

function block(info: string): string {
  const match = new RegExp('```' + info + '\\n([\\s\\S]*?)```').exec(readme);
  if (!match) throw new Error(`README has no \`\`\`${info} block`);
  return match[1]!;
}

/** `KEY = "value"` lines → the `<DATASTORE>` document `onedatastore show -x` would print. */
function datastoreFromTemplate(template: string, id: number, type: number): string {
  const attributes = [...template.matchAll(/^([A-Z_]+)\s*=\s*"([^"]*)"$/gm)].map(
    ([, k, v]) => `<${k}><![CDATA[${v}]]></${k}>`,
  );
  return `<DATASTORE><ID>${id}</ID><NAME>x</NAME><TYPE>${type}</TYPE><TEMPLATE>${attributes.join('')}</TEMPLATE></DATASTORE>`;
}

describe('README', () => {
  it('gives image and system datastore templates the drivers can use', () => {
    const image = datastoreSettings(parseXml(datastoreFromTemplate(block('onedatastore image'), 100, 0)));
    expect(image).toMatchObject({
      resourceGroup: 'OneRscGrp',
      controllers: 'linstor-1:3370,linstor-2:3370',
      bridgeList: ['node1', 'node2', 'node3'],
      restrictedDirs: ['/'],
      safeDirs: ['/var/tmp'],
    });
    expect(block('onedatastore image')).toMatch(/^DS_MAD = "linstor"$/m);
    expect(block('onedatastore image')).toMatch(/^TM_MAD = "linstor"$/m);
    const system = datastoreSettings(parseXml(datastoreFromTemplate(block('onedatastore system'), 101, 1)));
    expect(system.resourceGroup).toBe('OneSysRscGrp');
    expect(block('onedatastore system')).toMatch(/^TYPE = "SYSTEM_DS"$/m);
    expect(block('onedatastore system')).toMatch(/^DISK_TYPE = "BLOCK"$/m);
  });

  it('adds linstor to -d and -s of DATASTORE_MAD, to TM_MAD, and configures TM_MAD_CONF and DS_MAD_CONF', () => {
    const conf = block('oned.conf');
    const datastoreMad = /DATASTORE_MAD = \[[\s\S]*?ARGUMENTS\s*=\s*"([^"]*)"/.exec(conf)![1]!;
    expect(/-d (\S+)/.exec(datastoreMad)![1]!.split(',')).toContain('linstor');
    expect(/-s (\S+)/.exec(datastoreMad)![1]!.split(',')).toContain('linstor');
    const tmMad = /TM_MAD = \[[\s\S]*?ARGUMENTS\s*=\s*"([^"]*)"/.exec(conf)![1]!;
    expect(/-d (\S+)/.exec(tmMad)![1]!.split(',')).toContain('linstor');
    const tmConf = /TM_MAD_CONF = \[([\s\S]*?)\]/.exec(conf)![1]!;
    // The drivers link images in place (ln), clone in the image datastore (clone) and expect
    // block devices; the system datastore is shared so tm/linstor/monitor runs on the front-end.
    for (const setting of [
      'NAME = "linstor"',
      'LN_TARGET = "NONE"',
      'CLONE_TARGET = "SELF"',
      'SHARED = "YES"',
      'DISK_TYPE_SSH = "BLOCK"',
      'DISK_TYPE_SHARED = "BLOCK"',
    ]) {
      expect(tmConf).toContain(setting);
    }
    const dsConf = /DS_MAD_CONF = \[([\s\S]*?)\]/.exec(conf)![1]!;
    expect(dsConf).toContain('NAME = "linstor"');
    expect(dsConf).toContain('MARKETPLACE_ACTIONS = "export"');
  });

  it('lists every action the code and the remotes tree provide, and no other', () => {
    const listed = (driver: 'ds' | 'tm') =>
      [...readme.matchAll(new RegExp(`^\\| ${driver} ([^|]+)\\|`, 'gm'))]
        .flatMap(([, names]) => [...names!.matchAll(/`([a-z_]+)`/g)].map(([, n]) => n!))
        .sort();
    const remotes = join(here, '..', 'remotes');
    for (const driver of ['ds', 'tm'] as const) {
      const dir = join(remotes, driver === 'ds' ? 'datastore' : 'tm', 'linstor');
      const scripts = readdirSync(dir)
        .filter((f) => f !== 'linstor-hv-call')
        .sort();
      expect(listed(driver)).toEqual(actionsOf(driver));
      expect(scripts).toEqual(actionsOf(driver));
    }
  });
});
