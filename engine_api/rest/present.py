"""Turn stored documents into wire documents: hrefs, reference hrefs, links, actions and ``follow``.

Following is done in bulk: one query per followed member for a whole list, never one per entity.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection

from engine_api.core.errors import BadRequest
from engine_api.model.types import STRUCTS
from engine_api.rest.resources import API, Collection
from engine_api.store import repo

# Where entities of a type live at the top level, for the href of a reference.
TOP: dict[str, Collection] = {}


def ref_href(type_name: str, ident: str) -> str | None:
    coll = TOP.get(type_name)
    return f"{API}/{coll.name}/{ident}" if coll else None


def _link_refs(type_name: str, doc: dict) -> None:
    members = STRUCTS[type_name].members
    for name, value in doc.items():
        m = members.get(name)
        if m is None or value is None:
            continue
        if m.kind == "struct" and STRUCTS[m.type].identified and isinstance(value, dict) and "id" in value:
            if "href" not in value and (h := ref_href(m.type, value["id"])):
                value["href"] = h
        elif m.kind == "list" and m.item_kind == "struct" and STRUCTS[m.type].identified and not m.link:
            for item in value:
                if isinstance(item, dict) and "id" in item and "href" not in item:
                    if h := ref_href(m.type, item["id"]):
                        item["href"] = h


def present(coll: Collection, base: str, doc: dict) -> dict:
    """Decorate ``doc`` in place for the wire; ``base`` is the href of the collection it is in."""
    href = f"{base}/{doc['id']}"
    doc["href"] = href
    _link_refs(coll.type, doc)
    if coll.subs:
        doc["_links"] = {STRUCTS[coll.type].by_rel[rel].name if rel in STRUCTS[coll.type].by_rel else rel:
                         f"{href}/{rel}" for rel in coll.subs}
    if coll.actions:
        doc["_actions"] = list(coll.actions)
    return doc


def present_all(conn: Connection, coll: Collection, base: str, docs: list[dict], follow: dict[str, dict],
                parent: dict | None = None) -> list[dict]:
    for doc in docs:
        present(coll, base, doc)
    for member, subtree in follow.items():
        _follow(conn, coll, docs, member, subtree)
    return docs


def _follow(conn: Connection, coll: Collection, docs: list[dict], member: str, subtree: dict) -> None:
    t = STRUCTS[coll.type]
    m = t.members.get(member)
    if m is None:
        raise BadRequest(f"follow: '{member}' is not a member of {coll.type}", "Invalid value")
    sub = coll.subs.get(m.rel) if m.link else None
    if sub is not None:
        children: dict[str, list[dict]] = defaultdict(list)
        if sub.kind and sub.parent_ref and sub.list_items is None:
            for row in repo.find_raw_in(conn, sub.kind, f"{sub.parent_ref}_id", [d["id"] for d in docs]):
                child = row.doc()
                children[child[sub.parent_ref]["id"]].append(child)
            if sub.decorate:
                for d in docs:
                    for child in children[d["id"]]:
                        sub.decorate(conn, d, child)
        else:
            for d in docs:
                children[d["id"]] = sub.list(conn, d, {})
        for d in docs:
            items = children.get(d["id"], [])
            present_all(conn, sub, d["href"] + "/" + m.rel, items, subtree, d)
            d[member] = items
            d.get("_links", {}).pop(member, None)
        return
    if m.kind == "struct" and m.type in TOP:
        target = TOP[m.type]
        wanted = {d[member]["id"] for d in docs if isinstance(d.get(member), dict) and d[member].get("id")}
        found: dict[str, dict] = {}
        if target.kind and target.load is None:
            for doc in (row.doc() for row in repo.find_raw_in(conn, target.kind, "id", sorted(wanted))):
                if target.decorate:
                    target.decorate(conn, None, doc)
                found[doc["id"]] = doc
        else:
            for ident in wanted:
                found[ident] = target.get(conn, None, ident)
        full = present_all(conn, target, f"{API}/{target.name}", list(found.values()), subtree)
        by_id = {f["id"]: f for f in full}
        for d in docs:
            ref = d.get(member)
            if isinstance(ref, dict) and ref.get("id") in by_id:
                d[member] = dict(by_id[ref["id"]])
        return
    if m.kind == "list" and m.item_kind == "struct" and m.type in TOP:
        target = TOP[m.type]
        for d in docs:
            items = [target.get(conn, None, r["id"]) for r in d.get(member) or [] if r.get("id")]
            d[member] = present_all(conn, target, f"{API}/{target.name}", items, subtree)
        return
    raise BadRequest(f"follow: '{member}' of {coll.type} cannot be followed", "Invalid value")


