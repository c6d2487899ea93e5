"""Attach and detach, live migration, iSCSI exports, image copies, manage, retype, migrate, volumes of
the v1 driver, a bridge restart in the middle of a workload, and bad RPC payloads."""

import json
import os
import socket
import subprocess
import tempfile
import threading
import unittest
import uuid

from cinder import exception

import harness
from harness import GIB, MIB
from linstor_hv_cinder import linstordrv

cluster = None
setUpModule, tearDownModule = harness.module_fixture(globals())


def placement(name):
    """{node: 'diskful'|'diskless'|'tie-breaker'} of a resource."""
    out = {}
    for r in cluster.resources(name):
        flags = r.get('flags') or []
        out[r['node_name']] = 'tie-breaker' if 'TIE_BREAKER' in flags else \
            'diskless' if ('DISKLESS' in flags or 'DRBD_DISKLESS' in flags) else 'diskful'
    return out


class Attachments(unittest.TestCase):
    def setUp(self):
        self.driver = cluster.driver()

    def test_detach_keeps_replicas_and_tie_breakers(self):
        d = self.driver
        vol = harness.volume(1)
        d.create_volume(vol)
        before = placement(vol.name)
        self.assertEqual(2, list(before.values()).count('diskful'))
        for node in ('pve1', 'pve2', 'pve3'):
            path = d.initialize_connection(vol, {'host': node})['data']['device_path']
            self.assertTrue(os.path.exists(path))
            self.assertFalse(d.terminate_connection(vol, {'host': node}))
            self.assertEqual(before, placement(vol.name), 'after detaching from %s' % node)
        d.delete_volume(vol)

    def test_force_detach_removes_every_attachment_it_made(self):
        d = self.driver
        vol = harness.volume(1)
        d.create_volume(vol)
        before = placement(vol.name)
        for node in ('pve1', 'pve2', 'pve3'):
            d.initialize_connection(vol, {'host': node})
        self.assertFalse(d.terminate_connection(vol, None))
        self.assertEqual(before, placement(vol.name))
        d.delete_volume(vol)

    def test_two_attachments_on_one_host_share_the_connection(self):
        d = self.driver
        vol = harness.volume(1, multiattach=True)
        d.create_volume(vol)
        d.initialize_connection(vol, {'host': 'pve3'})
        harness.attach_record(vol, 'pve3')
        harness.attach_record(vol, 'pve3')
        self.assertTrue(d.terminate_connection(vol, {'host': 'pve3'}))
        d.terminate_connection(vol, None)
        d.delete_volume(vol)

    def test_unknown_host_is_a_clear_error(self):
        vol = harness.volume(1)
        self.driver.create_volume(vol)
        with self.assertRaises(exception.VolumeBackendAPIException) as caught:
            self.driver.initialize_connection(vol, {'host': 'compute-9', 'ip': '198.51.100.9'})
        self.assertIn("No LINSTOR node matches host 'compute-9'", str(caught.exception))
        self.driver.delete_volume(vol)

    def test_connector_found_by_address(self):
        vol = harness.volume(1)
        self.driver.create_volume(vol)
        node = cluster.control('GET', '/v1/nodes/pve2')
        address = node['net_interfaces'][0]['address']
        path = self.driver.initialize_connection(vol, {'host': 'nova-7f3a', 'ip': address})['data']['device_path']
        self.assertEqual(cluster.device('pve2', vol.name), path)
        self.driver.terminate_connection(vol, {'host': 'nova-7f3a', 'ip': address})
        self.driver.delete_volume(vol)


class LiveMigration(unittest.TestCase):
    def test_device_open_on_both_nodes_only_during_the_overlap(self):
        d = cluster.driver()
        vol = harness.volume(1)
        d.create_volume(vol)
        # Both nodes hold replicas, so both have the device all along.
        source, target = sorted(n for n, kind in placement(vol.name).items() if kind == 'diskful')
        data = os.urandom(MIB)
        path = d.initialize_connection(vol, {'host': source})['data']['device_path']
        harness.attach_record(vol, source)
        harness.write(path, data)
        self.assertEqual(200, cluster.open_device(source, vol.name))
        # Before the migration starts, a second writer is refused.
        self.assertNotEqual(200, cluster.open_device(target, vol.name))

        # Nova: initialize_connection on the target while the source is in use.
        target_path = d.initialize_connection(vol, {'host': target})['data']['device_path']
        harness.attach_record(vol, target)
        self.assertEqual(200, cluster.open_device(target, vol.name))
        self.assertEqual(harness.digest(data), harness.sha256(target_path))
        # The source lets go, Cinder detaches it: the migration ends.
        cluster.close_device(source, vol.name)
        vol.volume_attachment.objects = [a for a in vol.volume_attachment.objects if a.attached_host != source]
        self.assertFalse(d.terminate_connection(vol, {'host': source}))
        definition = cluster.control('GET', '/v1/resource-definitions/%s' % vol.name)
        self.assertNotIn('Aux/linstor-hv/migration', definition.get('props') or {})
        # After the overlap, the old source (it keeps its replica) cannot open it while the target has it.
        self.assertNotEqual(200, cluster.open_device(source, vol.name))
        self.assertEqual(harness.digest(data), harness.sha256(target_path))
        cluster.close_device(target, vol.name)
        d.terminate_connection(vol, None)
        d.delete_volume(vol)


