"""The cluster the Cinder suite runs against: the LINSTOR emulator and a real bridge process
(`linstor-hv bridge --platform cinder`), both children of this process, and the driver built by
Cinder's own configuration machinery, fed with Cinder's own fake volume and snapshot objects."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
import uuid

from oslo_config import cfg

from cinder import context as cinder_context
from cinder import objects
from cinder.tests.unit import fake_snapshot
from cinder.tests.unit import fake_volume
from cinder.volume import configuration
from cinder.volume import driver as volume_driver

from linstor_hv_cinder import linstordrv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
NODE = shutil.which('node') or 'node'
EMULATOR = os.path.join(ROOT, 'packages', 'emulator', 'dist', 'emulator.mjs')
LINSTOR_HV = os.path.join(ROOT, 'apps', 'linstor-hv', 'dist', 'linstor-hv.mjs')
MIB = 1024 * 1024
GIB = 1024 * MIB

objects.register_all()
_conf_ready = False


def _conf():
    global _conf_ready
    if not _conf_ready:
        cfg.CONF([], project='cinder', default_config_files=[])
        _conf_ready = True


_bridge_argv = None


def require_bridge():
    """How to start a cinder bridge: the built `linstor-hv bridge --platform cinder` (run
    `pnpm build` first); LINSTOR_HV_CINDER_BRIDGE overrides it."""
    global _bridge_argv
    if _bridge_argv is not None:
        return _bridge_argv
    command = os.environ.get('LINSTOR_HV_CINDER_BRIDGE')
    if command:
        _bridge_argv = command.split()
        return _bridge_argv
    if not os.path.exists(LINSTOR_HV):
        raise RuntimeError('%s is missing: run `pnpm build` before the Cinder suite' % LINSTOR_HV)
    _bridge_argv = [NODE, LINSTOR_HV, 'bridge', '--platform', 'cinder', '--socket']
    return _bridge_argv


class Cluster(object):
    """Emulator + bridge; `restart_bridge()` kills the bridge and starts a new one on the same socket."""

    def __init__(self, bridge_args=()):
        self.bridge_args = list(bridge_args)
        self.scratch = tempfile.mkdtemp(prefix='linstor-hv-cinder-test-')
        self.socket = os.path.join(self.scratch, 'run', 'cinder.sock')
        self.emulator = None
        self.bridge = None
        self.url = None
        self.data_dir = None

    def start(self):
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        self.emulator = subprocess.Popen(
            [NODE, EMULATOR, 'serve', '--cluster', 'three-node', '--listen', 'http://127.0.0.1:0',
             '--data-dir', os.path.join(self.scratch, 'emulator')],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
        line = json.loads(self.emulator.stdout.readline().decode('utf-8'))
        self.url = line['urls'][0]
        self.data_dir = line['dataDir']
        self.start_bridge()
        return self

    def command(self):
        """An executable standing for /usr/bin/linstor-hv: the built bundle run by Node."""
        path = os.path.join(self.scratch, 'linstor-hv')
        if not os.path.exists(path):
            with open(path, 'w') as f:
                f.write('#!/bin/sh\nexec %s %s "$@"\n' % (NODE, LINSTOR_HV))
            os.chmod(path, 0o755)
        return path

    def start_bridge(self):
        os.makedirs(os.path.dirname(self.socket), mode=0o700, exist_ok=True)
        log = open(os.path.join(self.scratch, 'bridge.log'), 'ab')
        argv = require_bridge() + [self.socket] + self.bridge_args
        self.bridge = subprocess.Popen(argv, stdout=log, stderr=log, cwd=ROOT)
        log.close()
        deadline = time.monotonic() + 30
        while not os.path.exists(self.socket):
            if self.bridge.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('the bridge did not start; see %s' % os.path.join(self.scratch, 'bridge.log'))
            time.sleep(0.05)

    def stop_bridge(self, sig=signal.SIGKILL):
        if self.bridge and self.bridge.poll() is None:
            self.bridge.send_signal(sig)
            self.bridge.wait(30)
        if sig == signal.SIGKILL and os.path.exists(self.socket):
            os.unlink(self.socket)  # a killed bridge leaves its socket file behind

    def bridge_log(self):
        with open(os.path.join(self.scratch, 'bridge.log'), 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def restart_bridge(self):
        self.stop_bridge()
        self.start_bridge()

    def stop(self):
        self.stop_bridge(signal.SIGTERM)
        if self.emulator and self.emulator.poll() is None:
            self.emulator.terminate()
            self.emulator.wait(30)
        shutil.rmtree(self.scratch, ignore_errors=True)

    # ---------------------------------------------------------------- the emulator as test tool

    def call(self, method, path, body=None):
        """(HTTP status, parsed body) of one request to the emulator."""
        data = None if body is None else json.dumps(body).encode('utf-8')
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, text = reply.status, reply.read().decode('utf-8')
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode('utf-8')
        return status, (json.loads(text) if text else None)

    def control(self, method, path, body=None):
        return self.call(method, path, body)[1]

    def requests(self):
        return ['%s %s' % (r['method'], r['template']) for r in self.control('GET', '/emulator/requests')]

    def clear_requests(self):
        self.control('DELETE', '/emulator/requests')

    def device(self, node, resource):
        return os.path.join(self.data_dir, 'nodes', node, 'dev', 'drbd', 'by-res', resource, '0')

    def open_device(self, node, resource):
        """Opens the device read-write on a node as QEMU would; returns the HTTP status."""
        return self.call('POST', '/emulator/devices/%s/%s/open' % (node, resource), {'mode': 'rw'})[0]

    def close_device(self, node, resource):
        return self.call('POST', '/emulator/devices/%s/%s/close' % (node, resource))[0]

    def make_definition(self, name, kib):
        """A volume made without linstor-hv (as the v1 driver or an operator made it), 2 replicas."""
        self.control('POST', '/v1/resource-definitions', {'resource_definition': {'name': name}})
        self.control('POST', '/v1/resource-definitions/%s/volume-definitions' % name,
                     {'volume_definition': {'size_kib': kib}})
        self.control('POST', '/v1/resource-definitions/%s/autoplace' % name,
                     {'select_filter': {'place_count': 2, 'storage_pool': 'thinpool'}})

    def definitions(self):
        return sorted(rd['name'] for rd in self.control('GET', '/v1/resource-definitions') or [])

    def resources(self, resource):
        return self.control('GET', '/v1/view/resources?resources=%s' % resource) or []

    # ---------------------------------------------------------------- the driver

    def driver(self, cls=linstordrv.LinstorDrbdDriver, group='lin1', host='pve1@lin1', v1=False, setup=True,
               **options):
        """A driver built as cinder-volume builds it: a Configuration for the backend section.
        `v1`: the section is written for Debian's v1 driver (`linstor_default_uri`, v1 options only)."""
        _conf()
        conf = configuration.Configuration(linstordrv.linstor_opts, config_group=group)
        conf.append_config_values(volume_driver.volume_opts)
        conf.append_config_values(volume_driver.iser_opts)
        settings = {'linstor_default_uri': self.url} if v1 else {
            'linstor_uris': [self.url],
            'linstor_default_resource_group_name': 'linstor-hv',
        }
        settings.update({
            'linstor_hv_socket': self.socket,
            'linstor_hv_command': self.command(),
            'linstor_hv_device_root': os.path.join(self.data_dir, 'nodes', '{node}', 'dev'),
            'volume_backend_name': group,
        })
        settings.update(options)
        for key, value in settings.items():
            cfg.CONF.set_override(key, value, group=group)
        drv = cls(configuration=conf, host=host)
        if setup:
            drv.do_setup(cinder_context.get_admin_context())
        return drv


