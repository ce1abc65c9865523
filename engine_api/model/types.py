"""The wire type system: one description of every oVirt type, read by the codec and the presenter.

The oVirt API model (type names, members, their kinds, enum values) is data: ``wire_model.json``.
Each member has a spec string:

- ``str``, ``int``, ``bool``, ``float``, ``date`` are scalars;
- a capitalised name is an enum (``VmStatus``), a lower-case one a struct (``cpu``); a struct that is an
  identified type (has ``id``) nested inside another is a reference;
- ``[x]`` is a list of ``x``.

A list member named in ``links`` is a sub-collection: rendered as ``<link rel=...>`` unless followed.
vdc's own types (hooks, UI plugins) are added with :func:`define`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

SCALARS = frozenset({"str", "int", "bool", "float", "date"})


@dataclass(frozen=True)
class Member:
    name: str
    kind: str  # one of SCALARS, "enum", "struct", "list"
    type: str  # scalar name, enum name or struct type name (the item's type for lists)
    item_kind: str = ""  # for lists: a scalar name, "enum" or "struct"
    item_tag: str = ""  # for lists: the XML tag of one item
    link: bool = False  # a sub-collection, rendered as a link unless followed

    @property
    def rel(self) -> str:
        return self.name.replace("_", "")


@dataclass
class StructType:
    name: str
    members: dict[str, Member] = field(default_factory=dict)
    identified: bool = False

    @cached_property
    def links(self) -> list[Member]:
        return [m for m in self.members.values() if m.link]

    @cached_property
    def by_rel(self) -> dict[str, Member]:
        return {m.rel: m for m in self.links}


ENUMS: dict[str, frozenset[str]] = {}
ENUM_ORDER: dict[str, tuple[str, ...]] = {}  # enums whose values are ordered (severity, statuses), in that order
STRUCTS: dict[str, StructType] = {}
_LIST_ITEMS: dict[str, str] = {}
_PLURALS: dict[str, str] = {}


def plural(tag: str) -> str:
    """The tag of a list of ``tag`` at the root of a document (``vm`` -> ``vms``)."""
    return _PLURALS.get(tag) or tag + "s"


def singular(word: str) -> str:
    if word in _LIST_ITEMS:
        return _LIST_ITEMS[word]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _kind(spec: str) -> str:
    if spec in SCALARS:
        return spec
    return "enum" if spec[0].isupper() else "struct"


def member(name: str, spec: str, link: bool = False) -> Member:
    if spec.startswith("["):
        inner = spec[1:-1]
        kind = _kind(inner)
        item_tag = inner if kind == "struct" else singular(name)
        return Member(name, "list", inner, kind, item_tag, link)
    return Member(name, _kind(spec), spec, link=link)


def define(name: str, members: dict[str, str], *, identified: bool = True, links: tuple[str, ...] = ()) -> None:
    """Add or extend a struct type; ``members`` maps member names to spec strings."""
    t = STRUCTS.setdefault(name, StructType(name, identified=identified))
    for mname, spec in members.items():
        t.members[mname] = member(mname, spec, mname in links)
    t.__dict__.pop("links", None)
    t.__dict__.pop("by_rel", None)


def enum_order(type_name: str, member_name: str) -> tuple[str, ...]:
    """The ordered values of the enum a member holds (``event.severity``: normal ... alert), else ()."""
    t = STRUCTS.get(type_name)
    m = t.members.get(member_name) if t else None
    return ENUM_ORDER.get(m.type, ()) if m is not None and m.kind == "enum" else ()


def define_enum(name: str, values: list[str]) -> None:
    ENUMS[name] = frozenset(values)


def _load() -> None:
    data = json.loads((Path(__file__).with_name("wire_model.json")).read_text())
    _LIST_ITEMS.update(data["list_items"])
    _PLURALS.update(data["plurals"])
    for name, values in data["enums"].items():
        define_enum(name, values)
    for name, values in data.get("enum_order", {}).items():
        ENUM_ORDER[name] = tuple(values)
    for name, t in data["types"].items():
        define(name, t["members"], identified=t["identified"], links=tuple(t["links"]))
    define("vlan", {"id": "int"}, identified=False)  # the one type whose id attribute is a number


_load()
