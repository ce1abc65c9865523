"""What the shell knows of the API, read from the server's ``model.json``: the collections (where they are,
what they take), and the options of every type and action, flattened as ovirt-shell named them
(``--cpu-topology-cores``, ``--cluster-name``). Nothing here names a collection or an option by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine_api.shell.client import SYNTAX_ERROR, ShellError

PRIMITIVES = {"string", "integer", "boolean", "decimal", "date"}
MAX_DEPTH = 3  # nested structs flattened into options (cpu-topology-cores is 3)
_STANDARD = {"list", "add", "get", "update", "remove"}


@dataclass
class Coll:
    """A collection at one place of the tree."""

    member: str  # disk_attachments
    type: str  # disk_attachment
    parent: Coll | None
    methods: dict[str, list[dict]] = field(default_factory=dict)  # collection methods -> parameters
    entity_methods: dict[str, list[dict]] = field(default_factory=dict)
    children: list[Coll] = field(default_factory=list)

    @property
    def segment(self) -> str:
        return self.member.replace("_", "")

    @property
    def actions(self) -> list[str]:
        return sorted(m for m in self.entity_methods if m not in _STANDARD)

    @property
    def parents(self) -> list[str]:
        out, p = [], self.parent
        while p is not None:
            out.append(p.type)
            p = p.parent
        return out[::-1]

    def query_params(self, method: str, on_entity: bool = False) -> dict[str, str]:
        """The in-parameters of a method that are query options (not the entity itself): name -> type."""
        params = (self.entity_methods if on_entity else self.methods).get(method, [])
        return {p["name"]: p["type"] for p in params if p.get("in") and p["type"] in PRIMITIVES and p["name"] != "id"}


def names(word: str) -> set[str]:
    return {word, word.replace("_", "")}


class Model:
    def __init__(self, doc: dict[str, Any]):
        self.types = {t["name"]: t for t in doc["types"]}
        services = {s["name"]: s for s in doc["services"]}
        self.colls: list[Coll] = []

        def visit(service: dict, parent: Coll | None) -> None:
            for loc in service.get("locators", []):
                cs = services[loc["service"]]
                methods = {m["name"]: m["parameters"] for m in cs["methods"]}
                out = [p for p in methods.get("list", []) if p.get("out")]
                if not out:
                    continue
                coll = Coll(loc["name"], out[0]["type"].removesuffix("[]"), parent, methods)
                self.colls.append(coll)
                if parent is not None:
                    parent.children.append(coll)
                for eloc in cs.get("locators", []):
                    es = services[eloc["service"]]
                    coll.entity_methods = {m["name"]: m["parameters"] for m in es["methods"]}
                    visit(es, coll)

        visit(services[doc["root"]], None)

    # -- finding collections

    def matches(self, coll: Coll, word: str) -> bool:
        word = word.lower()
        return word in names(coll.member) | names(coll.type)

    def find(self, word: str, parents: list[str]) -> tuple[Coll, str | None]:
        """The collection a command names under the given parent types, and the member to follow when it is
        reached through attachments (``disks`` of a VM are its disk attachments' disks)."""
        found = [c for c in self.colls if self.matches(c, word)]
        if not found:
            raise ShellError(f"unknown type '{word}'; 'help list' shows the types", SYNTAX_ERROR)
        wanted = sorted(p.replace("_", "") for p in parents)
        for c in found:
            if sorted(p.replace("_", "") for p in c.parents) == wanted:
                return c, None
        for c in self.colls:
            if (c.type == found[0].type + "_attachment"
                    and sorted(p.replace("_", "") for p in c.parents) == wanted and wanted):
                return c, found[0].type
        where = sorted({" ".join(f"--parent-{p}-name" for p in c.parents) or "(none)" for c in found})
        raise ShellError(f"'{word}' is not found with those parents; parent options for it: {'; '.join(where)}",
                         SYNTAX_ERROR)

    def primary(self, word: str) -> Coll | None:
        """The collection a type word names, the top-level one first (``vm`` is /vms before /affinitylabels/x/vms)."""
        found = sorted((c for c in self.colls if self.matches(c, word)), key=lambda c: len(c.parents))
        return found[0] if found else None

    def type_words(self, plural: bool) -> list[str]:
        return sorted({(c.segment if plural else c.type.replace("_", "")) for c in self.colls})

    # -- options

    def _identified(self, type_name: str) -> bool:
        return any(a["name"] == "id" for a in self.types.get(type_name, {}).get("attributes", []))

    def options(self, type_name: str) -> dict[str, tuple[list[str], str]]:
        """``--option`` name -> (member path, model type) for every settable attribute of ``type_name``."""
        out: dict[str, tuple[list[str], str]] = {}

        def flatten(tname: str, path: list[str], depth: int) -> None:
            for a in self.types.get(tname, {}).get("attributes", []):
                name, atype = a["name"], a["type"]
                if not path and name in ("id", "href"):
                    continue
                here = [*path, name]
                base = atype.removesuffix("[]")
                kind = self.types.get(base, {}).get("kind", "primitive")
                if kind in ("primitive", "enum"):
                    out["-".join(here)] = (here, atype)
                elif atype.endswith("[]"):
                    continue  # lists of structs are not options
                elif self._identified(base):
                    out["-".join([*here, "id"])] = ([*here, "id"], "string")
                    out["-".join([*here, "name"])] = ([*here, "name"], "string")
                elif depth < MAX_DEPTH:
                    flatten(base, here, depth + 1)

        flatten(type_name, [], 1)
        return out

    def enum_values(self, type_name: str) -> list[str]:
        t = self.types.get(type_name, {})
        return [v["name"] for v in t.get("values", [])] if t.get("kind") == "enum" else []