class Iscsi(unittest.TestCase):
    def test_export_through_the_target_helper(self):
        d = cluster.driver(cls=linstordrv.LinstorIscsiDriver, group='lin-iscsi', target_helper='fake')
        d.target_driver.db = NoDatabase()  # the helper looks for stored CHAP credentials
        self.assertEqual('iSCSI', d.get_volume_stats(refresh=True)['storage_protocol'])
        vol = harness.volume(1)
        d.create_volume(vol)
        update = d.create_export(harness.context(), vol, {'host': 'compute-1'})
        self.assertRegex(update['provider_location'], r'^\S+:3260,\S+ iqn\.2010-10\.org\.openstack:%s 0$' % vol.name)
        self.assertTrue(update['provider_auth'].startswith('CHAP '))
        self.assertIn(vol.name, [r['name'] for r in cluster.control(
            'GET', '/v1/view/resources?nodes=pve1&resources=%s' % vol.name)])
        vol.provider_location = update['provider_location']
        vol.provider_auth = update.get('provider_auth')
        info = d.initialize_connection(vol, {'host': 'compute-1', 'initiator': 'iqn.1993-08.org.debian:01:abc'})
        self.assertEqual('iscsi', info['driver_volume_type'])
        self.assertFalse(d.terminate_connection(vol, {'host': 'compute-1'}))
        d.remove_export(harness.context(), vol)
        vol.provider_location = None
        d.delete_volume(vol)

    def test_all_three_class_names(self):
        for cls, direct in ((linstordrv.LinstorDrbdDriver, True), (linstordrv.LinstorIscsiDriver, False)):
            self.assertEqual(direct, cluster.driver(cls=cls, group='lin-cls', target_helper='fake').direct)
        self.assertTrue(cluster.driver(cls=linstordrv.LinstorDriver, group='lin-cls2', linstor_direct=True).direct)


class NoDatabase(object):
    """Cinder's DB as a fresh volume looks in it: nothing stored yet."""

    def volume_get(self, context, volume_id):
        raise exception.VolumeNotFound(volume_id=volume_id)


class ImageService(object):
    """Holds image bytes the way Glance does for image_utils (download, show, update)."""

    def __init__(self):
        self.images = {}

    def show(self, context, image_id):
        return dict(self.images[image_id]['meta'])

    def download(self, context, image_id, data):
        data.write(self.images[image_id]['data'])

    def update(self, context, image_id, metadata, data=None, **kwargs):
        self.images[image_id]['data'] = data.read() if data is not None else b''
        return self.show(context, image_id)


