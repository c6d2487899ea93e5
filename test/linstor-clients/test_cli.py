"""The `linstor` command-line client (LINBIT/linstor-client), unmodified, against the emulator, in
machine-readable mode (`-m --output-version v1`): the commands an operator types, and their JSON
checked against what the real controller sends (the REST v1 spec, shared/reference/linstor-api.md)."""
import unittest

import clients

MASK_ERROR = 0xC000000000000000


def errors(replies):
    """The error entries of an ApiCallRc list printed by the client."""
    return [r for r in replies if (r["ret_code"] & MASK_ERROR) == MASK_ERROR]


@clients.needs_clients
class LinstorCliTest(unittest.TestCase):
    def test_node_commands(self):
        _, nodes = clients.cli("node", "list")
        self.assertEqual({n["name"] for n in nodes[0]} >= {"pve1", "pve2", "pve3"}, True)
        pve1 = [n for n in nodes[0] if n["name"] == "pve1"][0]
        self.assertEqual(pve1["connection_status"], "ONLINE")
        self.assertIn("LVM_THIN", pve1["storage_providers"])
        clients.cli("node", "create", "cli-node", "10.0.8.1", "--node-type", "Satellite")
        clients.cli("node", "set-property", "cli-node", "Aux/rack", "r8")
        clients.cli("node", "interface", "create", "cli-node", "data", "10.1.8.1")
        _, ifaces = clients.cli("node", "interface", "list", "cli-node")
        names = {i["name"] for i in ifaces[0][0]["net_interfaces"]}
        self.assertEqual(names, {"default", "data"})
        clients.cli("node", "interface", "delete", "cli-node", "data")
        clients.cli("node", "delete", "cli-node")
        rc, replies = clients.cli("node", "delete", "cli-node", check=False)
        self.assertEqual(errors(replies), [])

    def test_storage_pool_commands(self):
        clients.cli("storage-pool", "create", "filethin", "pve2", "clipool", "/var/lib/clipool")
        _, pools = clients.cli("storage-pool", "list", "-s", "clipool")
        self.assertEqual([(p["node_name"], p["provider_kind"]) for p in pools[0]], [("pve2", "FILE_THIN")])
        clients.cli("storage-pool", "set-property", "pve2", "clipool", "Aux/tier", "slow")
        clients.cli("storage-pool", "delete", "pve2", "clipool")

    def test_resource_group_spawn_and_size_queries(self):
        clients.cli("resource-group", "create", "cli-rg", "--place-count", "2", "--storage-pool", "thinpool")
        clients.cli("volume-group", "create", "cli-rg")
        _, groups = clients.cli("resource-group", "list", "-r", "cli-rg")
        # The CLI sends --place-count as a JSON string ("2"); the controller's JSON mapper coerces it
        # into the integer field, so every answer carries the number 2, never the string.
        place_count = groups[0][0]["select_filter"]["place_count"]
        self.assertIs(type(place_count), int)
        self.assertEqual(place_count, 2)
        status, group = clients.rest("GET", "/v1/resource-groups/cli-rg")
        self.assertEqual((status, type(group["select_filter"]["place_count"])), (200, int))
        _, info = clients.cli("resource-group", "query-size-info", "cli-rg")
        self.assertGreater(info["space_info"]["max_vlm_size_in_kib"], 0)
        clients.cli("resource-group", "spawn-resources", "cli-rg", "cli-spawned", "20M")
        _, rscs = clients.cli("resource", "list", "-r", "cli-spawned")
        diskful = [r for r in rscs[0] if "DISKLESS" not in r.get("flags", [])]
        self.assertEqual(len(diskful), 2)
        _, vlms = clients.cli("volume", "list", "-r", "cli-spawned")
        on_disk = [v for v in vlms[0] if "DISKLESS" not in v.get("flags", [])]
        self.assertEqual(len(on_disk), 2)
        self.assertTrue(all(v["volumes"][0]["allocated_size_kib"] >= 0 for v in on_disk))
        clients.cli("resource-definition", "delete", "cli-spawned")
        clients.cli("resource-group", "delete", "cli-rg")

    def test_snapshots_restore_and_rollback(self):
        clients.cli("resource-group", "spawn-resources", "linstor-hv", "cli-snap", "10M")
        clients.cli("snapshot", "create", "cli-snap", "s1")
        _, snaps = clients.cli("snapshot", "list", "-r", "cli-snap")
        self.assertEqual([s["name"] for s in snaps[0]], ["s1"])
        self.assertIn("SUCCESSFUL", snaps[0][0]["flags"])
        clients.cli("snapshot", "rollback", "cli-snap", "s1")
        clients.cli("resource-definition", "create", "cli-snap-copy")
        clients.cli("snapshot", "volume-definition", "restore", "--from-resource", "cli-snap",
                    "--from-snapshot", "s1", "--to-resource", "cli-snap-copy")
        clients.cli("snapshot", "resource", "restore", "--from-resource", "cli-snap",
                    "--from-snapshot", "s1", "--to-resource", "cli-snap-copy")
        _, rscs = clients.cli("resource", "list", "-r", "cli-snap-copy")
        self.assertGreaterEqual(len(rscs[0]), 2)
        clients.cli("snapshot", "delete", "cli-snap", "s1")
        clients.cli("resource-definition", "delete", "cli-snap-copy")
        clients.cli("resource-definition", "delete", "cli-snap")

    def test_resource_connection_paths(self):
        clients.cli("resource-group", "spawn-resources", "linstor-hv", "cli-paths", "10M")
        _, rscs = clients.cli("resource", "list", "-r", "cli-paths")
        a, b = sorted(r["node_name"] for r in rscs[0] if "DISKLESS" not in r.get("flags", []))
        clients.cli("resource-connection", "path", "create", a, b, "cli-paths", "p1", "default", "default")
        _, paths = clients.cli("resource-connection", "path", "list", a, b, "cli-paths")
        self.assertTrue(paths)
        _, conns = clients.cli("resource-connection", "list", "cli-paths")
        mine = [c for c in conns[0] if {c["node_a"], c["node_b"]} == {a, b}][0]
        self.assertEqual(mine["props"]["Paths/p1/" + a], "default")
        clients.cli("resource-connection", "path", "delete", a, b, "cli-paths", "p1")
        clients.cli("resource-definition", "delete", "cli-paths")

    def test_node_evacuate_restore_lost(self):
        clients.cli("node", "create", "cli-evac", "10.0.8.2", "--node-type", "Satellite")
        clients.cli("storage-pool", "create", "lvmthin", "cli-evac", "thinpool", "vg/thin")
        clients.cli("resource-definition", "create", "cli-evac-rd", "--resource-group", "linstor-hv")
        clients.cli("volume-definition", "create", "cli-evac-rd", "10M")
        clients.cli("resource", "create", "cli-evac", "cli-evac-rd", "--storage-pool", "thinpool")
        clients.cli("node", "evacuate", "cli-evac")
        _, nodes = clients.cli("node", "list", "-n", "cli-evac")
        self.assertIn("EVACUATE", nodes[0][0]["flags"])
        _, rscs = clients.cli("resource", "list", "-r", "cli-evac-rd")
        self.assertNotIn("cli-evac", [r["node_name"] for r in rscs[0]])
        clients.cli("node", "restore", "cli-evac")
        _, nodes = clients.cli("node", "list", "-n", "cli-evac")
        self.assertNotIn("EVACUATE", nodes[0][0].get("flags", []))
        clients.control("POST", "/emulator/nodes/cli-evac/offline")
        clients.cli("node", "lost", "cli-evac")
        _, nodes = clients.cli("node", "list")
        self.assertNotIn("cli-evac", [n["name"] for n in nodes[0]])
        clients.cli("resource-definition", "delete", "cli-evac-rd")

    def test_remotes_and_schedules(self):
        clients.cli("resource-group", "spawn-resources", "linstor-hv", "cli-sched", "10M")
        clients.cli("remote", "create", "linstor", "cli-remote", "10.9.8.7")
        _, remotes = clients.cli("remote", "list")
        self.assertIn("cli-remote", [r["remote_name"] for r in remotes["linstor_remotes"]])
        clients.cli("schedule", "create", "cli-daily", "0 2 * * *", "--keep-local", "3")
        _, schedules = clients.cli("schedule", "list")
        mine = [s for s in schedules["data"] if s["schedule_name"] == "cli-daily"][0]
        self.assertEqual((mine["full_cron"], mine["keep_local"]), ("0 2 * * *", 3))
        clients.cli("backup", "schedule", "enable", "cli-remote", "cli-daily", "--rd", "cli-sched")
        _, rows = clients.cli("schedule", "list-by-resource", "-r", "cli-sched")
        self.assertEqual(rows["data"][0]["schedule_name"], "cli-daily")
        clients.cli("backup", "schedule", "delete", "cli-remote", "cli-daily", "--rd", "cli-sched")
        clients.cli("schedule", "delete", "cli-daily")
        clients.cli("remote", "delete", "cli-remote")
        clients.cli("resource-definition", "delete", "cli-sched")

    def test_info_commands(self):
        _, version = clients.cli("controller", "version")
        self.assertEqual(version["rest_api_version"], "1.28.0")
        _, reports = clients.cli("error-reports", "list")
        self.assertIsInstance(reports, list)
        _, kvs = clients.cli("key-value-store", "list")
        self.assertIsInstance(kvs, list)
        _, devices = clients.cli("physical-storage", "list")
        self.assertEqual(devices, [[]])
        _, conns = clients.cli("node-connection", "list")
        self.assertIsInstance(conns, list)
        _, files = clients.cli("file", "list")
        self.assertIsInstance(files, list)


if __name__ == "__main__":
    unittest.main()
