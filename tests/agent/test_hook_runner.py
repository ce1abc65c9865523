"""The agent's hook runner, through the agent's own driver over libvirt's test driver: vdsm's semantics (order,
one shared data file, environment, exit codes per point), ``hooking``, timeouts and the failure journal."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import textwrap
import time
import uuid
from pathlib import Path

import libvirt
import pytest
from lxml import etree

from engine_api.agent import hooks
from engine_api.agent.driver import Driver
from engine_api.hosts.testnode import NODE_XML
from engine_api.protocol.client import AgentError

DATA = Path(__file__).parent.parent / "data" / "hooks"


@pytest.fixture
def driver(tmp_path: Path) -> Driver:
    node = tmp_path / "node.xml"
    node.write_text(NODE_XML.format(kib=8 * 1024 * 1024))
    d = Driver(f"test://{node}", tmp_path / "state", hook_timeout=5)
    yield d
    d.conn.close()


def hook(driver: Driver, point: str, name: str, body: str, executable: bool = True) -> Path:
    path = driver.hooks_dir / point / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(body).lstrip())
    path.chmod(0o755 if executable else 0o644)
    return path


def spec(**custom: str) -> dict:
    return {"id": str(uuid.uuid4()), "name": f"vm-{uuid.uuid4().hex[:6]}", "memory": 256 << 20,
            "cpu": {"sockets": 1, "cores": 1, "threads": 1}, "custom_properties": custom}


def running(driver: Driver, vm_id: str) -> bool:
    try:
        return bool(driver.conn.lookupByUUIDString(vm_id).isActive())
    except libvirt.libvirtError:
        return False


def shell(rc: int, marker: Path, message: str = "") -> str:
    return f"#!/bin/sh\necho {message or 'ran'} >> {marker}\necho '{message}' >&2\nexit {rc}\n"


def test_the_seed_numa_hook_runs_unchanged_and_its_numatune_reaches_libvirt(driver):
    """The numa hook as the seed article prints it: ``#!/usr/bin/python`` (absent here) runs under the agent's
    Python 3, ``import hooking`` works, and the domain libvirt defined holds the ``<numatune>`` it wrote."""
    target = driver.hooks_dir / "before_vm_start" / "50_numa"
    target.parent.mkdir(parents=True)
    shutil.copy(DATA / "50_numa", target)
    target.chmod(0o755)
    assert hooks.command_of(target) == [sys.executable, str(target)]
    vm = spec(numa="strict:0")
    driver.create_vm(vm)
    xml = etree.fromstring(driver.conn.lookupByUUIDString(vm["id"]).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
    memory = xml.find("numatune/memory")
    assert memory is not None and memory.get("mode") == "strict" and memory.get("nodeset") == "0"
    assert xml.findtext("name") == vm["name"]  # the rest of the definition came through
    other = spec()  # no numa property: the hook leaves the XML alone
    driver.create_vm(other)
    assert etree.fromstring(driver.vm_xml(other["id"])).find("numatune") is None


def test_chain_order_shared_file_environment_and_ignored_files(driver, tmp_path):
    log = tmp_path / "order"
    hook(driver, "before_vm_start", "20_second", f"""
        #!/usr/bin/env python3
        import hooking, os
        dom = hooking.read_domxml()
        title = dom.getElementsByTagName('title')[0].firstChild.data
        with open({str(log)!r}, 'a') as f:
            f.write('20 saw ' + title + ' vmId=' + os.environ['vmId'] + ' color=' + os.environ['color'] + '\\n')
        """)
    hook(driver, "before_vm_start", "10_first", f"""
        #!/usr/bin/python2
        import hooking
        dom = hooking.read_domxml()
        title = dom.createElement('title')
        title.appendChild(dom.createTextNode('set-by-10'))
        dom.documentElement.appendChild(title)
        hooking.write_domxml(dom)
        open({str(log)!r}, 'a').write('10\\n')
        """)
    hook(driver, "before_vm_start", "15_not_executable", f"#!/bin/sh\necho 15 >> {log}\n", executable=False)
    (driver.hooks_dir / "before_vm_start" / "17_a_directory").mkdir()
    vm = spec(color="blue")
    driver.create_vm(vm)
    assert log.read_text().splitlines() == ["10", f"20 saw set-by-10 vmId={vm['id']} color=blue"]
    assert etree.fromstring(driver.vm_xml(vm["id"])).findtext("title") == "set-by-10"
    listed = {(h["event"], h["name"]) for h in hooks.installed(driver.hooks_dir)}
    assert listed == {("before_vm_start", "10_first"), ("before_vm_start", "20_second")}


@pytest.mark.parametrize("rc", [0, 1, 2, 3])
def test_exit_codes_at_a_point_that_fails_the_operation(driver, tmp_path, rc):
    """before_vm_start: 1 and 2 fail the start (2 also stops the chain), >2 is a warning, 0 is success."""
    marker = tmp_path / "ran"
    hook(driver, "before_vm_start", "10_first", shell(rc, marker, f"first says {rc}"))
    hook(driver, "before_vm_start", "20_next", shell(0, marker, "next"))
    vm = spec()
    if rc in (1, 2):
        with pytest.raises(AgentError) as failed:
            driver.create_vm(vm)
        assert str(failed.value) == f"before_vm_start hook 10_first failed (exit code {rc}: first says {rc})"
        assert not running(driver, vm["id"])
    else:
        driver.create_vm(vm)
        assert running(driver, vm["id"])
    assert marker.read_text().split() == ["first", "says", str(rc)] + (["next"] if rc != 2 else [])
    journal = driver.hooks.journal.report()["failures"]
    if rc == 0:
        assert journal == []
    else:
        assert [(f["script"], f["rc"], f["stderr"], f["warning"]) for f in journal] == \
            [("10_first", rc, f"first says {rc}", rc > 2)]


@pytest.mark.parametrize("rc", [0, 1, 2, 3])
def test_exit_codes_at_a_point_that_does_not_fail_the_operation(driver, tmp_path, rc):
    """after_vm_start: whatever the scripts answer the VM runs; failures are journaled, 2 stops the chain."""
    marker = tmp_path / "ran"
    hook(driver, "after_vm_start", "10_first", shell(rc, marker, f"after says {rc}"))
    hook(driver, "after_vm_start", "20_next", shell(0, marker, "next"))
    vm = spec()
    assert driver.create_vm(vm)["status"] == "up"
    assert running(driver, vm["id"])
    assert ("next" in marker.read_text()) == (rc != 2)
    journal = driver.hooks.journal.report()["failures"]
    assert [(f["point"], f["script"], f["rc"], f["vm_id"]) for f in journal] == \
        ([] if rc == 0 else [("after_vm_start", "10_first", rc, vm["id"])])


def test_a_hanging_hook_is_killed_with_its_process_group_and_the_start_fails(driver, tmp_path):
    driver.hooks.timeout = 1.0
    pids = tmp_path / "pids"
    hook(driver, "before_vm_start", "50_hang", f"""
        #!/bin/sh
        sleep 300 &
        echo $! > {pids}
        sleep 300
        """)
    vm = spec()
    started = time.monotonic()
    with pytest.raises(AgentError) as failed:
        driver.create_vm(vm)
    assert time.monotonic() - started < 10
    assert str(failed.value) == "before_vm_start hook 50_hang failed (timed out after 1 s; its process group " \
                                "was killed)"
    assert not running(driver, vm["id"])
    child = int(pids.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the hook's background child survived"
    [failure] = driver.hooks.journal.report()["failures"]
    assert failure["timed_out"] == 1.0 and failure["script"] == "50_hang"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def test_vm_points_pause_cont_destroy_and_their_data(driver, tmp_path):
    seen = tmp_path / "seen"
    for point in ("before_vm_pause", "after_vm_pause", "before_vm_cont", "after_vm_cont", "before_vm_destroy",
                  "after_vm_destroy"):
        hook(driver, point, "10_note", f"""
            #!/bin/sh
            echo "{point} $vmId $(wc -c < "$_hook_domxml") $tier" >> {seen}
            """)
    vm = spec(tier="gold")
    driver.create_vm(vm)
    driver.pause(vm["id"])
    driver.resume(vm["id"])
    driver.destroy(vm["id"])
    lines = [line.split() for line in seen.read_text().splitlines()]
    assert [p for p, *_ in lines] == ["before_vm_pause", "after_vm_pause", "before_vm_cont", "after_vm_cont",
                                      "before_vm_destroy", "after_vm_destroy"]
    assert all(ident == vm["id"] and tier == "gold" for _, ident, _, tier in lines)
    sizes = {p: int(size) for p, _, size, _ in lines}
    assert sizes["before_vm_destroy"] == 0  # vdsm gives before_vm_destroy no data
    assert all(size > 100 for p, size in sizes.items() if p != "before_vm_destroy")


def test_a_failing_before_pause_refuses_the_pause(driver):
    hook(driver, "before_vm_pause", "10_no", "#!/bin/sh\necho 'not now' >&2\nexit 1\n")
    vm = spec()
    driver.create_vm(vm)
    with pytest.raises(AgentError, match="before_vm_pause hook 10_no failed .exit code 1: not now."):
        driver.pause(vm["id"])
    assert driver.conn.lookupByUUIDString(vm["id"]).state()[0] == libvirt.VIR_DOMAIN_RUNNING


def test_json_statistics_hook_rewrites_what_the_agent_reports(driver):
    hook(driver, "after_get_all_vm_stats", "10_tag", """
        #!/usr/bin/python
        import hooking
        vms = hooking.read_json()
        for vm in vms:
            vm['tagged_by_hook'] = True
        hooking.write_json(vms)
        """)
    hook(driver, "after_get_stats", "10_host", """
        #!/usr/bin/python
        import hooking
        stats = hooking.read_json()
        stats['hook_note'] = 'hello'
        hooking.write_json(stats)
        """)
    vm = spec()
    driver.create_vm(vm)
    stats = driver.stats()
    assert stats["hook_note"] == "hello"
    assert [v["tagged_by_hook"] for v in stats["vms"] if v["id"] == vm["id"]] == [True]
    assert driver.capabilities()["hypervisor"] == "TEST"


def test_launch_flags_written_by_a_hook_reach_libvirt(driver):
    """libvirt's test driver knows no start flag: its refusal of START_PAUSED shows the hook's flags were used."""
    hook(driver, "before_vm_start", "10_paused", """
        #!/usr/bin/python3
        import os, hooking
        flags = hooking.load_vm_launch_flags_from_file(os.environ['vmId'])
        hooking.dump_vm_launch_flags_to_file(os.environ['vmId'], flags | 1)  # VIR_DOMAIN_START_PAUSED
        """)
    vm = spec()
    with pytest.raises(AgentError, match=r"unsupported flags \(0x1\)"):
        driver.create_vm(vm)
    assert not driver.hooks.launch_flags_file(vm["id"]).exists()  # read once, then gone


def test_hooking_helpers(tmp_path, monkeypatch):
    sys.path.insert(0, str(hooks.HOOKING_PATH))
    try:
        import hooking
    finally:
        sys.path.remove(str(hooks.HOOKING_PATH))
    assert [hooking.tobool(v) for v in (True, "TRUE", "1", "0", "no", None, "x", 2)] == \
        [True, True, True, False, False, False, False, True]
    rc, out, err = hooking.execCmd(["sh", "-c", "echo a; echo b; echo c >&2; exit 3"])
    assert (rc, out, err) == (3, ["a", "b"], ["c"])
    assert hooking.execCmd(["cat"], data="raw", raw=True) == (0, b"raw", b"")
    monkeypatch.setenv("VDC_HOOK_RUN_DIR", str(tmp_path))
    assert hooking.load_vm_launch_flags_from_file("x") == 0
    hooking.dump_vm_launch_flags_to_file("x", 5)
    assert hooking.load_vm_launch_flags_from_file("x") == 5
    with pytest.raises(SystemExit) as ended:
        hooking.exit_hook("bye")
    assert ended.value.code == 2


def test_environment_skips_what_cannot_be_passed():
    env = hooks.hook_env("vm1", {"good": "v", "bad name": "x", "nul": "a\0b", "num": 3}, {"FROM_SNAPSHOT": True})
    assert env["good"] == "v" and env["num"] == "3" and env["FROM_SNAPSHOT"] == "True" and env["vmId"] == "vm1"
    assert "bad name" not in env and "nul" not in env
    assert env["PYTHONPATH"].split(os.pathsep)[0] == str(hooks.HOOKING_PATH)


def test_script_detection_follows_vdsm(tmp_path):
    d = tmp_path / "before_vm_start"
    d.mkdir()
    (d / "b").write_text("#!/bin/sh\n")
    (d / "b").chmod(0o755)
    (d / "a").write_text("#!/bin/sh\n")
    (d / "a").chmod(stat.S_IRUSR | stat.S_IXUSR)
    (d / "c").write_text("#!/bin/sh\n")
    (d / "c").chmod(0o644)
    assert [p.name for p in hooks.scripts(tmp_path, "before_vm_start")] == ["a", "b"]
    assert hooks.scripts(tmp_path, "after_vm_start") == []


EXAMPLES = Path(__file__).parent.parent.parent / "playbooks" / "files" / "hooks"


def install_example(driver: Driver, point: str, name: str) -> None:
    target = driver.hooks_dir / point / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLES / point / name, target)
    target.chmod(0o755)


def test_example_cpushares_rewrites_the_domain(driver):
    install_example(driver, "before_vm_start", "50_vdc_cpushares")
    vm = spec(cpushares="2048")
    driver.create_vm(vm)
    assert etree.fromstring(driver.vm_xml(vm["id"])).findtext("cputune/shares") == "2048"
    with pytest.raises(AgentError, match="cpushares: '1' is not a CPU weight"):
        driver.create_vm(spec(cpushares="1"))


def test_example_pinned_refuses_migration(driver):
    install_example(driver, "before_vm_migrate_source", "50_vdc_pinned")
    moved = []
    pinned, free = spec(pinned="true"), spec(pinned="false")
    driver.create_vm(pinned)
    driver.create_vm(free)
    with pytest.raises(AgentError, match="is pinned to this host") as refused:
        driver.migrate_out(pinned["id"], lambda: moved.append(pinned["id"]))
    assert refused.value.status == 409 and moved == []
    driver.migrate_out(free["id"], lambda: moved.append(free["id"]))
    assert moved == [free["id"]]


def test_example_loadavg_extends_the_statistics(driver):
    install_example(driver, "after_get_stats", "50_vdc_loadavg")
    stats = driver.stats()
    assert len(stats["loadavg"]) == 3 and stats["processes_running"] >= 1
    assert "vms" in stats and "memory_total" in stats
