"""Affinity groups (``/clusters/{id}/affinitygroups``) and affinity labels (``/affinitylabels``), with oVirt's
validation. Members are kept as ids on the group or label (``_vms``, ``_hosts``, ``_vm_labels``, ``_host_labels``);
a member removed since is dropped when read. The scheduler reads the groups, labels expanded (see
:func:`engine_api.commands.placement.groups`).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection

from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.store import repo
from engine_api.store.schema import col

GROUP = "Affinity Group"
MEMBERS = {"vms": ("_vms", "vm", "VM"), "hosts": ("_hosts", "host", "Host"),
           "vm_labels": ("_vm_labels", "affinity_label", "label"),
           "host_labels": ("_host_labels", "affinity_label", "label")}
LABEL_NAME = re.compile(r"^[\w-]+$")
RUNNING = {"up", "migrating", "powering_up", "wait_for_launch", "paused", "reboot_in_progress", "powering_down"}


# ---------------------------------------------------------------- affinity groups


def _rule(given: Any, current: dict, field: str) -> dict:
    """oVirt's mapping: ``enabled: false`` disables the rule, ``positive`` sets its polarity (and enables it)."""
    rule = dict(current)
    if not isinstance(given, dict):
        return rule
    for key in ("enabled", "positive", "enforcing"):
        if key in given and given[key] is not None and not isinstance(given[key], bool):
            raise BadRequest(f"affinity_group.{field}.{key} must be a boolean")
    if given.get("enabled") is False:
        rule["enabled"] = False
    elif given.get("positive") is not None:
        rule.update(enabled=True, positive=given["positive"])
    if given.get("enforcing") is not None:
        rule["enforcing"] = given["enforcing"]
    return rule


def _apply(tx: Tx, doc: dict, changes: dict, verb: str) -> None:
    head = f"Cannot {verb} {GROUP}."
    if "name" in changes:
        name = changes.get("name")
        if not isinstance(name, str) or not name.strip():
            raise BadRequest(f"{head} Name field is invalid (affinity_group.name is required).")
        if len(name) > 255:
            raise BadRequest(f"{head} Name field input is too long.")
        doc["name"] = name
    if "description" in changes:
        doc["description"] = changes.get("description") or ""
    if changes.get("priority") is not None:
        try:
            doc["priority"] = float(changes["priority"])
        except (TypeError, ValueError):
            raise BadRequest(f"affinity_group.priority '{changes['priority']}' is not a number") from None
    doc["hosts_rule"] = _rule(changes.get("hosts_rule"), doc["hosts_rule"], "hosts_rule")
    if isinstance(changes.get("vms_rule"), dict):
        doc["vms_rule"] = _rule(changes["vms_rule"], doc["vms_rule"], "vms_rule")
    else:
        legacy = {"positive": changes.get("positive"), "enforcing": changes.get("enforcing")}
        doc["vms_rule"] = _rule(legacy, doc["vms_rule"], "vms_rule")
    for member, (key, kind, what) in MEMBERS.items():
        if changes.get(member) is not None:
            doc[key] = _member_ids(tx, changes[member], kind, what, doc["cluster"]["id"], head)


def _member_ids(tx: Tx, refs: Any, kind: str, what: str, cluster_id: str, head: str) -> list[str]:
    if not isinstance(refs, list):
        raise BadRequest(f"{head} {what}s must be a list")
    out: list[str] = []
    for ref in refs:
        found = _member(tx, ref, kind, what, cluster_id, head)
        if found["id"] in out:
            raise BadRequest(f"{head} Duplicate {what}." if what != "label" else f"{head} Duplicate label.")
        out.append(found["id"])
    return out


def _member(tx: Tx, ref: Any, kind: str, what: str, cluster_id: str, head: str) -> dict:
    found = None
    if isinstance(ref, dict) and ref.get("id"):
        found = tx.get(kind, str(ref["id"]))
    elif isinstance(ref, dict) and ref.get("name"):
        named = tx.by_name(kind, str(ref["name"]))
        found = named[0] if len(named) == 1 else None
    if found is None:
        if what == "label":
            raise BadRequest(f"{head} Provided label is invalid (does not exist).")
        raise BadRequest(f"{head} Provided {what} is invalid (does not exist).")
    if kind in ("vm", "host") and (found.get("cluster") or {}).get("id") != cluster_id:
        raise Conflict(f"{head} Provided {what} resides in another Cluster.")
    return found


