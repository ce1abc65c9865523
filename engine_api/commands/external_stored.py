"""The stored external scheduling units as placement, balancing and the sandboxed runtime read them: each unit
of an analysed file (an ``external_policy_unit`` row) and the file's source (a ``scheduler_plugin`` row)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from engine_api.core.errors import NotFound
from engine_api.scheduler.units import BALANCE, FILTER, WEIGHT
from engine_api.store import repo

METHOD = {FILTER: "do_filter", WEIGHT: "do_score", BALANCE: "do_balance"}


@dataclass(frozen=True)
class ExternalUnit:
    id: str
    name: str  # the class name, as the proxy names units
    type: str
    description: str
    plugin: str  # the file's id
    module: str  # the file's name
    properties: tuple[tuple[str, str], ...] = ()  # (name, regex) from properties_validation
    external: bool = True
    mandatory: bool = False

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.properties)

    @property
    def method(self) -> str:
        return METHOD[self.type]



def unit_of(doc: dict) -> ExternalUnit:
    return ExternalUnit(doc["id"], doc["name"], doc["type"], doc.get("description") or "", doc["plugin"]["id"],
                        doc.get("module") or "", tuple((p["name"], p["value"]) for p in doc.get("properties") or []))


def all_units(conn: Connection) -> list[ExternalUnit]:
    return [unit_of(d) for d in repo.find(conn, "external_policy_unit")]


def lookup(conn: Connection, ident: str) -> ExternalUnit | None:
    doc = repo.get(conn, "external_policy_unit", ident)
    return unit_of(doc) if doc else None


def by_name(conn: Connection, name: str, type_: str) -> ExternalUnit | None:
    return next((u for u in all_units(conn) if u.name.lower() == name.lower() and u.type == type_), None)


def unit_doc(unit: ExternalUnit) -> dict:
    """As ``/schedulingpolicyunits`` shows it."""
    return {"id": unit.id, "name": unit.name, "type": unit.type, "description": unit.description,
            "enabled": True, "internal": False,
            "properties": [{"name": n, "value": v} for n, v in unit.properties]}


def source(conn: Connection, plugin_id: str) -> tuple[str, str]:
    """(module name, content) of a file."""
    doc = repo.get(conn, "scheduler_plugin", plugin_id)
    if doc is None:
        raise NotFound(f"no scheduler plugin with id '{plugin_id[:64]}'")
    return doc["name"], doc["content"]
