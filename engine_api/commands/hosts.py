"""Hosts: registration, update and removal. Bringing a host to life is the host broker's job."""

from __future__ import annotations

import ipaddress
import re

from sqlalchemy import select

from engine_api.commands import host_runtime
from engine_api.commands.common import deep_defaults, merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.core.params import flag
from engine_api.scheduler.model import ACTIVE
from engine_api.store.schema import KINDS, col

AGENT_PORT = 54321
READONLY = frozenset({
    "status", "status_detail", "memory", "max_scheduling_memory", "summary", "libvirt_version", "version",
    "cpu", "hardware_information", "external_status", "update_available", "nics", "network_attachments",
    "storages", "statistics", "tags", "permissions", "katello_errata", "devices", "hooks", "fence_agents",
    "numa_nodes", "unmanaged_networks", "agents", "certificate", "auto_numa_status", "kdump_status",
    "iscsi_details", "ksm", "transparent_huge_pages", "se_linux", "reinstallation_required",
    "network_operation_in_progress", "ovn_configured", "numa_supported", "livepatch_status",
})
SECRETS = ("root_password",)
REMOVABLE = {"maintenance", "install_failed", "non_operational", "non_responsive", "down", "installing"}
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
                       r"[A-Za-z0-9])?)*$")

DEFAULTS = {
    "description": "", "comment": "", "port": AGENT_PORT, "type": "rhel", "protocol": "stomp",
    "spm": {"priority": 5, "status": "none"},
    "power_management": {"enabled": False, "kdump_detection": True, "automatic_pm_enabled": True,
                         "pm_proxies": []},
    "os": {"type": "RHEL", "custom_kernel_cmdline": "", "reported_kernel_cmdline": ""},
    "ssh": {"port": 22, "user": {"user_name": "root"}, "authentication_method": "password"},
    "override_iptables": False, "vgpu_placement": "consolidated", "device_passthrough": {"enabled": False},
    "display": {"address": ""}, "kdump_status": "unknown", "external_status": "ok", "update_available": False,
    "summary": {"active": 0, "migrating": 0, "total": 0}, "memory": 0, "max_scheduling_memory": 0,
}


def decorate_summary(conn, parent: dict | None, doc: dict) -> None:
    """``summary``: the VMs on the host now (active: holding its resources, migrating: moving off it)."""
    decorate_summaries(conn, parent, [doc])


def decorate_summaries(conn, parent: dict | None, docs: list[dict]) -> None:
    """The ``summary`` of every host of a list, from one query over the VMs on them."""
    if not docs:
        return
    t = KINDS["vm"].table
    counts: dict[str, dict[str, int]] = {d["id"]: {"active": 0, "migrating": 0, "total": 0} for d in docs}
    rows = conn.execute(select(t.c.host_id, t.c.doc["status"].as_string()).where(t.c.host_id.in_(list(counts))))
    for host_id, status in rows:
        summary = counts[host_id]
        if status in ACTIVE:
            summary["active"] += 1
            summary["total"] += 1
        if status == "migrating":
            summary["migrating"] += 1
    for doc in docs:
        doc["summary"] = counts[doc["id"]]


def check_address(address: str | None) -> str:
    if not address:
        raise BadRequest("host.address is required", "Incomplete parameters")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        if not _HOSTNAME.fullmatch(address):
            raise BadRequest(f"host.address '{address}' is neither an IP address nor a host name") from None
    return address


def check_port(port: int | None) -> None:
    if port is not None and not 1 <= port <= 65535:
        raise BadRequest(f"host.port must be between 1 and 65535, got {port}")


def create(tx: Tx, doc: dict) -> dict:
    name = require_name(doc, "host")
    check_port(doc.get("port"))
    tx.unique_name("host", name, "Host")
    address = check_address(doc.get("address"))
    if tx.find("host", col("host", "doc")["address"].as_string() == address):
        raise Conflict(f"Cannot add Host. A host with address {address} already exists.")
    cluster = tx.ref("cluster", doc.get("cluster") or {"name": "Default"}, "host.cluster")
    doc = {k: v for k, v in doc.items() if k not in READONLY and k not in SECRETS}
    doc["cluster"] = {"id": cluster["id"]}
    deep_defaults(doc, DEFAULTS)
    doc["status"] = "installing"
    created = tx.insert("host", doc)
    tx.event(42, f"Host {name} was added by {tx.who}.", host=created["id"], cluster=cluster["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("host", current["id"])
    if changes.get("cluster"):
        cluster = tx.ref("cluster", changes["cluster"], "host.cluster")
        if cluster["id"] != current["cluster"]["id"] and current["status"] != "maintenance":
            raise Conflict(f"Cannot move Host {current['name']} to another cluster unless it is in maintenance.")
        changes["cluster"] = {"id": cluster["id"]}
    if "address" in changes:
        check_address(changes["address"])
    check_port(changes.get("port"))
    doc = merge(current, changes, READONLY | set(SECRETS))
    if doc["name"] != current["name"]:
        require_name(doc, "host")
        tx.unique_name("host", doc["name"], "Host", exclude=doc["id"])
    if doc != current:
        tx.update("host", doc)
        tx.event(43, f"Host {doc['name']} configuration was updated by {tx.who}.", host=doc["id"])
    return doc


def _remove(tx: Tx, current: dict, force: bool) -> None:
    current = tx.must("host", current["id"])
    if current["status"] not in REMOVABLE and not force:
        raise Conflict(f"Cannot remove Host {current['name']}: it is {current['status']}; "
                       "move it to maintenance first.")
    running = tx.find_by("vm", host_id=current["id"])
    if running:
        raise Conflict(f"Cannot remove Host {current['name']}: VMs are running on it "
                       f"({', '.join(v['name'] for v in running[:5])}).")
    tx.delete("host", current["id"])
    tx.event(44, f"Host {current['name']} was removed by {tx.who}.")


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    credentials = host_runtime.credentials_of(doc)
    created = run(ctx, "add_host", create, doc)
    host_runtime.start_install(ctx, created["id"], credentials, flag(ctx.params, "activate", True))
    return created


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_host", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_host", _remove, current, flag(ctx.params, "force"))
