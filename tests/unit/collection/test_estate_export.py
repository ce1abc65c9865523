"""Export: facts back into a desired-state document, and the YAML round trip that keeps a person's edits."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.module_utils.estate.export import document
from ansible_collections.vdc.infra.plugins.module_utils.estate.flatten import flatten
from ansible_collections.vdc.infra.plugins.module_utils.estate.roundtrip import render
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import inline
from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import validate
from ansible_collections.vdc.infra.plugins.module_utils.planner import plan

GiB = 1024**3
CURRENT = {
    "data_center": [{"id": "d0", "name": "Default", "comment": ""},
                    {"id": "d1", "name": "dc1", "comment": "vdc-estate:lab", "compatibility_version": "4.7"}],
    "cluster": [{"id": "c0", "name": "Default", "data_center": "Default"},
                {"id": "c1", "name": "c1", "data_center": "dc1", "comment": "web vdc-estate:lab", "ksm": True}],
    "host": [{"id": "h1", "name": "hv1", "cluster": "c1", "address": "10.0.0.1", "status": "up",
              "comment": "vdc-estate:lab"}],
    "storage_domain": [], "template": [{"id": "t", "name": "Blank"}],
    "network": [{"id": "n0", "name": "ovirtmgmt", "data_center": "dc1"},
                {"id": "n1", "name": "app", "data_center": "dc1", "vlan_tag": 120, "comment": "vdc-estate:lab"}],
    "cluster_network": [{"id": "n1", "name": "app", "cluster": "c1", "data_center": "dc1", "required": False}],
    "vm": [{"id": "v1", "name": "web1", "cluster": "c1", "memory": GiB, "status": "up", "comment": "vdc-estate:lab"},
           {"id": "v2", "name": "theirs", "cluster": "c1", "memory": GiB, "status": "down", "comment": ""}],
    "disk": [{"id": "x", "name": "web1_os", "vm": "web1", "size": 2 * GiB, "storage_domain": "data",
              "read_only": False, "status": "ok"}],
    "nic": [{"id": "y", "name": "nic1", "vm": "web1", "profile": "app", "network": "app", "interface": "virtio"}],
}


def test_the_document_nests_names_and_leaves_out_what_the_engine_decides():
    doc = document(CURRENT, "lab")
    assert doc == {"estate": "lab", "data_centers": [{
        "name": "dc1", "compatibility_version": "4.7",
        "clusters": [{"name": "c1", "comment": "web", "ksm": True,
                      "hosts": [{"name": "hv1", "address": "10.0.0.1"}]}],
        "networks": [{"name": "app", "vlan_tag": 120, "clusters": ["c1"]}]}],
        "vms": [{"name": "web1", "cluster": "c1", "memory": "1GiB", "state": "running",
                 "disks": [{"name": "web1_os", "size": "2GiB", "storage_domain": "data"}],
                 "nics": [{"name": "nic1", "network": "app", "interface": "virtio"}]}]}
    everything = document(CURRENT)
    assert [dc["name"] for dc in everything["data_centers"]] == ["dc1"]  # Default is built in and unused
    assert [vm["name"] for vm in everything["vms"]] == ["theirs", "web1"]


def test_applying_the_export_changes_nothing():
    flat = flatten(validate(inline(document(CURRENT, "lab"))), "lab")
    steps = plan([d for d in flat.desired if d.kind != "disk"], CURRENT).steps  # no storage domain in the facts
    assert {s.op for s in steps} == {"noop"}, [s.as_dict() for s in steps if s.op != "noop"]


EXISTING = """\
---
# Our lab
estate: lab  # the owner
vms:
  # the front end
  - name: web1
    memory: 1GiB
  - name: gone
    memory: 1GiB
"""


def test_the_round_trip_keeps_comments_and_order():
    doc = {"estate": "lab", "vms": [{"name": "new", "memory": "1GiB"},
                                    {"name": "web1", "cluster": "c1", "memory": "2GiB", "state": "running"}]}
    assert render(doc, EXISTING) == """\
---
# Our lab
estate: lab  # the owner
vms:
  # the front end
  - name: web1
    cluster: c1
    memory: 2GiB
    state: running
  - name: new
    memory: 1GiB
"""
    assert render(doc, render(doc, EXISTING)) == render(doc, EXISTING)
    assert render({"vms": []}, None) == "---\nvms: []\n"
