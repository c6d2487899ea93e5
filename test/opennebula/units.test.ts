/**
 * The systemd units shipped for the front-end agree with what the remotes and the CLI expect: the
 * socket `linstor-hv one` tries first, oneadmin (who runs the drivers) as the only one who may
 * connect and as the bridge's user, the command the README installs, and a /var/tmp shared with
 * one-shot calls (the attach locks and uploaded images live there).
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
    // A 0700 root directory would keep oneadmin from reaching its own socket.
    expect(Number.parseInt(socket.DirectoryMode ?? '0700', 8) & 0o005).toBe(0o005);
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
