"""Rich tables of what exists in the engine, and of what an apply did."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from engine_api.demo.engine import DemoEngine

STATUS = {"up": "green", "active": "green", "down": "dim", "maintenance": "yellow", "unattached": "yellow"}


def _status(value: str | None) -> str:
    value = value or "-"
    style = STATUS.get(value, "red" if value in ("non_responsive", "install_failed", "illegal") else "")
    return f"[{style}]{value}[/]" if style else value


def _gib(size: int | None) -> str:
    return f"{size / 1024**3:g} GiB" if size else "-"


def estate_tables(engine: DemoEngine) -> list[Table]:
    """Data centers, clusters, hosts, storage domains, networks and VMs, each in a table."""
    names: dict[str | None, str] = {}  # by id; a missing reference (None) is shown as "-"
    dcs = engine.items("datacenters", follow="storage_domains")
    clusters = engine.items("clusters")
    hosts = engine.items("hosts")
    sds = engine.items("storagedomains")
    for entity in dcs + clusters + hosts + sds:
        names[entity["id"]] = entity["name"]
    attached = {sd["id"]: (dc["name"], sd.get("status")) for dc in dcs
                for sd in (dc.get("storage_domains") or {}).get("storage_domain", [])}
    tables = []

    t = Table(title="Data centers")
    for col in ("name", "status", "version", "description"):
        t.add_column(col)
    for dc in dcs:
        v = dc.get("version") or {}
        t.add_row(dc["name"], _status(dc.get("status")), f"{v.get('major')}.{v.get('minor')}", dc.get("description"))
    tables.append(t)

    t = Table(title="Clusters")
    for col in ("name", "data center", "CPU type"):
        t.add_column(col)
    for c in clusters:
        t.add_row(c["name"], names.get((c.get("data_center") or {}).get("id"), "-"), (c.get("cpu") or {}).get("type"))
    tables.append(t)

    t = Table(title="Hosts")
    for col in ("name", "address", "cluster", "status", "memory"):
        t.add_column(col)
    for h in hosts:
        t.add_row(h["name"], h.get("address"), names.get((h.get("cluster") or {}).get("id"), "-"),
                  _status(h.get("status")), _gib(h.get("memory")))
    tables.append(t)

    t = Table(title="Storage domains")
    for col in ("name", "type", "storage", "data center", "status"):
        t.add_column(col, overflow="fold")
    for sd in sds:
        storage = sd.get("storage") or {}
        dc, status = attached.get(sd["id"], ("-", "unattached"))
        t.add_row(sd["name"], sd.get("type"), f"{storage.get('type')} {storage.get('address', '')}:"
                  f"{storage.get('path', '')}", dc, _status(status))
    tables.append(t)

    t = Table(title="Networks")
    for col in ("name", "data center", "VLAN", "description"):
        t.add_column(col)
    for n in engine.items("networks"):
        t.add_row(n["name"], names.get((n.get("data_center") or {}).get("id"), "-"),
                  str((n.get("vlan") or {}).get("id", "-")), n.get("description") or "")
    tables.append(t)

    t = Table(title="VMs")
    for col in ("name", "status", "host", "cluster", "memory", "disks", "NICs"):
        t.add_column(col)
    for vm in engine.items("vms", follow="disk_attachments,nics"):
        t.add_row(vm["name"], _status(vm.get("status")), names.get((vm.get("host") or {}).get("id"), "-"),
                  names.get((vm.get("cluster") or {}).get("id"), "-"), _gib(vm.get("memory")),
                  str(len((vm.get("disk_attachments") or {}).get("disk_attachment", []))),
                  str(len((vm.get("nics") or {}).get("nic", []))))
    tables.append(t)
    return tables


def counts_table(title: str, result: dict[str, Any]) -> Table:
    """What one apply did per kind (the ``counts`` of vdc.infra.apply)."""
    t = Table(title=title)
    t.add_column("kind")
    for outcome in ("created", "updated", "deleted", "unchanged"):
        t.add_column(outcome, justify="right")
    for kind, c in sorted(result.get("counts", {}).items()):
        t.add_row(kind.replace("_", " "), *(str(c[o]) for o in ("created", "updated", "deleted", "unchanged")))
    return t
