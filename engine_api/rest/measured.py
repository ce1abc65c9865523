"""What hosts measure, served as oVirt serves it: statistics, a host's network interfaces, graphics consoles.

Everything here comes from the last report of a host's agent (``engine.host_stats``, kept by monitoring) or
from its capabilities (kept on the host at install and refresh); what no agent reported is absent, never
made up. The collections are read in the request's thread, which :func:`bind` gives the request's context.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from engine_api.commands.consoles import console_id, display_protocol
from engine_api.protocol.addresses import netmask
from engine_api.rest.resources import API
from engine_api.store import repo
from engine_api.store.schema import col

if TYPE_CHECKING:
    from engine_api.core.context import Context
    from engine_api.engine import Engine

_CONTEXT: ContextVar[Context | None] = ContextVar("vdc_request_context", default=None)
_NS = uuid.UUID("6f1d1a9e-3c55-4c1e-9d39-7664632d6578")  # ids of computed things: uuid5(_NS, owner id + what)

REPORTING_HOSTS = {"up", "preparing_for_maintenance", "non_operational"}  # monitored, their report is current
RUNNING_VMS = {"up", "paused", "powering_down", "powering_up", "reboot_in_progress", "migrating"}


def bind(ctx: Context) -> None:
    """Make ``ctx`` the context of what this request reads (the collections get no context of their own)."""
    _CONTEXT.set(ctx)


def _engine() -> Engine | None:
    ctx = _CONTEXT.get()
    return ctx.engine if ctx is not None else None


def derived_id(owner_id: str, what: str) -> str:
    return str(uuid.uuid5(_NS, f"{owner_id}/{what}"))


def statistic_id(name: str) -> str:
    """oVirt's statistic id: Java's ``UUID.nameUUIDFromBytes(name.getBytes())``, an MD5 (version 3) UUID of the
    name alone, with no namespace."""
    return str(uuid.UUID(bytes=hashlib.md5(name.encode()).digest(), version=3))


def host_report(host: dict | None) -> dict | None:
    """The last report of the host's agent, while the host is monitored and so the report current."""
    engine = _engine()
    if engine is None or host is None or host.get("status") not in REPORTING_HOSTS:
        return None
    return engine.host_stats.get(host["id"])


def vm_report(vm: dict | None) -> dict | None:
    """What the agent of a running VM's host last reported about it."""
    engine = _engine()
    if engine is None or vm is None or vm.get("status") not in RUNNING_VMS or not vm.get("host"):
        return None
    report = engine.host_stats.get(vm["host"]["id"]) or {}
    return next((v for v in report.get("vms") or [] if v.get("id") == vm["id"] and v.get("status") != "down"), None)


# ---------------------------------------------------------------- statistics

# name -> (description, kind, unit, type), as oVirt's HostStatisticalQuery and VmStatisticalQuery define them
GAUGE, COUNTER = "gauge", "counter"
HOST_STATISTICS: dict[str, tuple[str, str, str, str]] = {
    "memory.total": ("Total memory", GAUGE, "bytes", "integer"),
    "memory.used": ("Used memory", GAUGE, "bytes", "integer"),
    "memory.free": ("Free memory", GAUGE, "bytes", "integer"),
    "memory.shared": ("Shared memory", GAUGE, "bytes", "integer"),
    "memory.buffers": ("IO buffers", GAUGE, "bytes", "integer"),
    "memory.cached": ("OS caches", GAUGE, "bytes", "integer"),
    "swap.total": ("Total swap", GAUGE, "bytes", "integer"),
    "swap.free": ("Free swap", GAUGE, "bytes", "integer"),
    "swap.used": ("Used swap", GAUGE, "bytes", "integer"),
    "swap.cached": ("Swap also in memory", GAUGE, "bytes", "integer"),
    "ksm.cpu.current": ("KSM CPU usage", GAUGE, "percent", "decimal"),
    "cpu.current.user": ("User CPU usage", GAUGE, "percent", "decimal"),
    "cpu.current.system": ("System CPU usage", GAUGE, "percent", "decimal"),
    "cpu.current.idle": ("Idle CPU usage", GAUGE, "percent", "decimal"),
    "cpu.load.avg.5m": ("CPU 5 minute load average", GAUGE, "percent", "decimal"),
    "boot.time": ("Boot time of the machine", GAUGE, "none", "integer"),
}
HUGEPAGES = {"free": "Amount of free huge pages of the given size",
             "total": "Amount of total huge pages of the given size"}
