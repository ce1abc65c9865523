"""The client reads the engine's JSON back by type: integers and booleans come as strings, as oVirt writes them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.typed import answer_type, decode_answer

from tests.unit.collection.test_client import URL, FakeEngine

ROOT = Path(__file__).resolve().parents[3]

VM = {"id": "1", "name": "123", "description": "true", "memory": "1073741824", "stateless": "false",
      "cpu": {"topology": {"sockets": "2", "cores": "1"}}, "creation_time": 1700000000000, "status": "up",
      "href": "/ovirt-engine/api/vms/1",
      "disk_attachments": {"disk_attachment": [{"id": "d", "bootable": "true",
                                                "disk": {"id": "d", "provisioned_size": "10737418240"}}]},
      "link": [{"href": "/ovirt-engine/api/vms/1/nics", "rel": "nics"}]}


def _typed_vm(vm: dict) -> None:
    assert (vm["memory"], vm["stateless"], vm["cpu"]["topology"]) == (1 << 30, False, {"sockets": 2, "cores": 1})
    attachment = vm["disk_attachments"]["disk_attachment"][0]
    assert attachment["bootable"] is True and attachment["disk"]["provisioned_size"] == 10 << 30
    # text stays text whatever it looks like; dates are numbers already; ids and enums are strings
    assert (vm["name"], vm["description"], vm["creation_time"], vm["status"]) == ("123", "true", 1700000000000, "up")


def test_a_list_its_followed_members_and_nested_structs_are_typed():
    fake = FakeEngine({("GET", f"{URL}/vms"): (200, {"vm": [dict(VM)]})})
    (vm,) = EngineClient(URL, "tok", opener=fake).list("vms", follow=["disk_attachments.disk"])
    _typed_vm(vm)


def test_an_entity_by_id_or_by_href_and_a_created_one_are_typed():
    fake = FakeEngine({("GET", f"{URL}/vms/1"): (200, dict(VM)), ("POST", f"{URL}/vms"): (201, dict(VM))})
    client = EngineClient(URL, "tok", opener=fake)
    _typed_vm(client.get("vms", "1"))
    _typed_vm(client.follow("/ovirt-engine/api/vms/1"))
    _typed_vm(client.add("vms", {"name": "123"}))


def test_sub_collections_actions_and_the_root_are_typed():
    nets = {"network": [{"id": "n", "vlan": {"id": "100"}, "required": "true", "mtu": "0"}]}
    fake = FakeEngine({("GET", f"{URL}/clusters/c/networks"): (200, nets),
                       ("POST", f"{URL}/vms/1/start"): (200, {"status": "complete", "vm": {"memory": "512"}}),
                       ("GET", URL): (200, {"product_info": {"version": {"major": "4", "full_version": "4.5"}},
                                             "summary": {"vms": {"total": "3", "active": "1"}}})})
    client = EngineClient(URL, "tok", opener=fake)
    assert client.list("clusters/c/networks") == [{"id": "n", "vlan": {"id": 100}, "required": True, "mtu": 0}]
    assert client.action("vms", "1", "start") == {"status": "complete", "vm": {"memory": 512}}
    root = client.system()
    assert root["product_info"]["version"] == {"major": 4, "full_version": "4.5"}
    assert root["summary"]["vms"] == {"total": 3, "active": 1}


def test_hrefs_are_typed_when_the_url_names_the_version():
    fake = FakeEngine({("GET", "https://engine.lab/ovirt-engine/api/vms/1"): (200, dict(VM))})
    _typed_vm(EngineClient(URL + "/v4", "tok", opener=fake).follow("/ovirt-engine/api/vms/1"))


@pytest.mark.parametrize(("path", "expected"), [
    ("", ("api", False)), ("vms", ("vm", True)), ("vms/1", ("vm", False)), ("vms/1/nics", ("nic", True)),
    ("vms/1/nics/2", ("nic", False)), ("vms/1/start", ("action", False)),
    ("datacenters/1/storagedomains/2/activate", ("action", False)), ("vdc/hooks", None), ("vms/1/nics/2/x/y", None),
])
def test_the_type_of_an_answer_follows_its_path(path, expected):
    assert answer_type(path) == expected


def test_what_is_not_its_type_is_kept_as_it_came():
    """A JSON number (an engine writing them so) stays a number; a value that is no integer is never guessed at."""
    doc = {"vm": [{"memory": 512, "stateless": True, "cpu_shares": "lots", "delete_protected": "maybe"}]}
    assert decode_answer(doc, "vms") == {"vm": [{"memory": 512, "stateless": True, "cpu_shares": "lots",
                                                  "delete_protected": "maybe"}]}
    hooks = {"vdsm_hook": [{"enabled": "true"}]}  # vdc's own collections are outside the wire model
    assert decode_answer(hooks, "vdc/hooks") == {"vdsm_hook": [{"enabled": "true"}]}


def test_the_table_is_current():
    spec = importlib.util.spec_from_file_location("gen_wire_types", ROOT / "scripts" / "gen_wire_types.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert not gen.stale(), "plugins/module_utils/wire_types.py is older than the wire model: run `make docs`"
