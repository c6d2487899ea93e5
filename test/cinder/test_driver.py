"""The driver's methods inside Debian's Cinder, against the emulator through a real bridge, checked
at the data level."""

import os
import unittest

from cinder import exception

import harness
from harness import MIB

cluster = None
setUpModule, tearDownModule = harness.module_fixture(globals())


class VolumeLifecycle(unittest.TestCase):
    def setUp(self):
        self.driver = cluster.driver()

    def attach(self, vol, host):
        info = self.driver.initialize_connection(vol, {'host': host, 'ip': None})
        self.assertEqual('local', info['driver_volume_type'])
        return info['data']['device_path']

    def test_data_survives_snapshot_clone_restore_extend_revert(self):
        d = self.driver
        vol = harness.volume(1)
        self.assertEqual({}, d.create_volume(vol))
        device = self.attach(vol, 'pve1')
        self.assertEqual(cluster.device('pve1', vol.name), device)
        first = os.urandom(MIB)
        harness.write(device, first)

        snap = harness.snapshot(vol)
        d.create_snapshot(snap)
        second = os.urandom(MIB)
        harness.write(device, second)

        restored = harness.volume(2)
        d.create_volume_from_snapshot(restored, snap)
        self.assertEqual(harness.digest(first), harness.sha256(self.attach(restored, 'pve2')))

        clone = harness.volume(1)
        d.create_cloned_volume(clone, vol)
        self.assertEqual(harness.digest(second), harness.sha256(self.attach(clone, 'pve3')))

        d.extend_volume(vol, 2)
        self.assertEqual(harness.digest(second), harness.sha256(device))
        size = [vd['size_kib'] for vd in cluster.control(
            'GET', '/v1/resource-definitions/%s/volume-definitions' % vol.name)]
        self.assertEqual([2 * 1024 * 1024], size)

        self.assertFalse(d.terminate_connection(vol, {'host': 'pve1'}))
        vol.size = 2
        d.revert_to_snapshot(harness.context(), vol, snap)
        self.assertEqual(harness.digest(first), harness.sha256(self.attach(vol, 'pve1')))
        self.assertFalse(d.terminate_connection(vol, {'host': 'pve1'}))

        d.delete_snapshot(snap)
        d.delete_snapshot(snap)  # already gone: fine
        for v in (restored, clone):
            d.terminate_connection(v, None)
            d.delete_volume(v)
        d.delete_volume(vol)
        d.delete_volume(vol)  # already gone: fine
        self.assertNotIn(vol.name, cluster.definitions())

    def test_delete_of_a_volume_in_use_is_busy(self):
        d = self.driver
        vol = harness.volume(1)
        d.create_volume(vol)
        self.attach(vol, 'pve2')
        cluster.open_device('pve2', vol.name)
        try:
            with self.assertRaises(exception.VolumeIsBusy) as caught:
                d.delete_volume(vol)
            self.assertIn(vol.name, str(caught.exception))
        finally:
            cluster.close_device('pve2', vol.name)
        d.terminate_connection(vol, {'host': 'pve2'})
        d.delete_volume(vol)

    def test_bad_extra_specs_create_nothing(self):
        before = cluster.definitions()
        vtype = harness.volume_type({'linstor:redundancy': 'many'}, name='broken')
        with self.assertRaises(exception.InvalidVolumeType) as caught:
            self.driver.create_volume(harness.volume(1, volume_type=vtype))
        self.assertEqual(
            "Invalid volume type: Volume type 'broken' has a bad extra spec 'linstor:redundancy': "
            "'many' is not a replica count from 1 to 32.", str(caught.exception))
        self.assertEqual(before, cluster.definitions())

    def test_stats(self):
        stats = self.driver.get_volume_stats(refresh=True)
        self.assertEqual('LINBIT', stats['vendor_name'])
        self.assertEqual('DRBD', stats['storage_protocol'])
        self.assertEqual(150, stats['total_capacity_gb'])
        self.assertTrue(stats['thin_provisioning_support'])
        self.assertFalse(stats['thick_provisioning_support'])
        self.assertFalse(stats['online_extend_support'])


if __name__ == '__main__':
    unittest.main()
