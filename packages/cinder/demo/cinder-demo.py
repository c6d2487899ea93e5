#!/usr/bin/python3
"""The Cinder part of `linstor-hv demo`: the real driver inside Debian's Cinder, talking to a bridge
on SOCKET, against the emulated cluster at URL (device trees under DATA_DIR). Prints one JSON line
per step: {"step", "result", "ok", "ms", "rest"}.

    cinder-demo.py SOCKET URL DATA_DIR
"""

import hashlib
import json
import os
import sys
import time
import urllib.request
import uuid

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'python'))

from oslo_config import cfg  # noqa: E402

from cinder import context as cinder_context  # noqa: E402
from cinder import objects  # noqa: E402
from cinder.tests.unit import fake_snapshot  # noqa: E402
from cinder.tests.unit import fake_volume  # noqa: E402
from cinder.volume import configuration  # noqa: E402
from cinder.volume import driver as volume_driver  # noqa: E402

from linstor_hv_cinder import linstordrv  # noqa: E402

SOCKET, URL, DATA_DIR = sys.argv[1:4]
MIB = 1024 * 1024


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(URL + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=30) as reply:
        text = reply.read().decode()
    return json.loads(text) if text else None


def step(name, fn):
    control('DELETE', '/emulator/requests')
    started = time.perf_counter()
    try:
        result, ok = fn(), True
    except Exception as error:  # the demo reports every failure as a step
        result, ok = '%s: %s' % (error.__class__.__name__, error), False
    ms = int((time.perf_counter() - started) * 1000)
    rest = len([r for r in control('GET', '/emulator/requests') if r['path'].startswith('/v1/')])
    print(json.dumps({'step': name, 'result': str(result), 'ok': ok, 'ms': ms, 'rest': rest}), flush=True)
    if not ok:
        sys.exit(1)


def sha(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read(MIB)).hexdigest()


def main():
    objects.register_all()
    cfg.CONF([], project='cinder', default_config_files=[])
    conf = configuration.Configuration(linstordrv.linstor_opts, config_group='linstor')
    conf.append_config_values(volume_driver.volume_opts)
    for key, value in {'linstor_uris': [URL], 'linstor_default_resource_group_name': 'linstor-hv',
                       'linstor_hv_socket': SOCKET, 'volume_backend_name': 'linstor',
                       'linstor_hv_device_root': os.path.join(DATA_DIR, 'nodes', '{node}', 'dev')}.items():
        cfg.CONF.set_override(key, value, group='linstor')
    ctx = cinder_context.get_admin_context()
    d = linstordrv.LinstorDrbdDriver(configuration=conf, host='pve1@linstor')

    def volume(size=1):
        vol = fake_volume.fake_volume_obj(ctx, id=str(uuid.uuid4()), size=size)
        vol.volume_attachment = objects.VolumeAttachmentList(objects=[])
        vol.volume_type = None
        return vol

    vol, restored, clone = volume(), volume(), volume()
    snap = fake_snapshot.fake_snapshot_obj(ctx, id=str(uuid.uuid4()), volume=vol, volume_id=vol.id, volume_size=1)
    snap.volume = vol
    data = os.urandom(MIB)
    state = {}

    def attach_and_write():
        path = d.initialize_connection(vol, {'host': 'pve1'})['data']['device_path']
        with open(path, 'r+b') as f:
            f.write(data)
        control('POST', '/emulator/devices/pve1/%s/open' % vol.name, {'mode': 'rw'})
        state['path'] = path
        return 'local device %s' % path

    def migrate():
        d.initialize_connection(vol, {'host': 'pve3'})
        control('POST', '/emulator/devices/pve3/%s/open' % vol.name, {'mode': 'rw'})
        control('POST', '/emulator/devices/pve1/%s/close' % vol.name)
        d.terminate_connection(vol, {'host': 'pve1'})
        control('POST', '/emulator/devices/pve3/%s/close' % vol.name)
        d.terminate_connection(vol, {'host': 'pve3'})
        return 'pve1 -> pve3, dual-primary for that pair only during the overlap'

    def checksum_of(v, node):
        path = d.initialize_connection(v, {'host': node})['data']['device_path']
        digest = sha(path)
        d.terminate_connection(v, {'host': node})
        if digest != hashlib.sha256(data).hexdigest():
            raise RuntimeError('data differs on %s' % node)
        return 'same data on %s' % node

    def delete_all():
        d.delete_snapshot(snap)
        for v in (restored, clone, vol):
            d.delete_volume(v)
        left = [rd['name'] for rd in control('GET', '/v1/resource-definitions')
                if rd['name'] in (vol.name, restored.name, clone.name)]
        if left:
            raise RuntimeError('left behind: %s' % ', '.join(left))
        return 'volumes and snapshot gone'

    step('cinder: do_setup (bridge hello)', lambda: d.do_setup(ctx) or 'bridge on %s' % SOCKET)
    step('cinder: create_volume 1 GiB', lambda: d.create_volume(vol) or vol.name)
    step('cinder: attach on pve1, write 1 MiB', attach_and_write)
    step('cinder: create_snapshot', lambda: d.create_snapshot(snap) or 'snapshot-%s' % snap.id)
    step('cinder: live migration pve1 -> pve3', migrate)
    step('cinder: create_volume_from_snapshot', lambda: d.create_volume_from_snapshot(restored, snap)
         or checksum_of(restored, 'pve2'))
    step('cinder: create_cloned_volume', lambda: d.create_cloned_volume(clone, vol) or checksum_of(clone, 'pve2'))
    step('cinder: extend_volume to 2 GiB', lambda: d.extend_volume(vol, 2) or checksum_of(vol, 'pve1'))
    step('cinder: get_volume_stats', lambda: '%(total_capacity_gb)s GiB total, %(free_capacity_gb)s GiB free'
         % d.get_volume_stats(refresh=True))
    step('cinder: delete everything', delete_all)


if __name__ == '__main__':
    main()
