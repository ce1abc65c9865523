"""Desired-state validation: errors name the entity and the field."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError
from ansible_collections.vdc.infra.plugins.module_utils.model import parse


@pytest.mark.parametrize(("kind", "values", "entity", "problem"), [
    ("vm", {"name": "web1", "memory": "2GB x"}, "VM 'web1'", "memory: '2GB x' is not a size"),
    ("vm", {"name": "web1", "cpu_cores": 0}, "VM 'web1'", "cpu_cores: Input should be greater than or equal to 1"),
    ("vm", {"name": "web1", "state": "flying"}, "VM 'web1'", "state: Input should be"),
    ("vm", {"name": "web1", "disks": [{"name": "d", "size": "lots"}]}, "VM 'web1'", "disks.0.size: 'lots'"),
    ("vm", {"name": "web1", "disks": [{"size": "1GiB"}]}, "VM 'web1'", "disks[0]: name or id is required"),
    ("vm", {"name": "web1", "colour": "red"}, "VM 'web1'", "colour: Extra inputs are not permitted"),
    ("network", {"name": "app", "vlan_tag": 5000}, "network 'app'", "vlan_tag: Input should be less than"),
    ("data_center", {"name": "dc", "compatibility_version": "four"}, "data center 'dc'",
     "compatibility_version: String should match pattern"),
    ("storage_domain", {"name": "sd", "nfs": {"path": "/a"}, "localfs": {"path": "/b"}}, "storage domain 'sd'",
     "only one storage type may be given"),
    ("nic", {"name": "nic1", "mac_address": "zz"}, "NIC 'nic1'", "mac_address: String should match pattern"),
    ("cluster", {}, "cluster '?'", "name or id is required"),
])
def test_errors_name_entity_and_field(kind, values, entity, problem):
    with pytest.raises(DesiredStateError) as e:
        parse(kind, values)
    assert e.value.entity == entity
    assert any(p.startswith(problem) for p in e.value.problems), e.value.problems
    assert str(e.value).startswith(entity + ": invalid declaration")


def test_only_declared_fields_are_compared():
    vm = parse("vm", {"name": "web1", "memory": "2GiB", "description": "", "state": "running", "force": True})
    assert vm.compared() == {"description": "", "memory": 2 * 1024**3, "name": "web1"}


def test_empty_vlan_means_remove_it():
    net = parse("network", {"name": "app", "vlan_tag": ""})
    assert net.compared() == {"name": "app", "vlan_tag": None}


def test_nested_values_keep_only_declared_keys():
    sd = parse("storage_domain", {"name": "sd", "nfs": {"address": "nas", "path": "/e"}})
    assert sd.compared()["nfs"] == {"address": "nas", "path": "/e"}
