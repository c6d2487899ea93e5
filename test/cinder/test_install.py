"""The two ways an operator brings the driver in: the documented divert of Debian's
`cinder/volume/drivers/linstordrv.py` (so `volume_driver` paths already in cinder.conf load ours),
and `linstor_hv_start_bridge`, which has the driver start its bridge at do_setup as the user
cinder-volume runs as."""

import json
import os
import shutil
import signal
import subprocess
import sys
import unittest

import harness

cluster = None

# A cinder-volume start in miniature: cinder.conf read by oslo.config, the backend's volume_driver
# imported by its dotted path with Cinder's importutils, do_setup, one create.
LOAD = r'''
import json, sys
import cinder.volume.drivers as drivers
drivers.__path__.insert(0, sys.argv[2])  # the file the documented `install` step put in place
from oslo_config import cfg
from oslo_utils import importutils
from cinder import context, objects
from cinder.tests.unit import fake_volume
from cinder.volume import configuration, driver, manager
objects.register_all()
cfg.CONF(['--config-file', sys.argv[1]], project='cinder', default_config_files=[])
conf = configuration.Configuration(manager.volume_backend_opts, config_group='lin')
conf.append_config_values(driver.volume_opts)
drv = importutils.import_object(conf.volume_driver, configuration=conf, host='pve1@lin')
drv.do_setup(context.get_admin_context())
vol = fake_volume.fake_volume_obj(context.get_admin_context(), id=sys.argv[3], size=1)
vol.volume_type = None
drv.create_volume(vol)
import cinder.volume.drivers.linstordrv as diverted
print(json.dumps({'class': type(drv).__module__ + '.' + type(drv).__name__,
                  'module': diverted.__file__, 'resource': vol.name,
                  'classes': sorted(n for n in ('LinstorDrbdDriver', 'LinstorIscsiDriver', 'LinstorDriver')
                                    if getattr(diverted, n).__module__ == 'linstor_hv_cinder.linstordrv'),
                  'v1Section': drv._backend_params()['v1Section']}))
'''


setUpModule, tearDownModule = harness.module_fixture(globals())


class Divert(unittest.TestCase):
    def test_the_v1_volume_driver_path_loads_linstor_hv_after_the_divert(self):
        # `install -m 644 python/divert/linstordrv.py .../cinder/volume/drivers/linstordrv.py`
        installed = os.path.join(cluster.scratch, 'drivers')
        os.makedirs(installed, exist_ok=True)
        shutil.copy(os.path.join(harness.ROOT, 'packages', 'cinder', 'python', 'divert', 'linstordrv.py'),
                    os.path.join(installed, 'linstordrv.py'))
        conf = os.path.join(cluster.scratch, 'cinder.conf')
        with open(conf, 'w') as f:
            f.write('[DEFAULT]\nenabled_backends = lin\n\n[lin]\nvolume_backend_name = lin\n'
                    'volume_driver = cinder.volume.drivers.linstordrv.LinstorDrbdDriver\n'
                    'linstor_default_uri = %s\nlinstor_default_storage_pool_name = thinpool\n'
                    'linstor_controller_diskless = False\nlinstor_hv_socket = %s\n'
                    'linstor_hv_device_root = %s\n'
                    % (cluster.url, cluster.socket, os.path.join(cluster.data_dir, 'nodes', '{node}', 'dev')))
        vid = '6c1f0d52-2f0b-4a43-9d57-5d1ab8ad0b11'
        env = dict(os.environ, PYTHONPATH=os.path.join(harness.ROOT, 'packages', 'cinder', 'python'))
        done = subprocess.run([sys.executable, '-B', '-c', LOAD, conf, installed, vid], env=env,
                              capture_output=True, text=True, timeout=120, cwd=cluster.scratch)
        self.assertEqual(0, done.returncode, done.stderr[-2000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        self.assertEqual('linstor_hv_cinder.linstordrv.LinstorDrbdDriver', result['class'])
        self.assertEqual(os.path.join(installed, 'linstordrv.py'), result['module'])
        self.assertEqual(['LinstorDrbdDriver', 'LinstorDriver', 'LinstorIscsiDriver'], result['classes'])
        # A cinder.conf with v1's options only is a v1 section: a replica on every node with the pool.
        self.assertTrue(result['v1Section'])
        diskful = sorted(r['node_name'] for r in cluster.resources('volume-' + vid)
                         if not {'DISKLESS', 'TIE_BREAKER'} & set(r.get('flags') or []))
        self.assertEqual(['pve1', 'pve2', 'pve3'], diskful)
        cluster.driver(group='lin-cleanup').delete_volume(harness.volume(1, id=vid))
        self.assertNotIn('volume-' + vid, cluster.definitions())


class StartBridge(unittest.TestCase):
    def test_do_setup_starts_the_bridge_as_the_drivers_user_when_asked(self):
        path = os.path.join(cluster.scratch, 'started', 'cinder.sock')
        d = cluster.driver(group='autostart', host='pve1@autostart', setup=False, linstor_hv_socket=path,
                           linstor_hv_start_bridge=True)
        said = []
        d.bridge.log = said.append
        d.do_setup(harness.context())
        process = d.bridge_process
        try:
            self.assertIsNotNone(process)
            self.assertIsNone(process.poll())
            with open('/proc/%d/status' % process.pid) as f:
                uid = next(line.split()[1] for line in f if line.startswith('Uid:'))
            self.assertEqual(os.getuid(), int(uid))
            with open('/proc/%d/cmdline' % process.pid, 'rb') as f:
                argv = f.read().split(b'\0')
            self.assertIn(b'--platform', argv)
            self.assertEqual(b'cinder', argv[argv.index(b'--platform') + 1])
            self.assertEqual(0o700, os.stat(os.path.dirname(path)).st_mode & 0o777)
            # Calls go to the started bridge, not one-shot.
            vol = harness.volume(1)
            d.create_volume(vol)
            d.delete_volume(vol)
            self.assertEqual([], said)
            self.assertEqual('cinder', d.bridge.hello()['platform'])
        finally:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)

    def test_without_the_option_and_without_a_command_do_setup_says_what_to_do(self):
        from cinder import exception
        path = os.path.join(cluster.scratch, 'nobody', 'cinder.sock')
        d = cluster.driver(group='nobridge', host='pve1@nobridge', setup=False, linstor_hv_socket=path,
                           linstor_hv_command=os.path.join(cluster.scratch, 'missing-linstor-hv'),
                           linstor_hv_reconnect_timeout=1)
        with self.assertRaises(exception.VolumeDriverException) as caught:
            d.do_setup(harness.context())
        self.assertIn('start linstor-hv-cinder.socket or set linstor_hv_start_bridge = True', str(caught.exception))


if __name__ == '__main__':
    unittest.main()
