"""Option mapping: a module's params (as Ansible hands them over) → the planner's desired entries."""

from __future__ import annotations

import importlib

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError
from ansible_collections.vdc.infra.plugins.module_utils.module import AUTH_SPEC, WAIT_SPEC
from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired

GiB = 1024**3


def module_class(name: str):
    mod = importlib.import_module(f"ansible_collections.vdc.infra.plugins.modules.{name}")
    return next(v for k, v in vars(mod).items() if k.endswith("Module") and getattr(v, "kind", ""))


def params(cls, **given):
    """What AnsibleModule passes: every option, None (or its default) unless given."""
    spec = {**AUTH_SPEC, **WAIT_SPEC, **cls.options_spec()}
    return {**{k: v.get("default") for k, v in spec.items()}, "auth": {"url": "x"}, **given}


CASES = {
    "datacenter": (
        {"name": "dc1", "compatibility_version": "4.7", "description": ""},
        [Desired("data_center", {"name": "dc1", "compatibility_version": "4.7", "description": ""},
                 options={"force": False})]),
    "cluster": (
        {"name": "c1", "data_center": "dc1", "cpu_type": "Intel Nehalem Family", "memory_policy": "server"},
        [Desired("cluster", {"name": "c1", "data_center": "dc1", "cpu_type": "Intel Nehalem Family",
                             "memory_policy": "server"})]),
    "host": (
        {"name": "hv1", "address": "hv1.lab", "cluster": "c1", "password": "s3cret", "state": "absent",
         "force": True, "activate": False},
        [Desired("host", {"name": "hv1", "address": "hv1.lab", "cluster": "c1", "password": "s3cret"}, "absent",
                 options={"force": True, "activate": False})]),
    "storage_domain": (
        {"name": "data1", "data_center": "dc1", "state": "maintenance",
         "nfs": {"address": "nas", "path": "/e", "version": None, "timeout": None, "retrans": None,
                 "mount_options": None}},
        [Desired("storage_domain", {"name": "data1", "data_center": "dc1", "nfs": {"address": "nas", "path": "/e"}},
                 "maintenance", options={"destroy": False, "format": False})]),
    "network": (
        {"name": "app", "data_center": "dc1", "vlan_tag": "", "clusters": [
            {"name": "c1", "assigned": True, "required": False, "display": None, "migration": None,
             "gluster": None, "default_route": None},
            {"name": "c2", "assigned": False, "required": None, "display": None, "migration": None,
             "gluster": None, "default_route": None}]},
        [Desired("network", {"name": "app", "data_center": "dc1", "vlan_tag": None}),
         Desired("cluster_network", {"name": "app", "cluster": "c1", "data_center": "dc1", "required": False}),
         Desired("cluster_network", {"name": "app", "cluster": "c2", "data_center": "dc1"}, "absent")]),
    "vnic_profile": (
        {"name": "mirror", "network": "app", "port_mirroring": True,
         "custom_properties": [{"name": "a", "value": "1"}]},
        [Desired("vnic_profile", {"name": "mirror", "network": "app", "port_mirroring": True,
                                  "custom_properties": [{"name": "a", "value": "1"}]})]),
    "vm": (
        {"name": "web1", "cluster": "c1", "memory": "2GiB", "cpu_cores": 2, "state": "running", "exclusive": True,
         "disks": [{"name": "os", "size": "20GiB", "storage_domain": "data1", "bootable": True, "id": None,
                    "interface": None, "format": None, "sparse": None, "shareable": None, "activate": None,
                    "description": None}],
         "nics": [{"name": "nic1", "network": "app", "profile": None, "interface": None, "mac_address": None,
                   "linked": None, "plugged": None}]},
        [Desired("vm", {"name": "web1", "cluster": "c1", "memory": 2 * GiB, "cpu_cores": 2}, "running",
                 options={"exclusive": True, "force": False, "clone": False}, owns=("disk", "nic")),
         Desired("disk", {"name": "os", "size": 20 * GiB, "storage_domain": "data1", "bootable": True,
                          "vm": "web1"}),
         Desired("nic", {"name": "nic1", "network": "app", "profile": "app", "vm": "web1"})]),
    "disk": (
        {"name": "data", "vm_name": "web1", "size": "1GiB", "state": "absent", "detach_only": True},
        [Desired("disk", {"name": "data", "vm": "web1", "size": GiB}, "absent", options={"detach_only": True})]),
    "nic": (
        {"name": "nic2", "vm": "web1", "profile": "p", "state": "unplugged"},
        [Desired("nic", {"name": "nic2", "vm": "web1", "profile": "p", "plugged": False})]),
    "template": (
        {"name": "base", "vm": "golden", "memory": "1GiB"},
        [Desired("template", {"name": "base", "vm": "golden", "memory": GiB, "version_number": 1})]),
    "event": (
        {"origin": "deploy", "custom_id": 7, "description": "done", "cluster": "c1"},
        [Desired("event", {"name": "deploy/7", "origin": "deploy", "custom_id": 7, "description": "done",
                           "severity": "normal", "cluster": "c1"})]),
}


@pytest.mark.parametrize("module", CASES, ids=list(CASES))
def test_params_map_to_desired(module):
    given, expected = CASES[module]
    cls = module_class(module)
    assert cls.desired(params(cls, **given)) == expected


def test_host_activate_is_a_control_option_that_defaults_to_true():
    cls = module_class("host")
    [desired] = cls.desired(params(cls, name="hv1", address="hv1.lab"))
    assert desired.values == {"name": "hv1", "address": "hv1.lab"}  # never compared as a field
    assert desired.options == {"force": False, "activate": True}


def test_bad_values_fail_naming_the_entity():
    cls = module_class("vm")
    with pytest.raises(DesiredStateError) as e:
        cls.desired(params(cls, name="web1", memory="2GB x"))
    assert str(e.value).startswith("VM 'web1': invalid declaration: memory: '2GB x' is not a size")


def test_every_module_is_in_the_action_group():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    # engine_service runs the engine and does not talk to it: module_defaults would hand it an auth it does not take.
    modules = sorted(p.stem for p in (root / "plugins" / "modules").glob("*.py") if p.stem != "engine_service")
    runtime = (root / "meta" / "runtime.yml").read_text()
    assert [m for m in modules if f"    - {m}\n" not in runtime] == []
