"""python-linstor (LINBIT/linstor-api-py), unmodified, against the emulator: every object kind
listed, created, modified and deleted through `linstor.Linstor`, and the answers checked against
what the real controller sends (the REST v1 spec and shared/reference/linstor-api.md)."""
import base64
import unittest

import clients


@clients.needs_clients
class PythonLinstorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import linstor  # noqa: F401  (found through LINSTOR_PY_CLIENTS)

        cls.linstor = linstor
        cls.lin = linstor.Linstor(clients.url().replace("http://", "linstor://"), timeout=60)
        cls.lin.connect()

    @classmethod
    def tearDownClass(cls):
        cls.lin.disconnect()

    def ok(self, replies):
        """Every reply entry is free of errors (python-linstor returns, not raises, API errors)."""
        self.assertTrue(self.linstor.Linstor.all_api_responses_no_error(replies), [str(r) for r in replies])
        return replies

    def error_code(self, replies):
        """The code number (ret_code & 0x7FFF) of the first error entry."""
        for reply in replies:
            if reply.is_error():
                return reply.ret_code & 0x7FFF
        self.fail("no error in {}".format([str(r) for r in replies]))

    def test_controller_version_and_properties(self):
        version = self.lin.controller_version()
        self.assertEqual(version.rest_api_version, "1.28.0")
        self.ok(self.lin.controller_set_prop("Aux/clients-suite", "yes"))
        self.assertEqual(self.lin.controller_props()[0].properties.get("Aux/clients-suite"), "yes")
        self.ok(self.lin.controller_del_prop("Aux/clients-suite"))
        self.assertNotIn("Aux/clients-suite", self.lin.controller_props()[0].properties)

    def test_nodes_and_net_interfaces(self):
        self.ok(self.lin.node_create("pyc-node", "Satellite", "10.0.9.1"))
        names = [n.name for n in self.lin.node_list_raise().nodes]
        self.assertIn("pyc-node", names)
        self.ok(self.lin.node_modify("pyc-node", property_dict={"Aux/rack": "r9"}))
        node = self.lin.node_list_raise(filter_by_nodes=["pyc-node"]).nodes[0]
        self.assertEqual(node.props.get("Aux/rack"), "r9")
        self.ok(self.lin.netinterface_create("pyc-node", "data", "10.1.9.1"))
        self.ok(self.lin.netinterface_modify("pyc-node", "data", ip="10.1.9.2"))
        by_name = {n.data_v1["name"]: n.data_v1 for n in self.lin.net_interface_list("pyc-node")}
        self.assertEqual(by_name["data"]["address"], "10.1.9.2")
        self.assertEqual(by_name["default"]["address"], "10.0.9.1")
        self.assertTrue(by_name["default"]["is_active"])
        self.ok(self.lin.netinterface_delete("pyc-node", "data"))
        self.assertEqual(self.error_code(self.lin.node_create("pyc-node", "Satellite", "10.0.9.1")), 500)
        self.ok(self.lin.node_delete("pyc-node"))
        self.assertNotIn("pyc-node", [n.name for n in self.lin.node_list_raise().nodes])

    def test_storage_pools_and_definitions(self):
        self.ok(self.lin.storage_pool_create("pve1", "pycpool", "FILE_THIN", "/var/lib/pycpool"))
        pools = self.lin.storage_pool_list_raise(filter_by_nodes=["pve1"], filter_by_stor_pools=["pycpool"])
        self.assertEqual(pools.storage_pools[0].provider_kind, "FILE_THIN")
        self.ok(self.lin.storage_pool_modify("pve1", "pycpool", {"Aux/tier": "fast"}))
        spd_names = [d.name for d in self.lin.storage_pool_dfn_list()[0].storage_pool_definitions]
        self.assertIn("pycpool", spd_names)
        self.ok(self.lin.storage_pool_delete("pve1", "pycpool"))
        self.ok(self.lin.storage_pool_dfn_create("pycdfn"))
        self.ok(self.lin.storage_pool_dfn_modify("pycdfn", {"Aux/x": "y"}))
        self.ok(self.lin.storage_pool_dfn_delete("pycdfn"))

    def test_resource_groups_spawn_and_query_max_volume_size(self):
        self.ok(self.lin.resource_group_create("pyc-rg", place_count=2, storage_pool="thinpool"))
        self.ok(self.lin.volume_group_create("pyc-rg"))
        self.ok(self.lin.resource_group_modify("pyc-rg", description="clients suite"))
        groups = {g.name: g for g in self.lin.resource_group_list_raise().resource_groups}
        self.assertEqual(groups["pyc-rg"].description, "clients suite")
        self.assertEqual(groups["pyc-rg"].select_filter.place_count, 2)
        candidates = self.lin.resource_group_qmvs("pyc-rg")[0].data_v1["candidates"]
        self.assertEqual(candidates[0]["storage_pool"], "thinpool")
        self.assertEqual(len(candidates[0]["node_names"]), 2)
        self.assertTrue(candidates[0]["all_thin"])
        self.ok(self.lin.resource_group_spawn("pyc-rg", "pyc-spawned", ["20M"]))
        rscs = self.lin.resource_list_raise(filter_by_resources=["pyc-spawned"]).resources
        diskful = [r for r in rscs if "DISKLESS" not in r.flags]
        self.assertEqual(len(diskful), 2)
        self.ok(self.lin.resource_dfn_delete("pyc-spawned"))
        self.ok(self.lin.resource_group_delete("pyc-rg"))

    def test_definitions_resources_and_volumes(self):
        self.ok(self.lin.resource_dfn_create("pyc-rd", resource_group="linstor-hv"))
        self.ok(self.lin.volume_dfn_create("pyc-rd", 10 * 1024))
        self.ok(self.lin.resource_create([self.linstor.ResourceData("pve1", "pyc-rd", storage_pool="thinpool")]))
        self.ok(self.lin.resource_create([self.linstor.ResourceData("pve2", "pyc-rd", diskless=True)]))
        self.ok(self.lin.resource_modify("pve1", "pyc-rd", {"Aux/owner": "clients"}))
        self.ok(self.lin.volume_dfn_modify("pyc-rd", 0, size=20 * 1024))
        vlms = self.lin.volume_list_raise(filter_by_resources=["pyc-rd"]).resources
        sizes = {r.node_name: r.volumes[0].usable_size for r in vlms}
        self.assertGreaterEqual(sizes["pve1"], 20 * 1024)
        self.ok(self.lin.resource_delete("pve2", "pyc-rd"))
        self.ok(self.lin.resource_dfn_delete("pyc-rd"))
        self.assertEqual(self.lin.resource_dfn_list_raise(filter_by_resource_definitions=["pyc-rd"]).resource_definitions, [])

    def test_snapshot_rollback_restore_and_clone(self):
        self.ok(self.lin.resource_group_spawn("linstor-hv", "pyc-snap", ["10M"]))
        self.ok(self.lin.snapshot_create(None, "pyc-snap", "snap1"))
        snaps = self.lin.snapshot_dfn_list_raise(filter_by_resources=["pyc-snap"]).snapshots
        self.assertEqual([s.snapshot_name for s in snaps], ["snap1"])
        self.assertIn("SUCCESSFUL", snaps[0].flags)
        self.ok(self.lin.snapshot_rollback("pyc-snap", "snap1"))
        self.ok(self.lin.resource_dfn_create("pyc-restored"))
        self.ok(self.lin.snapshot_volume_definition_restore("pyc-snap", "snap1", "pyc-restored"))
        self.ok(self.lin.snapshot_resource_restore(None, "pyc-snap", "snap1", "pyc-restored"))
        restored = self.lin.resource_list_raise(filter_by_resources=["pyc-restored"]).resources
        self.assertGreaterEqual(len(restored), 2)
        started = self.lin.resource_dfn_clone("pyc-snap", "pyc-clone")
        self.assertEqual(started.location, "/v1/resource-definitions/pyc-snap/clone/pyc-clone")
        self.assertTrue(self.lin.resource_dfn_clone_wait_complete("pyc-snap", "pyc-clone", wait_interval=0.2, timeout=60))
        self.assertTrue(self.lin.resource_list_raise(filter_by_resources=["pyc-clone"]).resources)
        self.ok(self.lin.snapshot_delete("pyc-snap", "snap1"))
        for name in ("pyc-clone", "pyc-restored", "pyc-snap"):
            self.ok(self.lin.resource_dfn_delete(name))

    def test_resource_and_node_connections_with_paths(self):
        self.ok(self.lin.resource_group_spawn("linstor-hv", "pyc-conn", ["10M"]))
        nodes = sorted(r.node_name for r in self.lin.resource_list_raise(filter_by_resources=["pyc-conn"]).resources
                       if "DISKLESS" not in r.flags)
        a, b = nodes[0], nodes[1]
        paths = {"Paths/path1/" + a: "default", "Paths/path1/" + b: "default"}
        self.ok(self.lin.resource_conn_modify("pyc-conn", a, b, paths, []))
        conns = self.lin.resource_conn_list_raise("pyc-conn").resource_connections
        mine = [c for c in conns if {c.node_a, c.node_b} == {a, b}]
        self.assertEqual(mine[0].properties.get("Paths/path1/" + a), "default")
        self.ok(self.lin.node_conn_modify(a, b, {"Paths/path1/" + a: "default", "Paths/path1/" + b: "default"}, []))
        node_conns = self.lin.node_conn_list_raise(a, b).node_connections
        self.assertEqual(node_conns[0].properties.get("Paths/path1/" + b), "default")
        self.ok(self.lin.node_conn_modify(a, b, {}, ["Paths/path1/" + a, "Paths/path1/" + b]))
        self.ok(self.lin.resource_dfn_delete("pyc-conn"))

    def test_node_evacuate_restore_and_lost(self):
        self.ok(self.lin.node_create("pyc-evac", "Satellite", "10.0.9.2"))
        self.ok(self.lin.storage_pool_create("pyc-evac", "thinpool", "LVM_THIN", "vg/thin"))
        self.ok(self.lin.resource_dfn_create("pyc-evac-rd", resource_group="linstor-hv"))
        self.ok(self.lin.volume_dfn_create("pyc-evac-rd", 10 * 1024))
        self.ok(self.lin.resource_create([self.linstor.ResourceData("pyc-evac", "pyc-evac-rd", storage_pool="thinpool")]))
        self.ok(self.lin.node_evacuate("pyc-evac"))
        node = self.lin.node_list_raise(filter_by_nodes=["pyc-evac"]).nodes[0]
        self.assertIn("EVACUATE", node.flags)
        on = {r.node_name for r in self.lin.resource_list_raise(filter_by_resources=["pyc-evac-rd"]).resources}
        self.assertNotIn("pyc-evac", on)
        self.assertEqual(len(on), 1)
        self.ok(self.lin.node_restore("pyc-evac"))
        node = self.lin.node_list_raise(filter_by_nodes=["pyc-evac"]).nodes[0]
        self.assertNotIn("EVACUATE", node.flags)
        # lost: refused while the satellite is connected, then removes the node and its resources
        self.ok(self.lin.resource_create([self.linstor.ResourceData("pyc-evac", "pyc-evac-rd", storage_pool="thinpool")]))
        self.assertEqual(self.error_code(self.lin.node_lost("pyc-evac")), 506)
        clients.control("POST", "/emulator/nodes/pyc-evac/offline")
        self.ok(self.lin.node_lost("pyc-evac"))
        self.assertNotIn("pyc-evac", [n.name for n in self.lin.node_list_raise().nodes])
        on = {r.node_name for r in self.lin.resource_list_raise(filter_by_resources=["pyc-evac-rd"]).resources}
        self.assertNotIn("pyc-evac", on)
        self.ok(self.lin.resource_dfn_delete("pyc-evac-rd"))

    def test_remotes(self):
        self.ok(self.lin.remote_create_linstor("pyc-remote", "10.9.9.9"))
        self.ok(self.lin.remote_modify_linstor("pyc-remote", url="https://10.9.9.8"))
        listed = self.lin.remote_list()[0]
        remotes = {r.remote_name: r for r in listed.linstor_remotes}
        self.assertEqual(remotes["pyc-remote"].url, "https://10.9.9.8:3371")
        # S3 needs the master passphrase, and then a reachable bucket: never created here.
        unlocked = self.lin.crypt_status()[0].status == "unlocked"
        replies = self.lin.remote_create_s3("pyc-s3", "s3.example", "eu", "bucket", "ak", "sk")
        self.assertEqual(self.error_code(replies), 998 if unlocked else 312)
        self.assertEqual(self.error_code(self.lin.backup_list("pyc-remote")), 239)
        self.ok(self.lin.remote_delete("pyc-remote"))
        self.assertFalse(any(r.remote_name == "pyc-remote" for r in self.lin.remote_list()[0].linstor_remotes))

    def test_schedules(self):
        self.ok(self.lin.resource_group_spawn("linstor-hv", "pyc-sched-rd", ["10M"]))
        self.ok(self.lin.remote_create_linstor("pyc-sched-remote", "10.9.9.7"))
        self.ok(self.lin.schedule_create("pyc-nightly", "0 3 * * *", keep_local=2, incremental_cron="0 * * * *"))
        self.ok(self.lin.schedule_modify("pyc-nightly", keep_remote=4, on_failure="RETRY", max_retries=3))
        sched = {s.schedule_name: s for s in self.lin.schedule_list().schedules}["pyc-nightly"]
        self.assertEqual((sched.keep_local, sched.keep_remote, sched.on_failure), (2, 4, "RETRY"))
        self.ok(self.lin.backup_schedule_enable("pyc-sched-remote", "pyc-nightly", resource_name="pyc-sched-rd"))
        listed = self.lin.schedule_list_by_resource(filter_by_resource="pyc-sched-rd")
        rows = (listed[0] if isinstance(listed, list) else listed).data_v1["data"]
        row = [r for r in rows if r.get("schedule_name") == "pyc-nightly"][0]
        self.assertEqual(row["remote_name"], "pyc-sched-remote")
        self.assertGreater(row["next_exec_time"], 0)
        self.ok(self.lin.backup_schedule_disable("pyc-sched-remote", "pyc-nightly", resource_name="pyc-sched-rd"))
        self.ok(self.lin.backup_schedule_delete("pyc-sched-remote", "pyc-nightly", resource_name="pyc-sched-rd"))
        self.ok(self.lin.schedule_delete("pyc-nightly"))
        self.ok(self.lin.remote_delete("pyc-sched-remote"))
        self.ok(self.lin.resource_dfn_delete("pyc-sched-rd"))

    def test_external_files(self):
        self.ok(self.lin.file_modify("/etc/pyc.conf", b"key=value\n"))
        listed = self.lin.file_list()[0].files
        self.assertIn("/etc/pyc.conf", [f.path for f in listed])
        shown = self.lin.file_show("/etc/pyc.conf")
        # The controller sends the content base64-encoded, and python-linstor hands it on as sent.
        self.assertEqual(base64.b64decode(shown.files.content), b"key=value\n")
        self.ok(self.lin.resource_group_spawn("linstor-hv", "pyc-files", ["10M"]))
        self.ok(self.lin.file_deploy("/etc/pyc.conf", "pyc-files"))
        props = self.lin.resource_dfn_list_raise(filter_by_resource_definitions=["pyc-files"]).resource_definitions[0].properties
        self.assertEqual(props.get("files/etc/pyc.conf"), "True")
        self.ok(self.lin.file_undeploy("/etc/pyc.conf", "pyc-files"))
        self.ok(self.lin.file_deploy("/etc/pyc.conf", "pyc-files"))
        self.ok(self.lin.file_delete("/etc/pyc.conf"))
        props = self.lin.resource_dfn_list_raise(filter_by_resource_definitions=["pyc-files"]).resource_definitions[0].properties
        self.assertNotIn("files/etc/pyc.conf", props)
        self.ok(self.lin.resource_dfn_delete("pyc-files"))

    def test_volume_groups_and_kvs_delete(self):
        self.ok(self.lin.resource_group_create("pyc-vg-rg"))
        self.ok(self.lin.volume_group_create("pyc-vg-rg", volume_nr=0))
        self.ok(self.lin.volume_group_modify("pyc-vg-rg", 0, property_dict={"Aux/vg": "1"}))
        vgs = self.lin.volume_group_list_raise("pyc-vg-rg").volume_groups
        self.assertEqual(vgs[0].properties.get("Aux/vg"), "1")
        self.ok(self.lin.volume_group_delete("pyc-vg-rg", 0))
        self.assertEqual(self.lin.volume_group_list_raise("pyc-vg-rg").volume_groups, [])
        self.ok(self.lin.resource_group_delete("pyc-vg-rg"))
        self.ok(self.lin.keyvaluestore_modify("pyc-kvs2", {"a": "1", "b": "2"}))
        self.ok(self.lin.keyvaluestore_modify("pyc-kvs2", delete_props=["a"]))
        self.assertEqual(self.lin.keyvaluestore_list("pyc-kvs2").properties, {"b": "2"})

    def test_error_reports_kvs_and_passphrase(self):
        self.assertIsInstance(self.lin.error_report_list(), list)
        self.ok(self.lin.error_report_delete(since=None, to=None))
        self.ok(self.lin.keyvaluestore_modify("pyc-kvs", {"a": "1"}))
        self.assertEqual(self.lin.keyvaluestore_list("pyc-kvs").properties.get("a"), "1")
        status = self.lin.crypt_status()[0].status
        self.assertIn(status, ("unset", "unlocked"))
        if status == "unset":
            self.ok(self.lin.crypt_create_passphrase("pyc-secret"))
        self.assertEqual(self.lin.crypt_status()[0].status, "unlocked")


if __name__ == "__main__":
    unittest.main()
