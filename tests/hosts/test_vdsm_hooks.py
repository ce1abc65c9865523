"""Managed VDSM hooks on lab hosts: custom property definitions (engine config, effective at once), the
hooks API deploying scripts to a cluster's hosts, the seed's numa hook rewriting the domain libvirt defines,
failures and timeouts as audit events, drift detected and repaired, a host joining gets its hooks first."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest
from lxml import etree

from engine_api.cli import main as engine_cli
from tests.hosts.helpers import MiB, events_since, host_name, last_event_index, wait_for

NUMA = (Path(__file__).parent.parent / "data" / "hooks" / "50_numa").read_text()
NUMA_REGEX = "^(strict|interleave|preferred):[0-9^,-]+$"


@pytest.fixture(scope="module")
def api(lab_engine):
    base = lab_engine.url + "/vdc"
    with httpx.Client(base_url=base, auth=(lab_engine.username, lab_engine.password), timeout=60) as client:
        yield client


@pytest.fixture
def clean_hooks(api):
    yield
    for h in api.get("/hooks").json()["vdsm_hook"]:
        api.delete(f"/hooks/{h['id']}")


def add_hook(api, name: str, event: str, content: str, **targets) -> dict:
    r = api.post("/hooks", json={"name": name, "event": event, "content": content,
                                 "clusters": targets.get("clusters", [{"name": "Default"}]),
                                 "hosts": targets.get("hosts", [])})
    assert r.status_code == 201, r.text
    return r.json()


def agent_hook(lab_engine, i: int, event: str, name: str) -> Path:
    return lab_engine.engine.lab.hosts[i].state_dir / "hooks" / event / name


def new_vm(estate, name: str, **props: str) -> str:
    vm = estate.system.vms_service().add(t.Vm(
        name=name, cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"), memory=256 * MiB,
        memory_policy=t.MemoryPolicy(guaranteed=256 * MiB, max=256 * MiB),
        custom_properties=[t.CustomProperty(name=k, value=v) for k, v in props.items()]))
    return vm.id


def test_custom_properties_are_checked_against_the_engine_config_set_at_once(lab_engine, estate):
    data_dir = str(lab_engine.engine.data_dir)
    vms = estate.system.vms_service()
    with pytest.raises(sdk.Error) as refused:
        new_vm(estate, "props-undeclared", numa="strict:0")
    assert refused.value.code == 400 and "property numa is not defined for cluster level 4.7" in str(refused.value)
    # engine-config's way, on the running engine's database: no restart
    assert engine_cli(["config", "--data-dir", data_dir, "-s", f"UserDefinedVMProperties=numa={NUMA_REGEX}",
                       "--cver=4.7"]) == 0
    with pytest.raises(sdk.Error) as refused:
        new_vm(estate, "props-bad", numa="sometimes:0")
    assert refused.value.code == 400
    assert f"the value 'sometimes:0' of property numa does not match its regex {NUMA_REGEX}" in str(refused.value)
    ident = new_vm(estate, "props-good", numa="strict:0", sap_agent="true")  # a predefined one too
    try:
        got = {p.name: p.value for p in vms.vm_service(ident).get().custom_properties}
        assert got == {"numa": "strict:0", "sap_agent": "true"}
        with pytest.raises(sdk.Error) as refused:  # an update is checked as well
            vms.vm_service(ident).update(t.Vm(custom_properties=[t.CustomProperty(name="numa", value="x")]))
        assert refused.value.code == 400
    finally:
        vms.vm_service(ident).remove()


def test_engine_config_cli_and_api(lab_engine, api, capsys):
    data_dir = str(lab_engine.engine.data_dir)
    assert engine_cli(["config", "--data-dir", data_dir, "-l"]) == 0
    assert "UserDefinedVMProperties" in capsys.readouterr().out
    assert engine_cli(["config", "--data-dir", data_dir, "-s", "UserDefinedVMProperties=bad=(", "--cver=4.7"]) == 1
    assert "does not compile" in capsys.readouterr().err
    r = api.put("/engineconfig/UserDefinedVMProperties", json={"value": f"numa={NUMA_REGEX};tier=^(gold|silver)$",
                                                               "version": "4.6"})
    assert r.status_code == 200 and r.json()["changed"] is True
    assert engine_cli(["config", "--data-dir", data_dir, "-g", "UserDefinedVMProperties", "--cver=4.6"]) == 0
    assert capsys.readouterr().out.strip() == \
        f"UserDefinedVMProperties: numa={NUMA_REGEX};tier=^(gold|silver)$ version: 4.6"
    again = api.put("/engineconfig/UserDefinedVMProperties", json={"value": f"numa={NUMA_REGEX};tier=^(gold|silver)$",
                                                                   "version": "4.6"})
    assert again.json()["changed"] is False
    assert api.put("/engineconfig/UserDefinedVMProperties", json={"value": "x"}).status_code == 400  # no version
    assert api.put("/engineconfig/Nope", json={"value": "x"}).status_code == 404


def test_numa_hook_deployed_to_the_cluster_rewrites_the_domain(lab_engine, estate, api, clean_hooks):
    """The seed's numa hook as printed, deployed to cluster Default; a VM with numa=strict:0 starts and the
    domain libvirt defined holds the <numatune> the hook wrote."""
    engine_cli(["config", "--data-dir", str(lab_engine.engine.data_dir), "-s",
                f"UserDefinedVMProperties=numa={NUMA_REGEX}", "--cver=4.7"])
    hook = add_hook(api, "50_numa", "before_vm_start", NUMA)
    assert {s["status"] for s in hook["host_status"]} == {"installed"}
    assert len(hook["host_status"]) == 2
    for i in range(2):
        assert agent_hook(lab_engine, i, "before_vm_start", "50_numa").read_text() == NUMA
        listed = estate.host_service(i).hooks_service().list()
        assert [(h.event_name, h.name, h.md5) for h in listed] == [("before_vm_start", "50_numa", hook["md5"])]
    ident = new_vm(estate, "numa-vm", numa="strict:0")
    try:
        up = estate.start_on(ident, 0)
        state = lab_engine.engine.lab.hosts[estate.index_of(up.host.id)].state_dir
        xml = etree.fromstring((state / "domains" / f"{ident}.xml").read_bytes())
        memory = xml.find("numatune/memory")
        assert (memory.get("mode"), memory.get("nodeset")) == ("strict", "0")
        props = {p.get("name"): p.text for p in xml.iter("{http://vdc.example/vm/1.0}property")}
        assert props == {"numa": "strict:0"}  # carried in the domain's metadata
    finally:
        estate.destroy_vm(ident)


def test_failing_and_hanging_hooks_fail_the_start_with_audit_events(lab_engine, estate, api, clean_hooks, conn):
    mark = last_event_index(conn)
    add_hook(api, "10_refuse", "before_vm_start", "#!/bin/sh\necho 'no capacity for this VM' >&2\nexit 1\n")
    add_hook(api, "10_complain", "after_vm_start", "#!/bin/sh\necho 'just saying' >&2\nexit 2\n")
    ident = new_vm(estate, "hooked-vm")
    try:
        estate.vm(ident).start(vm=t.Vm(placement_policy=t.VmPlacementPolicy(hosts=[t.Host(id=estate.host_ids[0])])))
        estate.wait_vm_status(ident, t.VmStatus.DOWN)
        texts = wait_for(lambda: [e.description for e in events_since(conn, mark)],
                         lambda ts: any("10_refuse on Host" in x for x in ts), what="hook event")
        assert any("Failed to run VM hooked-vm" in x and "before_vm_start hook 10_refuse failed (exit code 1: no "
                   "capacity for this VM)" in x for x in texts), texts
        assert any(f"VDSM hook before_vm_start/10_refuse on Host {host_name(0)} for VM hooked-vm exited with code "
                   "1: no capacity for this VM" in x for x in texts), texts
        # a point that does not fail its operation: the VM runs, the failure is an event all the same
        api.delete(f"/hooks/{_find(api, '10_refuse')['id']}")
        mark = last_event_index(conn)
        estate.start_on(ident, 0)
        wait_for(lambda: [e.description for e in events_since(conn, mark)],
                 lambda ts: any("VDSM hook after_vm_start/10_complain" in x and "exited with code 2: just saying"
                                in x for x in ts), what="the after_vm_start failure event")
        estate.destroy_vm(ident)
        ident = new_vm(estate, "hooked-vm")
        # a hanging hook: killed at the timeout the engine sends with the hooks, the start fails clearly
        assert api.put("/engineconfig/HookScriptTimeoutInSeconds", json={"value": "2"}).status_code == 200
        add_hook(api, "20_hang", "before_vm_start", "#!/bin/sh\nsleep 600\n")
        mark = last_event_index(conn)
        started = time.monotonic()
        estate.vm(ident).start(vm=t.Vm(placement_policy=t.VmPlacementPolicy(hosts=[t.Host(id=estate.host_ids[0])])))
        estate.wait_vm_status(ident, t.VmStatus.DOWN, timeout=30)
        assert time.monotonic() - started < 20
        texts = wait_for(lambda: [e.description for e in events_since(conn, mark)],
                         lambda ts: any("20_hang" in x and "killed" in x for x in ts), what="timeout event")
        assert any("Failed to run VM hooked-vm" in x and "before_vm_start hook 20_hang failed (timed out after 2 s; "
                   "its process group was killed)" in x for x in texts), texts
    finally:
        api.put("/engineconfig/HookScriptTimeoutInSeconds", json={"value": "60"})
        estate.destroy_vm(ident)


def _find(api, name: str) -> dict:
    return next(h for h in api.get("/hooks").json()["vdsm_hook"] if h["name"] == name)


def _status(api, ident: str) -> dict[str, str]:
    return {s["host"]["name"]: s["status"] for s in api.get(f"/hooks/{ident}").json()["host_status"]}


def test_drift_is_detected_and_repaired(lab_engine, estate, api, clean_hooks, conn):
    hook = add_hook(api, "60_note", "after_vm_start", "#!/bin/sh\nexit 0\n")
    mark = last_event_index(conn)
    agent_hook(lab_engine, 0, "after_vm_start", "60_note").write_text("#!/bin/sh\necho tampered\n")
    agent_hook(lab_engine, 1, "after_vm_start", "60_note").unlink()
    wait_for(lambda: _status(api, hook["id"]), lambda s: s == {host_name(0): "changed", host_name(1): "missing"},
             what="drift in the per-host status")
    texts = wait_for(lambda: [e.description for e in events_since(conn, mark)],
                     lambda ts: sum("outside the engine" in x for x in ts) >= 2, what="drift events")
    assert any(f"VDSM hook after_vm_start/60_note was changed on Host {host_name(0)}" in x for x in texts), texts
    assert any(f"VDSM hook after_vm_start/60_note was deleted on Host {host_name(1)}" in x for x in texts), texts
    repaired = api.post(f"/hooks/{hook['id']}/deploy").json()
    assert {s["status"] for s in repaired["host_status"]} == {"installed"}
    assert agent_hook(lab_engine, 0, "after_vm_start", "60_note").read_text() == "#!/bin/sh\nexit 0\n"
    texts = [e.description for e in events_since(conn, mark)]
    assert any(f"60_note was changed on Host {host_name(0)}; deployed again" in x for x in texts), texts
    # removing the hook removes it from every host; a script put there by hand stays
    manual = agent_hook(lab_engine, 0, "after_vm_start", "99_by_hand")
    manual.write_text("#!/bin/sh\nexit 0\n")
    manual.chmod(0o755)
    try:
        assert api.delete(f"/hooks/{hook['id']}").status_code == 200
        assert not agent_hook(lab_engine, 0, "after_vm_start", "60_note").exists()
        assert not agent_hook(lab_engine, 1, "after_vm_start", "60_note").exists()
        assert manual.exists()
    finally:
        manual.unlink()


def test_a_host_that_joins_gets_the_cluster_hooks_before_it_is_up(lab_engine, estate, api, clean_hooks, conn):
    add_hook(api, "70_join", "before_vm_start", "#!/bin/sh\nexit 0\n")
    system = conn.system_service()
    estate.host_service(1).deactivate()
    estate.wait_host_status(1, t.HostStatus.MAINTENANCE)
    estate.host_service(1).remove()
    shutil.rmtree(lab_engine.engine.lab.hosts[1].state_dir / "hooks")  # a fresh host has none
    mark = last_event_index(conn)
    added = system.hosts_service().add(t.Host(name=host_name(1), address=estate.address(1), port=54321,
                                              cluster=t.Cluster(name="Default")))
    service = system.hosts_service().host_service(added.id)
    wait_for(service.get, lambda h: h.status == t.HostStatus.UP, what="the new host up")
    assert agent_hook(lab_engine, 1, "before_vm_start", "70_join").exists()
    texts = [e.description for e in sorted(events_since(conn, mark), key=lambda e: int(e.index))]  # oldest first
    installed = next(i for i, x in enumerate(texts) if f"VDSM hooks on Host {host_name(1)}: installed "
                     "before_vm_start/70_join" in x)
    up = next(i for i, x in enumerate(texts) if f"Host {host_name(1)} is up" in x)
    assert installed < up, texts
    assert {s["status"] for s in _find(api, "70_join")["host_status"]} == {"installed"}


def test_hooks_api_refusals(api, clean_hooks):
    assert api.post("/hooks", json={"name": "50_x", "event": "before_nothing", "content": "x"}).status_code == 400
    assert api.post("/hooks", json={"name": "../x", "event": "before_vm_start", "content": "x"}).status_code == 400
    assert api.post("/hooks", json={"name": "50_x", "event": "before_vm_start"}).status_code == 400
    r = api.post("/hooks", json={"name": "50_x", "event": "before_vm_start", "content": "#!/bin/sh\n",
                                 "clusters": [{"name": "nope"}]})
    assert r.status_code == 400 and "no cluster named 'nope'" in r.json()["detail"]
    add_hook(api, "50_x", "before_vm_start", "#!/bin/sh\n")
    assert api.post("/hooks", json={"name": "50_x", "event": "before_vm_start", "content": "#!/bin/sh\n",
                                    "clusters": ["Default"]}).status_code == 409
    assert api.get("/hooks/not-there").status_code == 404
    with httpx.Client(base_url=str(api.base_url)) as anonymous:
        assert anonymous.get("/hooks").status_code == 401