def _check_collisions(tx: Tx, group: dict, verb: str) -> None:
    """oVirt's refusals: a negative enforcing VM group with two VMs that enforcing positive groups keep together,
    and a VM that enforcing groups send both to and away from one host."""
    groups = [g for g in tx.find_by("affinity_group", cluster_id=group["cluster"]["id"])
              if g["id"] != group.get("id")] + [group]
    labels = {lab["id"]: lab for lab in tx.find("affinity_label")}

    def vms_of(g: dict) -> set[str]:
        out = set(g.get("_vms") or [])
        for lab in g.get("_vm_labels") or []:
            out.update((labels.get(lab) or {}).get("_vms") or [])
        return out

    def hosts_of(g: dict) -> set[str]:
        out = set(g.get("_hosts") or [])
        for lab in g.get("_host_labels") or []:
            out.update((labels.get(lab) or {}).get("_hosts") or [])
        return out

    def on(g: dict, side: str, positive: bool) -> bool:
        r = g.get(side) or {}
        return bool(r.get("enabled")) and bool(r.get("enforcing")) and bool(r.get("positive")) == positive

    unified: list[set[str]] = []
    for g in groups:
        if on(g, "vms_rule", True):
            members = vms_of(g)
            for u in [u for u in unified if u & members]:
                members |= u
                unified.remove(u)
            unified.append(members)
    names = _names(tx, "vm")
    for g in groups:
        if not on(g, "vms_rule", False):
            continue
        for u in unified:
            both = vms_of(g) & u
            if len(both) > 1:
                raise Conflict(f"Cannot {verb} {GROUP}. Affinity Group collision detected in unified affinity group "
                               f"of VMs: {', '.join(sorted(names.get(v, v) for v in u))} and negative affinity group: "
                               f"{g['name']} with VMs: {', '.join(sorted(names.get(v, v) for v in both))}")
    for p in [g for g in groups if on(g, "hosts_rule", True)]:
        for n in [g for g in groups if on(g, "hosts_rule", False)]:
            if vms_of(p) & vms_of(n) and hosts_of(p) & hosts_of(n):
                raise Conflict(f"Cannot {verb} {GROUP}. The following affinity groups, containing the indicated hosts "
                               "and VMs, have VM to host conflicts between positive and negative enforcing affinity "
                               f"groups: {p['name']}, {n['name']}.")


def _names(tx: Tx, kind: str) -> dict[str, str]:
    return {d["id"]: d["name"] for d in tx.find(kind)}


def _create_group(tx: Tx, cluster_id: str, doc: dict) -> dict:
    cluster = tx.must("cluster", cluster_id)
    group: dict = {"name": "", "description": "", "priority": 1.0, "cluster": {"id": cluster["id"]},
                   "vms_rule": {"enabled": False, "positive": False, "enforcing": False},
                   "hosts_rule": {"enabled": False, "positive": False, "enforcing": False},
                   "_vms": [], "_hosts": [], "_vm_labels": [], "_host_labels": []}
    _apply(tx, group, {"name": doc.get("name"), **{k: v for k, v in doc.items() if k != "name"}}, "add")
    if any(g["name"] == group["name"] for g in
           tx.find_by("affinity_group", cluster_id=cluster["id"])):
        raise Conflict(f"Cannot add {GROUP}. Affinity Group name already exists.")
    _check_collisions(tx, group, "add")
    if doc.get("id"):
        group["id"] = doc["id"]
    created = tx.insert("affinity_group", group)
    tx.event(10350, f"Affinity Group {group['name']} was added. (User: {tx.who})", cluster=cluster["id"])
    return created


def _update_group(tx: Tx, group_id: str, changes: dict) -> dict:
    group = tx.must("affinity_group", group_id)
    before = dict(group)
    _apply(tx, group, changes, "edit")
    if group["name"] != before["name"] and any(
            g["name"] == group["name"] and g["id"] != group_id
            for g in tx.find_by("affinity_group", cluster_id=group["cluster"]["id"])):
        raise Conflict(f"Cannot edit {GROUP}. Affinity Group name already exists.")
    _check_collisions(tx, group, "edit")
    if group != before:
        tx.update("affinity_group", group)
        tx.event(10352, f"Affinity Group {group['name']} was updated. (User: {tx.who})",
                 cluster=group["cluster"]["id"])
    return group


def _remove_group(tx: Tx, group_id: str) -> None:
    group = tx.must("affinity_group", group_id)
    tx.delete("affinity_group", group_id)
    tx.event(10354, f"Affinity Group {group['name']} was removed. (User: {tx.who})", cluster=group["cluster"]["id"])