class Images(unittest.TestCase):
    def test_qcow2_image_into_a_volume_and_back(self):
        d = cluster.driver()
        raw = os.urandom(MIB) + b'\0' * MIB
        scratch = tempfile.mkdtemp(prefix='linstor-hv-cinder-image-')
        try:
            src = os.path.join(scratch, 'src.raw')
            with open(src, 'wb') as f:
                f.write(raw)
            qcow = os.path.join(scratch, 'src.qcow2')
            subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', src, qcow], check=True)
            images = ImageService()
            with open(qcow, 'rb') as f:
                images.images['img-1'] = {'meta': {'id': 'img-1', 'disk_format': 'qcow2',
                                                   'container_format': 'bare'}, 'data': f.read()}
            vol = harness.volume(1, volume_type=harness.volume_type({'linstor:storage_pool': 'thinpool'}, name='default'))
            vol.glance_metadata = {}  # not made from an image
            d.create_volume(vol)
            d.copy_image_to_volume(harness.context(), vol, images, 'img-1')
            path = d.initialize_connection(vol, {'host': 'pve2'})['data']['device_path']
            self.assertEqual(harness.digest(raw), harness.sha256(path, len(raw)))
            d.terminate_connection(vol, {'host': 'pve2'})

            images.images['img-2'] = {'meta': {'id': 'img-2', 'disk_format': 'qcow2',
                                               'container_format': 'bare'}, 'data': b''}
            d.copy_volume_to_image(harness.context(), vol, images,
                                   {'id': 'img-2', 'disk_format': 'qcow2', 'container_format': 'bare'})
            uploaded = os.path.join(scratch, 'up.qcow2')
            with open(uploaded, 'wb') as f:
                f.write(images.images['img-2']['data'])
            back = os.path.join(scratch, 'back.raw')
            subprocess.run(['qemu-img', 'convert', '-O', 'raw', uploaded, back], check=True)
            self.assertEqual(GIB, os.path.getsize(back))
            self.assertEqual(harness.digest(raw), harness.sha256(back, len(raw)))
            # Nothing stays attached on the Cinder host.
            self.assertEqual([], [r for r in cluster.resources(vol.name)
                                  if r['node_name'] == 'pve1' and 'DISKLESS' in (r.get('flags') or [])])
            d.delete_volume(vol)
        finally:
            subprocess.run(['rm', '-rf', scratch], check=False)


class ManageRetypeMigrate(unittest.TestCase):
    def setUp(self):
        self.driver = cluster.driver()

    def test_manage_and_unmanage(self):
        d = self.driver
        cluster.make_definition('legacy-disk-7', 3 * 1024 * 1024 - 512)
        ref = {'source-name': 'legacy-disk-7'}
        vol = harness.volume(3)
        self.assertEqual(3, d.manage_existing_get_size(vol, ref))
        update = d.manage_existing(vol, ref)
        self.assertEqual({'provider_location': 'linstor-hv:legacy-disk-7'}, update)
        vol.provider_location = update['provider_location']
        path = d.initialize_connection(vol, {'host': 'pve3'})['data']['device_path']
        self.assertEqual(cluster.device('pve3', 'legacy-disk-7'), path)
        d.terminate_connection(vol, {'host': 'pve3'})
        d.unmanage(vol)
        props = cluster.control('GET', '/v1/resource-definitions/legacy-disk-7').get('props', {})
        self.assertNotIn('Aux/linstor-hv/platform', props)
        with self.assertRaises(exception.ManageExistingInvalidReference):
            d.manage_existing_get_size(vol, {'source-id': None})
        with self.assertRaises(exception.VolumeBackendAPIException) as caught:
            d.manage_existing_get_size(vol, {'source-name': 'no-such-rd'})
        self.assertIn("LINSTOR has no resource definition 'no-such-rd'", str(caught.exception))

    def test_retype_moves_the_volume_into_the_new_group(self):
        d = self.driver
        vol = harness.volume(1)
        d.create_volume(vol)
        thin = harness.volume_type({'linstor:storage_pool': 'thinpool'}, name='thin')
        ok, update = d.retype(harness.context(), vol, {'id': thin.id, 'name': 'thin',
                                                       'extra_specs': dict(thin.extra_specs)}, {}, {})
        self.assertEqual((True, None), (ok, update))
        rd = cluster.control('GET', '/v1/resource-definitions/%s' % vol.name)
        self.assertEqual('cinder-%s' % thin.id, rd['resource_group_name'])
        thick = harness.volume_type({'linstor:storage_pool': 'thickpool'}, name='thick')
        self.assertEqual((False, None), d.retype(harness.context(), vol, {
            'id': thick.id, 'name': 'thick', 'extra_specs': dict(thick.extra_specs)}, {}, {}))
        d.delete_volume(vol)

    def test_migrate_within_the_cluster(self):
        d = self.driver
        vol = harness.volume(1)
        d.create_volume(vol)
        location = d.get_volume_stats(refresh=True)['location_info']
        self.assertEqual((True, None), d.migrate_volume(harness.context(), vol,
                                                        {'host': 'other@lin2', 'capabilities': {'location_info': location}}))
        self.assertEqual((False, None), d.migrate_volume(harness.context(), vol,
                                                         {'host': 'x@y', 'capabilities': {'location_info': 'linstor://elsewhere'}}))
        d.delete_volume(vol)