VM_STATISTICS: dict[str, tuple[str, str, str, str]] = {
    "memory.installed": ("Total memory configured", GAUGE, "bytes", "integer"),
    "memory.used": ("Memory used (agent)", GAUGE, "bytes", "integer"),
    "memory.free": ("Memory free (agent)", GAUGE, "bytes", "integer"),
    "memory.buffered": ("Memory buffered (agent)", GAUGE, "bytes", "integer"),
    "memory.cached": ("Memory cached (agent)", GAUGE, "bytes", "integer"),
    "memory.unused": ("Memory unused (agent)", GAUGE, "bytes", "integer"),
    "cpu.current.guest": ("CPU used by guest", GAUGE, "percent", "decimal"),
    "cpu.current.hypervisor": ("CPU overhead", GAUGE, "percent", "decimal"),
    "cpu.current.total": ("Total CPU used", GAUGE, "percent", "decimal"),
    "elapsed.time": ("Elapsed VM runtime", COUNTER, "seconds", "integer"),
}


def statistic(name: str, spec: tuple[str, str, str, str], value: float, owner: str, owner_id: str) -> dict:
    description, kind, unit, type_ = spec
    datum = int(value) if type_ == "integer" else float(value)
    return {"id": statistic_id(name), "name": name, "description": description, "kind": kind, "unit": unit,
            "type": type_, "values": [{"datum": datum}], owner: {"id": owner_id}}


def host_values(report: dict) -> dict[str, float]:
    """oVirt's host statistics from an agent's ``host`` report: the ones it measured."""
    host = report.get("host") or {}
    memory, swap, cpu = host.get("memory") or {}, host.get("swap") or {}, host.get("cpu") or {}
    values: dict[str, float] = {}
    for key in ("total", "used", "free", "shared", "buffers", "cached"):
        if key in memory:
            values[f"memory.{key}"] = memory[key]
    for key in ("total", "free", "used", "cached"):
        if key in swap:
            values[f"swap.{key}"] = swap[key]
    for key in ("user", "system", "idle"):
        if key in cpu:
            values[f"cpu.current.{key}"] = cpu[key]
    if "load_avg_5m" in host:
        values["cpu.load.avg.5m"] = host["load_avg_5m"]
    if "boot_time" in host:
        values["boot.time"] = host["boot_time"]
    return values


def host_statistics(conn: Connection, host: dict | None) -> list[dict]:
    report = host_report(host)
    if host is None or report is None:
        return []
    out = [statistic(name, HOST_STATISTICS[name], value, "host", host["id"])
           for name, value in host_values(report).items()]
    for size, pages in sorted(((report.get("host") or {}).get("hugepages") or {}).items(), key=lambda i: int(i[0])):
        for key in ("free", "total"):
            if key in pages:
                name = f"hugepages.{size}.{key}"
                out.append(statistic(name, (HUGEPAGES[key], GAUGE, "none", "integer"), pages[key], "host",
                                     host["id"]))
    return out


def vm_values(vm: dict, report: dict | None) -> dict[str, float]:
    """oVirt's VM statistics: the configured memory, and what the agent measured of the running domain."""
    values: dict[str, float] = {}
    if vm.get("memory") is not None:
        values["memory.installed"] = vm["memory"]
    measured = (report or {}).get("statistics") or {}
    memory, cpu = measured.get("memory") or {}, measured.get("cpu") or {}
    for key, name in (("used", "memory.used"), ("cached", "memory.cached"), ("unused", "memory.unused")):
        if key in memory:
            values[name] = memory[key]
    for key in ("guest", "hypervisor", "total"):
        if key in cpu:
            values[f"cpu.current.{key}"] = cpu[key]
    if "elapsed_time" in measured:
        values["elapsed.time"] = measured["elapsed_time"]
    return values


def vm_statistics(conn: Connection, vm: dict | None) -> list[dict]:
    if vm is None:
        return []
    return [statistic(name, VM_STATISTICS[name], value, "vm", vm["id"])
            for name, value in vm_values(vm, vm_report(vm)).items()]


# ---------------------------------------------------------------- a host's network interfaces


def management_network(conn: Connection, host: dict) -> dict | None:
    cluster_id = (host.get("cluster") or {}).get("id")
    if not cluster_id:
        return None
    for link in repo.find(conn, "cluster_network", col("cluster_network", "cluster_id") == cluster_id):
        if "management" in (link.get("usages") or []):
            return repo.get(conn, "network", link["network"]["id"])
    return None


def _ip(address: dict) -> dict:
    return {"address": address["address"], "netmask": netmask(address["prefix"], address["version"]),
            "version": address["version"]}


def _first(addresses: list[dict], version: str) -> dict | None:
    """The interface's main address of a version: a global one first, then whatever it has."""
    mine = [a for a in addresses if a.get("version") == version]
    return next((a for a in mine if a.get("scope") == "global"), mine[0] if mine else None)


