"""Measured, not invented: host and VM statistics, host NICs, graphics consoles, tickets and hook checksums,
read through ovirtsdk4 from lab hosts (agents on this machine, libvirt's test driver) and compared with the
machine itself (``/proc``, ``/sys/class/net``) and with what the agents report."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from engine_api.rest.measured import derived_id, statistic_id
from tests.hosts.helpers import wait_for

SYS_NET = Path("/sys/class/net")


def _meminfo_total() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal in /proc/meminfo")


def _btime() -> int:
    return next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime "))


def _by_name(statistics: list[t.Statistic]) -> dict[str, t.Statistic]:
    return {s.name: s for s in statistics}


def _datum(s: t.Statistic) -> float:
    return s.values[0].datum


@pytest.fixture
def vm_id(estate, request):
    ident = estate.new_vm(f"st-{request.node.name[5:][:40]}".replace("_", "-"))
    yield ident
    estate.destroy_vm(ident)


def test_host_statistics_are_measured(estate):
    service = estate.host_service(0).statistics_service()
    stats = wait_for(lambda: _by_name(service.list()), lambda s: "cpu.current.user" in s, timeout=20,
                     what="host CPU statistics (two samples a window apart)", describe=sorted)
    assert {"memory.total", "memory.used", "memory.free", "swap.total", "swap.free", "swap.used",
            "cpu.current.user", "cpu.current.system", "cpu.current.idle", "cpu.load.avg.5m", "boot.time"} <= set(stats)
    assert "ksm.cpu.current" not in stats  # not measured, so not shown
    assert _datum(stats["memory.total"]) == _meminfo_total()
    assert _datum(stats["memory.used"]) + _datum(stats["memory.free"]) == _datum(stats["memory.total"])
    assert 0 < _datum(stats["memory.used"]) < _datum(stats["memory.total"])
    assert _datum(stats["boot.time"]) == _btime()
    cpu = [_datum(stats[f"cpu.current.{k}"]) for k in ("user", "system", "idle")]
    assert all(0 <= v <= 100 for v in cpu)
    assert sum(cpu) == pytest.approx(100, abs=0.05)
    assert _datum(stats["cpu.load.avg.5m"]) >= 0
    for name, s in stats.items():
        assert s.id == statistic_id(name)
        assert s.host.id == estate.host_ids[0]
    total = stats["memory.total"]
    assert (total.description, total.kind, total.unit, total.type) == (
        "Total memory", t.StatisticKind.GAUGE, t.StatisticUnit.BYTES, t.ValueType.INTEGER)
    user = stats["cpu.current.user"]
    assert (user.kind, user.unit, user.type) == (t.StatisticKind.GAUGE, t.StatisticUnit.PERCENT, t.ValueType.DECIMAL)
    one = service.statistic_service(total.id).get()
    assert one.name == "memory.total" and one.values[0].datum > 0
    with pytest.raises(sdk.NotFoundError):
        service.statistic_service(statistic_id("no.such.statistic")).get()


def test_statistics_in_json(estate, lab_engine):
    url = f"{lab_engine.url}/hosts/{estate.host_ids[0]}/statistics"
    r = httpx.get(url, auth=(lab_engine.username, lab_engine.password), headers={"Accept": "application/json"},
                  timeout=30)
    assert r.status_code == 200, r.text
    by_name = {s["name"]: s for s in r.json()["statistic"]}
    total = by_name["memory.total"]
    assert total["values"]["value"][0]["datum"] == _meminfo_total()
    assert (total["kind"], total["unit"], total["type"]) == ("gauge", "bytes", "integer")


def test_vm_statistics_only_while_running(estate, vm_id):
    service = estate.vm(vm_id).statistics_service()
    down = _by_name(service.list())
    assert list(down) == ["memory.installed"]  # a VM that does not run has its configuration only
    assert _datum(down["memory.installed"]) == estate.vm(vm_id).get().memory
    assert down["memory.installed"].vm.id == vm_id

    estate.start_on(vm_id, 0)
    first = wait_for(lambda: _by_name(service.list()), lambda s: "elapsed.time" in s, what="elapsed.time",
                     describe=sorted)
    later = wait_for(lambda: _by_name(service.list()),
                     lambda s: _datum(s["elapsed.time"]) > _datum(first["elapsed.time"]), timeout=10,
                     what="elapsed.time to grow", describe=lambda s: _datum(s["elapsed.time"]))
    elapsed = later["elapsed.time"]
    assert (elapsed.kind, elapsed.unit, elapsed.type) == (
        t.StatisticKind.COUNTER, t.StatisticUnit.SECONDS, t.ValueType.INTEGER)
    # libvirt's test driver gives no CPU or balloon statistics: none are shown
    assert not {n for n in later if n.startswith("cpu.") or n in ("memory.used", "memory.unused")}

    estate.vm(vm_id).stop()
    estate.wait_vm_status(vm_id, t.VmStatus.DOWN)
    assert list(_by_name(service.list())) == ["memory.installed"]


def test_host_nics_are_the_hosts_interfaces(estate):
    host = estate.host(0)
    service = estate.host_service(0)
    nics = service.nics_service().list()
    assert sorted(n.name for n in nics) == sorted(os.listdir(SYS_NET))
    for nic in nics:
        d = SYS_NET / nic.name
        assert nic.id == derived_id(host.id, f"nic/{nic.name}")
        assert nic.mtu == int((d / "mtu").read_text())
        mac = (d / "address").read_text().strip()
        assert (nic.mac.address if nic.mac else None) == (mac if mac != "00:00:00:00:00:00" else None)
        try:
            speed = int((d / "speed").read_text())
        except (OSError, ValueError):
            speed = -1
        assert nic.speed == (speed * 1_000_000 if speed > 0 else None)  # no speed when the kernel has none
    assert [n.id for n in service.nics_service().list()] == [n.id for n in nics]  # stable ids
    # the management network is on the interface the engine reaches the host through (loopback in the lab)
    attachments = service.network_attachments_service().list()
    assert [estate.conn.follow_link(a.network).name for a in attachments] == ["ovirtmgmt"]
    carrier = estate.conn.follow_link(attachments[0].host_nic)
    assert carrier.name == "lo" if host.address.startswith("127.") else carrier.name != "lo"
    nic_attachments = service.nics_service().nic_service(carrier.id).network_attachments_service().list()
    assert [a.id for a in nic_attachments] == [attachments[0].id]


def test_console_only_with_a_display(estate, vm_id):
    vm = estate.vm(vm_id)
    consoles = vm.graphics_consoles_service()
    listed = consoles.list()
    assert [(c.protocol, c.port) for c in listed] == [(t.GraphicsType.VNC, None)]  # from Blank's display
    estate.start_on(vm_id, 0)
    host = next(i for i, h in enumerate(estate.host_ids) if h == vm.get().host.id)
    report = estate.live.engine.broker.stats({"address": estate.address(host), "port": 54321})
    mine = next(v for v in report["vms"] if v["id"] == vm_id)
    assert [g["type"] for g in mine["graphics"]] == ["vnc"]  # the domain really has the device
    running = consoles.list()
    assert [c.protocol for c in running] == [t.GraphicsType.VNC]
    assert running[0].port is None and running[0].address is None  # the test driver allocates no port
    with pytest.raises(sdk.Error) as refused:
        consoles.console_service(running[0].id).remove()
    assert refused.value.code == 409  # a running VM keeps its console
    vm.stop()
    estate.wait_vm_status(vm_id, t.VmStatus.DOWN)

    consoles.console_service(listed[0].id).remove()
    assert consoles.list() == []
    assert vm.get().display is None
    estate.start_on(vm_id, 0)
    report = estate.live.engine.broker.stats({"address": estate.address(0), "port": 54321})
    assert next(v for v in report["vms"] if v["id"] == vm_id)["graphics"] == []
    assert consoles.list() == []
    vm.stop()
    estate.wait_vm_status(vm_id, t.VmStatus.DOWN)

    added = consoles.add(t.GraphicsConsole(protocol=t.GraphicsType.SPICE))
    assert added.protocol == t.GraphicsType.SPICE and added.id == "7370696365"  # oVirt: the protocol name in hex
    assert [c.protocol for c in consoles.list()] == [t.GraphicsType.SPICE]
    assert vm.get().display.type == t.DisplayType.SPICE
    with pytest.raises(sdk.Error) as twice:
        consoles.add(t.GraphicsConsole(protocol=t.GraphicsType.VNC))
    assert twice.value.code == 409


def test_ticket(estate, vm_id):
    vm = estate.vm(vm_id)
    with pytest.raises(sdk.Error) as down:
        vm.ticket(ticket=t.Ticket(expiry=60))
    assert down.value.code == 409 and "down" in str(down.value)
    console = vm.graphics_consoles_service().list()[0]
    with pytest.raises(sdk.Error) as down:
        vm.graphics_consoles_service().console_service(console.id).ticket()
    assert down.value.code == 409
    estate.start_on(vm_id, 0)
    # libvirt's test driver cannot change a running domain's graphics device: the refusal is passed on
    with pytest.raises(sdk.Error) as refused:
        vm.ticket()
    assert refused.value.code == 409 and "not supported" in str(refused.value)


def test_hook_md5_is_the_scripts(estate, lab_engine):
    lab_host = lab_engine.engine.lab.hosts[0]
    folder = lab_host.state_dir / "hooks" / "after_vm_start"
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "50_md5_probe"
    script.write_text("#!/bin/sh\n# probe for the hook checksum test\nexit 0\n")
    script.chmod(0o755)
    try:
        service = estate.host_service(0)
        service.refresh()
        hooks = {h.name: h for h in service.hooks_service().list()}
        assert hooks["50_md5_probe"].md5 == hashlib.md5(script.read_bytes()).hexdigest()
        assert hooks["50_md5_probe"].event_name == "after_vm_start"
    finally:
        script.unlink()
        estate.host_service(0).refresh()
