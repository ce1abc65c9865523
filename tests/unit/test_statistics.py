"""The statistics formulas (vdsm's), the statistic ids (Java's name-based UUIDs) and the readers of host facts."""

from __future__ import annotations

import pytest

from engine_api.agent import graphics, netinfo, stats
from engine_api.protocol.addresses import netmask
from engine_api.rest import measured

PROC_STAT = """cpu  1000 200 300 8000 50 0 10 0 0 0
cpu0 500 100 150 4000 25 0 5 0 0 0
cpu1 500 100 150 4000 25 0 5 0 0 0
intr 12345
ctxt 999
btime 1700000000
processes 42
"""
MEMINFO = """MemTotal:       16000000 kB
MemFree:         4000000 kB
MemAvailable:    9000000 kB
Buffers:          500000 kB
Cached:          3000000 kB
SwapCached:         1000 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
SReclaimable:     500000 kB
HugePages_Total:       0
"""
KiB = 1024


def test_java_name_uuid_ids():
    # Java's UUID.nameUUIDFromBytes(name.getBytes()): MD5 of the name, version 3, IETF variant
    assert measured.statistic_id("") == "d41d8cd9-8f00-3204-a980-0998ecf8427e"
    assert measured.statistic_id("memory.total") == "7816602b-c05c-3db7-a4da-3769f7ad8896"
    assert measured.statistic_id("cpu.current.guest") == "ef802239-b74a-329f-9955-be8fea6b50a4"
    assert measured.statistic_id("elapsed.time") == "57dfc947-ba36-3a51-a1ad-3800b6199ff5"


def test_proc_stat_counts_user_with_nice_and_cpus():
    cpu, boot = stats.parse_proc_stat(PROC_STAT)
    assert cpu == stats.CpuTimes(user=1200, system=300, idle=8000, ncpus=2)
    assert boot == 1700000000
    with pytest.raises(ValueError):
        stats.parse_proc_stat("intr 1\n")


def test_meminfo_in_bytes():
    mem = stats.parse_meminfo(MEMINFO)
    assert mem["MemTotal"] == 16000000 * KiB
    assert mem["HugePages_Total"] == 0  # a count, not kB


def test_memory_used_as_vdsm():
    mem = stats.parse_meminfo(MEMINFO)
    # 100 - (MemFree + Cached + Buffers + SReclaimable) / MemTotal = 100 - 8000000/16000000
    assert stats.memory_used_percent(mem) == pytest.approx(50.0)


def test_host_cpu_jiffies_divided_by_cpus():
    before = stats.CpuTimes(user=1000, system=500, idle=0, ncpus=2)
    after = stats.CpuTimes(user=1100, system=550, idle=0, ncpus=2)
    # 2 s at 100 Hz on 2 CPUs = 400 jiffies: 100 user jiffies are 25 %, 50 system jiffies 12.5 %
    assert stats.cpu_percent(before, after, 2.0, 100) == {"user": 25.0, "system": 12.5, "idle": 62.5}
    # counters and the wall clock drift apart a little: shares stay in 0..100
    busy = stats.cpu_percent(before, stats.CpuTimes(1500, 500, 0, 2), 2.0, 100)
    assert busy == {"user": 100.0, "system": 0.0, "idle": 0.0}


def _sample(t: float, user: int, system: int) -> stats.HostSample:
    return stats.HostSample(time=t, cpu=stats.CpuTimes(user, system, 0, 2), meminfo=stats.parse_meminfo(MEMINFO),
                            loadavg=(0.5, 0.25, 0.1), boot_time=1700000000, ksm_shared=4096,
                            hugepages={2048: {"total": 4, "free": 3}})


def test_host_stats_levels_and_rates():
    first = stats.host_stats(None, _sample(10.0, 1000, 500), 100)
    assert "cpu" not in first  # one sample has no rate
    assert first["memory"] == {"total": 16000000 * KiB, "used": 8000000 * KiB, "free": 8000000 * KiB,
                               "used_percent": 50.0, "buffers": 500000 * KiB, "cached": 3000000 * KiB,
                               "shared": 4096}
    assert first["swap"] == {"total": 2000000 * KiB, "free": 1500000 * KiB, "used": 500000 * KiB,
                             "cached": 1000 * KiB}
    assert first["load_avg_5m"] == 0.25 and first["boot_time"] == 1700000000
    assert first["hugepages"] == {"2048": {"total": 4, "free": 3}}
    second = stats.host_stats(_sample(10.0, 1000, 500), _sample(12.0, 1100, 550), 100)
    assert second["cpu"] == {"user": 25.0, "system": 12.5, "idle": 62.5}
    assert second["interval"] == 2.0


