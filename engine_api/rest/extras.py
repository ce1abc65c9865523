"""Collections the real ``ovirt.ovirt`` modules read besides the core tree: read-only, computed answers.

:func:`register` adds them to the tree of :mod:`engine_api.rest.root`: top-level collections into ``ROOT``
(scheduling policies, MAC pools, cluster levels, operating systems, tags, users, ...), sub-collections into
the ``subs`` of existing collections (a VM's NUMA nodes, CD-ROMs and graphics consoles, a host's NICs and
network attachments, permission lists, ...). A sub-collection some other module already registered is left
alone. Nothing here writes to the store: what these answers show follows from the entities they belong to.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from engine_api.commands import catalog, consoles
from engine_api.rest import measured, tags
from engine_api.rest.measured import derived_id
from engine_api.rest.present import TOP
from engine_api.rest.resources import Collection
from engine_api.store import repo

Items = Callable[[Connection, dict | None], list[dict]]

ZERO_ID = "00000000-0000-0000-0000-000000000000"

def computed(name: str, type_: str, items: Items) -> Collection:
    """A read-only collection whose items ``items(conn, parent)`` computes; an item is found by its id."""

    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        return items(conn, parent)

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in items(conn, parent) if d["id"] == ident), None)

    return Collection(name, type_, load=load, list_items=list_items)


def empty(name: str, type_: str) -> Collection:
    """A read-only collection that is empty because vdc has no such things at all (a VM's NUMA nodes, watchdogs
    and host devices: vdc configures none), kept because the real clients read it. A collection vdc does not
    implement is not served (404), never answered as empty."""
    return computed(name, type_, lambda conn, parent: [])


def _add_subs(coll: Collection, *subs: Collection) -> None:
    for sub in subs:
        coll.subs.setdefault(sub.name, sub)


# ---------------------------------------------------------------- VMs and templates


def _graphics_consoles(owner: str) -> Collection:
    """A VM's console follows its display: adding one gives the VM a display, removing it makes it headless."""
    items = measured.graphics_consoles(owner)
    if owner != "vm":
        return computed("graphicsconsoles", "graphics_console", items)
    coll = computed("graphicsconsoles", "graphics_console", items)

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        fresh = repo.get(conn, "vm", parent["id"]) if parent else None  # after an add, the VM read before it is old
        return next((c for c in items(conn, fresh) if c["id"] == ident), None)

    coll.load, coll.add, coll.remove = load, consoles.add_console, consoles.remove_console
    coll.actions["ticket"] = consoles.console_ticket
    return coll


def _cdroms(owner: str) -> Items:
    """Every VM and template has one CD-ROM device, which oVirt shows with the id of zeros."""

    def items(conn: Connection, parent: dict | None) -> list[dict]:
        if parent is None:
            return []
        return [{"id": ZERO_ID, owner: {"id": parent["id"]}}]

    return items


def _vm_subs() -> list[Collection]:
    return [
        computed("cdroms", "cdrom", _cdroms("vm")),
        _graphics_consoles("vm"),
        empty("numanodes", "vm_numa_node"),  # snapshots: rest.snapshots
        empty("watchdogs", "watchdog"), empty("hostdevices", "host_device"),
        empty("reporteddevices", "reported_device"),  # what a guest agent reports; vdc talks to none
        computed("statistics", "statistic", measured.vm_statistics),
    ]


def _template_subs() -> list[Collection]:
    return [
        computed("cdroms", "cdrom", _cdroms("template")),
        _graphics_consoles("template"),
    ]


def _nic_subs() -> list[Collection]:
    return [empty("networkfilterparameters", "network_filter_parameter"),  # vdc sets no network filter
            empty("reporteddevices", "reported_device")]  # what a guest agent reports; vdc talks to none


# ---------------------------------------------------------------- hosts


def _hooks(conn: Connection, host: dict | None) -> list[dict]:
    """The hook scripts the host's agent reported when it was installed or refreshed, with the MD5 it computed
    (absent when the agent reported none)."""
    if host is None:
        return []
    out = []
    for h in host.get("_hooks") or []:
        hook = {"id": derived_id(host["id"], f"hook/{h.get('event')}/{h.get('name')}"), "name": h.get("name"),
                "event_name": h.get("event"), "host": {"id": host["id"]}}
        if h.get("md5"):
            hook["md5"] = h["md5"]
        out.append(hook)
    return out


def _host_subs() -> list[Collection]:
    nics = computed("nics", "host_nic", measured.host_nics)
    _add_subs(nics, computed("networkattachments", "network_attachment", measured.nic_attachments))
    return [
        nics, computed("networkattachments", "network_attachment", measured.network_attachments),
        computed("hooks", "hook", _hooks), computed("statistics", "statistic", measured.host_statistics),
        empty("storage", "host_storage"),  # the LUNs of block storage, which vdc does not use
    ]


# ---------------------------------------------------------------- clusters, data centers, storage, networks


def _cpu_profiles(conn: Connection, cluster: dict | None) -> list[dict]:
    """oVirt gives every cluster a CPU profile named after it."""
    if cluster is None:
        return []
    return [{"id": derived_id(cluster["id"], "cpu-profile"), "name": cluster["name"], "description": "",
             "cluster": {"id": cluster["id"]}}]


def _disk_profiles(conn: Connection, sd: dict | None) -> list[dict]:
    """oVirt gives every data domain a disk profile named after it."""
    if sd is None or sd.get("type") != "data":
        return []
    return [{"id": derived_id(sd["id"], "disk-profile"), "name": sd["name"], "description": "",
             "storage_domain": {"id": sd["id"]}}]


def _static(name: str, type_: str, items: Callable[[], list[dict]]) -> Collection:
    return computed(name, type_, lambda conn, parent: items())


def _all(kind: str, items: Items) -> Callable[[Connection, dict | None], list[dict]]:
    """The computed items of every entity of ``kind`` (all CPU profiles, all disk profiles)."""
    return lambda conn, parent: [item for doc in repo.find(conn, kind) for item in items(conn, doc)]


def register(root: dict[str, Collection]) -> None:
    """Add the extra collections and sub-collections to the API tree (``ROOT`` of :mod:`root`)."""
    tags.register(root)  # /tags and the tags of VMs, hosts, templates, users and groups
    templates = root["templates"]
    root["vms"].actions.setdefault("ticket", consoles.vm_ticket)
    _add_subs(root["vms"], *_vm_subs())
    _add_subs(templates, *_template_subs())
    for owner in ("vms", "templates"):
        if "nics" in root[owner].subs:
            _add_subs(root[owner].subs["nics"], *_nic_subs())
    _add_subs(root["hosts"], *_host_subs())
    _add_subs(root["clusters"], computed("cpuprofiles", "cpu_profile", _cpu_profiles))
    _add_subs(root["storagedomains"], computed("diskprofiles", "disk_profile", _disk_profiles))

    for coll in (
        _static("macpools", "mac_pool", catalog.mac_pools),
        _static("clusterlevels", "cluster_level", catalog.cluster_levels),
        _static("operatingsystems", "operating_system", catalog.operating_systems),
        computed("cpuprofiles", "cpu_profile", _all("cluster", _cpu_profiles)),
        computed("diskprofiles", "disk_profile", _all("storage_domain", _disk_profiles)),
    ):
        if coll.name not in root:
            root[coll.name] = coll
            TOP.setdefault(coll.type, coll)
