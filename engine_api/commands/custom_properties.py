"""A VM's or template's custom properties, checked against the properties its cluster level defines
(``UserDefinedVMProperties`` and ``PredefinedVMProperties``, see :mod:`engine_api.commands.engine_config`)."""

from __future__ import annotations

import re

from engine_api.commands import engine_config
from engine_api.commands.tx import Tx
from engine_api.core.errors import BadRequest


def level(tx: Tx, doc: dict, cluster: dict | None) -> str:
    """The cluster level the properties are checked at: the VM's custom compatibility version, else its
    cluster's; the latest level for a template without a cluster (Blank)."""
    version = doc.get("custom_compatibility_version") or (cluster or {}).get("version") or {}
    if version.get("major") is not None and version.get("minor") is not None:
        return f"{version['major']}.{version['minor']}"
    return engine_config.VERSIONS[-1]


def items(doc: dict) -> list[dict]:
    props = doc.get("custom_properties") or []
    if isinstance(props, dict):  # {"custom_property": [...]} as some clients send it
        props = props.get("custom_property") or []
    return [p for p in props if isinstance(p, dict)]


def check(tx: Tx, doc: dict, cluster: dict | None, what: str) -> None:
    """Each property must be defined at the level and its value must match the definition's regex whole."""
    props = items(doc)
    if not props:
        return
    version = level(tx, doc, cluster)
    defined = engine_config.vm_properties(tx.conn, version)
    seen = set()
    for i, prop in enumerate(props):
        name = str(prop.get("name") or "")
        value = "" if prop.get("value") is None else str(prop.get("value"))
        if not name:
            raise BadRequest(f"{what}.custom_properties[{i}].name is required")
        if name in seen:
            raise BadRequest(f"{what}.custom_properties: property {name} is given twice")
        seen.add(name)
        regex = defined.get(name)
        if regex is None:
            raise BadRequest(f"{what}.custom_properties: property {name} is not defined for cluster level "
                             f"{version} (defined there: {', '.join(sorted(defined)) or 'none'}; declare it "
                             "in UserDefinedVMProperties)", "Invalid custom property")
        if not re.fullmatch(regex, value):
            raise BadRequest(f"{what}.custom_properties: the value '{value[:200]}' of property {name} does not "
                             f"match its regex {regex}", "Invalid custom property")
    doc["custom_properties"] = [{"name": str(p["name"]), "value": "" if p.get("value") is None
                                 else str(p["value"])} for p in props]
