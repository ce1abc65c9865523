"""Encoding of entities for responses, with a cache of each row's encoding.

A stored row's wire form depends only on its JSON text, its name, its references and where it is listed,
so the encoded bytes are cached under exactly that key (the text by its digest): a list of 1,000 unchanged
VMs is a concatenation, and a changed row misses by itself. Rows needing computed members are encoded afresh.

A JSON list with ``follow`` is put together from the same cached encodings (:func:`encode_followed`): each row
without its followed members, then each followed member's own encoding after them (the JSON's member order is
not significant), so a 5,000-VM list with its disks and NICs costs the reads, not an encoding of every
document. Where some part of the tree is not rows of the store (computed lists, decorations that read the
store), the caller encodes the documents instead.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, defaultdict
from threading import Lock

from sqlalchemy import Connection

from engine_api.model.types import STRUCTS, plural
from engine_api.rest import codec
from engine_api.rest.present import TOP, present
from engine_api.rest.resources import API, Collection
from engine_api.store import repo
from engine_api.store.repo import RawRow
from engine_api.store.schema import KINDS

_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_LOCK = Lock()
CACHE_SIZE = 60_000  # encodings kept, least recently stored dropped first (a followed VM list uses four a VM)


def encode(coll: Collection, base: str, item: dict | RawRow, as_json: bool,
           omit: frozenset[str] = frozenset()) -> bytes:
    """One item; ``omit`` leaves members out, for :func:`encode_followed` to put in (their links stay, as they
    do in a followed document)."""
    if not isinstance(item, RawRow):
        present(coll, base, item)
        return codec.to_json(coll.type, item) if as_json else codec.to_xml(coll.type, item)
    digest = hashlib.blake2b(item.text.encode(), digest_size=16).digest()
    key = (as_json, base, coll.name, item.id, item.name, item.refs, digest, omit)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    doc = item.doc()
    if coll.decorate is not None:  # a row-only decoration (see row_encoded)
        coll.decorate(None, None, doc)  # type: ignore[arg-type]
    for member in omit:
        doc.pop(member, None)
    present(coll, base, doc)
    data = codec.to_json(coll.type, doc) if as_json else codec.to_xml(coll.type, doc)
    with _LOCK:
        _CACHE[key] = data
        if len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return data


def encode_list(coll: Collection, base: str, items: list, as_json: bool) -> bytes:
    return join_list(coll, [encode(coll, base, item, as_json) for item in items], as_json)


def join_list(coll: Collection, parts: list[bytes], as_json: bool) -> bytes:
    if as_json:  # an empty list is {}, as oVirt's JSON leaves the key out
        return b'{"' + coll.type.encode() + b'":[' + b",".join(parts) + b"]}" if parts else b"{}"
    tag = plural(coll.type).encode()
    return b"<" + tag + b">" + b"".join(parts) + b"</" + tag + b">" if parts else b"<" + tag + b"/>"


def row_encoded(coll: Collection) -> bool:
    """Whether an item's encoding is a function of its row alone: rows of one kind, no computed list, no scope,
    no decoration but one declared to read only the row."""
    return (bool(coll.kind) and coll.list_items is None and coll.scope is None and coll.decorate_many is None
            and (coll.decorate is None or coll.decorate_reads_row_only))


def encode_followed(conn: Connection, coll: Collection, bases: list[str], rows: list[RawRow],
                    follow: dict[str, dict]) -> list[bytes] | None:
    """The JSON of ``rows`` (each listed at its base in ``bases``) with ``follow`` done, from cached encodings, one
    read per followed member for all the rows; None when some part of the tree is not :func:`row_encoded` (or not
    a sub-collection or a reference of the store), for the caller to encode the documents instead."""
    if not row_encoded(coll):
        return None
    members = STRUCTS[coll.type].members
    spliced: list[list[bytes]] = [[] for _ in rows]
    omitted: list[set[str]] = [set() for _ in rows]
    for member, subtree in follow.items():
        m = members.get(member)
        if m is None:
            return None
        sub = coll.subs.get(m.rel) if m.link else None
        if sub is not None:
            if coll.decorate is not None or not sub.parent_ref or not row_encoded(sub):
                return None  # a decorated item's wire id may not be its row's: its children's hrefs would differ
            found = repo.find_raw_in(conn, sub.store_kind, f"{sub.parent_ref}_id", [r.id for r in rows])
            children: dict[str | None, list[RawRow]] = defaultdict(list)
            for child in found:
                children[dict(child.refs)[sub.parent_ref]].append(child)
            kids = [children.get(r.id, []) for r in rows]
            flat = [kid for group in kids for kid in group]
            parts = encode_followed(conn, sub, [f"{bases[n]}/{rows[n].id}/{m.rel}" for n, group in enumerate(kids)
                                                for _ in group], flat, subtree)
            if parts is None:
                return None
            at = 0
            for n, group in enumerate(kids):
                mine, at = parts[at:at + len(group)], at + len(group)
                spliced[n].append(b'"%s":{"%s":[%s]}' % (member.encode(), m.item_tag.encode(), b",".join(mine)))
                omitted[n].add(member)
        elif m.kind == "struct" and m.type in TOP and member in KINDS[coll.store_kind].refs:
            target = TOP[m.type]
            refs = [dict(r.refs).get(member) for r in rows]
            wanted = sorted({ref for ref in refs if ref})
            targets = repo.find_raw_in(conn, target.store_kind, "id", wanted)
            if len(targets) != len(wanted):
                return None  # a dangling reference stays a reference: the documents' way shows it
            parts = encode_followed(conn, target, [f"{API}/{target.name}"] * len(targets), targets, subtree)
            if parts is None:
                return None
            encoded = dict(zip((t.id for t in targets), parts, strict=True))
            for n, ref in enumerate(refs):
                if ref:
                    spliced[n].append(b'"%s":%s' % (member.encode(), encoded[ref]))
                    omitted[n].add(member)
        else:
            return None
    out = []
    for n, row in enumerate(rows):
        own = encode(coll, bases[n], row, True, frozenset(omitted[n]))
        out.append(own[:-1] + b"," + b",".join(spliced[n]) + b"}" if spliced[n] else own)
    return out
