#!/usr/bin/env python3
"""Cinder driver methods through the real driver (inside Debian's python3-cinder) and a real bridge
process, against the emulator: p50/p95 and REST calls per method at 10 volumes and at 1,000
resource definitions, beside the figures of Debian's own driver (issue 12). Writes the "Cinder"
section of RESULTS.md.

    /usr/bin/python3 test/bench/cinder-methods.bench.py [--rounds 15] [--no-write]
"""

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path[:0] = [os.path.join(ROOT, 'packages', 'cinder', 'python'), os.path.join(ROOT, 'test', 'cinder')]
sys.dont_write_bytecode = True

import harness  # noqa: E402

METHODS = ['create_volume', 'create_snapshot', 'create_volume_from_snapshot', 'create_cloned_volume',
           'extend_volume', 'get_volume_stats', 'delete_snapshot', 'delete_volume']
LIMITS = {'create_volume': 6, 'create_snapshot': 3, 'create_volume_from_snapshot': 8,
          'create_cloned_volume': 12, 'extend_volume': 2, 'get_volume_stats': 2,
          'delete_snapshot': 3, 'delete_volume': 5}
# Debian's linstordrv 1.0.1 (python3-cinder 21.3.1, python-linstor 1.27), measured for issue 12.
DEBIAN = {
    'create_volume': (20, '22–47 ms', '100–224 ms'),
    'create_snapshot': (7, '27 ms', ''),
    'create_volume_from_snapshot': (16, '43 ms', ''),
    'create_cloned_volume': (33, '98 ms', ''),
    'extend_volume': (3, '3.3 ms', ''),
    'get_volume_stats': (9, '20 ms', '0.6–1.0 s'),
    'delete_snapshot': (10, '25 ms', ''),
    'delete_volume': (21, '39 ms', '1.8–3.4 s'),
}


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


def measure(cluster, driver, rounds):
    samples = {m: [] for m in METHODS}
    calls = {m: [] for m in METHODS}

    def run(method, fn):
        cluster.clear_requests()
        started = time.perf_counter()
        fn()
        samples[method].append((time.perf_counter() - started) * 1000)
        calls[method].append(len([r for r in cluster.requests() if r.split(' ', 1)[1].startswith('/v1/')]))

    driver.get_volume_stats(refresh=True)  # the group's placement, read once per minute
    for _ in range(rounds):
        vol = harness.volume(1)
        run('create_volume', lambda: driver.create_volume(vol))
        snap = harness.snapshot(vol)
        run('create_snapshot', lambda: driver.create_snapshot(snap))
        restored = harness.volume(1)
        run('create_volume_from_snapshot', lambda: driver.create_volume_from_snapshot(restored, snap))
        clone = harness.volume(1)
        run('create_cloned_volume', lambda: driver.create_cloned_volume(clone, vol))
        run('extend_volume', lambda: driver.extend_volume(vol, 2))
        vol.size = 2
        run('get_volume_stats', lambda: driver.get_volume_stats(refresh=True))
        run('delete_snapshot', lambda: driver.delete_snapshot(snap))
        for v in (restored, clone):
            driver.delete_volume(v)
        run('delete_volume', lambda: driver.delete_volume(vol))
    return samples, calls


def calls_text(values):
    distinct = sorted(set(values))
    return '/'.join(str(v) for v in distinct)


def table(results, rounds):
    lines = ['| method | REST calls (limit) | p50 / p95 at 10 volumes | p50 / p95 at 1,000 RDs | '
             'Debian: calls, p50 at 10, p50 at 1,000 |',
             '| --- | ---: | ---: | ---: | ---: |']
    for m in METHODS:
        cells = []
        for scale in ('10', '1000'):
            s, _ = results[scale]
            cells.append('%.1f / %.1f ms' % (percentile(s[m], 50), percentile(s[m], 95)))
        c10 = calls_text(results['10'][1][m])
        c1000 = calls_text(results['1000'][1][m])
        count = c10 if c10 == c1000 else '%s (at 1,000: %s)' % (c10, c1000)
        debian = DEBIAN[m]
        lines.append('| `%s` | %s (%d) | %s | %s | %d, %s, %s |' % (
            m, count, LIMITS[m], cells[0], cells[1], debian[0], debian[1], debian[2] or '–'))
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
    args = parser.parse_args()
    results = {}
    load_before = os.getloadavg()
    for scale, extra in (('10', 0), ('1000', 1000)):
        cluster = harness.Cluster().start()
        try:
            driver = cluster.driver()
            for _ in range(10):  # the 10 volumes a small backend has
                driver.create_volume(harness.volume(1))
            fill(cluster, extra)
            results[scale] = measure(cluster, driver, args.rounds)
        finally:
            cluster.stop()
    load_after = os.getloadavg()
    cpus = os.cpu_count()
    bridge_kind = '`linstor-hv bridge --platform cinder`'
    node = subprocess.run([harness.NODE, '--version'], capture_output=True, text=True).stdout.strip()
    text = (
        'Measured %s with `/usr/bin/python3 test/bench/cinder-methods.bench.py` (%d rounds per scale; the '
        'driver in python3-cinder, the bridge (%s) and the emulator as separate '
        'processes, %d CPU(s) shared with other jobs, Node %s, Python %s). Each round creates a 1 GiB '
        'volume, snapshots it, restores the snapshot into a new volume, clones the volume, extends it '
        'to 2 GiB, polls the stats, deletes the snapshot and the volumes. REST calls are the `/v1` '
        'requests in the emulator\'s log during the method (health probes included). "At 1,000 RDs": '
        'another owner\'s 1,000 resource definitions exist besides the 10 volumes. Load average '
        '(1/5/15 min) %s at the start, %s at the end.\n\n%s\n' % (
            datetime.date.today().isoformat(), args.rounds, bridge_kind, cpus, node, platform.python_version(),
            '/'.join('%.1f' % x for x in load_before), '/'.join('%.1f' % x for x in load_after),
            table(results, args.rounds)))
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == '__main__':
    main()
