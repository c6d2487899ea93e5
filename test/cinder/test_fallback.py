"""Without a bridge the driver still works: calls run one-shot (`linstor-hv cinder`) and the log
says so once per outage, as the Proxmox module does. A lost reply is sent again only for methods
that are safe to repeat."""

import os
import socket
import threading
import unittest

from cinder import exception

import harness
from harness import MIB
from linstor_hv_cinder import bridge

cluster = None
setUpModule, tearDownModule = harness.module_fixture(globals())


class OneShot(unittest.TestCase):
    def test_calls_run_one_shot_while_the_bridge_is_down_and_the_log_says_so_once(self):
        cluster.stop_bridge()
        self.assertFalse(os.path.exists(cluster.socket))
        try:
            d = cluster.driver(group='oneshot', host='pve1@oneshot')  # do_setup does not fail
            said = []
            d.bridge.log = said.append
            vol = harness.volume(1)
            d.create_volume(vol)
            device = d.initialize_connection(vol, {'host': 'pve2', 'ip': None})['data']['device_path']
            data = os.urandom(MIB)
            harness.write(device, data)
            snap = harness.snapshot(vol)
            d.create_snapshot(snap)
            restored = harness.volume(1)
            d.create_volume_from_snapshot(restored, snap)
            rdevice = d.initialize_connection(restored, {'host': 'pve3', 'ip': None})['data']['device_path']
            self.assertEqual(harness.digest(data), harness.sha256(rdevice))
            # Errors come back as from the bridge.
            with self.assertRaises(exception.VolumeIsBusy):
                cluster.open_device('pve3', restored.name)
                try:
                    d.delete_volume(restored)
                finally:
                    cluster.close_device('pve3', restored.name)
            self.assertEqual(1, len(said), said)
            self.assertIn('does not answer', said[0])
            self.assertIn('cinder until it is back', said[0])
        finally:
            cluster.start_bridge()
        # The bridge is back: the next call goes to it, and the log says that once too.
        for v in (vol, restored):
            d.terminate_connection(v, None)
        d.delete_snapshot(snap)
        d.delete_volume(restored)
        d.delete_volume(vol)
        self.assertEqual(2, len(said), said)
        self.assertIn('answers again', said[1])
        self.assertNotIn(vol.name, cluster.definitions())

    def test_a_refusing_socket_runs_the_call_one_shot(self):
        path = os.path.join(cluster.scratch, 'refusing.sock')
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(path)  # bound, never listening: connect() is refused
        try:
            d = cluster.driver(group='refused', host='pve1@refused', linstor_hv_socket=path)
            stats = d.get_volume_stats(refresh=True)
            self.assertEqual(150, stats['total_capacity_gb'])
        finally:
            dead.close()
            os.unlink(path)


class LostReply(unittest.TestCase):
    """A bridge that takes the first request and closes without a reply, then answers."""

    def setUp(self):
        self.path = os.path.join(cluster.scratch, 'lossy.sock')
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        self.seen = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def tearDown(self):
        self.server.close()
        os.unlink(self.path)

    def serve(self):
        import json
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            request = json.loads(harness.read_line(conn).decode('utf-8'))
            self.seen.append(request['method'])
            if len(self.seen) > 1:
                conn.sendall(json.dumps({'jsonrpc': '2.0', 'id': request['id'], 'result': {'again': True}})
                             .encode('utf-8') + b'\n')
            conn.close()

    def client(self):
        return bridge.BridgeClient(self.path, timeout_s=10, reconnect_s=10, command=cluster.command())

    def test_a_method_safe_to_repeat_is_sent_again(self):
        self.assertEqual({'again': True}, self.client().call('extend_volume', {}))
        self.assertEqual(['extend_volume', 'extend_volume'], self.seen)

    def test_a_rollback_is_not_repeated_and_the_caller_is_told(self):
        with self.assertRaises(bridge.BridgeUnavailable) as caught:
            self.client().call('revert_to_snapshot', {})
        self.assertIn('lost the reply to revert_to_snapshot', str(caught.exception))
        self.assertIn('check the volume before trying again', str(caught.exception))
        self.assertEqual(['revert_to_snapshot'], self.seen)


if __name__ == '__main__':
    unittest.main()
