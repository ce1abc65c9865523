"""Conversions between user terms and the engine's JSON, shared by the option declarations and the kinds.

Pure functions without pydantic, so both :mod:`.model` (which declares each option's wire field) and
:mod:`.kinds` (which reads and writes entities) use them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MISSING = object()


@dataclass(frozen=True)
class Field:
    """One option: where it lives on the wire and how its value converts.

    ``ref`` names the kind a reference points at: facts hold the target's name, the wire an ``{"id"}``
    (or ``{"name"}`` when the target is created in the same run and has no id yet).
    """

    name: str
    path: str | None = None
    ref: str | None = None
    encode: Callable[[Any], Any] | None = None
    decode: Callable[[Any], Any] | None = None
    immutable: bool = False  # cannot change after creation; the planner refuses
    create_only: bool = False  # sent when creating, never compared (a source template, a password)
    send: bool = True  # False: compared but never sent (a NIC's network follows from its profile)
    unordered: bool = False  # a list compared as a set
    grow_only: bool = False  # may only increase (a disk's size); the planner refuses a decrease

    @property
    def wire_path(self) -> str:
        return self.path or self.name


# ---------------------------------------------------------------- dotted paths


def get_path(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return MISSING
        doc = doc[part]
    return doc


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        doc = doc.setdefault(part, {})
    if isinstance(value, dict) and isinstance(doc.get(parts[-1]), dict):
        doc[parts[-1]].update(value)
    else:
        doc[parts[-1]] = value


# ---------------------------------------------------------------- converters


def version_to_wire(value: str | None) -> dict[str, int] | None:
    if not value:
        return None
    major, minor = value.split(".")
    return {"major": int(major), "minor": int(minor)}


def version_from_wire(value: Any) -> str | None:
    if isinstance(value, dict) and "major" in value:
        return f"{value['major']}.{value.get('minor', 0)}"
    return None


def properties_to_wire(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {"custom_property": [{"name": p["name"], "value": p["value"]} for p in items or []]}


def properties_from_wire(value: Any) -> list[dict[str, Any]]:
    items = value.get("custom_property", []) if isinstance(value, dict) else value or []
    return sorted(({"name": p.get("name"), "value": p.get("value")} for p in items), key=lambda p: p["name"] or "")


def parameters_to_wire(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {"property": [{"name": p["name"], "value": p["value"]} for p in items or []]}


def parameters_from_wire(value: Any) -> list[dict[str, Any]]:
    return sorted(({"name": p.get("name"), "value": p.get("value")} for p in plain_list(value)),
                  key=lambda p: p["name"] or "")


def plain_list(value: Any) -> list[Any]:
    """A list written plain or wrapped (``{"device": [...]}``, ``{"usage": [...]}``)."""
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, list)), [])
    return list(value or [])


OVERCOMMIT = {"disabled": 100, "server": 150, "desktop": 200}


def overcommit_to_wire(value: str | None) -> int | None:
    return OVERCOMMIT.get(value) if value else None


def overcommit_from_wire(value: Any) -> str:
    return {v: k for k, v in OVERCOMMIT.items()}.get(value, str(value))


def vlan_to_wire(value: int | None) -> dict[str, Any]:
    """An empty ``vlan`` (``<vlan/>``) removes the tag, as in oVirt; a JSON null would be ignored or refused."""
    return {} if value is None else {"id": value}


def vlan_from_wire(value: Any) -> int | None:
    return value.get("id") if isinstance(value, dict) else None


def vm_usage_to_wire(value: bool | None) -> list[str]:
    return ["vm"] if value else []


def vm_usage_from_wire(value: Any) -> bool:
    return "vm" in plain_list(value)


def ssh_method_to_wire(value: bool | None) -> str:
    return "publickey" if value else "password"


def ssh_method_from_wire(value: Any) -> bool:
    return bool(value == "publickey")


def by_name(value: str | None) -> dict[str, Any]:
    """A reference the engine resolves by name (a cluster's management network, inside its data center)."""
    return {"name": value}


def storage_codec(stype: str, keys: dict[str, str]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """Encode and decode one storage type's connection (``<storage type="nfs">``); ``keys``: user key → wire key."""

    def encode(value: dict[str, Any]) -> dict[str, Any]:
        return {"type": stype, **{keys[k]: v for k, v in value.items() if v is not None}}

    def decode(value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict) or value.get("type") != stype:
            return None
        return {k: value[w] for k, w in keys.items() if w in value}

    return encode, decode


def rule_to_wire(value: str | None) -> dict[str, Any]:
    """An affinity rule in ovirt.ovirt's terms (``positive``, ``negative``, ``disabled``) as the engine's struct."""
    if value == "disabled":
        return {"enabled": False}
    return {"enabled": True, "positive": value == "positive"}


def rule_from_wire(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if not value.get("enabled"):
        return "disabled"
    return "positive" if value.get("positive") else "negative"


def wrapped(kind: str) -> Callable[[Any], dict[str, Any]]:
    """A list of references as the engine nests them: ``{"vm": [{"id": ...}, ...]}``."""

    def encode(value: Any) -> dict[str, Any]:
        return {kind: list(value or [])}

    return encode
