"""Network interfaces of VMs (``/vms/{id}/nics``) and of templates (``/templates/{id}/nics``).

A VM NIC has a MAC address: given (a valid unicast address no other NIC has) or allocated from the pool
``56:6f:xx:xx:xx:xx``. Template NICs have none; the VMs made from a template get new ones.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

from sqlalchemy import func, select

from engine_api.commands.common import deep_defaults, merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.commands.vmbase import owner, refuse_hotplug, what_of
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.store.schema import col

READONLY = frozenset({"vm", "template", "vms", "network", "statistics", "reported_devices",
                      "network_attachments", "network_labels", "network_filter_parameters",
                      "virtual_function_allowed_labels", "virtual_function_allowed_networks", "instance_type",
                      "synced"})
DEFAULTS = {"interface": "virtio", "linked": True, "plugged": True, "on_boot": True, "description": "",
            "comment": ""}

POOL_PREFIX = "56:6f"
_POOL_FIRST = 0x566F00000000
_POOL_LAST = 0x566FFFFFFFFF
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


# ---------------------------------------------------------------- MAC addresses


def normalise_mac(value: object, field: str = "nic.mac.address") -> str:
    """A MAC address in lower case with colons; anything but a unicast address is a 400."""
    text = str(value or "").strip().lower().replace("-", ":")
    if not _MAC.fullmatch(text) or int(text[:2], 16) & 1 or text == "00:00:00:00:00:00":
        raise BadRequest(f"{field} '{value}' is not a valid unicast MAC address")
    return text


def _mac_expr():
    return col("nic", "mac_address")


def _mac_text(n: int) -> str:
    raw = f"{n:012x}"
    return ":".join(raw[i:i + 2] for i in range(0, 12, 2))


def _in_pool() -> Any:
    expr = _mac_expr()
    return (expr >= f"{POOL_PREFIX}:") & (expr < f"{POOL_PREFIX};")  # a range the column's index answers


@functools.cache
def _highest_in_pool() -> Any:
    """The statement of the pool's highest address in use (built once: building it cost more than running it)."""
    return select(_mac_expr()).where(_in_pool()).order_by(_mac_expr().desc()).limit(1)


def _lock_macs(tx: Tx) -> None:
    """Serialise MAC checks and allocations; SQLite has one writer anyway, PostgreSQL needs a lock."""
    if tx.conn.dialect.name == "postgresql":
        tx.conn.execute(select(func.pg_advisory_xact_lock(_POOL_FIRST)))


def _check_mac_free(tx: Tx, mac: str, exclude: str | None = None) -> None:
    _lock_macs(tx)
    users = [n for n in tx.find("nic", _mac_expr() == mac) if n["id"] != exclude]
    if users:
        where = users[0].get("vm") or {}
        vm = tx.get("vm", where["id"]) if where.get("id") else None
        owner_text = f" of VM {vm['name']}" if vm else ""
        raise Conflict(f"MAC address {mac} is already in use by network interface "
                       f"{users[0]['name']}{owner_text}.")


def allocate_mac(tx: Tx) -> str:
    """The next free address of the pool, after the highest one in use."""
    _lock_macs(tx)
    top = tx.conn.execute(_highest_in_pool()).scalar()
    if top:
        n = int(top.replace(":", ""), 16) + 1
    else:  # a start that differs between engines, so that two of them on one network rarely collide
        seed = tx.ctx.engine.instance_id if tx.ctx is not None else ""
        n = _POOL_FIRST + (int.from_bytes(hashlib.sha1(seed.encode()).digest()[:3], "big") << 8)
    if n <= _POOL_LAST:
        return _mac_text(n)
    used = {m for (m,) in tx.conn.execute(select(_mac_expr()).where(_in_pool()))}
    for n in range(_POOL_FIRST, _POOL_LAST + 1):
        if _mac_text(n) not in used:
            return _mac_text(n)
    raise Conflict("The MAC address pool is exhausted.")  # pragma: no cover


# ---------------------------------------------------------------- vNIC profiles


def _profile(tx: Tx, value: object, owner_doc: dict, field: str = "nic.vnic_profile") -> dict | None:
    """The profile a NIC connects to; an empty reference means no network at all."""
    if not value or (isinstance(value, dict) and not value.get("id") and not value.get("name")):
        return None
    cluster_id = (owner_doc.get("cluster") or {}).get("id")
    cluster = tx.get("cluster", cluster_id) if cluster_id else None
    dc_id = cluster["data_center"]["id"] if cluster else None
    networks: dict[str, dict] = {}  # each network read once

    def network_of(profile: dict) -> dict:
        ident = profile["network"]["id"]
        if ident not in networks:
            networks[ident] = tx.get("network", ident) or {}
        return networks[ident]

    if isinstance(value, dict) and not value.get("id") and dc_id is not None:
        candidates = [p for p in tx.by_name("vnic_profile", str(value["name"]))
                      if (network_of(p).get("data_center") or {}).get("id") == dc_id]
        if len(candidates) > 1:
            raise BadRequest(f"{field}: the name '{value['name']}' is ambiguous (profiles of "
                             f"{len(candidates)} networks), give an id")
        if not candidates:
            dc = tx.must("data_center", dc_id)
            raise BadRequest(f"{field}: no vNIC profile named '{value['name']}' in data center {dc['name']}")
        profile = candidates[0]
    else:
        profile = tx.ref("vnic_profile", value, field)
    if cluster is not None:
        net = network_of(profile) or tx.must("network", profile["network"]["id"])
        if net["data_center"]["id"] != dc_id:
            dc = tx.must("data_center", cluster["data_center"]["id"])
            raise BadRequest(f"{field}: profile {profile['name']} belongs to network {net['name']} of "
                             f"another data center than {dc['name']}")
        if not tx.find_by("cluster_network", cluster_id=cluster_id, network_id=net["id"]):
            raise Conflict(f"Network {net['name']} is not attached to cluster {cluster['name']}.")
    return profile


