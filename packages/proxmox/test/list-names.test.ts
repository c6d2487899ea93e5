import type { VolumeSummary } from '@linstor-hv/core';
import { describe, expect, it } from 'vitest';
import { PROP_PVE_VOLNAME } from '../src/handlers/common';
import { pveVolname } from '../src/handlers/volumes';
import { baseNameOf, coreName, parseVolname, pveSnapshotName, snapshotCoreName } from '../src/volname';

function summary(resourceName: string, props: Record<string, string>, name = resourceName): VolumeSummary {
  return { name, resourceName, resourceGroup: 'rg', sizeBytes: 1024, props };
}

describe('PVE names of listed volumes', () => {
  it('rebuilds linstor-proxmox names from Aux/pm/vmid', () => {
    expect(pveVolname(summary('pm-1a2b3c4d', { 'Aux/pm/vmid': '100' }))).toBe('pm-1a2b3c4d_100');
    expect(pveVolname(summary('vm-100-disk-1', { 'Aux/pm/vmid': '100' }))).toBe('vm-100-disk-1');
  });

  it('uses the stored name of templates and linked clones, with the owner linstor-proxmox may have changed', () => {
    expect(
      pveVolname(summary('vm-900-disk-0', { 'Aux/pm/vmid': '900', [PROP_PVE_VOLNAME]: 'base-900-disk-0' })),
    ).toBe('base-900-disk-0');
    expect(
      pveVolname(
        summary('pm-0badc0de', {
          'Aux/pm/vmid': '105',
          [PROP_PVE_VOLNAME]: 'base-900-disk-0/pm-0badc0de_101',
        }),
      ),
    ).toBe('base-900-disk-0/pm-0badc0de_105');
  });

  it('uses the original name of mapped long names', () => {
    const long = `vm-100-state-${'s'.repeat(45)}`;
    const { resource } = parseVolname(long);
    expect(pveVolname(summary(resource, { 'Aux/pm/vmid': '100' }, long))).toBe(long);
  });

  it('skips what is not a volume of this storage', () => {
    expect(pveVolname(summary('pm-1a2b3c4d', {}))).toBeUndefined();
    expect(pveVolname(summary('lhv-tmp-rb-x', { 'Aux/pm/vmid': '100' }))).toBeUndefined();
    expect(pveVolname(summary('vm-100-disk-1', { [PROP_PVE_VOLNAME]: 'vm-100-disk-2' }))).toBeUndefined();
  });
});

describe('core names', () => {
  it('names the volume core knows for every kind of PVE name', () => {
    expect(coreName(parseVolname('pm-1a2b3c4d_100'))).toBe('pm-1a2b3c4d');
    expect(coreName(parseVolname('base-pm-1a2b3c4d_100'))).toBe('pm-1a2b3c4d');
    expect(coreName(parseVolname('base-100-disk-0'))).toBe('vm-100-disk-0');
    expect(coreName(parseVolname('base-100-disk-0/vm-101-disk-0'))).toBe('vm-101-disk-0');
    expect(baseNameOf(parseVolname('vm-100-disk-0'))).toBe('base-100-disk-0');
    expect(baseNameOf(parseVolname('pm-1a2b3c4d_100'))).toBe('base-pm-1a2b3c4d_100');
  });

  it('maps PVE snapshots to linstor-proxmox snapshot names and back', () => {
    expect(snapshotCoreName('vm-100-disk-1', 'before')).toBe('snap_vm-100-disk-1_before');
    expect(pveSnapshotName('vm-100-disk-1', 'snap_vm-100-disk-1_before')).toBe('before');
    expect(pveSnapshotName('vm-100-disk-1', 'SNAP_VM-100-DISK-1_before')).toBe('before');
    expect(pveSnapshotName('vm-100-disk-1', 'base_vm-100-disk-1')).toBeUndefined();
    expect(pveSnapshotName('vm-100-disk-1', 'snap_vm-100-disk-2_before')).toBeUndefined();
  });
});