class V1Volumes(unittest.TestCase):
    def test_volumes_and_snapshots_of_the_v1_driver_keep_working(self):
        d = cluster.driver()
        vid, sid = str(uuid.uuid4()), str(uuid.uuid4())
        name = 'CV_%s' % vid
        # What the v1 driver made: 1 GiB minus linstor_volume_downsize_factor (4 MiB).
        cluster.make_definition(name, 1024 * 1024 - 4096)
        vol = harness.volume(1)
        vol.id = vid
        path = d.initialize_connection(vol, {'host': 'pve1'})['data']['device_path']
        data = os.urandom(MIB)
        harness.write(path, data)
        cluster.control('POST', '/v1/resource-definitions/%s/snapshots' % name, {'name': 'SN_%s' % sid})
        snap = harness.snapshot(vol)
        snap.id = sid
        d.terminate_connection(vol, {'host': 'pve1'})
        d.extend_volume(vol, 2)
        size = cluster.control('GET', '/v1/resource-definitions/%s/volume-definitions/0' % name)['size_kib']
        self.assertEqual(2 * 1024 * 1024 - 4096, size)
        restored = harness.volume(1)
        d.create_volume_from_snapshot(restored, snap)
        rpath = d.initialize_connection(restored, {'host': 'pve2'})['data']['device_path']
        self.assertEqual(harness.digest(data), harness.sha256(rpath))
        d.terminate_connection(restored, {'host': 'pve2'})
        d.delete_snapshot(snap)
        self.assertEqual([], cluster.control('GET', '/v1/resource-definitions/%s/snapshots' % name))
        d.delete_volume(vol)
        d.delete_volume(restored)
        self.assertNotIn(name, cluster.definitions())


class Robustness(unittest.TestCase):
    def test_bridge_restart_in_the_middle_of_a_workload(self):
        d = cluster.driver()
        errors, done = [], []

        def work(n):
            try:
                for _ in range(3):
                    vol = harness.volume(1)
                    d.create_volume(vol)
                    snap = harness.snapshot(vol)
                    d.create_snapshot(snap)
                    d.delete_snapshot(snap)
                    d.delete_volume(vol)
                    done.append(vol.name)
            except Exception as error:  # reported below with the worker's number
                errors.append('worker %d: %s' % (n, error))

        workers = [threading.Thread(target=work, args=(n,)) for n in range(3)]
        for w in workers:
            w.start()
        while not done and not errors:
            threading.Event().wait(0.05)
        cluster.restart_bridge()
        for w in workers:
            w.join(120)
        self.assertEqual([], errors)
        self.assertEqual(9, len(done))
        left = [n for n in cluster.definitions() if n in done]
        self.assertEqual([], left)

    def rpc(self, line):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(30)
        conn.connect(cluster.socket)
        conn.sendall(line + b'\n')
        reply = harness.read_line(conn)
        conn.close()
        return json.loads(reply.decode('utf-8'))

    def test_bad_rpc_payloads_are_refused_and_create_nothing(self):
        before = cluster.definitions()
        backend = cluster.driver()._backend_params()
        self.assertEqual(-32700, self.rpc(b'{not json')['error']['code'])
        self.assertEqual(-32601, self.rpc(b'{"jsonrpc":"2.0","id":1,"method":"drop_tables","params":{}}')['error']['code'])
        cases = [
            ({'backend': backend, 'volume': {'id': '../../etc', 'size': 1}}, "'id' \"../../etc\" is not a Cinder id."),
            ({'backend': backend, 'volume': {'id': 'a1', 'size': -4}}, "'volume.size' must be at least 1."),
            ({'backend': backend, 'volume': {'id': 'a1', 'size': 1, 'volumeType': {'id': 't', 'extraSpecs': {'linstor:redundancy': 3}}}},
             "'volume.volumeType.extraSpecs.linstor:redundancy' must be a string."),
            ({'backend': dict(backend, uris=[]), 'volume': {'id': 'a1', 'size': 1}},
             "'backend.uris' must name at least one controller."),
            ({'volume': {'id': 'a1', 'size': 1}}, "'backend' must be an object."),
        ]
        for params, message in cases:
            reply = self.rpc(json.dumps({'jsonrpc': '2.0', 'id': 2, 'method': 'create_volume',
                                         'params': params}).encode('utf-8'))
            self.assertEqual(-32602, reply['error']['code'], reply)
            self.assertEqual(message, reply['error']['message'])
            self.assertEqual('CINDER_INVALID_PARAMS', reply['error']['data']['code'])
        self.assertEqual(before, cluster.definitions())


if __name__ == '__main__':
    unittest.main()
