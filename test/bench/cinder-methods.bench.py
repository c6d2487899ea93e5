#!/usr/bin/env python3
"""Cinder driver methods through the real driver (inside Debian's python3-cinder) and a real bridge
process, against the emulator: p50/p95 and REST calls per method at 10 volumes and at 1,000
resource definitions. Writes the "Cinder" section of RESULTS.md.

When LINSTOR_PY_CLIENTS names the LINSTOR client checkouts (test/linstor-clients/README.md),
Debian's own driver (cinder.volume.drivers.linstordrv 1.0.1 from python3-cinder, with that
python-linstor on its path, never copied into this tree) runs the same methods against the same
emulator in a process of its own, and both are printed side by side. Without them, the table shows
the figures issue 12 measured elsewhere, and says so.

    /usr/bin/python3 test/bench/cinder-methods.bench.py [--rounds 15] [--no-write]
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.dont_write_bytecode = True

METHODS = ['create_volume', 'create_snapshot', 'create_volume_from_snapshot', 'create_cloned_volume',
           'extend_volume', 'get_volume_stats', 'delete_snapshot', 'delete_volume']
LIMITS = {'create_volume': 6, 'create_snapshot': 3, 'create_volume_from_snapshot': 8,
          'create_cloned_volume': 12, 'extend_volume': 2, 'get_volume_stats': 2,
          'delete_snapshot': 3, 'delete_volume': 5}
# Debian's linstordrv 1.0.1 (python3-cinder 21.3.1, python-linstor 1.27), measured elsewhere for issue 12.
DEBIAN_ISSUE = {
    'create_volume': (20, '22–47 ms', '100–224 ms'),
    'create_snapshot': (7, '27 ms', ''),
    'create_volume_from_snapshot': (16, '43 ms', ''),
    'create_cloned_volume': (33, '98 ms', ''),
    'extend_volume': (3, '3.3 ms', ''),
    'get_volume_stats': (9, '20 ms', '0.6–1.0 s'),
    'delete_snapshot': (10, '25 ms', ''),
    'delete_volume': (21, '39 ms', '1.8–3.4 s'),
}


def emulator_log(url):
    """The emulator's `/v1` requests since the last clear: (method template, server ms)."""
    with urllib.request.urlopen(url + '/emulator/requests', timeout=30) as reply:
        entries = json.loads(reply.read().decode('utf-8'))
    return [('%s %s' % (e['method'], e['template']), e.get('durationMs', 0.0))
            for e in entries if e['path'].startswith('/v1/')]


def clear_log(url):
    urllib.request.urlopen(urllib.request.Request(url + '/emulator/requests', method='DELETE'), timeout=30).read()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-p * len(ordered) // 100) - 1))]


def fill(cluster, count):
    """`count` resource definitions of another owner (spawned definitions-only, as the core bench does)."""
    cluster.control('POST', '/v1/resource-groups', {'name': 'bench-other', 'select_filter': {'place_count': 2}})
    cluster.control('POST', '/v1/resource-groups/bench-other/volume-groups', {'volume_number': 0})
    for i in range(count):
        cluster.control('POST', '/v1/resource-groups/bench-other/spawn', {
            'resource_definition_name': 'other-%05d' % i, 'volume_sizes': [4096], 'definitions_only': True})


def measure(url, driver, rounds, volume, snapshot):
    """Runs each method `rounds` times: per method the wall times, the REST calls, and the time the
    emulator spent serving them (ms)."""
    samples = {m: [] for m in METHODS}
    calls = {m: [] for m in METHODS}
    served = {m: [] for m in METHODS}

    def run(method, fn):
        clear_log(url)
        started = time.perf_counter()
        fn()
        samples[method].append((time.perf_counter() - started) * 1000)
        log = emulator_log(url)
        calls[method].append(len(log))
        served[method].append(sum(ms for _, ms in log))

    driver.get_volume_stats(refresh=True)  # warm: our group's placement, read once per minute
    for _ in range(rounds):
        vol = volume(1)
        run('create_volume', lambda: driver.create_volume(vol))
        snap = snapshot(vol)
        run('create_snapshot', lambda: driver.create_snapshot(snap))
        restored = volume(1)
        run('create_volume_from_snapshot', lambda: driver.create_volume_from_snapshot(restored, snap))
        clone = volume(1)
        run('create_cloned_volume', lambda: driver.create_cloned_volume(clone, vol))
        run('extend_volume', lambda: driver.extend_volume(vol, 2))
        vol.size = 2
        run('get_volume_stats', lambda: driver.get_volume_stats(refresh=True))
        run('delete_snapshot', lambda: driver.delete_snapshot(snap))
        for v in (restored, clone):
            driver.delete_volume(v)
        run('delete_volume', lambda: driver.delete_volume(vol))
    return {'samples': samples, 'calls': calls, 'served': served}


