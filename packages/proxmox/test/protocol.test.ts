import { describe, expect, it } from 'vitest';
import {
  integerArg,
  oneLine,
  optionalStringArg,
  ProtocolError,
  parseRequest,
  parseRequestObject,
} from '../src/protocol';
import { proxmoxMethodTable, runProxmoxMethod } from '../src/run';

const request = {
  protocol: 1,
  method: 'list_images',
  storeid: 'drbdstorage',
  scfg: {
    controller: 'ctrl-a',
    resourcegroup: 'rg1',
    statuscache: 30,
    apitoken: 'must-not-pass',
    unknown: 'x',
  },
  node: 'pve1',
  deviceRoot: '/dev',
  peerAccess: 'local',
  statusCacheFile: '/var/cache/linstor-hv/status-0.json',
  deadlineMs: 45000,
  args: { vmid: 100 },
};

describe('parseRequest', () => {
  it('keeps the public storage options only, as strings', () => {
    const parsed = parseRequest(JSON.stringify(request), 'list_images');
    expect(parsed.scfg).toEqual({ controller: 'ctrl-a', resourcegroup: 'rg1', statuscache: '30' });
    expect(parsed.peerAccess).toBe('local');
    expect(parsed.token).toBeUndefined();
    expect(parsed.args).toEqual({ vmid: 100 });
  });

  it('defaults peer access to ssh', () => {
    const { peerAccess: _, ...rest } = request;
    expect(parseRequest(JSON.stringify(rest), 'list_images').peerAccess).toBe('ssh');
  });

  it('refuses requests the plugin could not have sent', () => {
    expect(() => parseRequest('not json', 'list_images')).toThrow('the request on stdin is not JSON');
    expect(() => parseRequest('[1]', 'list_images')).toThrow('not a JSON object');
    expect(() => parseRequest(JSON.stringify({ ...request, protocol: 2 }), 'list_images')).toThrow(
      'the plugin speaks protocol 2, this linstor-hv speaks 1',
    );
    expect(() => parseRequest(JSON.stringify(request), 'alloc_image')).toThrow(
      "the request is for 'list_images' but the command is 'proxmox alloc_image'",
    );
    expect(() => parseRequest(JSON.stringify({ ...request, deadlineMs: 0 }), 'list_images')).toThrow(
      "the request's deadlineMs 0 is not a whole number of milliseconds from 1 to 3600000",
    );
    expect(() => parseRequest(JSON.stringify({ ...request, node: '' }), 'list_images')).toThrow(
      'the request has no node name',
    );
  });
});

describe("parseRequestObject (the bridge's params)", () => {
  it('reads a decoded request exactly as parseRequest reads its text', () => {
    expect(parseRequestObject(request, 'list_images')).toEqual(
      parseRequest(JSON.stringify(request), 'list_images'),
    );
  });

  it('refuses what is not a request object, with the same rules', () => {
    for (const value of [null, 'text', [request], 7]) {
      expect(() => parseRequestObject(value, 'list_images')).toThrow('the request is not a JSON object');
    }
    expect(() => parseRequestObject({ ...request, storeid: 5 }, 'list_images')).toThrow(
      'the request has no storage id',
    );
    expect(() => parseRequestObject({ ...request, args: { vmid: 99 } }, 'list_images')).toThrow(
      "argument 'vmid' must be a VM id from 100 to 999999999, not 99",
    );
  });

  it('is what the bridge table uses: bad params are JSON-RPC invalid params', async () => {
    const table = proxmoxMethodTable();
    const call = { signal: new AbortController().signal, deadline: Date.now() + 10_000 };
    await expect(table.list_images?.([request], call)).rejects.toMatchObject({
      rpcCode: -32602,
      code: 'PROXMOX_INVALID_REQUEST',
      message: 'the request is not a JSON object',
    });
  });
});

describe('arguments', () => {
  it('checks types', () => {
    expect(integerArg({ n: 5 }, 'n')).toBe(5);
    expect(() => integerArg({ n: '5' }, 'n')).toThrow(ProtocolError);
    expect(() => integerArg({ n: 1.5 }, 'n')).toThrow("argument 'n' must be a whole number");
    expect(optionalStringArg({ s: null }, 's')).toBeUndefined();
    expect(optionalStringArg({ s: '' }, 's')).toBeUndefined();
    expect(() => optionalStringArg({ s: 3 }, 's')).toThrow("argument 's' must be a string");
  });

  it('makes one line of any message', () => {
    expect(oneLine('a\nb\r\n  c')).toBe('a b c');
    expect(oneLine('x'.repeat(3000))).toHaveLength(2000);
  });
});

describe('runProxmoxMethod', () => {
  it('answers unknown methods and bad requests with one error line', async () => {
    expect(await runProxmoxMethod('format_disk', '{}')).toEqual({
      ok: false,
      error: "linstor-hv does not know the Proxmox method 'format_disk'",
    });
    expect(await runProxmoxMethod('status', '{"protocol":1}')).toEqual({
      ok: false,
      error: 'the request has no method',
    });
  });

  it('reports an invalid volume name before contacting anyone', async () => {
    const reply = await runProxmoxMethod(
      'activate_volume',
      JSON.stringify({
        ...request,
        method: 'activate_volume',
        scfg: { controller: '127.0.0.1:1' },
        args: { volname: 'disk-0' },
      }),
    );
    expect(reply).toEqual({
      ok: false,
      error:
        "invalid volume name 'disk-0': expected 'vm-<vmid>-<name>', 'base-<vmid>-<name>' or 'pm-<8 hex digits>_<vmid>'",
    });
  });
});