def module_fixture(namespace):
    """setUpModule/tearDownModule for a test module: one Cluster, kept in the module's `cluster`."""

    def set_up():
        require_bridge()
        namespace['cluster'] = Cluster().start()

    def tear_down():
        namespace['cluster'].stop()

    return set_up, tear_down


def read_line(conn):
    """One newline-terminated message from a socket (what came before the peer closed, if no newline)."""
    data = b''
    while not data.endswith(b'\n'):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def context():
    return cinder_context.get_admin_context()


def volume(size=1, volume_type=None, **updates):
    """A real Cinder Volume object (Cinder's own test factory)."""
    vid = updates.pop('id', None) or str(uuid.uuid4())
    vol = fake_volume.fake_volume_obj(context(), id=vid, size=size, **updates)
    vol.volume_attachment = objects.VolumeAttachmentList(objects=[])
    vol.volume_type = volume_type
    return vol


def volume_type(extra_specs, name='gold'):
    return objects.VolumeType(context(), id=str(uuid.uuid4()), name=name, extra_specs=extra_specs)


def snapshot(vol):
    snap = fake_snapshot.fake_snapshot_obj(context(), id=str(uuid.uuid4()), volume=vol,
                                           volume_id=vol.id, volume_size=vol.size)
    snap.volume = vol
    return snap


def attach_record(vol, host):
    """Adds an attachment on `host` to a volume, as Cinder's attachment_update records it."""
    attachment = objects.VolumeAttachment(context(), id=str(uuid.uuid4()), volume_id=vol.id,
                                          attached_host=host, attach_status='attached')
    vol.volume_attachment = objects.VolumeAttachmentList(
        objects=list(vol.volume_attachment.objects) + [attachment])
    return attachment


def write(path, data, offset=0):
    with open(path, 'r+b') as f:
        f.seek(offset)
        f.write(data)


def sha256(path, size=MIB):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read(size)).hexdigest()


def digest(data):
    return hashlib.sha256(data).hexdigest()
