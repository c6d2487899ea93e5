"""The options of Debian's v1 driver keep v1's meaning under linstor-hv (linstordrv.py 1.0.1 in
python3-cinder 21.3.1): a section written for v1 gets v1's defaults, checked by where LINSTOR put
the replicas, and stats count v1 volumes that Cinder never touched under this driver."""

import unittest
import uuid

from cinder import exception

import harness

cluster = None
setUpModule, tearDownModule = harness.module_fixture(globals())


def diskful(resource):
    return sorted(r['node_name'] for r in cluster.resources(resource)
                  if not {'DISKLESS', 'TIE_BREAKER'} & set(r.get('flags') or []))


class V1Options(unittest.TestCase):
    def test_a_v1_section_places_a_replica_on_every_pool_node_but_the_cinder_host(self):
        # v1 defaults: autoplace count 0, controller diskless; the Cinder host is pve1.
        d = cluster.driver(group='v1every', host='pve1@v1every', v1=True,
                           linstor_default_storage_pool_name='thinpool')
        params = d._backend_params()
        self.assertEqual((True, 0, True, 'thinpool'), (params['v1Section'], params['autoplaceCount'],
                                                       params['controllerDiskless'], params['defaultStoragePool']))
        vol = harness.volume(1)
        d.create_volume(vol)
        self.assertEqual(['pve2', 'pve3'], diskful(vol.name))
        d.delete_volume(vol)

    def test_controller_diskless_off_and_autoplace_count_one(self):
        d = cluster.driver(group='v1one', host='pve1@v1one', v1=True, linstor_default_storage_pool_name='thinpool',
                           linstor_controller_diskless=False, linstor_autoplace_count=1)
        vol = harness.volume(1)
        d.create_volume(vol)
        self.assertEqual(1, len(diskful(vol.name)))
        d.delete_volume(vol)
        d = cluster.driver(group='v1all', host='pve1@v1all', v1=True, linstor_default_storage_pool_name='thinpool',
                           linstor_controller_diskless=False)
        vol = harness.volume(1)
        d.create_volume(vol)
        self.assertEqual(['pve1', 'pve2', 'pve3'], diskful(vol.name))
        d.delete_volume(vol)

    def test_v1_default_pool_and_volume_group_name(self):
        d = cluster.driver(group='v1dflt', host='pve1@v1dflt', v1=True, linstor_default_volume_group_name='vg-cinder')
        before = cluster.definitions()
        with self.assertRaises(exception.VolumeBackendAPIException) as caught:
            d.create_volume(harness.volume(1))
        self.assertIn("has the storage pool 'DfltStorPool'", str(caught.exception))
        self.assertIn('linstor storage-pool create lvm <node> DfltStorPool vg-cinder', str(caught.exception))
        self.assertEqual(before, cluster.definitions())

    def test_a_v2_section_keeps_the_groups_own_placement(self):
        params = cluster.driver()._backend_params()
        self.assertEqual((False, None, False, None), (params['v1Section'], params['autoplaceCount'],
                                                      params['controllerDiskless'], params['defaultStoragePool']))
        # The unified class exists only in v2: even v1 options alone make a v2 section with it.
        from linstor_hv_cinder import linstordrv
        unified = cluster.driver(cls=linstordrv.LinstorDriver, group='v2unified', v1=True, linstor_direct=None)
        self.assertFalse(unified._backend_params()['v1Section'])

    def test_force_udev_off_gives_the_drbd_minor(self):
        d = cluster.driver(group='noudev', host='pve1@noudev', linstor_force_udev=False)
        vol = harness.volume(1)
        d.create_volume(vol)
        path = d.initialize_connection(vol, {'host': 'pve2', 'ip': None})['data']['device_path']
        reported = [r['volumes'][0]['device_path'] for r in cluster.resources(vol.name) if r['node_name'] == 'pve2']
        self.assertRegex(reported[0], r'^/dev/drbd\d+$')
        self.assertEqual(cluster.data_dir + '/nodes/pve2' + reported[0], path)
        d.terminate_connection(vol, {'host': 'pve2'})
        d.delete_volume(vol)

    def test_stats_count_v1_volumes_cinder_never_touched(self):
        d = cluster.driver()
        before = d.get_volume_stats(refresh=True)
        name = 'CV_%s' % uuid.uuid4()
        cluster.make_definition(name, 3 * 1024 * 1024 - 4096)
        after = d.get_volume_stats(refresh=True)
        self.assertEqual(before['total_volumes'] + 1, after['total_volumes'])
        self.assertAlmostEqual(before['provisioned_capacity_gb'] + 3, after['provisioned_capacity_gb'], places=1)


if __name__ == '__main__':
    unittest.main()