def debian_available():
    """Why Debian's driver cannot run here (None: it can): python-linstor comes from LINSTOR_PY_CLIENTS."""
    base = os.environ.get('LINSTOR_PY_CLIENTS')
    if not base:
        return 'LINSTOR_PY_CLIENTS is not set'
    if not os.path.isfile(os.path.join(base, 'linstor-api-py', 'linstor', 'sharedconsts.py')):
        return 'no linstor-api-py/linstor/sharedconsts.py under %s' % base
    return None


def debian_worker(url, rounds):
    """In a process of its own (Debian's module registers the same option names as ours): Debian's
    LinstorDrbdDriver set up as a new user would for this cluster (the thin pool, 2 replicas by
    autoplace, the Cinder host no LINSTOR node), measured like ours; prints the figures as JSON."""
    sys.path.insert(0, os.path.join(os.environ['LINSTOR_PY_CLIENTS'], 'linstor-api-py'))
    from oslo_config import cfg
    from cinder import context as cinder_context
    from cinder import objects
    from cinder.tests.unit import fake_snapshot
    from cinder.tests.unit import fake_volume
    from cinder.volume import configuration
    from cinder.volume import driver as volume_driver
    from cinder.volume.drivers import linstordrv as debian
    assert debian.linstor is not None, 'python-linstor did not import'
    objects.register_all()
    cfg.CONF([], project='cinder', default_config_files=[])
    group = 'debian'
    conf = configuration.Configuration(debian.linstor_opts, config_group=group)
    conf.append_config_values(volume_driver.volume_opts)
    host = url.split('://', 1)[1]
    for key, value in {'linstor_default_uri': 'linstor://' + host,
                       'linstor_default_storage_pool_name': 'thinpool',
                       'linstor_autoplace_count': 2, 'linstor_controller_diskless': False,
                       'volume_backend_name': group}.items():
        cfg.CONF.set_override(key, value, group=group)
    drv = debian.LinstorDrbdDriver(configuration=conf, host='cinder@' + group)
    ctx = cinder_context.get_admin_context()
    drv.do_setup(ctx)
    drv.check_for_setup_error()

    def volume(size):
        return fake_volume.fake_volume_obj(ctx, id=str(uuid.uuid4()), size=size, migration_status=None)

    def snapshot(vol):
        snap = fake_snapshot.fake_snapshot_obj(ctx, id=str(uuid.uuid4()), volume=vol, volume_id=vol.id,
                                               volume_size=vol.size)
        snap.volume = vol
        return snap

    print(json.dumps(measure(url, drv, rounds, volume, snapshot)))


