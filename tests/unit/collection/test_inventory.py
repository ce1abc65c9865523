"""The inventory plugin's pure parts: bulk reads (never one per VM), host records and default groups."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.inventory.engine import default_groups, host_record, read_vms
from ansible_collections.vdc.infra.plugins.module_utils.errors import EngineError

DC = {"id": "dc", "name": "Default"}
CLUSTER = {"id": "c", "name": "web-1", "data_center": {"id": "dc"}}
HOST = {"id": "h", "name": "hv1"}


def vm(i: int, **extra) -> dict:
    return {"id": f"vm{i}", "name": f"vm{i}", "status": "up", "cluster": {"id": "c"}, "host": {"id": "h"},
            "memory": 1024, "cpu": {"topology": {"cores": 2, "sockets": 1, "threads": 1}}, "os": {"type": "rhel"},
            **extra}


class FakeClient:
    def __init__(self, vms: list[dict], tags: list[dict] | None = None, tags_status: int = 200):
        self.answers = {"vms": vms, "clusters": [CLUSTER], "datacenters": [DC], "hosts": [HOST],
                        "tags": tags if tags is not None else [{"id": "0", "name": "root"}]}
        self.tags_status = tags_status
        self.calls: list[tuple] = []

    def list(self, path, search=None, follow=None, max=None):
        self.calls.append((path, search, follow))
        if path == "tags" and self.tags_status != 200:
            raise EngineError(self.tags_status, "Not Found", "", "GET", "/tags")
        return self.answers[path]


@pytest.mark.parametrize("count", [1, 50])
def test_five_bulk_reads_whatever_the_number_of_vms(count):
    client = FakeClient([vm(i) for i in range(count)])
    records = read_vms(client, search="status=up")
    assert len(records) == count
    assert client.calls == [("tags", None, None), ("vms", "status=up", ["nics.reported_devices"]),
                            ("clusters", None, None), ("datacenters", None, None), ("hosts", None, None)]


def test_tags_are_followed_only_when_the_engine_has_some():
    client = FakeClient([vm(1, tags={"tag": [{"name": "web"}, {"name": "prod"}]})],
                        tags=[{"name": "root"}, {"name": "web"}, {"name": "prod"}])
    [record] = read_vms(client)
    assert client.calls[1] == ("vms", None, ["nics.reported_devices", "tags"])
    assert record["tags"] == ["prod", "web"]
    assert default_groups(record) == ["cluster_web_1", "data_center_Default", "status_up", "tag_prod", "tag_web"]


def test_an_engine_without_tags_is_read_all_the_same():
    client = FakeClient([vm(1)], tags_status=404)
    assert [r["name"] for r in read_vms(client)] == ["vm1"]


def test_a_record_names_references_and_collects_reported_addresses():
    nics = {"nic": [
        {"name": "nic1", "interface": "virtio", "plugged": True, "mac": {"address": "56:6f:00:00:00:01"},
         "reported_devices": {"reported_device": [
             {"name": "eth0", "ips": {"ip": [{"address": "10.0.0.5", "version": "v4"},
                                             {"address": "fe80::1", "version": "v6"}]}}]}},
        {"name": "nic2", "mac": {"address": "56:6f:00:00:00:02"}},
    ]}
    record = host_record(vm(1, nics=nics, description="web"), {
        "cluster": {"c": CLUSTER}, "data_center": {"dc": "Default"}, "host": {"h": "hv1"}})
    assert record == {
        "id": "vm1", "name": "vm1", "status": "up", "description": "web", "comment": "", "cluster": "web-1",
        "data_center": "Default", "host": "hv1", "memory": 1024, "cpu_cores": 2, "cpu_sockets": 1, "cpu_threads": 1,
        "os": "rhel", "fqdn": None, "tags": [],
        "nics": [{"name": "nic1", "mac": "56:6f:00:00:00:01", "interface": "virtio", "plugged": True,
                  "ips": ["10.0.0.5", "fe80::1"]},
                 {"name": "nic2", "mac": "56:6f:00:00:00:02", "interface": None, "plugged": None, "ips": []}],
        "ips": ["10.0.0.5", "fe80::1"],
    }


def test_a_vm_that_is_not_running_has_no_host_and_groups_without_blanks():
    record = host_record({"id": "x", "name": "x", "status": "down", "cluster": {"id": "gone"}},
                         {"cluster": {}, "data_center": {}, "host": {}})
    assert (record["host"], record["cluster"], record["data_center"]) == (None, None, None)
    assert default_groups(record) == ["status_down"]