def carries(nic: dict, address: str) -> int:
    """How well ``address`` (the host's, as the engine reaches it) matches the interface: 2 it is one of its
    addresses, 1 it is in one of its networks, 0 neither (or it is a name, not an address)."""
    try:
        wanted = ipaddress.ip_address(address)
    except ValueError:
        return 0
    best = 0
    for a in nic.get("addresses") or []:
        iface = ipaddress.ip_interface(f"{a['address']}/{a['prefix']}")
        if iface.ip == wanted:
            return 2
        if wanted in iface.network:
            best = 1
    return best


def reported_nics(host: dict) -> list[dict]:
    """The interfaces of the latest report, or of the capabilities when the host is not monitored now."""
    report = host_report(host)
    if report is not None and report.get("nics") is not None:
        return report["nics"]
    return host.get("_nics") or []


def host_nics(conn: Connection, host: dict | None) -> list[dict]:
    if host is None:
        return []
    reported = reported_nics(host)
    out = []
    for nic in reported:
        doc: dict = {"id": derived_id(host["id"], f"nic/{nic['name']}"), "name": nic["name"],
                     "host": {"id": host["id"]}}
        if nic.get("mac"):
            doc["mac"] = {"address": nic["mac"]}
        for key in ("mtu", "speed", "status"):
            if nic.get(key) is not None:
                doc[key] = nic[key]
        addresses = nic.get("addresses") or []
        if v4 := _first(addresses, "v4"):
            doc["ip"] = _ip(v4)
            if v4.get("dynamic"):
                doc["boot_protocol"] = "dhcp"
        if v6 := _first(addresses, "v6"):
            doc["ipv6"] = _ip(v6)
        out.append(doc)
    scores = [carries(nic, host.get("address", "")) for nic in reported]
    if scores and max(scores) > 0 and (mgmt := management_network(conn, host)) is not None:
        out[scores.index(max(scores))]["network"] = {"id": mgmt["id"]}
    return out


def network_attachments(conn: Connection, host: dict | None) -> list[dict]:
    """The management network, attached to the interface the engine reaches the host through."""
    if host is None:
        return []
    out = []
    for nic in host_nics(conn, host):
        if nic.get("network"):
            assignment: dict = {"ip": dict(nic["ip"])} if nic.get("ip") else {}
            if assignment and nic.get("boot_protocol"):
                assignment["assignment_method"] = nic["boot_protocol"]
            out.append({"id": derived_id(host["id"], f"attachment/{nic['network']['id']}"),
                        "network": dict(nic["network"]), "host": {"id": host["id"]},
                        "host_nic": {"id": nic["id"], "href": f"{API}/hosts/{host['id']}/nics/{nic['id']}"},
                        "in_sync": True, "ip_address_assignments": [assignment] if assignment else []})
    return out


def nic_attachments(conn: Connection, nic: dict | None) -> list[dict]:
    if nic is None:
        return []
    host = repo.get(conn, "host", nic["host"]["id"])
    return [a for a in network_attachments(conn, host) if a["host_nic"]["id"] == nic["id"]]


# ---------------------------------------------------------------- graphics consoles


def graphics_consoles(owner: str):
    """A console when the VM's (template's) configuration has a display; a running VM's console has the
    address and port its domain really listens on, when the host reports them."""

    def items(conn: Connection, parent: dict | None) -> list[dict]:
        protocol = display_protocol(parent) if parent is not None else None
        if parent is None or protocol is None:
            return []
        console: dict[str, Any] = {"id": console_id(protocol), "protocol": protocol, owner: {"id": parent["id"]}}
        if owner == "vm" and (report := vm_report(parent)) is not None:
            device = next((g for g in report.get("graphics") or [] if g.get("type") == protocol), None)
            if device and device.get("port"):
                console["address"] = _console_address(conn, parent, device.get("listen"))
                console["port"] = device["port"]
                if device.get("tls_port"):
                    console["tls_port"] = device["tls_port"]
        return [console]

    return items


def _console_address(conn: Connection, vm: dict, listen: str | None) -> str | None:
    """Where a client reaches the console: the listen address, or when the domain listens on every address
    of its host, the host's display address (else the address the engine reaches it at)."""
    try:
        wildcard = listen is None or ipaddress.ip_address(listen).is_unspecified
    except ValueError:
        wildcard = False  # a host name
    if not wildcard:
        return listen
    host = repo.get(conn, "host", vm["host"]["id"]) or {}
    return (host.get("display") or {}).get("address") or host.get("address")