def test_sampler_reports_the_last_full_window(tmp_path, monkeypatch):
    samples = iter([_sample(0.0, 0, 0), _sample(0.2, 10, 0), _sample(2.0, 100, 0), _sample(2.5, 400, 0)])
    monkeypatch.setattr(stats, "host_sample", lambda proc, sys, cpu_times=None: next(samples))
    sampler = stats.Sampler(tmp_path, tmp_path)
    sampler.hz = 100
    assert "cpu" not in sampler.host()
    assert "cpu" not in sampler.host()  # 0.2 s after the first: no full window yet
    assert sampler.host()["cpu"]["user"] == 25.0  # 100 jiffies over 2 s on 2 CPUs
    assert sampler.host()["cpu"]["user"] == 25.0  # 0.5 s later: still the last full window


def test_vm_cpu_as_vdsm():
    before = {"cpu.time": 10_000_000_000, "cpu.user": 1_000_000_000, "cpu.system": 1_000_000_000}
    after = {"cpu.time": 11_500_000_000, "cpu.user": 1_300_000_000, "cpu.system": 1_200_000_000}
    # over 2 s: hypervisor = 100·Δ(user+system)/2/1e9 = 25; guest = 100·(Δtime − Δ(user+system))/2/1e9 = 50
    assert stats.vm_cpu(before, after, 2.0) == {"guest": 50.0, "hypervisor": 25.0, "total": 75.0}
    # guest is floored at 0 when the process times outrun the vCPU time
    odd = {"cpu.time": 10_100_000_000, "cpu.user": 1_500_000_000, "cpu.system": 1_000_000_000}
    assert stats.vm_cpu(before, odd, 1.0) == {"guest": 0.0, "hypervisor": 50.0, "total": 50.0}
    # without the process times only the total is known; without cpu.time nothing is
    assert stats.vm_cpu({"cpu.time": 0}, {"cpu.time": 500_000_000}, 1.0) == {"total": 50.0}
    assert stats.vm_cpu({"state.state": 1}, {"state.state": 1}, 1.0) == {}
    assert stats.vm_cpu(after, before, 2.0) == {}  # a restarted domain: no window


def test_vm_stats_report_only_what_libvirt_gives():
    prev = stats.VmSample(0.0, {"a": {"state.state": 1, "cpu.time": 0}, "b": {"state.state": 1}})
    cur = stats.VmSample(1.0, {
        "a": {"state.state": 1, "cpu.time": 250_000_000, "balloon.current": 1024, "balloon.available": 1000,
              "balloon.unused": 400, "balloon.disk_caches": 100, "vcpu.current": 2, "net.count": 1,
              "net.0.name": "vnet0", "net.0.rx.bytes": 10, "net.0.tx.bytes": 20},
        "b": {"state.state": 1}})
    out = stats.vm_stats(prev, cur, {"a": 100.0}, now=160.5)
    assert out["a"]["cpu"] == {"total": 25.0}
    assert out["a"]["memory"] == {"current": 1024 * KiB, "available": 1000 * KiB, "unused": 400 * KiB,
                                  "cached": 100 * KiB, "used": 600 * KiB}
    assert out["a"]["vcpus"] == 2 and out["a"]["elapsed_time"] == 60
    assert out["a"]["network"] == [{"name": "vnet0", "rx_bytes": 10, "tx_bytes": 20}]
    assert out["b"] == {}  # the test driver's domains: state only


def test_vm_statistics_of_a_down_vm_are_static():
    vm = {"id": "v", "memory": 1 << 30, "status": "down"}
    assert measured.vm_values(vm, None) == {"memory.installed": 1 << 30}
    report = {"statistics": {"cpu": {"guest": 1.5, "hypervisor": 0.5, "total": 2.0}, "elapsed_time": 7,
                             "memory": {"used": 100, "unused": 50}}}
    assert measured.vm_values(vm, report) == {
        "memory.installed": 1 << 30, "memory.used": 100, "memory.unused": 50, "cpu.current.guest": 1.5,
        "cpu.current.hypervisor": 0.5, "cpu.current.total": 2.0, "elapsed.time": 7}


def test_statistic_wire_document():
    s = measured.statistic("memory.total", measured.HOST_STATISTICS["memory.total"], 1024.0, "host", "h1")
    assert s == {"id": "7816602b-c05c-3db7-a4da-3769f7ad8896", "name": "memory.total",
                 "description": "Total memory", "kind": "gauge", "unit": "bytes", "type": "integer",
                 "values": [{"datum": 1024}], "host": {"id": "h1"}}


