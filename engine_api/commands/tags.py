"""Tags (``/tags``): a tree under the root tag, assigned to VMs, hosts, templates, users and groups, as oVirt has
them.

Names are unique engine-wide (compared without case, as searches compare them). The root tag (id of zeros, name
``root``) is not stored: a tag under the root stores no parent. Removing a tag removes its subtree and every
assignment of them (the database's cascades). A search ``tag=x`` finds what carries ``x`` or a tag below it, as
oVirt's search does (:func:`search_field`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, insert, select

from engine_api.commands import authz
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.store import repo, search
from engine_api.store.schema import KINDS, tag_assignments

ROOT_ID = "00000000-0000-0000-0000-000000000000"
WHAT = {"vm": "VM", "host": "Host", "template": "Template", "user": "User", "group": "Group"}

for _action in ("add_tag", "update_tag", "remove_tag", "assign_tag", "unassign_tag"):
    authz.register(_action, authz.on_system(1301))  # TAG_MANAGEMENT on System, as oVirt checks it


def root_tag() -> dict:
    return {"id": ROOT_ID, "name": "root", "description": "root"}


def _wire(doc: dict) -> dict:
    doc.setdefault("description", "")
    doc.setdefault("parent", {"id": ROOT_ID})
    return doc


# ---------------------------------------------------------------- reading


def list_tags(conn: Connection) -> list[dict]:
    """The root tag first, then every tag in the order they were added."""
    return [root_tag()] + [_wire(d) for d in repo.find(conn, "tag")]


def load_tag(conn: Connection, parent: dict | None, ident: str) -> dict | None:
    if ident == ROOT_ID:
        return root_tag()
    doc = repo.get(conn, "tag", ident)
    return _wire(doc) if doc else None


def _assigned_ids(conn: Connection, kind: str, ident: str) -> list[str]:
    a = tag_assignments
    q = select(a.c.tag_id).where(a.c[f"{kind}_id"] == ident).order_by(a.c.id)
    return [r[0] for r in conn.execute(q)]


def assigned_loaders(kind: str):
    """The tags of one VM (host, template, user, group): ``/vms/{id}/tags``."""

    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        if parent is None:
            return []
        ids = _assigned_ids(conn, kind, parent["id"])
        found = {d["id"]: d for d in repo.find(conn, "tag", KINDS["tag"].table.c.id.in_(ids))} if ids else {}
        return [{**_wire(found[i]), kind: {"id": parent["id"]}} for i in ids if i in found]

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in list_items(conn, parent, {}) if d["id"] == ident), None)

    return list_items, load


# ---------------------------------------------------------------- the tree


def _name(tx: Tx, name: Any, verb: str, exclude: str | None = None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("tag.name is required", "Incomplete parameters")
    if name.lower() == "root" or any(d["id"] != exclude for d in tx.by_name("tag", name)):
        raise Conflict(f"Cannot {verb} Tag. Tag name '{name}' is already in use.")
    return name


def _parent(tx: Tx, ref: Any, verb: str, moving: str | None = None) -> str | None:
    """The stored parent id for ``ref`` (None: the root); a tag never goes below itself or a tag of its subtree."""
    if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
        raise BadRequest("tag.parent must name an id or a name")
    if ref.get("id") == ROOT_ID or (not ref.get("id") and str(ref.get("name")).lower() == "root"):
        return None
    found = tx.ref("tag", ref, "tag.parent")
    assert found is not None
    up: str | None = found["id"]
    while up is not None:
        if up == moving:
            raise Conflict(f"Cannot {verb} Tag. A tag cannot be moved below itself or one of its descendants.")
        up = ((tx.get("tag", up) or {}).get("parent") or {}).get("id")
    return found["id"]


def _create(tx: Tx, doc: dict) -> dict:
    tag: dict[str, Any] = {"name": _name(tx, doc.get("name"), "add"), "description": doc.get("description") or ""}
    if doc.get("parent") is not None:
        parent = _parent(tx, doc["parent"], "add")
        if parent:
            tag["parent"] = {"id": parent}
    if doc.get("id"):
        tag["id"] = doc["id"]
    created = tx.insert("tag", tag)
    tx.event(430, f"New Tag {tag['name']} was created by {tx.who}.")
    return created


def _update(tx: Tx, ident: str, changes: dict) -> dict:
    if ident == ROOT_ID:
        raise Conflict("Cannot update Tag. The root tag cannot be changed.")
    tag = tx.must("tag", ident)
    before = dict(tag)
    if "name" in changes and changes["name"] != tag["name"]:
        tag["name"] = _name(tx, changes["name"], "update", ident)
    if "description" in changes:
        tag["description"] = changes["description"] or ""
    if changes.get("parent") is not None:
        parent = _parent(tx, changes["parent"], "update", ident)
        if parent:
            tag["parent"] = {"id": parent}
        else:
            tag.pop("parent", None)
    if tag != before:
        tx.update("tag", tag)
        tx.event(434, f"Tag {before['name']} configuration was updated by {tx.who}.")
    return tag


def _remove(tx: Tx, ident: str) -> None:
    if ident == ROOT_ID:
        raise Conflict("Cannot remove Tag. The root tag cannot be removed.")
    tag = tx.must("tag", ident)
    tx.delete("tag", ident)  # its subtree and the assignments go with it
    tx.event(432, f"Tag {tag['name']} was removed by {tx.who}.")


def add_tag(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_tag", _create, doc)


def update_tag(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_tag", _update, current["id"], changes)


def remove_tag(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_tag", _remove, current["id"])


# ---------------------------------------------------------------- assignments


def _assign(tx: Tx, kind: str, owner: dict, ref: Any) -> dict:
    if isinstance(ref, dict) and (ref.get("id") == ROOT_ID or (not ref.get("id") and ref.get("name") == "root")):
        raise BadRequest(f"Cannot attach Tag to {WHAT[kind]}. The root tag cannot be attached.")
    tag = tx.ref("tag", ref, "tag")
    assert tag is not None
    if tag["id"] in _assigned_ids(tx.conn, kind, owner["id"]):
        raise Conflict(f"Cannot attach Tag to {WHAT[kind]}. Tag {tag['name']} is already attached to "
                       f"{WHAT[kind]} {owner.get('name')}.")
    tx.conn.execute(insert(tag_assignments).values(tag_id=tag["id"], **{f"{kind}_id": owner["id"]}))
    tx.writes += 1
    tx.event(436, f"Tag {tag['name']} was attached to {WHAT[kind]} {owner.get('name')} by {tx.who}.",
             **({kind: owner["id"]} if kind in ("vm", "host", "template") else {}))
    return tag


def _unassign(tx: Tx, kind: str, owner: dict, tag: dict) -> None:
    a = tag_assignments
    tx.conn.execute(delete(a).where((a.c.tag_id == tag["id"]) & (a.c[f"{kind}_id"] == owner["id"])))
    tx.writes += 1
    tx.event(438, f"Tag {tag['name']} was detached from {WHAT[kind]} {owner.get('name')} by {tx.who}.",
             **({kind: owner["id"]} if kind in ("vm", "host", "template") else {}))


def assigned_commands(kind: str):
    """Attaching a tag (by id or name) to one VM (host, template, user, group), and detaching it."""

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        return run(ctx, "assign_tag", _assign, kind, parent, doc)

    def remove(ctx: Context, parent: dict | None, current: dict) -> None:
        run(ctx, "unassign_tag", _unassign, kind, parent, current)

    return add, remove


# ---------------------------------------------------------------- search


def search_field(kind: str):
    """``tag`` in the search of ``kind``: the entity carries a tag whose name matches, or a tag below one (a
    recursive query over the tree), as oVirt expands a tag to its children."""
    tags = KINDS["tag"].table

    def expr(t: Any) -> search.Resolved:
        def each(cond: Any) -> Any:
            tree = select(tags.c.id).where(cond).cte(recursive=True)
            child = tags.alias()
            tree = tree.union(select(child.c.id).where(child.c.parent_id == tree.c.id))
            a = tag_assignments
            return t.c.id.in_(select(a.c[f"{kind}_id"]).where(a.c.tag_id.in_(select(tree.c.id))))

        return search.Resolved(tags.c.name, "str", each=each)

    return expr, "str"
