/**
 * Bad input through the installed remotes tree: malformed documents, injection strings in names,
 * paths and host names. Each is refused with one clear line, nothing is created in LINSTOR and no
 * command runs on a host. And the failure format oned expects for each version.
 */

import { existsSync } from 'node:fs';
import { actionData, b64 } from '@linstor-hv/opennebula/sandbox';
import { beforeEach, describe, expect, it } from 'vitest';
import { IMAGE_DS, useTestbed } from './harness';

const bed = useTestbed();

async function definitionNames(): Promise<string[]> {
  return (await bed().client.resourceDefinitions.list()).map((rd) => rd.name ?? '');
}

/** The last line of stderr (the message oned shows). */
function message(stderr: string): string {
  return stderr.trim().split('\n').at(-1) ?? '';
}

describe('refused before anything happens', () => {
  beforeEach(async () => {
    await bed().clearSshLog();
  });

  const injections = [
    'x; touch /tmp/pwned',
    '$(touch /tmp/pwned)',
    '`id`',
    'a\nb',
    "a' b",
    'x|y',
    '../../etc/passwd',
  ];

  const cases: {
    what: string;
    run: () => Promise<{ code: number; stdout: string; stderr: string }>;
    expected: RegExp;
  }[] = [
    {
      what: 'a document that is not base64',
      run: () => bed().run('ds', 'cp', ['7'], '!!not base64!!'),
      expected: /driver action document is not base64/,
    },
    {
      what: 'a document that is not XML',
      run: () =>
        bed().run('ds', 'cp', ['7'], b64('<DS_DRIVER_ACTION_DATA><IMAGE><ID>7</ID></DS_DRIVER_ACTION_DATA>')),
      expected: /not valid XML: the closing tag <\/DS_DRIVER_ACTION_DATA> does not match <IMAGE>/,
    },
    {
      what: 'an XML entity declaration (XXE)',
      run: () =>
        bed().run(
          'ds',
          'cp',
          ['7'],
          b64(
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><DS_DRIVER_ACTION_DATA>&e;</DS_DRIVER_ACTION_DATA>',
          ),
        ),
      expected: /declarations and processing instructions are not allowed/,
    },
    {
      what: 'a missing IMAGE/SIZE',
      run: () =>
        bed().runDs(
          'cp',
          actionData({
            image: { id: 7, path: '/var/tmp/x.img', sizeMb: 1, datastoreId: IMAGE_DS },
            datastore: bed().imageDs(),
          }).replace('<SIZE>1</SIZE>', ''),
          7,
        ),
      expected: /<IMAGE\/SIZE> is missing or empty/,
    },
    {
      what: 'a datastore without LINSTOR_RESOURCE_GROUP',
      run: () =>
        bed().runDs(
          'rm',
          actionData({
            image: { id: 7, source: 'OpenNebula-Image-7', sizeMb: 1, datastoreId: IMAGE_DS },
            datastore: bed().imageDs(),
          }).replace(/<LINSTOR_RESOURCE_GROUP>.*?<\/LINSTOR_RESOURCE_GROUP>/, ''),
          7,
        ),
      expected: /Datastore 100 has no LINSTOR_RESOURCE_GROUP; add it with onedatastore update 100/,
    },
    {
      what: 'too many arguments',
      run: () => bed().run('ds', 'cp', ['a', 'b', 'c']),
      expected: /Expected '<base64 document> <id>', '- <id>' or '<id>'/,
    },
    ...injections.map((bad) => ({
      what: `an injection in an image SOURCE (${JSON.stringify(bad)})`,
      run: () =>
        bed().runDs(
          'rm',
          actionData({
            image: { id: 7, source: bad, sizeMb: 1, datastoreId: IMAGE_DS },
            datastore: bed().imageDs(),
          }),
          7,
        ),
      expected: /The image SOURCE '.*' is not a LINSTOR resource name/,
    })),
    ...injections.map((bad) => ({
      what: `an injection in an image PATH (${JSON.stringify(bad)})`,
      run: () =>
        bed().runDs(
          'cp',
          actionData({
            image: { id: 8, path: `/var/tmp/${bad}`, sizeMb: 1, datastoreId: IMAGE_DS },
            datastore: bed().imageDs(),
          }),
          8,
        ),
      expected: /The image PATH '.*' (contains characters that are not allowed|contains '\.\.')/,
    })),
    {
      what: 'an injection in a TM source',
      run: () =>
        bed().run('tm', 'clone', [
          'fe:OpenNebula-Image-1;reboot',
          'one-host-1:/var/lib/one/datastores/101/9/disk.0',
          '9',
          '100',
        ]),
      expected:
        /image SOURCE in the source argument 'OpenNebula-Image-1;reboot' is not a LINSTOR resource name/,
    },
    {
      what: 'an injection in a TM host',
      run: () =>
        bed().run('tm', 'ln', [
          'fe:OpenNebula-Image-1',
          '-oProxyCommand=x:/var/lib/one/datastores/101/9/disk.0',
          '9',
          '100',
        ]),
      expected: /The host of the target argument '-oProxyCommand=x' is not a host name/,
    },
    {
      what: 'an injection in a VM directory path',
      run: () => bed().run('tm', 'delete', ['one-host-1:/var/lib/one/datastores/101/9;rm -rf ~', '9', '101']),
      expected: /is not a plain absolute path/,
    },
    {
      what: 'a path escaping the VM directory',
      run: () =>
        bed().run('tm', 'delete', ['one-host-1:/var/lib/one/datastores/101/../../../etc', '9', '101']),
      expected: /no '\.\.'/,
    },
    {
      what: 'a host missing from the node map',
      run: () =>
        bed().run('tm', 'ln', [
          'fe:OpenNebula-Image-1',
          'unknown-host:/var/lib/one/datastores/101/9/disk.0',
          '9',
          '100',
        ]),
      expected: /The OpenNebula host 'unknown-host' is not in the node map of the linstor-hv configuration/,
    },
    {
      what: 'an unknown action',
      run: () => bed().run('tm', 'linstor-hv-call', ['tm', 'format_disk', 'x']),
      expected: /has no action 'format_disk'/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.what}`, async () => {
      const before = await definitionNames();
      const result = await c.run();
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(message(result.stderr)).toMatch(c.expected);
      expect(message(result.stderr)).not.toMatch(/\bat .*\.(m?js|ts):\d+/); // no stack trace
      expect(await definitionNames()).toEqual(before);
      expect(await bed().sshLog()).toEqual([]);
      expect(existsSync('/tmp/pwned')).toBe(false);
    });
  }
});

describe('failure format per OpenNebula version', () => {
  const failing = () =>
    bed().runDs(
      'rm',
      actionData({
        image: { id: 7, source: 'bad;name', sizeMb: 1, datastoreId: IMAGE_DS },
        datastore: bed().imageDs(),
      }),
      7,
    );

  it('wraps the message in ERROR MESSAGE markers for 6.0.2 and older', async () => {
    await bed().setVersion('6.0.2');
    const { stderr } = await failing();
    expect(stderr).toMatch(
      /ERROR MESSAGE --8<------\nlinstor ds rm: The image SOURCE 'bad;name' is not a LINSTOR resource name.*\nERROR MESSAGE ------>8--\n$/,
    );
  });

  it('writes only the message line for 6.0.3 to 6.10 (the whole stderr is the error)', async () => {
    await bed().setVersion('6.8.1');
    const { stderr } = await failing();
    expect(stderr).toMatch(
      /^linstor ds rm: The image SOURCE 'bad;name' is not a LINSTOR resource name[^\n]*\n$/,
    );
  });

  it('streams INFO: lines and ends with one plain line for 7.x', async () => {
    await bed().setVersion('7.0.0');
    const { stderr } = await failing();
    const lines = stderr.trim().split('\n');
    expect(lines.filter((l) => !l.startsWith('INFO: '))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^linstor ds rm: The image SOURCE 'bad;name'/);
    // A successful action logs its progress as INFO: lines, which 7.x routes to the log.
    const ok = await bed().runDs(
      'rm',
      actionData({
        image: { id: 7, source: 'OpenNebula-Image-7', sizeMb: 1, datastoreId: IMAGE_DS },
        datastore: bed().imageDs(),
      }),
      7,
    );
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/^INFO: ds rm: OpenNebula-Image-7 was already gone\n$/);
  });
});