def add_group(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_affinity_group", _create_group, parent["id"], doc)  # type: ignore[index]


def update_group(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_affinity_group", _update_group, current["id"], changes)


def remove_group(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_affinity_group", _remove_group, current["id"])


def decorate_group(conn: Connection, parent: dict | None, group: dict) -> None:
    """The wire form: members as references (those still there), the legacy ``positive``/``enforcing`` of the VM
    rule, and ``broken`` when running VMs break an enforcing rule."""
    vms = {d["id"]: d for d in repo.find(conn, "vm", col("vm", "cluster_id") == group["cluster"]["id"])}
    hosts = {d["id"] for d in repo.find(conn, "host", col("host", "cluster_id") == group["cluster"]["id"])}
    labels = {d["id"] for d in repo.find(conn, "affinity_label")}
    group["vms"] = [{"id": v} for v in group.get("_vms") or [] if v in vms]
    group["hosts"] = [{"id": h} for h in group.get("_hosts") or [] if h in hosts]
    group["vm_labels"] = [{"id": lab} for lab in group.get("_vm_labels") or [] if lab in labels]
    group["host_labels"] = [{"id": lab} for lab in group.get("_host_labels") or [] if lab in labels]
    rule = group.get("vms_rule") or {}
    group["positive"] = rule.get("positive") if rule.get("enabled") else None
    group["enforcing"] = bool(rule.get("enforcing"))
    where = {v["id"]: v["host"]["id"] for v in vms.values()
             if v["id"] in (group.get("_vms") or []) and v.get("status") in RUNNING and v.get("host")}
    broken = False
    if rule.get("enabled") and rule.get("enforcing") and where:
        places = list(where.values())
        broken = len(set(places)) > 1 if rule.get("positive") else len(set(places)) < len(places)
    hrule = group.get("hosts_rule") or {}
    if hrule.get("enabled") and hrule.get("enforcing") and where:
        allowed = set(group.get("_hosts") or [])
        broken = broken or any((h in allowed) != bool(hrule.get("positive")) for h in where.values())
    group["broken"] = broken


# ---------------------------------------------------------------- group members (vms, hosts, labels)


def member_loaders(member: str):
    key, kind, _ = MEMBERS[member]

    def list_items(conn: Connection, parent: dict | None, params: dict) -> list[dict]:
        if parent is None:
            return []
        docs = [repo.get(conn, kind, i) for i in parent.get(key) or []]
        return [d for d in docs if d is not None]

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        parent = repo.get(conn, "affinity_group", parent["id"]) if parent else None  # fresh after an add
        if parent is None:
            return None
        if ident not in (parent.get(key) or []) and kind == "host":  # a host may be named: host_service(name)
            named = [d for d in repo.find(conn, "host") if d["name"] == ident and d["id"] in (parent.get(key) or [])]
            return named[0] if named else None
        return repo.get(conn, kind, ident) if ident in (parent.get(key) or []) else None

    return list_items, load


def _add_member(tx: Tx, group_id: str, member: str, ref: dict) -> dict:
    key, kind, what = MEMBERS[member]
    group = tx.must("affinity_group", group_id)
    head = f"Cannot edit {GROUP}."
    found = _member(tx, ref, kind, what, group["cluster"]["id"], head)
    if found["id"] in (group.get(key) or []):
        raise Conflict(f"{head} Duplicate {what}." if what != "label" else f"{head} Duplicate label.")
    group[key] = [*(group.get(key) or []), found["id"]]
    _check_collisions(tx, group, "edit")
    tx.update("affinity_group", group)
    tx.event(10352, f"Affinity Group {group['name']} was updated. (User: {tx.who})", cluster=group["cluster"]["id"])
    return found


def _remove_member(tx: Tx, group_id: str, member: str, ident: str) -> None:
    key = MEMBERS[member][0]
    group = tx.must("affinity_group", group_id)
    group[key] = [i for i in group.get(key) or [] if i != ident]
    tx.update("affinity_group", group)
    tx.event(10352, f"Affinity Group {group['name']} was updated. (User: {tx.who})", cluster=group["cluster"]["id"])


def member_commands(member: str):
    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        return run(ctx, "update_affinity_group", _add_member, parent["id"], member, doc)  # type: ignore[index]

    def remove(ctx: Context, parent: dict | None, current: dict) -> None:
        run(ctx, "update_affinity_group", _remove_member, parent["id"], member, current["id"])  # type: ignore[index]

    return add, remove


# ---------------------------------------------------------------- affinity labels


def _label_name(tx: Tx, name: Any, exclude: str | None = None) -> str:
    if not isinstance(name, str) or not name:
        raise BadRequest("affinity_label.name is required")
    if not LABEL_NAME.match(name):
        raise BadRequest("The name for affinity label is invalid. Only letters, numbers, '-', and '_' are valid "
                         f"characters (affinity_label.name '{name}').")
    if any(d["name"] == name and d["id"] != exclude for d in tx.find("affinity_label")):
        raise Conflict("Cannot add affinity label with a conflicting NAME.")
    return name


def _create_label(tx: Tx, doc: dict) -> dict:
    label: dict = {"name": _label_name(tx, doc.get("name")), "read_only": False,
                   "has_implicit_affinity_group": False, "_vms": [], "_hosts": []}
    if doc.get("description") is not None:
        label["description"] = doc["description"]
    for member, kind in (("vms", "vm"), ("hosts", "host")):
        for ref in doc.get(member) or []:
            found = tx.ref(kind, ref, f"affinity_label.{member}")
            if found["id"] not in label[f"_{member}"]:
                label[f"_{member}"].append(found["id"])
    if doc.get("id"):
        label["id"] = doc["id"]
    created = tx.insert("affinity_label", label)
    tx.event(10380, f"Affinity Label {label['name']} was added. (User: {tx.who})")
    return created


def _update_label(tx: Tx, label_id: str, changes: dict) -> dict:
    label = tx.must("affinity_label", label_id)
    before = dict(label)
    if "name" in changes:
        label["name"] = _label_name(tx, changes["name"], label_id)
    if "description" in changes:
        label["description"] = changes["description"] or ""
    if label != before:
        tx.update("affinity_label", label)
        tx.event(10382, f"Affinity Label {label['name']} was updated. (User: {tx.who})")
    return label


def _remove_label(tx: Tx, label_id: str) -> None:
    label = tx.must("affinity_label", label_id)
    for g in tx.find("affinity_group"):
        if label_id in (g.get("_vm_labels") or []) + (g.get("_host_labels") or []):
            g["_vm_labels"] = [i for i in g.get("_vm_labels") or [] if i != label_id]
            g["_host_labels"] = [i for i in g.get("_host_labels") or [] if i != label_id]
            tx.update("affinity_group", g)
    tx.delete("affinity_label", label_id)
    tx.event(10384, f"Affinity Label {label['name']} was removed. (User: {tx.who})")


def add_label(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_affinity_label", _create_label, doc)


def update_label(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_affinity_label", _update_label, current["id"], changes)


def remove_label(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_affinity_label", _remove_label, current["id"])


def decorate_label(conn: Connection, parent: dict | None, label: dict) -> None:
    label.setdefault("read_only", False)
    label.setdefault("has_implicit_affinity_group", False)


def labelled_loaders(kind: str):
    """A label's ``vms`` or ``hosts``."""

    def list_items(conn: Connection, parent: dict | None, params: dict) -> list[dict]:
        docs = [repo.get(conn, kind, i) for i in (parent or {}).get(f"_{kind}s") or []]
        return [d for d in docs if d is not None]

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        parent = repo.get(conn, "affinity_label", parent["id"]) if parent else None  # fresh after an add
        return repo.get(conn, kind, ident) if ident in ((parent or {}).get(f"_{kind}s") or []) else None

    return list_items, load


def _tag(tx: Tx, label_id: str, kind: str, ident: str, on: bool) -> dict:
    label = tx.must("affinity_label", label_id)
    key = f"_{kind}s"
    current = list(label.get(key) or [])
    if on and ident not in current:
        current.append(ident)
    elif not on:
        current = [i for i in current if i != ident]
    if current != (label.get(key) or []):
        label[key] = current
        tx.update("affinity_label", label)
        tx.event(10382, f"Affinity Label {label['name']} was updated. (User: {tx.who})")
    return label


def labelled_commands(kind: str):
    """Adding a VM (host) to a label, from the label's side."""

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        def body(tx: Tx) -> dict:
            found = tx.ref(kind, doc, kind)
            _tag(tx, parent["id"], kind, found["id"], True)  # type: ignore[index]
            return found

        return run(ctx, "update_affinity_label", body)

    def remove(ctx: Context, parent: dict | None, current: dict) -> None:
        run(ctx, "update_affinity_label", _tag, parent["id"], kind, current["id"], False)  # type: ignore[index]

    return add, remove


def assigned_loaders(kind: str):
    """A VM's (host's) ``affinitylabels``."""

    def list_items(conn: Connection, parent: dict | None, params: dict) -> list[dict]:
        key = f"_{kind}s"
        return [d for d in repo.find(conn, "affinity_label") if parent and parent["id"] in (d.get(key) or [])]

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in list_items(conn, parent, {}) if d["id"] == ident), None)

    return list_items, load


def assigned_commands(kind: str):
    """Adding a label to a VM (host), from the VM's side."""

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        def body(tx: Tx) -> dict:
            label = tx.ref("affinity_label", doc, "affinity_label")
            return _tag(tx, label["id"], kind, parent["id"], True)  # type: ignore[index]

        return run(ctx, "update_affinity_label", body)

    def remove(ctx: Context, parent: dict | None, current: dict) -> None:
        run(ctx, "update_affinity_label", _tag, current["id"], kind, parent["id"], False)  # type: ignore[index]

    return add, remove
