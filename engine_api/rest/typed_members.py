"""What a client needs to read the engine's JSON back by type, derived from the one wire model.

The JSON writes integers and booleans as strings, as oVirt's engine does. A client reading it (the collection, the
administration portal) turns them back into numbers and booleans by this table: for every wire type, its integer
and boolean members and the structs and lists that lead to some; for every collection, by URL segment, the type of
its items and its sub-collections (an answer's type follows from the path it was asked at).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from engine_api.model.types import STRUCTS, Member
from engine_api.rest.describe import walk
from engine_api.rest.root import build_registries

TYPED = frozenset({"int", "bool"})


def _code(m: Member) -> str:
    """``int``, ``bool``, ``[int]``, ``[bool]``, a struct type (``cpu``) or a list of one (``[disk]``)."""
    if m.kind == "list":
        return f"[{m.item_kind if m.item_kind in TYPED else m.type}]"
    return m.kind if m.kind in TYPED else m.type


def _struct_of(m: Member) -> str | None:
    """The struct type a member holds (itself or as list items), else None."""
    if m.kind == "struct" or (m.kind == "list" and m.item_kind == "struct"):
        return m.type
    return None


def _typed(m: Member) -> bool:
    return m.kind in TYPED or (m.kind == "list" and m.item_kind in TYPED)


@cache
def types() -> dict[str, dict[str, str]]:
    """Per type, the members worth decoding: typed scalars, and structs that reach one (to a fixed point)."""
    build_registries()  # every type and collection the API serves

    relevant = {n for n, t in STRUCTS.items() if any(_typed(m) for m in t.members.values())}
    grown = True
    while grown:
        grown = False
        for name, t in STRUCTS.items():
            if name not in relevant and any(_struct_of(m) in relevant for m in t.members.values()):
                relevant.add(name)
                grown = True
    return {name: {k: _code(m) for k, m in sorted(STRUCTS[name].members.items())
                   if _typed(m) or _struct_of(m) in relevant} for name in sorted(relevant)}


@cache
def collections() -> dict[str, Any]:
    """``{segment: [item type, {sub-collection segment: [...]}]}`` for every collection the API serves."""
    build_registries()
    tree: dict[str, Any] = {}
    index: dict[tuple[str, ...], dict[str, Any]] = {}
    for node in walk():
        parent = index[node.segments[:-2]] if len(node.segments) > 1 else tree
        subs: dict[str, Any] = {}
        parent[node.segments[-1]] = [node.coll.type, subs]
        index[node.segments] = subs
    return tree


# ---------------------------------------------------------------- reading the engine's JSON in Python

_BOOLS = {"true": True, "false": False}
_INT = re.compile(r"-?[0-9]+")


def answer_type(path: str) -> tuple[str, bool] | None:
    """(wire type, whether a list of it) of the answer at ``path`` (relative to the API root, a query allowed);
    None outside the model."""
    segments = [s for s in path.split("?")[0].split("/") if s]
    if not segments:
        return "api", False
    tree = collections()
    while segments:
        found = tree.get(segments[0])
        if found is None:
            return None
        type_name, tree = found
        if len(segments) <= 2:
            return type_name, len(segments) == 1
        if len(segments) == 3 and segments[2] not in tree:
            return "action", False
        segments = segments[2:]
    return None


def _value(value: Any, code: str) -> Any:
    if code == "int":
        return int(value) if isinstance(value, str) and _INT.fullmatch(value) else value
    if code == "bool":
        return _BOOLS.get(value, value) if isinstance(value, str) else value
    if code.startswith("["):
        if isinstance(value, dict):  # a list keeps its wrapper: {"version": [...]}
            return {k: _value(v, code) if isinstance(v, list) else v for k, v in value.items()}
        return [_value(v, code[1:-1]) for v in value] if isinstance(value, list) else value
    return read(value, code)


def read(doc: Any, type_name: str) -> Any:
    """An entity of ``type_name`` from the engine's JSON with its integers and booleans as Python values (in place);
    a value that is not what its type says is kept as it came."""
    members = types().get(type_name)
    if members and isinstance(doc, dict):
        for key, value in doc.items():
            if key in members:
                doc[key] = _value(value, members[key])
    return doc


def read_answer(doc: Any, path: str) -> Any:
    """The engine's JSON answer at ``path``: a list (``{"vm": [...]}``), an entity, an action or the API root."""
    found = answer_type(path)
    if found is None or not isinstance(doc, dict):
        return doc
    type_name, listed = found
    if listed and isinstance(doc.get(type_name), list) and "href" not in doc:
        for item in doc[type_name]:
            read(item, type_name)
        return doc
    return read(doc, type_name)
