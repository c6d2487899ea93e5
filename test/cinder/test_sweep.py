"""The bridge's periodic orphan sweep (`linstor-hv bridge --platform cinder --sweep-interval 1s`):
what a failed call left half-made is removed once older than the grace period, a volume Cinder knows
and a call that may still be running are kept."""

import datetime
import json
import time
import unittest

import harness

cluster = None


def setUpModule():
    global cluster
    harness.require_bridge()
    cluster = harness.Cluster(bridge_args=['--sweep-interval', '1s', '--sweep-grace', '10m']).start()


def tearDownModule():
    cluster.stop()


def leftover(name, pending, minutes_ago):
    """A definition as a Cinder call cut off `minutes_ago` left it: pending mark, attempt, start time."""
    started = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago)
    cluster.control('POST', '/v1/resource-groups', {'name': 'sweep-test', 'select_filter': {'place_count': 2}})
    cluster.control('POST', '/v1/resource-groups/sweep-test/volume-groups', {'volume_number': 0})
    status, _ = cluster.call('POST', '/v1/resource-groups/sweep-test/spawn', {
        'resource_definition_name': name, 'volume_sizes': [4096], 'definitions_only': True,
        'resource_definition_props': {
            'Aux/linstor-hv/platform': 'cinder', 'Aux/linstor-hv/name': name,
            'Aux/linstor-hv/pending': pending, 'Aux/linstor-hv/attempt': 'cut-off',
            'Aux/linstor-hv/created-at': started.isoformat().replace('+00:00', 'Z')}})
    assert status == 201, status


class OrphanSweep(unittest.TestCase):
    def test_removes_a_failed_clone_older_than_the_grace_and_keeps_what_cinder_knows(self):
        self.assertIn('"event":"orphan-sweeper","intervalMs":1000,"graceMs":600000', cluster.bridge_log())
        # The driver gives each call 5 × linstor_timeout = 25 minutes: a 20-minute-old pending clone
        # may be a call still running, so the sweep waits longer than --sweep-grace for it.
        driver = cluster.driver(linstor_timeout=300)
        known = harness.volume(1)
        driver.create_volume(known)
        leftover('volume-failed-clone', 'clone', 60)
        leftover('volume-running-clone', 'clone', 20)
        deadline = time.monotonic() + 60
        while 'volume-failed-clone' in cluster.definitions() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertNotIn('volume-failed-clone', cluster.definitions())
        self.assertIn('volume-running-clone', cluster.definitions())
        self.assertIn(known.name, cluster.definitions())
        sweeps = [json.loads(line) for line in cluster.bridge_log().splitlines()
                  if line.startswith('{') and '"event":"orphan-sweep"' in line]
        removed = [e['resource'] for s in sweeps for e in s.get('entries', []) if e['action'] == 'removed']
        self.assertEqual(['volume-failed-clone'], removed)
        # Deleting the volume Cinder knows still works, and a delete of the swept one succeeds.
        driver.delete_volume(known)
        self.assertNotIn(known.name, cluster.definitions())


if __name__ == '__main__':
    unittest.main()
