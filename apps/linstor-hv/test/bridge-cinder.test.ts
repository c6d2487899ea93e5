/**
 * Where `linstor-hv bridge --platform cinder` listens by default: the socket the shipped unit
 * creates and the driver connects to, in a directory no other bridge uses (the Proxmox bridge's
 * /run/linstor-hv is root's and 0700, and one host can run both).
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultSocketPath } from '../src/commands/bridge';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe('the Cinder bridge socket', () => {
  it('is where the systemd unit puts it and the driver looks for it', () => {
    const unit = read('packages/cinder/systemd/linstor-hv-cinder.socket');
    const driver = read('packages/cinder/python/linstor_hv_cinder/linstordrv.py');
    expect(unit).toMatch(new RegExp(`^ListenStream=${defaultSocketPath('cinder')}$`, 'm'));
    expect(driver).toContain(`DEFAULT_SOCKET = '${defaultSocketPath('cinder')}'`);
  });

  it('has a directory of its own, made owned by cinder and 0700 before systemd binds in it', () => {
    const directory = dirname(defaultSocketPath('cinder'));
    for (const other of ['proxmox', 'opennebula'])
      expect(dirname(defaultSocketPath(other))).not.toBe(directory);
    const unit = read('packages/cinder/systemd/linstor-hv-cinder.socket');
    expect(unit).toMatch(
      new RegExp(`^ExecStartPre=/usr/bin/install -d -m 0700 -o cinder -g cinder ${directory}$`, 'm'),
    );
    expect(unit).toMatch(/^DirectoryMode=0700$/m);
    expect(unit).toMatch(/^SocketMode=0600$/m);
  });
});