def measure_debian(url, rounds):
    done = subprocess.run([sys.executable, '-B', os.path.abspath(__file__), '--debian-worker', url,
                           '--rounds', str(rounds)], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError("Debian's driver failed:\n" + done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def calls_text(values):
    distinct = sorted(set(values))
    return '/'.join(str(v) for v in distinct)


def p50(figures, method):
    return percentile(figures['samples'][method], 50)


def table(results, debian_here):
    """One row per method: REST calls, p50 (ours beside Debian's, and their ratio) at both scales,
    our p95, and how much of our p50 the emulator spent serving the requests."""
    lines = ['| method | REST calls: ours (limit) / Debian | p50 at 10 volumes: ours / Debian (ratio) | '
             'p50 at 1,000 RDs: ours / Debian (ratio) | our p95 at 10 / 1,000 | '
             'emulator time in our p50 at 10 / 1,000 |',
             '| --- | ---: | ---: | ---: | ---: | ---: |']
    for m in METHODS:
        ours = {scale: results[scale]['ours'] for scale in ('10', '1000')}
        c10, c1000 = calls_text(ours['10']['calls'][m]), calls_text(ours['1000']['calls'][m])
        count = c10 if c10 == c1000 else '%s (at 1,000: %s)' % (c10, c1000)
        if debian_here:
            theirs = {scale: results[scale]['debian'] for scale in ('10', '1000')}
            d10, d1000 = calls_text(theirs['10']['calls'][m]), calls_text(theirs['1000']['calls'][m])
            debian_calls = d10 if d10 == d1000 else '%s (at 1,000: %s)' % (d10, d1000)
            cells = ['%.1f / %.1f ms (%.2f)' % (p50(ours[s], m), p50(theirs[s], m),
                                               p50(ours[s], m) / max(p50(theirs[s], m), 1e-9))
                     for s in ('10', '1000')]
        else:
            issue = DEBIAN_ISSUE[m]
            debian_calls = '%d (issue)' % issue[0]
            cells = ['%.1f / %s (issue)' % (p50(ours['10'], m), issue[1]),
                     '%.1f / %s (issue)' % (p50(ours['1000'], m), issue[2] or '–')]
        p95 = ' / '.join('%.1f' % percentile(ours[s]['samples'][m], 95) for s in ('10', '1000'))
        served = ' / '.join('%.1f' % percentile(ours[s]['served'][m], 50) for s in ('10', '1000'))
        lines.append('| `%s` | %s (%d) / %s | %s | %s | %s ms | %s ms |' % (
            m, count, LIMITS[m], debian_calls, cells[0], cells[1], p95, served))
    return '\n'.join(lines)


def write_section(text):
    path = os.path.join(HERE, 'RESULTS.md')
    with open(path) as f:
        content = f.read()
    section = '## Cinder\n\n' + text + '\n'
    pattern = re.compile(r'## Cinder\n.*?(?=\n## |\Z)', re.S)
    content = pattern.sub(lambda _: section.rstrip('\n') + '\n', content) if pattern.search(content) \
        else content.rstrip('\n') + '\n\n' + section
    with open(path, 'w') as f:
        f.write(content if content.endswith('\n') else content + '\n')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--rounds', type=int, default=15)
    parser.add_argument('--no-write', action='store_true')
    parser.add_argument('--debian-worker', metavar='URL', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.debian_worker:
        debian_worker(args.debian_worker, args.rounds)
        return
    sys.path[:0] = [os.path.join(ROOT, 'packages', 'cinder', 'python'), os.path.join(ROOT, 'test', 'cinder')]
    import harness
    why_not = debian_available()
    results = {}
    load_before = os.getloadavg()
    for scale, extra in (('10', 0), ('1000', 1000)):
        cluster = harness.Cluster().start()
        try:
            driver = cluster.driver()
            for _ in range(10):  # the 10 volumes a small backend has
                driver.create_volume(harness.volume(1))
            fill(cluster, extra)
            results[scale] = {'ours': measure(cluster.url, driver, args.rounds, harness.volume, harness.snapshot)}
            if why_not is None:
                results[scale]['debian'] = measure_debian(cluster.url, args.rounds)
        finally:
            cluster.stop()
    load_after = os.getloadavg()
    node = subprocess.run([harness.NODE, '--version'], capture_output=True, text=True).stdout.strip()
    if why_not is None:
        debian = ("Debian's driver (`cinder.volume.drivers.linstordrv` 1.0.1 of python3-cinder, "
                  "`LinstorDrbdDriver` with python-linstor from LINSTOR_PY_CLIENTS, set up as a new user "
                  "would: `linstor_default_storage_pool_name = thinpool`, `linstor_autoplace_count = 2`, "
                  "`linstor_controller_diskless = False`) ran the same rounds against the same emulator "
                  "right after ours, in a process of its own; ratio = ours / Debian's.")
    else:
        debian = ("Debian's figures are issue 12's, measured elsewhere (%s here, so its driver did not "
                  "run: see test/linstor-clients/README.md)." % why_not)
    text = (
        'Measured %s with `/usr/bin/python3 test/bench/cinder-methods.bench.py` (%d rounds per scale; the '
        'driver in python3-cinder, the bridge (`linstor-hv bridge --platform cinder`) and the emulator '
        'as separate processes, %d CPU(s) shared with other jobs, Node %s, Python %s). Each round '
        'creates a 1 GiB volume, snapshots it, restores the snapshot into a new volume, clones the '
        'volume, extends it to 2 GiB, polls the stats, deletes the snapshot and the volumes. REST calls '
        'are the `/v1` requests in the emulator\'s log during the method (health probes included); '
        '"emulator time" is the sum of their durations as the emulator logged them. "At 1,000 RDs": '
        'another owner\'s 1,000 resource definitions exist besides the 10 volumes. %s Load average '
        '(1/5/15 min) %s at the start, %s at the end.\n\n%s\n' % (
            datetime.date.today().isoformat(), args.rounds, os.cpu_count(), node, platform.python_version(),
            debian, '/'.join('%.1f' % x for x in load_before), '/'.join('%.1f' % x for x in load_after),
            table(results, why_not is None)))
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == '__main__':
    main()
