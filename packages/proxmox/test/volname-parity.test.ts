import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseVolname, snapshotResourceName } from '../src/volname';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Asks the real Perl module (with the PVE test doubles) for its parse of each name. */
function perlParse(names: string[], snapshot: string): Record<string, unknown> {
  const script = `
    use strict; use warnings; use JSON::PP;
    use PVE::Storage::Custom::LINSTORPlugin;
    my ($snapshot, @names) = @ARGV;
    my %out;
    for my $name (@names) {
      my $parts = eval { PVE::Storage::Custom::LINSTORPlugin::volume_parts($name) };
      $out{$name} = $parts
        ? { resource => $parts->{resource}, vmid => $parts->{vmid} + 0, isBase => $parts->{is_base} ? JSON::PP::true : JSON::PP::false,
            snapshotResource => PVE::Storage::Custom::LINSTORPlugin::snapshot_resource_name($parts->{resource}, $snapshot) }
        : { error => 1 };
    }
    print JSON::PP->new->canonical->encode(\\%out);
  `;
  const out = execFileSync(
    'perl',
    [
      '-I',
      join(root, 'test/proxmox/lib'),
      '-I',
      join(root, 'packages/proxmox/perl'),
      '-e',
      script,
      snapshot,
      ...names,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as Record<string, unknown>;
}

function tsParse(names: string[], snapshot: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    try {
      const v = parseVolname(name);
      out[name] = {
        resource: v.resource,
        vmid: v.vmid,
        isBase: v.isBase,
        snapshotResource: snapshotResourceName(v.resource, snapshot),
      };
    } catch {
      out[name] = { error: 1 };
    }
  }
  return out;
}

describe('volume names: Perl module and TypeScript handlers agree', () => {
  it('maps every kind of PVE name to the same resource', () => {
    const random = Array.from(
      { length: 20 },
      (_, i) => `vm-${100 + i}-state-${randomBytes(6 + i).toString('hex')}`,
    );
    const names = [
      'vm-100-disk-1',
      'pm-1a2b3c4d_100',
      'base-pm-1a2b3c4d_100',
      'base-100-disk-0',
      'base-100-disk-0/vm-101-disk-0',
      'base-pm-1a2b3c4d_100/pm-0badc0de_101',
      'vm-100-cloudinit',
      'vm-100-fleece-0',
      'vm-10000-pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      'vm-100-disk.raw',
      'vm-100-Disk+1',
      'vm-100-',
      'disk-0',
      'pm-1A2B3C4D_100',
      'vm-100-disk-1/vm-101-disk-0',
      ...random,
    ];
    for (const snapshot of ['vzdump', 'a_forty_character_snapshot_name_for_tst']) {
      expect(tsParse(names, snapshot)).toEqual(perlParse(names, snapshot));
    }
  });

  it('gives valid LINSTOR names for names LINSTOR refuses', () => {
    const long = `vm-100-state-${'x'.repeat(60)}`;
    const { resource } = parseVolname(long);
    expect(resource.length).toBeLessThanOrEqual(48);
    expect(resource).toMatch(/^vm-100-state-x+_h[0-9a-f]{12}$/);
    expect(parseVolname('vm-100-disk+1').resource).toMatch(/^vm-100-disk_1_h[0-9a-f]{12}$/);
  });

  it('refuses names that are not volumes of this storage', () => {
    for (const bad of [
      '',
      'vm-x-disk-0',
      'ct-100-disk-0',
      'vm-100-disk-0/vm-101-disk-1',
      'a/b/c',
      'vm-0100-disk-0',
    ]) {
      expect(() => parseVolname(bad)).toThrow(/invalid volume name/);
    }
  });
});
