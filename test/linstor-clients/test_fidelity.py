"""python-linstor and the `linstor` command-line client, unmodified, against the emulator's answers
where it follows linstor-server's source (issue 13, round 2): offline nodes' pools, storage-driver
mixing, resource-group defaults and pool lists, tie-breaker placement, replication states, JSON
mapping (numbers in strings, unknown fields), a create over an existing resource, per-resource
DRBD ports and thick pools' DRBD metadata. Each test leaves the shared emulator as it found it."""
import unittest

import clients

KIB_PER_EXTENT = 4096  # LVM's default extent (StorPoolControllerFactory's allocation granularity)


def u64(ret_code):
    """A ret_code as sharedconsts writes it (unsigned); the controller sends a signed int64."""
    return ret_code & 0xFFFFFFFFFFFFFFFF


def code(reply_or_ret_code):
    """The code number of a ret_code (or of a reply's), without its type, operation and object bits."""
    ret_code = getattr(reply_or_ret_code, "ret_code", reply_or_ret_code)
    return ret_code & 0x7FFF


@clients.needs_clients
class FidelityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import linstor  # noqa: F401  (found through LINSTOR_PY_CLIENTS)
        from linstor import sharedconsts

        cls.linstor = linstor
        cls.consts = sharedconsts
        cls.lin = linstor.Linstor(clients.url().replace("http://", "linstor://"), timeout=60)
        cls.lin.connect()

    @classmethod
    def tearDownClass(cls):
        cls.lin.disconnect()

    def ok(self, replies):
        self.assertTrue(self.linstor.Linstor.all_api_responses_no_error(replies), [str(r) for r in replies])
        return replies

    def rd_with_volume(self, name, size_kib=10 * 1024):
        self.ok(self.lin.resource_dfn_create(name))
        self.ok(self.lin.volume_dfn_create(name, size_kib))

    def place(self, name, *nodes, pool="thinpool"):
        data = [self.linstor.ResourceData(node, name, storage_pool=pool) for node in nodes]
        return self.lin.resource_create(data)

    def resources(self, name):
        return {r.node_name: r for r in self.lin.resource_list_raise(filter_by_resources=[name]).resources}

    def test_offline_node_pools_report_not_connected(self):
        clients.control("POST", "/emulator/nodes/pve3/offline")
        try:
            pools = self.lin.storage_pool_list_raise(filter_by_nodes=["pve3"]).storage_pools
            thin = [p for p in pools if p.name == "thinpool"][0]
            # CtrlStorPoolListApiCallHandler: no capacity, one WARN_NOT_CONNECTED report, HTTP 200.
            self.assertIsNone(thin.free_space)
            self.assertEqual([u64(r.ret_code) for r in thin.reports], [self.consts.WARN_NOT_CONNECTED])
            status, raw = clients.rest("GET", "/v1/nodes/pve3/storage-pools")
            self.assertEqual(status, 200)
            self.assertEqual([p for p in raw if "free_capacity" in p or "total_capacity" in p], [])
            online = self.lin.storage_pool_list_raise(filter_by_nodes=["pve1"]).storage_pools
            self.assertTrue(all(p.free_space is not None for p in online))
        finally:
            clients.control("POST", "/emulator/nodes/pve3/online")

    def test_storage_driver_mixing_refused_unless_allowed(self):
        self.rd_with_volume("fid-mix")
        try:
            self.ok(self.place("fid-mix", "pve1"))
            refused = self.place("fid-mix", "pve2", pool="thickpool")
            self.assertEqual([code(r) for r in refused if r.is_error()], [code(self.consts.FAIL_INVLD_STOR_DRIVER)])
            self.assertNotIn("pve2", self.resources("fid-mix"))
            self.ok(self.lin.resource_dfn_modify("fid-mix", {"AllowMixingStoragePoolDriver": "true"}))
            self.ok(self.place("fid-mix", "pve2", pool="thickpool"))
            self.assertEqual(self.resources("fid-mix")["pve2"].volumes[0].storage_pool_name, "thickpool")
        finally:
            self.ok(self.lin.resource_dfn_delete("fid-mix"))

    def test_resource_group_place_count_and_pool_lists(self):
        groups = {g.name: g for g in self.lin.resource_group_list_raise().resource_groups}
        self.assertEqual(groups["DfltRscGrp"].select_filter.place_count, 2)
        self.ok(self.lin.resource_group_create("fid-rg", storage_pool="thinpool"))
        try:
            group = self.lin.resource_group_list_raise(filter_by_resource_groups=["fid-rg"]).resource_groups[0]
            self.assertEqual(group.select_filter.place_count, 2)
            # Json.apiToResourceGroup: storage_pool_list whenever there are pools, storage_pool too
            # only when there is exactly one.
            _, raw = clients.rest("GET", "/v1/resource-groups/fid-rg")
            self.assertEqual((raw["select_filter"].get("storage_pool"), raw["select_filter"]["storage_pool_list"]),
                             ("thinpool", ["thinpool"]))
            self.ok(self.lin.resource_group_modify("fid-rg", storage_pool=["thinpool", "thickpool"]))
            _, raw = clients.rest("GET", "/v1/resource-groups/fid-rg")
            self.assertNotIn("storage_pool", raw["select_filter"])
            self.assertEqual(raw["select_filter"]["storage_pool_list"], ["thinpool", "thickpool"])
        finally:
            self.ok(self.lin.resource_group_delete("fid-rg"))

    def test_tie_breakers_go_to_the_least_loaded_diskless_pool(self):
        # Two fresh satellites whose names sort first: the first tie-breaker goes to one of them
        # by name, the second to the other one, which then holds fewer resources.
        for i, node in enumerate(("aa-fid-1", "aa-fid-2")):
            self.ok(self.lin.node_create(node, "Satellite", "10.0.7.{}".format(i + 1)))
        try:
            breakers = {}
            for name in ("fid-tb-1", "fid-tb-2"):
                self.rd_with_volume(name)
                self.ok(self.place(name, "pve1", "pve2"))
                breakers[name] = [n for n, r in self.resources(name).items() if "TIE_BREAKER" in r.flags]
            self.assertEqual(breakers, {"fid-tb-1": ["aa-fid-1"], "fid-tb-2": ["aa-fid-2"]})
        finally:
            for name in ("fid-tb-1", "fid-tb-2"):
                self.lin.resource_dfn_delete(name)
            for node in ("aa-fid-1", "aa-fid-2"):
                self.ok(self.lin.node_delete(node))

    def test_volume_states_name_every_connected_peer(self):
        self.rd_with_volume("fid-repl")
        try:
            self.ok(self.place("fid-repl", "pve1", "pve2"))
            vlms = {r.node_name: r.volumes[0] for r in
                    self.lin.volume_list_raise(filter_by_resources=["fid-repl"]).resources}
            states = vlms["pve1"].state.replication_states
            self.assertEqual(sorted(states), sorted(n for n in vlms if n != "pve1"))
            self.assertEqual({s.replication_state for s in states.values()}, {"Established"})
            clients.control("POST", "/emulator/nodes/pve2/offline")
            try:
                vlms = {r.node_name: r.volumes[0] for r in
                        self.lin.volume_list_raise(filter_by_resources=["fid-repl"]).resources}
                self.assertNotIn("pve2", vlms["pve1"].state.replication_states)
            finally:
                clients.control("POST", "/emulator/nodes/pve2/online")
        finally:
            self.ok(self.lin.resource_dfn_delete("fid-repl"))

    def test_json_numbers_in_strings_and_unknown_fields(self):
        # The controller's Jackson mapper coerces "10240" into an integer field; it refuses a
        # field its class does not have with 400 API_CALL_PARSE_ERROR "Unable to parse input json."
        status, _ = clients.rest("POST", "/v1/resource-definitions", {"resource_definition": {"name": "fid-json"}})
        self.assertEqual(status, 201)
        try:
            status, _ = clients.rest("POST", "/v1/resource-definitions/fid-json/volume-definitions",
                                     {"volume_definition": {"size_kib": "10240"}})
            self.assertLess(status, 300)
            rds = self.lin.resource_dfn_list_raise(filter_by_resource_definitions=["fid-json"])
            size = rds.resource_definitions[0].volume_definitions[0].size
            self.assertEqual((type(size), size), (int, 10240))
            status, replies = clients.rest("POST", "/v1/resource-definitions",
                                           {"resource_definition": {"name": "fid-json-2"}, "bogus": 1})
            self.assertEqual((status, u64(replies[0]["ret_code"]), replies[0]["message"]),
                             (400, self.consts.API_CALL_PARSE_ERROR, "Unable to parse input json."))
            self.assertEqual(self.lin.resource_dfn_list_raise(
                filter_by_resource_definitions=["fid-json-2"]).resource_definitions, [])
        finally:
            self.ok(self.lin.resource_dfn_delete("fid-json"))

    def test_create_over_existing_resources(self):
        self.rd_with_volume("fid-over")
        try:
            self.ok(self.place("fid-over", "pve1", "pve2"))
            breaker = [n for n, r in self.resources("fid-over").items() if "TIE_BREAKER" in r.flags][0]
            # A diskless create over the tie-breaker takes it over quietly: INFO_TIE_BREAKER_TAKEOVER
            # is the delete path's answer (CtrlRscAutoTieBreakerHelper.takeover), not the create's.
            taken = self.ok(self.lin.resource_create(
                [self.linstor.ResourceData(breaker, "fid-over", diskless=True, drbd_diskless=True)]))
            self.assertNotIn(code(self.consts.INFO_TIE_BREAKER_TAKEOVER), [code(r) for r in taken])
            self.assertNotIn("TIE_BREAKER", self.resources("fid-over")[breaker].flags)
            # A diskful create over the diskless resource gives it a disk (toggle-disk), through the
            # command-line client as an operator would type it.
            clients.cli("resource", "create", breaker, "fid-over", "--storage-pool", "thinpool")
            self.assertNotIn("DISKLESS", self.resources("fid-over")[breaker].flags)
            # A create over a diskful resource is no error: INFO_RSC_ALREADY_EXISTS.
            again = self.ok(self.place("fid-over", "pve1"))
            self.assertEqual([code(r) for r in again], [code(self.consts.INFO_RSC_ALREADY_EXISTS)])
            self.assertTrue(again[0].is_info())
        finally:
            self.ok(self.lin.resource_dfn_delete("fid-over"))

    def test_drbd_ports_belong_to_the_resources(self):
        self.rd_with_volume("fid-ports")
        try:
            # No resource yet: no DRBD layer data on the RD (CtrlRscLayerDataFactory).
            _, rd = clients.rest("GET", "/v1/resource-definitions/fid-ports")
            self.assertNotIn("DRBD", [layer["type"] for layer in rd.get("layer_data", [])])
            self.ok(self.lin.resource_dfn_modify("fid-ports", {"DrbdOptions/auto-add-quorum-tiebreaker": "False"}))
            self.ok(self.place("fid-ports", "pve1", "pve2"))
            # drbd_tcp_ports: exactly these, from the node's own pool.
            self.ok(self.lin.resource_create([self.linstor.ResourceData(
                "pve3", "fid-ports", diskless=True, drbd_diskless=True, drbd_tcp_ports=[7990, 7991])]))
            _, rd = clients.rest("GET", "/v1/resource-definitions/fid-ports")
            drbd = [layer for layer in rd["layer_data"] if layer["type"] == "DRBD"][0]
            self.assertEqual(drbd["data"]["port"], -1)
            _, rscs = clients.rest("GET", "/v1/resource-definitions/fid-ports/resources")
            ports = {r["node_name"]: r["layer_object"]["drbd"]["tcp_ports"] for r in rscs}
            # Each resource has its own port, a peer's when free on its node (DrbdRscData.initPorts).
            self.assertEqual(len(ports["pve1"]), 1)
            self.assertEqual(ports["pve1"], ports["pve2"])
            self.assertEqual(ports["pve3"], [7990, 7991])
        finally:
            self.ok(self.lin.resource_dfn_delete("fid-ports"))


    def test_thick_pool_gives_the_lv_with_drbd_metadata(self):
        def free(node):
            _, pools = clients.cli("storage-pool", "list", "-n", node, "-s", "thickpool")
            return pools[0][0]["free_capacity"]

        size = 100 * 1024  # 25 extents of 4 MiB; DRBD's internal metadata needs a 26th
        self.rd_with_volume("fid-thick", size)
        try:
            before = free("pve1")
            self.ok(self.place("fid-thick", "pve1", pool="thickpool"))
            self.assertEqual(before - free("pve1"), size + KIB_PER_EXTENT)
            vlm = self.resources("fid-thick")["pve1"].volumes[0]
            self.assertEqual(vlm.allocated_size, size + KIB_PER_EXTENT)
            self.assertGreaterEqual(vlm.usable_size, size)
        finally:
            self.ok(self.lin.resource_dfn_delete("fid-thick"))
        self.assertEqual(free("pve1"), before)


if __name__ == "__main__":
    unittest.main()
