import {
  nameProblem,
  PROP_HV_NAME,
  PROP_HV_OWNER,
  PROP_HV_PLATFORM,
  SNAPSHOT_NAME_RULE,
} from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { VolumeValidationError } from '../src/errors';
import {
  attachmentCreator,
  isHashedName,
  isOwnedBy,
  isOwnVolume,
  ownerFilter,
  ownershipProps,
  resourceNameFor,
  snapshotNameFor,
} from '../src/naming';

describe('resourceNameFor', () => {
  it('keeps names LINSTOR accepts, so volumes of the official plugins keep their names', () => {
    for (const name of [
      'vm-100-disk-1',
      'pm-1a2b3c4d',
      'volume-6f1c2d3e-aaaa-bbbb-cccc-0123456789ab',
      'OpenNebula-Image-7',
    ]) {
      expect(resourceNameFor(name)).toBe(name);
    }
  });

  it('maps too-long and invalid names to a short valid form that is stable and distinct', () => {
    const long = 'vm-100-state-a_very_long_snapshot_name_that_pve_allows_40';
    const mapped = resourceNameFor(long);
    expect(nameProblem(mapped)).toBeUndefined();
    expect(mapped.length).toBeLessThanOrEqual(48);
    expect(mapped).toBe(resourceNameFor(long));
    expect(mapped.startsWith('vm-100-state-a_very_long_snap')).toBe(true);
    expect(isHashedName(mapped)).toBe(true);
    expect(resourceNameFor(`${long}x`)).not.toBe(mapped);
    expect(isHashedName('vm-100-disk-1')).toBe(false);
  });

  it('maps names with bad characters, a leading digit, or no letter', () => {
    for (const name of ['disk.img', '1234', 'a b', 'x', 'über-disk', '--']) {
      const mapped = resourceNameFor(name);
      expect(nameProblem(mapped), `${name} → ${mapped}`).toBeUndefined();
    }
    expect(resourceNameFor('1234')).toMatch(/^_1234_h[0-9a-f]{12}$/);
    expect(resourceNameFor('disk.img')).toMatch(/^disk_img_h[0-9a-f]{12}$/);
  });

  it('refuses an empty name with a readable message', () => {
    expect(() => resourceNameFor('')).toThrow(VolumeValidationError);
    expect(() => resourceNameFor('')).toThrow('The volume name is empty');
  });

  it('maps snapshot names under the snapshot rule', () => {
    const mapped = snapshotNameFor('snap_pm-1a2b3c4d_a_forty_character_pve_snapshot_name_x');
    expect(nameProblem(mapped, SNAPSHOT_NAME_RULE)).toBeUndefined();
    expect(snapshotNameFor('before-upgrade')).toBe('before-upgrade');
  });
});

describe('ownership', () => {
  const owner = { platform: 'proxmox', ownerId: 'drbdstorage' };

  it('writes platform, owner and original name, and recognises them', () => {
    const props = ownershipProps(owner, 'vm-100-disk-1');
    expect(props).toEqual({
      [PROP_HV_PLATFORM]: 'proxmox',
      [PROP_HV_OWNER]: 'drbdstorage',
      [PROP_HV_NAME]: 'vm-100-disk-1',
    });
    expect(isOwnedBy(props, owner)).toBe(true);
    expect(isOwnVolume(props, owner, 'vm-100-disk-1')).toBe(true);
    expect(isOwnVolume(props, owner, 'VM-100-disk-1')).toBe(false);
    expect(isOwnedBy(props, { platform: 'proxmox', ownerId: 'other' })).toBe(false);
    expect(isOwnedBy(props, { platform: 'cinder', ownerId: 'drbdstorage' })).toBe(false);
    expect(isOwnedBy(undefined, owner)).toBe(false);
  });

  it('builds a props filter per ownership', () => {
    expect(ownerFilter(owner)).toEqual([
      'Aux/linstor-hv/platform=proxmox',
      'Aux/linstor-hv/owner=drbdstorage',
    ]);
    expect(ownerFilter({ platform: 'cinder' })).toEqual(['Aux/linstor-hv/platform=cinder']);
    expect(attachmentCreator(owner)).toBe('proxmox:drbdstorage');
  });

  it('refuses owner ids a props filter would read as a regular expression', () => {
    expect(() => ownerFilter({ platform: 'proxmox', ownerId: 'a+b' })).toThrow(
      /owner id 'a\+b' is not usable/,
    );
    expect(() => ownerFilter({ platform: 'pro xmox' })).toThrow(/platform name/);
  });
});
