"""External scheduling units as managed artifacts: a Python file in the scheduler proxy's plugin format, added
through the API, analysed in a sandboxed worker (never in the engine's process), and each unit class found in
it registered in ``/schedulingpolicyunits`` with ``internal=false``, its type and its properties.

A file is a ``scheduler_plugin`` row (name, content, sha256); its units are ``external_policy_unit`` rows. A
unit's id is derived from (file, class, type), so replacing a file keeps the ids of the units it still has, and
policies that use them keep working. A file, or a unit, that a scheduling policy still uses cannot be removed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid

from sqlalchemy import Connection

from engine_api.commands import external_runtime
from engine_api.commands.external_stored import all_units, source, unit_doc, unit_of
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.scheduler.external.pool import Reply
from engine_api.scheduler.units import BY_ID
from engine_api.scheduler.units import by_name as internal_by_name
from engine_api.store import repo

MAX_SOURCE = 256 << 10
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
PROPERTY_KEY = re.compile(r"^[a-zA-Z0-9_]+$")  # oVirt's CustomPropertiesUtils key pattern
NAMESPACE = uuid.UUID("8f2b4c61-5a3e-4d0f-9c1e-7b6a2d9e0f13")
CODE_ADDED, CODE_UPDATED, CODE_REMOVED, CODE_UNIT_REMOVED = 9640, 9641, 9642, 9643


def unit_id(module: str, cls: str, type_: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{module}/{cls}/{type_}"))


def parse_validation(text: str) -> tuple[tuple[str, str], ...]:
    """``key=regex;key2=regex`` (oVirt's custom properties format, a trailing ``;`` allowed) -> pairs; a
    malformed one raises ValueError saying where."""
    out: list[tuple[str, str]] = []
    for item in text.split(";"):
        if not item.strip():
            continue
        key, sep, regex = item.partition("=")
        key = key.strip()
        if not sep or not PROPERTY_KEY.match(key):
            raise ValueError(f"'{item[:80]}' is not key=regex (a key is letters, digits and '_')")
        if not regex:
            raise ValueError(f"the regex of {key} is empty")
        try:
            re.compile(regex)
        except re.error as e:
            raise ValueError(f"the regex of {key} does not compile: {e}") from None
        if key in dict(out):
            raise ValueError(f"{key} is given twice")
        out.append((key, regex))
    return tuple(out)


# ---------------------------------------------------------------- reading


def describe(conn: Connection, doc: dict) -> dict:
    units = [unit_doc(unit_of(u)) for u in repo.find(conn, "external_policy_unit")
             if u["plugin"]["id"] == doc["id"]]
    return {"id": doc["id"], "name": doc["name"], "sha256": doc["sha256"], "content": doc["content"],
            "href": f"/ovirt-engine/api/vdc/schedulerplugins/{doc['id']}",
            "units": sorted(units, key=lambda u: (u["name"], u["type"]))}


def plugins(conn: Connection) -> list[dict]:
    return [describe(conn, d) for d in sorted(repo.find(conn, "scheduler_plugin"), key=lambda d: d["name"])]


def plugin(conn: Connection, ident: str) -> dict:
    doc = repo.get(conn, "scheduler_plugin", ident)
    if doc is None:
        raise NotFound(f"no scheduler plugin with id '{ident[:64]}'")
    return describe(conn, doc)


def users_of(tx: Tx, unit_ids: set[str]) -> dict[str, list[str]]:
    """unit id -> names of the custom scheduling policies that use it."""
    out: dict[str, list[str]] = {}
    for p in tx.find("scheduling_policy"):
        used = {u for u, _ in p.get("_filters") or []} | {u for u, _ in p.get("_weights") or []}
        if p.get("_balance"):
            used.add(p["_balance"])
        for u in used & unit_ids:
            out.setdefault(u, []).append(p["name"])
    return out


# ---------------------------------------------------------------- analysis (in a worker)


def content_of(body: dict) -> str:
    """The file's text from ``content`` or ``content_base64``."""
    if isinstance(body.get("content_base64"), str):
        try:
            raw = base64.b64decode(body["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("content_base64 is not base64") from None
    elif isinstance(body.get("content"), str):
        raw = body["content"].encode()
    else:
        raise BadRequest("content (text) or content_base64 is required")
    if len(raw) > MAX_SOURCE:
        raise BadRequest(f"the file has {len(raw)} bytes, over the limit of {MAX_SOURCE}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequest(f"the file is not UTF-8 text: {e}") from None
    if "\x00" in text:
        raise BadRequest("the file holds a NUL character")
    return text


def analyse(ctx: Context, module: str, text: str) -> list[dict]:
    """The units the file declares, found by a sandboxed worker; a 400 saying why when the file is not a
    plugin (syntax error with its line, a failure at import, no unit class, a bad ``properties_validation``)."""
    rt = external_runtime.runtime(ctx.engine)
    reply: Reply = rt.pool.call({"op": "analyse", "source": text, "module": module}, rt.timeout())
    head = f"Cannot add scheduler plugin {module}."
    if reply.lost or reply.timeout or reply.overflow:
        raise BadRequest(f"{head} Analysing it failed: {reply.failure(rt.timeout())}")
    try:
        found = json.loads(reply.result) if reply.result else None
    except ValueError:
        found = None
    if found is None:
        tail = [line for line in reply.stderr.strip().splitlines() if line.strip()]
        why = tail[-1][:300] if tail else f"the analysis exited with status {reply.rc}"
        raise BadRequest(f"{head} Loading it failed: {why}")
    if found.get("error"):
        raise BadRequest(f"{head} It has a {found['error']}")
    units = found.get("units") or []
    if not units:
        raise BadRequest(f"{head} It has no unit class: no class with do_filter(self, hosts_ids, vm_id, args_map), "
                         "do_score(self, hosts_ids, vm_id, args_map) or do_balance(self, hosts_ids, args_map)")
    for u in units:
        if u.get("properties_type") not in ("str", "NoneType"):
            raise BadRequest(f"{head} {u['class']}.properties_validation must be a string 'key=regex;key2=regex', "
                             f"not a {u.get('properties_type')}")
        try:
            u["properties"] = parse_validation(u.get("properties_validation") or "")
        except ValueError as e:
            raise BadRequest(f"{head} {u['class']}.properties_validation is malformed: {e}") from None
    return units


# ---------------------------------------------------------------- changes (in one transaction each)


def _name(body: dict) -> str:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise BadRequest("name is required: the plugin's module name")
    name = name[:-3] if name.endswith(".py") else name
    if not MODULE_NAME.match(name):
        raise BadRequest(f"name '{name[:80]}' is not a Python module name (letters, digits, '_'; at most 64)")
    return name


def _check_clashes(tx: Tx, module: str, plugin_id: str | None, units: list[dict]) -> None:
    others = [u for u in all_units(tx.conn) if u.plugin != plugin_id]
    for u in units:
        if internal_by_name(u["class"], u["type"]) is not None:
            raise Conflict(f"Cannot add scheduler plugin {module}: {u['class']} is the name of a built-in "
                           f"{u['type'].replace('_', ' ')} unit")
        clash = next((o for o in others if o.name.lower() == u["class"].lower() and o.type == u["type"]), None)
        if clash:
            raise Conflict(f"Cannot add scheduler plugin {module}: a {u['type'].replace('_', ' ')} unit named "
                           f"{clash.name} comes from plugin {clash.module} already")


def _rows(module: str, plugin_id: str, units: list[dict]) -> list[dict]:
    return [{"id": unit_id(module, u["class"], u["type"]), "name": u["class"], "type": u["type"],
             "description": u.get("description") or "", "module": module, "plugin": {"id": plugin_id},
             "properties": [{"name": n, "value": v} for n, v in u["properties"]]} for u in units]


def _insert(tx: Tx, module: str, text: str, units: list[dict]) -> dict:
    if tx.by_name("scheduler_plugin", module):
        raise Conflict(f"Cannot add scheduler plugin {module}: the name is in use")
    _check_clashes(tx, module, None, units)
    doc = tx.insert("scheduler_plugin", {"name": module, "content": text,
                                         "sha256": hashlib.sha256(text.encode()).hexdigest()})
    for row in _rows(module, doc["id"], units):
        tx.insert("external_policy_unit", row)
    names = ", ".join(f"{u['class']} ({u['type'].replace('_', ' ')})" for u in units)
    tx.event(CODE_ADDED, f"Scheduler plugin {module} was added with its units {names} by {tx.who}.")
    return doc


def _replace(tx: Tx, ident: str, text: str, units: list[dict]) -> dict:
    doc = tx.get("scheduler_plugin", ident)
    if doc is None:
        raise NotFound(f"no scheduler plugin with id '{ident[:64]}'")
    module = doc["name"]
    _check_clashes(tx, module, ident, units)
    new = {r["id"]: r for r in _rows(module, ident, units)}
    old = {u["id"]: u for u in tx.find("external_policy_unit") if u["plugin"]["id"] == ident}
    used = users_of(tx, set(old) - set(new))
    if used:
        gone = ", ".join(f"{old[u]['name']} (used by {', '.join(sorted(p))})" for u, p in used.items())
        raise Conflict(f"Cannot update scheduler plugin {module}: it would drop units that scheduling policies "
                       f"use: {gone}")
    for u in set(old) - set(new):
        tx.delete("external_policy_unit", u)
    for u, row in new.items():
        if u in old:
            tx.update("external_policy_unit", row)
        else:
            tx.insert("external_policy_unit", row)
    sha = hashlib.sha256(text.encode()).hexdigest()
    if sha != doc["sha256"]:
        doc.update(content=text, sha256=sha)
        tx.update("scheduler_plugin", doc)
        tx.event(CODE_UPDATED, f"Scheduler plugin {module} was updated by {tx.who}; its units are now "
                               + ", ".join(f"{r['name']} ({r['type'].replace('_', ' ')})" for r in new.values())
                               + ".")
    return doc


def _remove(tx: Tx, ident: str) -> None:
    doc = tx.get("scheduler_plugin", ident)
    if doc is None:
        raise NotFound(f"no scheduler plugin with id '{ident[:64]}'")
    units = {u["id"]: u for u in tx.find("external_policy_unit") if u["plugin"]["id"] == ident}
    used = users_of(tx, set(units))
    if used:
        names = ", ".join(f"{units[u]['name']} (used by {', '.join(sorted(p))})" for u, p in used.items())
        raise Conflict(f"Cannot remove scheduler plugin {doc['name']}: scheduling policies use its units {names}")
    for u in units:
        tx.delete("external_policy_unit", u)
    tx.delete("scheduler_plugin", ident)
    tx.event(CODE_REMOVED, f"Scheduler plugin {doc['name']} was removed by {tx.who}.")


def _remove_unit(tx: Tx, ident: str) -> None:
    doc = tx.get("external_policy_unit", ident)
    if doc is None:
        if internal_unit(ident):
            raise Conflict("Cannot remove policy unit: it is a built-in unit")
        raise NotFound(f"scheduling policy unit '{ident[:64]}' does not exist")
    used = users_of(tx, {ident}).get(ident)
    if used:
        raise Conflict(f"Cannot remove policy unit {doc['name']}: it is used by scheduling policies "
                       f"{', '.join(sorted(used))}")
    tx.delete("external_policy_unit", ident)
    tx.event(CODE_UNIT_REMOVED, f"External policy unit {doc['name']} ({doc['type'].replace('_', ' ')}) was removed "
                                f"by {tx.who}.")


def internal_unit(ident: str) -> bool:
    return ident in BY_ID


def add(ctx: Context, body: dict) -> dict:
    module, text = _name(body), content_of(body)
    units = analyse(ctx, module, text)
    doc = run(ctx, "add_scheduler_plugin", _insert, module, text, units)
    with ctx.engine.db.read() as conn:
        return plugin(conn, doc["id"])


def update(ctx: Context, ident: str, body: dict) -> dict:
    with ctx.engine.db.read() as conn:
        module, _ = source(conn, ident)
    if body.get("name") not in (None, module, f"{module}.py"):
        raise BadRequest(f"a plugin's name cannot change (it is {module})")
    text = content_of(body)
    units = analyse(ctx, module, text)
    run(ctx, "update_scheduler_plugin", _replace, ident, text, units)
    with ctx.engine.db.read() as conn:
        return plugin(conn, ident)


def remove(ctx: Context, ident: str) -> None:
    run(ctx, "remove_scheduler_plugin", _remove, ident)


def remove_unit(ctx: Context, parent: dict | None, current: dict) -> None:
    """``DELETE /schedulingpolicyunits/{id}``: an external unit (409 while a policy uses it)."""
    run(ctx, "remove_policy_unit", _remove_unit, current["id"])
