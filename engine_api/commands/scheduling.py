"""Scheduling policies and policy units: the built-in ones (code, locked) and custom policies (rows), their
``filters``, ``weights`` and ``balances`` sub-collections, oVirt's validation, and a cluster's choice of policy.

A custom policy's row holds its wire members plus ``_filters`` ([unit id, position]), ``_weights`` ([unit id,
factor]) and ``_balance`` (unit id). Filter, weight and balance items are identified by their unit's id, as in
oVirt.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from engine_api.commands import external_stored
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.scheduler.policies import BUILTIN, BUILTIN_BY_ID, NONE_ID, Policy
from engine_api.scheduler.request import PARAMETERS
from engine_api.scheduler.units import BALANCE, BY_ID, FILTER, MANDATORY, UNITS, WEIGHT, Unit, by_name
from engine_api.store import repo

TYPE_WORD = {FILTER: "Filtering", WEIGHT: "score function", BALANCE: "load balancing logic"}


# ---------------------------------------------------------------- reading


def unit_doc(unit: Unit) -> dict:
    return {"id": unit.id, "name": unit.name, "type": unit.type, "description": unit.description,
            "enabled": True, "internal": True,
            "properties": [{"name": p, "value": PARAMETERS[p]} for p in unit.parameters]}


def units(conn: Connection, parent: dict | None) -> list[dict]:
    return [unit_doc(u) for u in UNITS] + [external_stored.unit_doc(u) for u in external_stored.all_units(conn)]


def any_unit(conn: Connection | None, unit_id: str) -> Unit | external_stored.ExternalUnit | None:
    """A built-in unit, or an external one (registered from a scheduler plugin)."""
    found = BY_ID.get(unit_id)
    if found is None and conn is not None:
        return external_stored.lookup(conn, unit_id)
    return found


def _props(items: list | None) -> dict[str, str]:
    return {p["name"]: str(p.get("value", "")) for p in items or [] if isinstance(p, dict) and p.get("name")}


def _prop_list(props: dict[str, str]) -> list[dict]:
    return [{"name": k, "value": v} for k, v in props.items()]


def from_row(doc: dict) -> Policy:
    return Policy(doc["id"], doc["name"], doc.get("description") or "", False, False,
                  [(u, int(p)) for u, p in doc.get("_filters") or []],
                  [(u, int(f)) for u, f in doc.get("_weights") or []], doc.get("_balance"),
                  _props(doc.get("properties")))


def to_row(policy: Policy, comment: str | None = None) -> dict:
    doc = {"id": policy.id, "name": policy.name, "description": policy.description, "locked": False,
           "default_policy": False, "properties": _prop_list(policy.properties),
           "_filters": [list(f) for f in policy.filters], "_weights": [list(w) for w in policy.weights],
           "_balance": policy.balance}
    if comment is not None:
        doc["comment"] = comment
    return doc


def wire(policy: Policy) -> dict:
    return {"id": policy.id, "name": policy.name, "description": policy.description, "locked": policy.locked,
            "default_policy": policy.default, "properties": _prop_list(policy.properties)}


def get_policy(conn: Connection, ident: str) -> Policy | None:
    if ident in BUILTIN_BY_ID:
        return BUILTIN_BY_ID[ident]
    doc = repo.get(conn, "scheduling_policy", ident)
    return from_row(doc) if doc else None


def all_policies(conn: Connection) -> list[Policy]:
    return list(BUILTIN) + [from_row(d) for d in repo.find(conn, "scheduling_policy")]


def list_policies(conn: Connection, parent: dict | None, params: dict) -> list[dict]:
    return [wire(p) for p in all_policies(conn)]


def load_policy(conn: Connection, parent: dict | None, ident: str) -> dict | None:
    policy = get_policy(conn, ident)
    return wire(policy) if policy else None


def cluster_policy(conn: Connection, cluster: dict) -> tuple[Policy, dict[str, str]]:
    """A cluster's policy and its parameters: the policy's, overridden by the cluster's own."""
    ident = (cluster.get("scheduling_policy") or {}).get("id") or NONE_ID
    policy = get_policy(conn, ident) or BUILTIN_BY_ID[NONE_ID]
    props = dict(policy.properties)
    props.update(_props(cluster.get("custom_scheduling_policy_properties")))
    return policy, props


# ---------------------------------------------------------------- validation