# ---------------------------------------------------------------- commands


def _scope(kind: str, owner_doc: dict) -> dict[str, str]:
    return {kind: owner_doc["id"]}


def create(tx: Tx, kind: str, owner_doc: dict, doc: dict) -> dict:
    name = require_name(doc, "nic")
    tx.unique_name("nic", name, "VM network interface", **_scope(kind, owner_doc))
    profile = _profile(tx, doc.get("vnic_profile"), owner_doc)
    mac = (doc.get("mac") or {}).get("address")
    doc = {k: v for k, v in doc.items() if k not in READONLY and k != "id"}
    deep_defaults(doc, DEFAULTS)
    if doc["plugged"]:
        refuse_hotplug(kind, owner_doc, "plug a network interface into")
    doc.pop("mac", None)
    if kind == "vm":
        if mac:
            mac = normalise_mac(mac)
            _check_mac_free(tx, mac)
        else:
            mac = allocate_mac(tx)
        doc["mac"] = {"address": mac}
    doc.pop("vnic_profile", None)
    if profile:
        doc["vnic_profile"] = {"id": profile["id"]}
    doc[kind] = {"id": owner_doc["id"]}
    created = tx.insert("nic", doc)
    tx.event(932, f"Network interface {name} ({doc['interface']}) was added to {what_of(kind, owner_doc)} "
                  f"by {tx.who}.", **_scope(kind, owner_doc))
    return created


def copy_all(tx: Tx, src_kind: str, src_id: str, dst_kind: str, dst_id: str) -> int:
    """Copy every NIC of a VM or template to another; VMs get new MAC addresses, templates none."""
    nics = tx.find_by("nic", **{f"{src_kind}_id": src_id})
    for nic in nics:
        new = {k: v for k, v in nic.items() if k not in ("id", "vm", "template", "mac")}
        new[dst_kind] = {"id": dst_id}
        if dst_kind == "vm":
            new["mac"] = {"address": allocate_mac(tx)}
        tx.insert("nic", new)
    return len(nics)


def _add(tx: Tx, parent: dict | None, doc: dict) -> dict:
    kind, owner_doc = owner(tx, parent)
    return create(tx, kind, owner_doc, doc)


def _update(tx: Tx, parent: dict | None, current: dict, changes: dict) -> dict:
    kind, owner_doc = owner(tx, parent)
    current = tx.must("nic", current["id"])
    doc = merge(current, changes, READONLY | {"vnic_profile", "mac"})
    if "vnic_profile" in changes:
        profile = _profile(tx, changes["vnic_profile"], owner_doc)
        doc.pop("vnic_profile", None)
        if profile:
            doc["vnic_profile"] = {"id": profile["id"]}
    if kind == "vm" and (changes.get("mac") or {}).get("address"):
        mac = normalise_mac(changes["mac"]["address"])
        if mac != (current.get("mac") or {}).get("address"):
            _check_mac_free(tx, mac, exclude=current["id"])
        doc["mac"] = {"address": mac}
    if doc["name"] != current["name"]:
        require_name(doc, "nic")
        tx.unique_name("nic", doc["name"], "VM network interface", exclude=current["id"],
                       **_scope(kind, owner_doc))
    if doc == current:
        return doc
    if current.get("plugged") or doc.get("plugged"):
        hot = {k for k in ("interface", "mac", "plugged", "vnic_profile") if doc.get(k) != current.get(k)}
        if hot:
            refuse_hotplug(kind, owner_doc, f"change {', '.join(sorted(hot))} of a network interface of")
    tx.update("nic", doc)
    tx.event(934, f"Network interface {doc['name']} of {what_of(kind, owner_doc)} was updated by {tx.who}.",
             **_scope(kind, owner_doc))
    return doc


def _remove(tx: Tx, parent: dict | None, current: dict) -> None:
    kind, owner_doc = owner(tx, parent)
    current = tx.must("nic", current["id"])
    if current.get("plugged"):
        refuse_hotplug(kind, owner_doc, "unplug a network interface from")
    tx.delete("nic", current["id"])
    tx.event(930, f"Network interface {current['name']} was removed from {what_of(kind, owner_doc)} "
                  f"by {tx.who}.", **_scope(kind, owner_doc))


# ---------------------------------------------------------------- REST faces


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_vm_interface", _add, parent, doc)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_vm_interface", _update, parent, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_vm_interface", _remove, parent, current)
