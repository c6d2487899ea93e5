/** Pure parsing rules: the XML reader, calling conventions, value checks, error formats. */

import { describe, expect, it } from 'vitest';
import { parseBandwidth } from '../src/datastore';
import { errorFormatFor, failureText, infoLine } from '../src/errors';
import { OneProtocolError, parseDiskLocation, parseDocumentCall, parseImageSource } from '../src/protocol';
import { parseImagePath } from '../src/requests/ds';
import { parseTmCpds, parseTmMigrate } from '../src/requests/tm';
import { parseXml, textAt, XmlError } from '../src/xml';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const doc =
  '<DS_DRIVER_ACTION_DATA><IMAGE><ID>7</ID><PATH><![CDATA[/var/tmp/a b&c.img]]></PATH><NAME>x &amp; y &#x41;</NAME></IMAGE></DS_DRIVER_ACTION_DATA>';

describe('parseXml', () => {
  it('reads elements, CDATA, entities and character references', () => {
    const root = parseXml(`<?xml version="1.0"?>\n${doc}`);
    expect(textAt(root, 'IMAGE/PATH')).toBe('/var/tmp/a b&c.img');
    expect(textAt(root, 'IMAGE/NAME')).toBe('x & y A');
  });

  it.each([
    ['<!DOCTYPE x [<!ENTITY e "boom">]><A>&e;</A>', /declarations/],
    ['<A>&e;</A>', /entity '&e;'/],
    ['<A><B></A>', /does not match/],
    ['<A></A><B></B>', /second root/],
    ['<A>', /not closed/],
    ['', /empty/],
    ['text<A/>', /outside the root/],
  ])('refuses %s', (text, message) => {
    expect(() => parseXml(text)).toThrow(XmlError);
    expect(() => parseXml(text)).toThrow(message);
  });
});

describe('calling conventions', () => {
  const stdin = (text: string) => async () => text;
  it.each([
    ['<b64> <id> (≤ 6.6)', [b64(doc), '7'], '', 'argv'],
    ['- <id> with stdin (6.4.4+ with -i)', ['-', '7'], b64(doc), 'dash-stdin'],
    ['<id> with stdin (6.8+)', ['7'], b64(doc), 'stdin'],
  ])('detects %s from argv', async (_name, argv, input, convention) => {
    const call = await parseDocumentCall(argv as string[], stdin(input as string));
    expect(call.convention).toBe(convention);
    expect(call.id).toBe(7);
    expect(textAt(call.document, 'IMAGE/ID')).toBe('7');
  });

  it('refuses a non-numeric id and a wrong root element', async () => {
    await expect(parseDocumentCall(['x7'], stdin(b64(doc)))).rejects.toThrow(
      "The id argument 'x7' is not a number.",
    );
    await expect(parseDocumentCall(['7'], stdin(b64('<VM/>')))).rejects.toThrow('root is <VM>');
  });
});

describe('values', () => {
  it('parses disk locations and image sources', () => {
    expect(parseDiskLocation('node1:/var/lib/one//datastores/101/7/disk.2', 'target')).toEqual({
      host: 'node1',
      path: '/var/lib/one//datastores/101/7/disk.2',
      vmDir: '/var/lib/one//datastores/101/7',
      diskId: 2,
    });
    expect(parseImageSource('fe:OpenNebula-Image-3', 'source')).toBe('OpenNebula-Image-3');
    expect(() => parseImageSource('fe:OpenNebula Image', 'source')).toThrow(OneProtocolError);
  });

  it('reads cpds snap_id -1 as the current state and migrate template ids', async () => {
    expect(
      (await parseTmCpds(['h:/d/101/7/disk.0', 'OpenNebula-Image-9', '-1', '7', '100'])).snapshotId,
    ).toBe(-1);
    const vm = b64('<VM><ID>8</ID><TEMPLATE></TEMPLATE></VM>');
    await expect(parseTmMigrate(['a', 'b', '/d/101/7', '7', '101'], async () => vm)).rejects.toThrow(
      'is VM 8, not VM 7',
    );
    expect((await parseTmMigrate(['a', 'b', '/d/101/8', '8', '101', 'ssh'], async () => vm)).callingTm).toBe(
      'ssh',
    );
  });

  it('classifies image paths', () => {
    expect(parseImagePath('https://example.org/a.qcow2')).toEqual({
      kind: 'http',
      url: 'https://example.org/a.qcow2',
    });
    expect(parseImagePath('ssh://host1:/srv/a.img')).toEqual({
      kind: 'ssh',
      host: 'host1',
      path: '/srv/a.img',
    });
    expect(parseImagePath('file:///var/tmp/a.img')).toEqual({ kind: 'file', path: '/var/tmp/a.img' });
    expect(() => parseImagePath('/var/tmp/a.img\n')).toThrow(/not allowed/);
    expect(() => parseImagePath('relative.img')).toThrow(/neither an absolute path/);
  });

  it('reads LIMIT_TRANSFER_BW rates', () => {
    expect(parseBandwidth('10M')).toBe(10 * 1024 * 1024);
    expect(parseBandwidth('512K')).toBe(512 * 1024);
    expect(() => parseBandwidth('fast')).toThrow(/not a rate/);
  });
});

describe('error formats', () => {
  it.each([
    ['5.12.0', 'markers'],
    ['6.0.2', 'markers'],
    ['6.0.3', 'plain'],
    ['6.10.0', 'plain'],
    ['7.0.0', 'prefixed'],
    [undefined, 'prefixed'],
  ])('OpenNebula %s uses %s', (version, format) => {
    expect(errorFormatFor(version)).toBe(format);
  });

  it('keeps a message starting with a digit from being read as a VM id', () => {
    expect(infoLine('3 replicas')).toBe('INFO: - 3 replicas');
    expect(infoLine('done', 17)).toBe('INFO: 17 done');
    expect(failureText('markers', 'boom')).toBe('ERROR MESSAGE --8<------\nboom\nERROR MESSAGE ------>8--\n');
  });
});