def regexes(policy: Policy, conn: Connection | None = None) -> dict[str, str]:
    """The parameters the policy's units (and the mandatory filters) take, with their regexes (an external
    unit's regex must match a whole value)."""
    ids = [u for u, _ in policy.filters] + [u for u, _ in policy.weights] + ([policy.balance] if policy.balance else [])
    names: list[str] = []
    for unit in [BY_ID[i] for i in ids if i in BY_ID] + MANDATORY:
        names.extend(unit.parameters)
    out = {n: PARAMETERS[n] for n in dict.fromkeys(names)}
    for i in ids:
        ext = external_stored.lookup(conn, i) if conn is not None and i not in BY_ID else None
        for name, regex in ext.properties if ext else ():
            out.setdefault(name, f"^(?:{regex})$")
    return out


def check_properties(props: dict[str, str], policy: Policy, prefix: str, conn: Connection | None = None) -> str | None:
    """Why ``props`` do not fit the policy's units, or None."""
    allowed = regexes(policy, conn)
    for name, value in props.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            return f"{prefix}: '{name}' is not a parameter of the policy's units (they take: {known})"
        if not re.search(allowed[name], value):
            return f"{prefix}: {name} '{value}' does not match {allowed[name]}"
    return None


def _validate(tx: Tx, policy: Policy, verb: str) -> None:
    head = f"Cannot {verb} Scheduling Policy."
    if not policy.name:
        raise BadRequest(f"{head} scheduling_policy.name is required")
    for other in all_policies(tx.conn):
        if other.id != policy.id and other.name == policy.name:
            raise Conflict(f"{head} Name is in use.")
    seen: set[str] = set()
    for kind, ids, field in ((FILTER, [u for u, _ in policy.filters], "filters"),
                             (WEIGHT, [u for u, _ in policy.weights], "weights")):
        for unit_id in ids:
            if unit_id in seen:
                found = any_unit(tx.conn, unit_id)
                raise BadRequest(f"{head} policy unit already exists in Scheduling Policy "
                                 f"({field}: {found.name if found else unit_id}).")
            seen.add(unit_id)
            _check_unit(unit_id, kind, head, field, tx.conn)
    positions = [p for _, p in policy.filters]
    if positions.count(-1) > 1:
        raise BadRequest(f"{head} Only a single filter can be selected as first.")
    if positions.count(1) > 1:
        raise BadRequest(f"{head} Only a single filter can be selected as last.")
    for unit_id, factor in policy.weights:
        if factor < 0:
            found = any_unit(tx.conn, unit_id)
            raise BadRequest(f"{head} Function factor cannot be negative (weights: {found.name if found else unit_id}"
                             f" has factor {factor}).")
    if policy.balance:
        _check_unit(policy.balance, BALANCE, head, "balances", tx.conn)
    why = check_properties(policy.properties, policy, "scheduling_policy.properties", tx.conn)
    if why:
        raise BadRequest(f"{head} Parameters are invalid: {why}.")


def _check_unit(unit_id: str, kind: str, head: str, field: str, conn: Connection | None = None) -> None:
    unit = any_unit(conn, unit_id)
    if unit is None:
        raise BadRequest(f"{head} Policy unit is unknown ({field}: '{unit_id}').")
    if unit.type != kind:
        raise BadRequest(f"{head} Policy unit doesn't implement {TYPE_WORD[kind]} ({field}: {unit.name} is a "
                         f"{unit.type.replace('_', ' ')} unit).")


def _unit_ref(ref: object, kind: str, field: str, conn: Connection | None = None) -> str:
    """A policy unit given by id (any type: validation names a wrong one) or by name (of the expected type; a
    built-in unit's, else an external one's)."""
    if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
        raise BadRequest(f"{field}.scheduling_policy_unit is required (an id or a name)")
    if ref.get("id"):
        return str(ref["id"])
    unit: Unit | external_stored.ExternalUnit | None = by_name(str(ref["name"]), kind)
    if unit is None and conn is not None:
        unit = external_stored.by_name(conn, str(ref["name"]), kind)
    if unit is None:
        raise BadRequest(f"{field}.scheduling_policy_unit: no {kind.replace('_', ' ')} unit named '{ref['name']}'")
    return unit.id


