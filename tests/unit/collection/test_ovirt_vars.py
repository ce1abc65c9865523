"""ovirt.ovirt.infra and vm_infra variables as vdc desired state: what passes, what is dropped, what is refused."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import inline
from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import validate
from ansible_collections.vdc.infra.plugins.plugin_utils.ovirt_vars import (
    UnsupportedError,
    infra_estate,
    unsupported_profile_keys,
    vm_infra_estate,
)

INFRA = {
    "data_center_name": "dc-lab", "compatibility_version": "4.7", "data_center_description": "lab",
    "clusters": [{"name": "lab-c1", "cpu_type": "Secure AMD EPYC", "profile": "production", "switch_type": "ovs",
                  "ksm": True}],
    "hosts": [{"name": "hv01", "address": "hv01.lab", "cluster": "lab-c1", "public_key": True, "timeout": 1800,
               "poll_interval": 20},
              {"name": "hv02", "address": "hv02.lab", "cluster": "Default", "password": "secret"}],
    "storages": {"lab-data": {"master": True, "nfs": {"address": "nas.lab", "path": "/export/data"}},
                 "lab-iso": {"domain_function": "iso", "nfs": {"address": "nas.lab", "path": "/export/iso"}}},
    "logical_networks": [{"name": "app-net", "vlan_tag": 120, "clusters": [{"name": "lab-c1", "required": False}]},
                         {"name": "untagged", "vlan_tag": -1}],
}


def test_infra_variables_become_one_data_center():
    warnings: list[str] = []
    doc = infra_estate(INFRA, warnings)
    dc = doc["data_centers"][0]
    assert dc["name"] == "dc-lab" and dc["description"] == "lab" and dc["compatibility_version"] == "4.7"
    c1, default = dc["clusters"]
    assert c1 == {"name": "lab-c1", "cpu_type": "Secure AMD EPYC", "switch_type": "ovs", "ksm": True,
                  "description": "Production cluster", "ballooning": False, "memory_policy": "disabled",
                  "ha_reservation": True, "fence_enabled": True, "compatibility_version": "4.7",
                  "hosts": [{"name": "hv01", "address": "hv01.lab", "public_key": True}]}  # the item wins: ksm
    assert default == {"name": "Default", "hosts": [{"name": "hv02", "address": "hv02.lab", "password": "secret"}]}
    assert [s["name"] for s in dc["storage_domains"]] == ["lab-data", "lab-iso"]
    assert dc["networks"][1] == {"name": "untagged", "vlan_tag": ""}
    assert warnings and "migration_policy" in warnings[0]
    validate(inline(doc))  # the translation is a valid desired state


def test_teardown_and_refusals():
    assert infra_estate({"data_center_name": "dc", "data_center_state": "absent", "recursive_cleanup": True}) == {
        "data_centers": [{"name": "dc", "state": "absent", "recursive_cleanup": True}]}
    with pytest.raises(UnsupportedError, match="mac_pools, users not supported yet"):
        infra_estate({**INFRA, "users": [{"name": "u"}], "mac_pools": [{"mac_pool_name": "p"}]})
    with pytest.raises(UnsupportedError, match="scheduling_policy not supported yet"):
        infra_estate({**INFRA, "clusters": [{"name": "c", "scheduling_policy": "evenly_distributed"}]})
    with pytest.raises(UnsupportedError, match="power_management not supported yet"):
        infra_estate({**INFRA, "hosts": [{"name": "h", "cluster": "c", "power_management": {"type": "ipmilan"}}]})


PROFILE = {"cluster": "c1", "template": "Blank", "memory": "1GiB", "cores": 2, "tag": "web",
           "disks": [{"name": "os", "size": "10GiB", "storage_domain": "data", "bootable": True}],
           "nics": [{"name": "nic1", "network": "app"}], "cloud_init": {"host_name": "x"},
           "custom_properties": [{"name": "hugepages", "value": "1048576", "regexp": ".*"}]}


def test_vm_infra_merges_the_profile_under_each_vm():
    vms = [{"name": "web-01", "profile": PROFILE, "state": "running"},
           {"name": "web-02", "profile": PROFILE, "memory": "2GiB", "cores": 4,
            "disks": [{"name": "os", "size": "20GiB"}, {"name": "data", "size": "5GiB", "storage_domain": "data",
                                                        "name_prefix": False}]}]
    doc = vm_infra_estate(vms)
    web1, web2 = doc["vms"]
    assert web1 == {"name": "web-01", "cluster": "c1", "template": "Blank", "memory": "1GiB", "cpu_cores": 2,
                    "state": "running", "disks": [{"name": "web-01_os", "size": "10GiB", "storage_domain": "data",
                                                   "bootable": True}],
                    "nics": [{"name": "nic1", "network": "app"}],
                    "custom_properties": [{"name": "hugepages", "value": "1048576"}]}
    assert web2["memory"] == "2GiB" and web2["cpu_cores"] == 4
    assert web2["disks"] == [{"name": "web-02_os", "size": "20GiB", "storage_domain": "data", "bootable": True},
                             {"name": "data", "size": "5GiB", "storage_domain": "data"}]
    assert unsupported_profile_keys(vms)[0] == "VM web-01: profile options cloud_init are not applied " \
                                               "(not supported yet)"
    validate(inline(doc))
    with pytest.raises(UnsupportedError, match="VM x: sysprep not supported yet"):
        vm_infra_estate([{"name": "x", "sysprep": {"host_name": "x"}}])
