import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ClusterDescription } from '../src/cluster';
import { runServe } from '../src/serve';
import { spawnEmulatorProcess } from '../src/testing';
import { call } from './http-helpers';

describe('emulator bin as a child process', () => {
  it('prints its startup line, serves every listener, and exits cleanly on SIGTERM', async () => {
    const emu = await spawnEmulatorProcess({
      listen: ['http://127.0.0.1:0', 'http://127.0.0.1:0'],
      blackhole: ['127.0.0.1:0'],
      tokens: ['t0ken'],
      restApiVersion: '1.29.0',
    });
    try {
      expect(emu.urls).toHaveLength(2);
      expect(emu.blackholeUrls).toHaveLength(1);
      expect(existsSync(emu.dataDir)).toBe(true);
      const auth = { Authorization: 'Bearer t0ken' };
      const version = await call(emu.urls[1]!, 'GET', '/v1/controller/version', undefined, auth);
      expect(version.status).toBe(200);
      expect(version.json).toMatchObject({ version: '1.34.1', rest_api_version: '1.29.0' });
      expect((await call(emu.url, 'GET', '/v1/nodes')).status).toBe(401);
      await emu.control.nodeOffline('pve2');
      const node = await call(emu.url, 'GET', '/v1/nodes/pve2', undefined, auth);
      expect((node.json as { connection_status: string }).connection_status).toBe('OFFLINE');
    } finally {
      const exit = emu.kill('SIGTERM');
      expect(await exit).toEqual({ code: 0, signal: null });
      await emu.stop();
    }
    expect(existsSync(emu.dataDir)).toBe(false);
  });

  it('bootstraps the cluster described in a file', async () => {
    const cluster: ClusterDescription = {
      nodes: [
        {
          name: 'alpha',
          address: '192.168.7.1',
          pools: [
            {
              name: 'zpool1',
              provider_kind: 'ZFS_THIN',
              total_kib: 1048576,
              props: { 'StorDriver/ZPoolThin': 'tank' },
            },
          ],
        },
      ],
      resource_groups: [{ name: 'rg-zfs', select_filter: { place_count: 1, storage_pool: 'zpool1' } }],
    };
    const emu = await spawnEmulatorProcess({ cluster });
    try {
      const nodes = (await call(emu.url, 'GET', '/v1/nodes')).json as {
        name: string;
        net_interfaces: { address: string }[];
      }[];
      expect(nodes.map((n) => [n.name, n.net_interfaces[0]!.address])).toEqual([['alpha', '192.168.7.1']]);
    } finally {
      await emu.stop();
    }
  });

  it('fails to start with a clear message for an invalid cluster description', async () => {
    const bad = {
      nodes: [{ name: 'alpha', address: '10.0.0.1', pools: [{ name: 'p', provider_kind: 'LVM' }] }],
    };
    await expect(spawnEmulatorProcess({ cluster: bad as unknown as ClusterDescription })).rejects.toThrow(
      "linstor-hv-emulator: invalid cluster description: The storage pool name 'p' is too short (minimum 3 characters)",
    );
  });
});

describe('serve arguments', () => {
  it('prints the usage for --help and starts nothing', async () => {
    const written: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      expect(await runServe(['--help'])).toBeUndefined();
    } finally {
      process.stdout.write = write;
    }
    expect(written.join('')).toContain('usage: linstor-hv-emulator serve [options]');
    expect(written.join('')).toContain('--blackhole HOST:PORT');
  });

  it('refuses listeners, black holes and TLS options it cannot use, before starting anything', async () => {
    await expect(runServe(['serve', '--listen', 'ftp://127.0.0.1:0'])).rejects.toThrow(
      "--listen supports http:// and https:// only, got 'ftp://127.0.0.1:0'",
    );
    await expect(runServe(['serve', '--blackhole', '127.0.0.1'])).rejects.toThrow(
      "--blackhole must be HOST:PORT, got '127.0.0.1'",
    );
    await expect(runServe(['serve', '--tls-cert', 'server.crt'])).rejects.toThrow(
      '--tls-cert and --tls-key go together',
    );
    await expect(runServe(['serve', '--no-such-option'])).rejects.toThrow(
      "Unknown option '--no-such-option'",
    );
  });
});