def _integer(value: object, field: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise BadRequest(f"{field} '{value}' is not an integer") from None


# ---------------------------------------------------------------- policies


def _editable(tx: Tx, ident: str, verb: str) -> Policy:
    if ident in BUILTIN_BY_ID:
        raise Conflict(f"Cannot {verb} Scheduling Policy. Scheduling Policy is locked, and cannot be editable.")
    doc = tx.get("scheduling_policy", ident)
    if doc is None:
        raise NotFound(f"scheduling policy '{ident}' does not exist")
    return from_row(doc)


def _create(tx: Tx, doc: dict) -> dict:
    policy = Policy(doc.get("id") or "", str(doc.get("name") or ""), str(doc.get("description") or ""),
                    properties=_props(doc.get("properties")))
    for i, f in enumerate(doc.get("filters") or []):
        policy.filters.append((_unit_ref(f.get("scheduling_policy_unit"), FILTER, f"scheduling_policy.filters[{i}]",
                                         tx.conn),
                               _integer(f.get("position", 0), f"scheduling_policy.filters[{i}].position")))
    for i, w in enumerate(doc.get("weight") or []):
        field = f"scheduling_policy.weight[{i}]"
        policy.weights.append((_unit_ref(w.get("scheduling_policy_unit"), WEIGHT, field, tx.conn),
                               _integer(w.get("factor", 1), f"{field}.factor")))
    balances = doc.get("balances") or []
    if len(balances) > 1:
        raise BadRequest("scheduling_policy.balances: a policy has one load balancer")
    if balances:
        policy.balance = _unit_ref(balances[0].get("scheduling_policy_unit"), BALANCE, "scheduling_policy.balances[0]",
                                   tx.conn)
    else:
        policy.balance = by_name("None", BALANCE).id  # type: ignore[union-attr]
    _validate(tx, policy, "add")
    row = to_row(policy, doc.get("comment"))
    if not row["id"]:
        row.pop("id")
    created = tx.insert("scheduling_policy", row)
    tx.event(9910, f"Scheduling Policy {policy.name} was added. (User: {tx.who})")
    return wire(from_row(created))


def _update(tx: Tx, ident: str, changes: dict) -> dict:
    policy = _editable(tx, ident, "edit")
    if "name" in changes:
        policy.name = str(changes["name"] or "")
    if "description" in changes:
        policy.description = str(changes["description"] or "")
    if "properties" in changes:
        policy.properties = _props(changes["properties"])
    _validate(tx, policy, "edit")
    return _save(tx, policy, "updated")


def _save(tx: Tx, policy: Policy, what: str) -> dict:
    current = tx.must("scheduling_policy", policy.id)
    row = to_row(policy, current.get("comment"))
    if row != {k: current.get(k) for k in row} or current.get("comment") != row.get("comment"):
        tx.update("scheduling_policy", row)
        tx.event(9912, f"Scheduling Policy {policy.name} was {what}. (User: {tx.who})")
    return wire(policy)


def _remove(tx: Tx, ident: str) -> None:
    policy = _editable(tx, ident, "remove")
    users = [c["name"] for c in tx.find("cluster") if (c.get("scheduling_policy") or {}).get("id") == ident]
    if users:
        raise Conflict(f"Cannot remove Scheduling Policy. Scheduling Policy is attached to cluster(s): "
                       f"{', '.join(sorted(users))}, please unassign cluster(s).")
    tx.delete("scheduling_policy", ident)
    tx.event(9914, f"Scheduling Policy {policy.name} was removed. (User: {tx.who})")


def add_policy(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_scheduling_policy", _create, doc)


def update_policy(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_scheduling_policy", _update, current["id"], changes)


def remove_policy(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_scheduling_policy", _remove, current["id"])


# ---------------------------------------------------------------- filters, weights, balances


def _item(policy: Policy, kind: str, unit_id: str) -> dict | None:
    ref = {"scheduling_policy_unit": {"id": unit_id}}
    if kind == FILTER:
        pos = next((p for u, p in policy.filters if u == unit_id), None)
        return None if pos is None else {"id": unit_id, **ref, "position": pos}
    if kind == WEIGHT:
        factor = next((f for u, f in policy.weights if u == unit_id), None)
        return None if factor is None else {"id": unit_id, **ref, "factor": factor,
                                            "scheduling_policy": {"id": policy.id}}
    if policy.balance != unit_id:
        return None
    return {"id": unit_id, **ref, "scheduling_policy": {"id": policy.id}}


def _unit_ids(policy: Policy, kind: str) -> list[str]:
    if kind == FILTER:
        return [u for u, _ in policy.filters]
    if kind == WEIGHT:
        return [u for u, _ in policy.weights]
    return [policy.balance] if policy.balance else []


def item_loaders(kind: str):
    """``list_items`` and ``load`` of a policy's ``filters``, ``weights`` or ``balances``."""

    def list_items(conn: Connection, parent: dict | None, params: dict) -> list[dict]:
        policy = get_policy(conn, parent["id"]) if parent else None
        if policy is None:
            return []
        return [d for d in (_item(policy, kind, u) for u in _unit_ids(policy, kind)) if d]

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        policy = get_policy(conn, parent["id"]) if parent else None
        return _item(policy, kind, ident) if policy else None

    return list_items, load


def _add_item(tx: Tx, policy_id: str, kind: str, doc: dict) -> dict:
    policy = _editable(tx, policy_id, "edit")
    field = {FILTER: "filter", WEIGHT: "weight", BALANCE: "balance"}[kind]
    unit_id = _unit_ref(doc.get("scheduling_policy_unit"), kind, field, tx.conn)
    if kind == FILTER:
        policy.filters.append((unit_id, _integer(doc.get("position", 0), "filter.position")))
    elif kind == WEIGHT:
        policy.weights.append((unit_id, _integer(doc.get("factor", 1), "weight.factor")))
    else:
        policy.balance = unit_id  # a policy has one balancer: the new one replaces it
    _validate(tx, policy, "edit")
    _save(tx, policy, "updated")
    return {"id": unit_id}


def _remove_item(tx: Tx, policy_id: str, kind: str, unit_id: str) -> None:
    policy = _editable(tx, policy_id, "edit")
    if kind == FILTER:
        policy.filters = [f for f in policy.filters if f[0] != unit_id]
    elif kind == WEIGHT:
        policy.weights = [w for w in policy.weights if w[0] != unit_id]
    elif policy.balance == unit_id:
        policy.balance = by_name("None", BALANCE).id  # type: ignore[union-attr]
    _save(tx, policy, "updated")


def item_commands(kind: str):
    """``add`` and ``remove`` of a policy's ``filters``, ``weights`` or ``balances``."""

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        return run(ctx, "update_scheduling_policy", _add_item, parent["id"], kind, doc)  # type: ignore[index]

    def remove(ctx: Context, parent: dict | None, current: dict) -> None:
        run(ctx, "update_scheduling_policy", _remove_item, parent["id"], kind, current["id"])  # type: ignore[index]

    return add, remove


# ---------------------------------------------------------------- clusters


def resolve_cluster_policy(tx: Tx, doc: dict, current: dict | None = None, changes: dict | None = None) -> None:
    """A cluster's ``scheduling_policy`` (by id or name; the default ``none``) becomes a reference by id, and its
    ``custom_scheduling_policy_properties`` must fit that policy's units. A cluster that gets a new policy without
    properties of its own takes the policy's, as oVirt does."""
    given = changes if changes is not None else doc
    ref = doc.get("scheduling_policy")
    old_id = ((current or {}).get("scheduling_policy") or {}).get("id")
    if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
        policy = get_policy(tx.conn, old_id or NONE_ID) or BUILTIN_BY_ID[NONE_ID]
    elif ref.get("id"):
        policy = get_policy(tx.conn, str(ref["id"]))  # type: ignore[assignment]
        if policy is None:
            raise BadRequest(f"cluster.scheduling_policy: no scheduling policy with id '{ref['id']}'")
    else:
        found = [p for p in all_policies(tx.conn) if p.name == ref["name"]]
        if not found:
            raise BadRequest(f"cluster.scheduling_policy: no scheduling policy named '{ref['name']}'")
        policy = found[0]
    doc["scheduling_policy"] = {"id": policy.id}
    if "custom_scheduling_policy_properties" in given and given["custom_scheduling_policy_properties"] is not None:
        props = _props(given["custom_scheduling_policy_properties"])
        why = check_properties(props, policy, "cluster.custom_scheduling_policy_properties", tx.conn)
        if why:
            raise BadRequest(why)
        doc["custom_scheduling_policy_properties"] = _prop_list(props)
    elif current is None or old_id != policy.id:
        doc["custom_scheduling_policy_properties"] = _prop_list(policy.properties)
