"""The collection against an engine whose hosts really come up: every managing module, then every ``_info``.

Four ansible-playbook runs of one playbook, playbooks/lab.yml (each costs ten to twenty seconds, so the
coverage is batched):

1. build: a data center and cluster, both lab hosts (they reach ``up``), an NFS data domain attached and
   activated, a second one attached but kept in maintenance, a network with a VLAN, a VM (stopped) with a disk
   and a NIC, a template made from it, a VM from the template (running), a data disk and a second NIC added
   with the standalone modules, a floating disk, and an event;
2. the same again: ``changed=0``; this run also lists everything with the ``_info`` modules;
3. a modified declaration under ``--check --diff``: exactly the changes (a VLAN removed, memory, a disk
   grown, a NIC model, a VM stopped, a disk and a host removed), and nothing changes on the engine;
4. the same for real: every task changes, plans and diffs exactly as predicted, and the engine shows it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import EngineApi, GiB, playbook_runner

MiB = 1024**2

LAB = Path(__file__).with_name("playbooks") / "lab.yml"  # linted with the rest (tests/quality/test_lint.py)

TASKS = ("dc", "cluster", "sd", "sd_maint", "net", "golden", "tpl", "app", "disk", "scratch", "nic", "event")
BUILD = {"host_text": "lab host", "removed_hosts": [], "vlan": 100, "golden_memory": "512MiB",
         "app_state": "running", "data_size": "1GiB", "scratch_state": "present", "nic_interface": "virtio",
         "with_info": False}
MODIFIED = {**BUILD, "host_text": "lab hypervisor", "removed_hosts": [1], "vlan": "", "golden_memory": "1GiB",
            "app_state": "stopped", "data_size": "2GiB", "scratch_state": "absent", "nic_interface": "e1000"}


def results(run: dict) -> dict[str, dict]:
    """Every module result of a run by task, the hosts loop split into ``host0`` and ``host1``."""
    out = {k: run[k] for k in TASKS}
    out.update({f"host{i}": r for i, r in enumerate(run["hosts"]["results"])})
    return out


def diffs(result: dict) -> dict[str, tuple]:
    return {d["before_header"]: (d["before"], d["after"]) for d in result.get("diff") or []}


@pytest.fixture(scope="module")
def lab(lab_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("lab-playbooks")
    run = playbook_runner(lab_engine, work)
    common = {"lab_hosts": [h.address for h in lab_engine.engine.lab.hosts],
              "nfs_path": str(tmp_path_factory.mktemp("nfs") / "labnfs")}
    return (lambda changes, *args: run(str(LAB), {**common, **changes}, *args)), EngineApi(lab_engine)


def test_every_module_builds_then_idles_then_predicts_exactly_what_it_changes(lab):
    run, api = lab

    # 1. build
    built, stats, log = run(BUILD)
    assert stats["failed"] == 0, log
    assert stats["changed"] == 13, log  # every managing task (the hosts loop is one task)
    assert all(r["changed"] for r in results(built).values()), log
    assert [h["host"]["status"] for h in built["hosts"]["results"]] == ["up", "up"]
    assert [(s["op"], s.get("action")) for s in built["sd"]["plan"]] == [
        ("create", None), ("action", "attach"), ("action", "activate")]
    # The engine activates a domain on attach when a host is up (as oVirt does): maintenance deactivates it in the
    # same run, so the next run has nothing to do (the second run below asserts changed=0).
    assert [(s["op"], s.get("action")) for s in built["sd_maint"]["plan"]] == [
        ("create", None), ("action", "attach"), ("action", "deactivate")]
    assert [s["op"] for s in built["golden"]["plan"]] == ["create", "create", "create"]  # VM, disk, NIC
    assert built["net"]["network"]["vlan"] == {"id": 100}
    assert built["app"]["vm"]["status"] == "up" and built["golden"]["vm"]["status"] == "down"
    assert built["tpl"]["template"]["status"] == "ok"
    assert built["disk"]["disk"]["disk"]["provisioned_size"] == GiB  # an attachment, its disk followed
    assert built["scratch"]["disk"]["provisioned_size"] == 128 * MiB  # a floating disk is the disk itself
    assert [n["name"] for n in built["golden"]["vm"]["nics"]["nic"]] == ["nic1"]  # a VM comes with its NICs
    assert built["event"]["event"]["description"] == "lab built"

    # 2. again: nothing to do, each entity says why; then what the _info modules see
    again, stats, log = run({**BUILD, "with_info": True})
    assert stats["changed"] == 0 and stats["failed"] == 0, log
    assert {s["op"] for r in results(again).values() for s in r["plan"]} == {"noop"}
    assert all(s["reason"] for r in results(again).values() for s in r["plan"])
    for key, result in results(again).items():  # an unchanged entity is returned in the same shape
        assert sorted(result["entity"]) == sorted(results(built)[key]["entity"]), key
    info = again["info"]
    [dc] = info["dc"]["data_centers"]
    assert dc["name"] == "labdc"
    assert sorted((s["name"], s["status"]) for s in dc["storage_domains"]["storage_domain"]) == [
        ("labmaint", "maintenance"), ("labnfs", "active")]
    assert [c["name"] for c in info["cluster"]["clusters"]] == ["labc"]
    assert sorted((h["name"], h["status"]) for h in info["host"]["hosts"]) == [("lab0", "up"), ("lab1", "up")]
    [sd] = info["sd"]["storage_domains"]
    assert (sd["name"], sd["type"], sd["storage"]["address"]) == ("labnfs", "data", "127.0.0.1")
    assert [(n["name"], n["vlan"]) for n in info["net"]["networks"]] == [("labnet", {"id": 100})]
    assert [p["name"] for p in info["profile"]["vnic_profiles"]] == ["labnet"]
    assert [(t["name"], t["status"]) for t in info["tpl"]["templates"]] == [("golden-tpl", "ok")]
    vms = {v["name"]: v for v in info["vm"]["vms"]}
    assert {n: v["status"] for n, v in vms.items()} == {"golden": "down", "app1": "up"}
    assert sorted(a["disk"]["alias"] for a in vms["golden"]["disk_attachments"]["disk_attachment"]) == [
        "golden_data", "golden_os"]
    assert sorted(n["name"] for n in vms["golden"]["nics"]["nic"]) == ["nic1", "nic2"]
    assert sorted((d["alias"], d["provisioned_size"], d["status"]) for d in info["disk"]["disks"]) == [
        ("golden_data", GiB, "ok"), ("scratch", 128 * MiB, "ok")]
    assert [(n["name"], n["interface"]) for n in info["nic"]["nics"]] == [("nic1", "virtio"), ("nic2", "virtio")]
    assert [(e["origin"], e["custom_id"], e["description"]) for e in info["event"]["events"]] == [
        ("lab-test", 1, "lab built")]

    # 3. a modified declaration, checked: exactly these changes, and none made
    check, stats, log = run(MODIFIED, "--check", "--diff")
    assert stats["failed"] == 0, log
    assert stats["changed"] == 7, log  # hosts, network, golden, app, data disk, floating disk, NIC
    predicted = results(check)
    assert {k for k, r in predicted.items() if r["changed"]} == {
        "host0", "host1", "net", "golden", "app", "disk", "scratch", "nic"}
    assert diffs(predicted["net"]) == {"network 'labnet' (update)": ({"vlan_tag": 100}, {"vlan_tag": None})}
    assert diffs(predicted["golden"]) == {"VM 'golden' (update)": ({"memory": 512 * MiB}, {"memory": GiB})}
    assert diffs(predicted["app"]) == {"VM 'app1' (action stop)": ({"status": "up"}, {"status": "down"})}
    assert diffs(predicted["disk"]) == {
        "disk 'golden_data' of VM 'golden' (update)": ({"size": GiB}, {"size": 2 * GiB})}
    assert diffs(predicted["nic"]) == {
        "NIC 'nic2' of VM 'golden' (update)": ({"interface": "virtio"}, {"interface": "e1000"})}
    assert diffs(predicted["host0"]) == {
        "host 'lab0' (update)": ({"description": "lab host"}, {"description": "lab hypervisor"})}
    assert [(s["op"], s.get("action")) for s in predicted["host1"]["plan"]] == [
        ("action", "deactivate"), ("delete", None)]  # an up host goes to maintenance before it is removed
    [(before, after)] = diffs(predicted["scratch"]).values()
    assert (before["size"], before["storage_domain"], after) == (128 * MiB, "labnfs", {})
    assert "vlan_tag" in log and "-    \"vlan_tag\": 100" in log  # --diff shows it
    [net] = api.find("networks", "labnet")
    assert net["vlan"] == {"id": 100}
    assert api.find("vms", "app1")[0]["status"] == "up"
    assert len(api.find("hosts", "lab1")) == 1 and len(api.find("disks", "scratch")) == 1

    # 4. the same for real: what the check predicted, change for change
    real, stats, log = run(MODIFIED, "--diff")
    assert stats["failed"] == 0 and stats["changed"] == 7, log
    done = results(real)
    for key, result in done.items():
        assert (result["changed"], result["plan"], result.get("diff")) == (
            predicted[key]["changed"], predicted[key]["plan"], predicted[key].get("diff")), key
    [net] = api.find("networks", "labnet")
    assert "vlan" not in net or not net["vlan"]
    [golden] = api.find("vms", "golden", follow="disk_attachments.disk,nics")
    assert golden["memory"] == GiB
    sizes = {a["disk"]["alias"]: a["disk"]["provisioned_size"] for a in golden["disk_attachments"]["disk_attachment"]}
    assert sizes == {"golden_os": GiB, "golden_data": 2 * GiB}
    assert {n["name"]: n["interface"] for n in golden["nics"]["nic"]} == {"nic1": "virtio", "nic2": "e1000"}
    assert api.find("vms", "app1")[0]["status"] == "down"
    assert api.find("hosts", "lab1") == [] and api.find("disks", "scratch") == []
    assert api.find("hosts", "lab0")[0]["description"] == "lab hypervisor"
