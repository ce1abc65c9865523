"""Deletes an estate adds to its declarations once the current state is known: pruning, teardown, ownership.

- :func:`pruned`: entities marked as owned by the estate that it no longer declares (never unmarked ones);
- :func:`torn_down`: everything inside a data center declared absent with ``recursive_cleanup``;
- :func:`check_ownership`: a declared entity marked by another estate is an error, never silently taken.

Each delete is a planner entry with ``state: absent`` and the entity's id, so the planner and scheduler
treat it like any declared removal (a VM is stopped first, a domain deactivated and detached).
"""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.estate.owner import MARKED_KINDS, owner
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts
from ansible_collections.vdc.infra.plugins.module_utils.planner import Current, Desired, find, index_by_name

# Removal options: a host is removed even when up (its VMs are gone first); a domain torn down with its
# data center takes its remaining floating disks with it.
_PRUNE_OPTIONS = {"host": {"force": True}}
_TEARDOWN_OPTIONS = {"host": {"force": True}, "storage_domain": {"destroy": True}, "data_center": {"force": True}}


def _absent(kind: str, facts: Facts, options: dict | None = None) -> Desired:
    k = KINDS[kind]
    values = {"name": facts.get("name"), **{s: facts.get(s) for s in k.scope if facts.get(s) is not None}}
    if k.parent and facts.get(k.parent):
        values[k.parent] = facts[k.parent]
    return Desired(kind, values, "absent", facts.get("id"), dict(options or {}))


def pruned(current: Current, declared: list[Desired], estate: str) -> list[Desired]:
    """Deletes for the entities marked ``vdc-estate:<estate>`` that ``declared`` does not name."""
    keys = {(d.kind, KINDS[d.kind].key(d.values)) for d in declared}
    ids = {(d.kind, d.id) for d in declared if d.id}
    out = []
    for kind in MARKED_KINDS:
        for facts in current.get(kind, []):
            if owner(facts.get("comment")) != estate:
                continue
            if (kind, KINDS[kind].key(facts)) in keys or (kind, facts.get("id")) in ids:
                continue
            out.append(_absent(kind, facts, _PRUNE_OPTIONS.get(kind)))
    return out


def torn_down(current: Current, data_center: str) -> list[Desired]:
    """Deletes for the VMs, hosts, clusters and storage domains of ``data_center``, and the data center."""
    clusters = [c for c in current.get("cluster", []) if c.get("data_center") == data_center]
    names = {c.get("name") for c in clusters}
    out = [_absent("vm", f) for f in current.get("vm", []) if f.get("cluster") in names]
    out += [_absent("host", f, _TEARDOWN_OPTIONS["host"]) for f in current.get("host", []) if f.get("cluster") in names]
    out += [_absent("cluster", f) for f in clusters]
    out += [_absent("storage_domain", f, _TEARDOWN_OPTIONS["storage_domain"])
            for f in current.get("storage_domain", []) if f.get("data_center") == data_center]
    out += [_absent("data_center", f, _TEARDOWN_OPTIONS["data_center"])
            for f in current.get("data_center", []) if f.get("name") == data_center]
    return out


def check_ownership(current: Current, declared: list[Desired], estate: str) -> None:
    """Refuse to declare (and so re-mark) an entity that another estate owns."""
    index = index_by_name(current)  # one lookup per entity, not a scan of its kind (5,000 VMs: 25M comparisons)
    for d in declared:
        if d.kind not in MARKED_KINDS or d.state == "absent":
            continue
        facts = find(current, d, index)
        other = owner((facts or {}).get("comment"))
        if other and other != estate:
            raise PlanError(f"belongs to estate '{other}' (its comment ends with vdc-estate:{other}); remove it "
                            f"from that estate first, or declare it under another name", d.label)


def replace_declared(declared: list[Desired], extra: list[Desired]) -> list[Desired]:
    """``declared`` without the entries ``extra`` supersedes (a torn-down data center's own entry)."""
    superseded = {(e.kind, e.values.get("name")) for e in extra}
    return [d for d in declared if (d.kind, d.name) not in superseded] + extra
