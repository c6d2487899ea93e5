/**
 * The systemd units shipped for the front-end agree with what the remotes and the CLI expect: the
 * socket `linstor-hv one` tries first, in oneadmin's own 0700 directory (no other bridge's),
 * oneadmin (who runs the drivers) as the only one who may connect and as the bridge's user, the command the README installs, and a /var/tmp shared with
 * one-shot calls (the attach locks and uploaded images live there).
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '@linstor-hv/opennebula';
import { describe, expect, it } from 'vitest';
import { defaultSocketPath } from '../../apps/linstor-hv/src/commands/bridge';
import { ROOT } from './harness';

const SYSTEMD = join(ROOT, 'packages', 'opennebula', 'systemd');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** `Key=value` lines of one section of a unit file. */
function section(unit: string, name: string): Record<string, string> {
  const body = new RegExp(`^\\[${name}\\]\\n([\\s\\S]*?)(?=^\\[|(?![\\s\\S]))`, 'm').exec(unit)?.[1];
  if (body === undefined) throw new Error(`no [${name}] section`);
  return Object.fromEntries(
    body
      .split('\n')
      .filter((line) => /^[A-Za-z]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('systemd units for linstor-hv bridge --platform opennebula', () => {
  const socket = section(read('packages/opennebula/systemd/linstor-hv-opennebula.socket'), 'Socket');
  const service = section(read('packages/opennebula/systemd/linstor-hv-opennebula.service'), 'Service');
  const readme = read('packages/opennebula/README.md');

  it('listens where linstor-hv one and the bridge command look, for oneadmin alone', () => {
    expect(socket.ListenStream).toBe(defaultSocketPath('opennebula'));
    expect(read('apps/linstor-hv/src/commands/one.ts')).toContain(
      "process.env.LINSTOR_HV_ONE_SOCKET ?? defaultSocketPath('opennebula')",
    );
    expect(socket).toMatchObject({ SocketUser: 'oneadmin', SocketGroup: 'oneadmin', SocketMode: '0600' });
    // The README names the same socket.
    expect(readme).toContain(`\`${defaultSocketPath('opennebula')}\``);
  });

  it("keeps the socket in oneadmin's own 0700 directory, made before systemd binds in it", () => {
    const directory = dirname(defaultSocketPath('opennebula'));
    expect(socket.ExecStartPre).toBe(`/usr/bin/install -d -m 0700 -o oneadmin -g oneadmin ${directory}`);
    expect(socket.DirectoryMode).toBe('0700');
    // Every other bridge's socket lives elsewhere: the Proxmox bridge's /run/linstor-hv is root's
    // (0700) and cinder's is cinder's, and a host may run several bridges.
    const others = readdirSync(join(ROOT, 'packages'))
      .filter((p) => p !== 'opennebula')
      .flatMap((p) => {
        const dir = join(ROOT, 'packages', p, 'systemd');
        return existsSync(dir)
          ? readdirSync(dir)
              .filter((f) => f.endsWith('.socket'))
              .map((f) => join(dir, f))
          : [];
      });
    expect(others.some((path) => path.includes('proxmox'))).toBe(true);
    for (const path of others) {
      const theirs = dirname(section(readFileSync(path, 'utf8'), 'Socket').ListenStream ?? '');
      expect(theirs, path).not.toBe(directory);
      expect(theirs.startsWith(`${directory}/`) || directory.startsWith(`${theirs}/`), path).toBe(false);
    }
    for (const platform of ['proxmox', 'cinder'])
      expect(dirname(defaultSocketPath(platform))).not.toBe(directory);
  });

  it('runs the installed linstor-hv as oneadmin, sharing /var/tmp with one-shot calls', () => {
    expect(service).toMatchObject({ User: 'oneadmin', Group: 'oneadmin' });
    const installed = /^install -m 0755 \S+ (\S+)$/m.exec(readme)?.[1];
    expect(installed).toBeDefined();
    expect(service.ExecStart).toBe(`/usr/bin/node ${installed} bridge --platform opennebula`);
    const defaults = loadConfig({});
    expect(defaults.lockDir.startsWith('/var/tmp/')).toBe(true);
    expect(service.PrivateTmp).toBe('no');
  });

  it('are installed by the README with their real file names', () => {
    const steps = /```sh bridge-install\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    for (const unit of ['linstor-hv-opennebula.socket', 'linstor-hv-opennebula.service']) {
      expect(existsSync(join(SYSTEMD, unit))).toBe(true);
      expect(steps).toContain(`packages/opennebula/systemd/${unit} /etc/systemd/system/`);
    }
    expect(steps).toContain('systemctl enable --now linstor-hv-opennebula.socket');
  });
});