def test_host_values_skip_what_was_not_measured():
    report = {"host": {"memory": {"total": 10, "used": 4, "free": 6}, "load_avg_5m": 0.5}}
    assert measured.host_values(report) == {"memory.total": 10, "memory.used": 4, "memory.free": 6,
                                            "cpu.load.avg.5m": 0.5}


def test_nics_from_sysfs(tmp_path):
    for name, files in {"eth0": {"address": "52:54:00:12:34:56", "mtu": "1500", "speed": "1000",
                                 "operstate": "up"},
                        "lo": {"address": "00:00:00:00:00:00", "mtu": "65536", "operstate": "unknown",
                               "carrier": "1"},
                        "ifb0": {"address": "1a:53:79:52:a3:8c", "mtu": "1500", "speed": "-1",
                                 "operstate": "down"}}.items():
        (tmp_path / name).mkdir()
        for f, v in files.items():
            (tmp_path / name / f).write_text(v + "\n")
    assert netinfo.link(tmp_path, "eth0") == {"name": "eth0", "mac": "52:54:00:12:34:56", "mtu": 1500,
                                              "speed": 1_000_000_000, "status": "up"}
    assert netinfo.link(tmp_path, "lo") == {"name": "lo", "mtu": 65536, "status": "up"}
    assert netinfo.link(tmp_path, "ifb0") == {"name": "ifb0", "mac": "1a:53:79:52:a3:8c", "mtu": 1500,
                                              "status": "down"}  # no speed: unknown is absent


def test_addresses_and_the_management_interface():
    found = netinfo.addresses_from_ip_json([
        {"ifname": "eth0", "addr_info": [
            {"family": "inet", "local": "192.0.2.2", "prefixlen": 24, "scope": "global", "dynamic": True},
            {"family": "inet6", "local": "fe80::1", "prefixlen": 64, "scope": "link"}]},
        {"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host"}]}])
    assert found["eth0"][0] == {"address": "192.0.2.2", "prefix": 24, "version": "v4", "scope": "global",
                                "dynamic": True}
    eth0, lo = {"addresses": found["eth0"]}, {"addresses": found["lo"]}
    assert measured.carries(eth0, "192.0.2.2") == 2
    assert measured.carries(eth0, "192.0.2.77") == 1
    assert measured.carries(lo, "127.0.0.5") == 1 and measured.carries(eth0, "127.0.0.5") == 0
    assert measured.carries(eth0, "host.example") == 0
    assert netmask(24, "v4") == "255.255.255.0"


def test_graphics_of_a_live_domain():
    xml = """<domain><devices>
      <graphics type='vnc' port='5901' autoport='yes' listen='0.0.0.0'><listen type='address' address='0.0.0.0'/>
      </graphics>
      <graphics type='spice' port='-1' tlsPort='-1' autoport='yes'><listen type='address' address='10.0.0.1'/>
      </graphics>
      <graphics type='sdl'/></devices></domain>"""
    assert graphics.devices(xml) == [{"type": "vnc", "listen": "0.0.0.0", "port": 5901},
                                     {"type": "spice", "listen": "10.0.0.1"}]  # no port allocated: none shown


def test_domain_graphics_follow_the_display():
    from lxml import etree

    from engine_api.agent import domain

    spec = {"id": "6695eb01-f6a4-8304-79aa-97f2502e193f", "name": "g", "memory": 1 << 30,
            "display": {"type": "spice", "monitors": 2}}
    root = etree.fromstring(domain.build(spec, "test").encode())
    (g,) = root.findall("devices/graphics")
    assert (g.get("type"), g.get("autoport"), g.get("passwdValidTo")) == ("spice", "yes", graphics.EXPIRED)
    assert g.get("passwd")  # set, and already expired: no one connects before a ticket
    assert [(m.get("type"), m.get("heads")) for m in root.findall("devices/video/model")] == [("qxl", "2")]
    headless = etree.fromstring(domain.build(dict(spec, display=None), "test").encode())
    assert headless.findall("devices/graphics") == [] and headless.findall("devices/video") == []


def test_host_cpu_is_the_hypervisors_count():
    """A test-driver node is simulated: its CPU is what libvirt says of it, not the load of the machine it runs on."""
    import libvirt

    conn = libvirt.open("test:///default")
    try:
        times = stats.hypervisor_cpu(conn, 100)
        raw = conn.getCPUStats(-1)
        assert times is not None and times.ncpus == conn.getInfo()[2]
        assert times.user == raw["user"] * 100 // 1_000_000_000
        assert times.system == raw["kernel"] * 100 // 1_000_000_000
    finally:
        conn.close()
