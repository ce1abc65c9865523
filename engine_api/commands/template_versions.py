"""Template versions: a version is a template made with ``version.base_template``; it shares the base's name,
gets the next ``version_number`` and may carry a ``version_name``. A template given by name means its base
version, or its latest one for a VM with ``use_latest_template_version``."""

from __future__ import annotations

from typing import Any

from engine_api.commands.tx import Tx
from engine_api.core.errors import BadRequest, Conflict
from engine_api.store.schema import KINDS


def _base_id(template: dict) -> str:
    return ((template.get("version") or {}).get("base_template") or {}).get("id") or template["id"]


def versions(tx: Tx, base_id: str) -> list[dict]:
    """Every version of the base template ``base_id``, by version number."""
    t = KINDS["template"].table
    found = tx.find("template", t.c.doc[("version", "base_template", "id")].as_string() == base_id)
    return sorted(found, key=lambda d: (d.get("version") or {}).get("version_number") or 1)


def pick(tx: Tx, ref: Any, field: str, latest: bool) -> dict:
    """The template a reference means: by id that template (or its chain's latest), by name its base (or
    latest) version; a reference that names a ``version.version_number`` means that version of the chain."""
    number = ((ref.get("version") or {}).get("version_number") if isinstance(ref, dict) else None)
    if number is not None:
        return _numbered(tx, {k: v for k, v in ref.items() if k != "version"}, field, number)
    if isinstance(ref, dict) and not ref.get("id") and ref.get("name"):
        named = tx.by_name("template", str(ref["name"]))
        bases = {_base_id(d) for d in named}
        if len(bases) == 1:
            chain = versions(tx, bases.pop())
            if chain:
                return chain[-1] if latest else chain[0]
    template = tx.ref("template", ref, field)
    assert template is not None
    if latest:
        chain = versions(tx, _base_id(template))
        if chain:
            return chain[-1]
    return template


def _numbered(tx: Tx, ref: dict, field: str, number: Any) -> dict:
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        raise BadRequest(f"{field}.version.version_number must be a number, got {number!r}") from None
    if ref.get("id"):
        found = tx.ref("template", ref, field)
        assert found is not None
        bases = {_base_id(found)}
    else:
        named = tx.by_name("template", str(ref.get("name") or ""))
        if not named:
            raise BadRequest(f"{field}: no template named '{ref.get('name')}'")
        bases = {_base_id(d) for d in named}
    chains = [versions(tx, b) for b in bases]
    hits = [d for chain in chains for d in chain if ((d.get("version") or {}).get("version_number") or 1) == wanted]
    if len(hits) != 1:
        what = ref.get("name") or ref.get("id")
        raise BadRequest(f"{field}: template {what} has {'no' if not hits else 'more than one'} version {wanted}")
    return hits[0]


def plan(tx: Tx, doc: dict) -> dict | None:
    """For a new template: its ``version`` when the request makes a version of a base template (None when it
    makes a base); the new version takes the base's name."""
    base_ref = (doc.get("version") or {}).get("base_template") or {}
    if not (base_ref.get("id") or base_ref.get("name")):
        return None
    named = tx.by_name("template", str(base_ref["name"])) if not base_ref.get("id") else []
    base = (versions(tx, _base_id(named[0]))[0] if named else
            tx.ref("template", base_ref, "template.version.base_template"))
    assert base is not None
    if _base_id(base) != base["id"]:
        raise BadRequest(f"template.version.base_template: template {base['name']} is itself a version of "
                         "another template; name the base version")
    if doc.get("name") and str(doc["name"]).lower() != base["name"].lower():
        raise Conflict(f"Cannot add a version of template {base['name']} named {doc['name']}: the versions of a "
                       "template share its name.")
    doc["name"] = base["name"]
    number = max((d.get("version") or {}).get("version_number") or 1 for d in versions(tx, base["id"])) + 1
    version = {"version_number": number, "base_template": {"id": base["id"]}}
    if (doc.get("version") or {}).get("version_name"):
        version["version_name"] = doc["version"]["version_name"]
    return version


def sub_versions(tx: Tx, template: dict) -> list[dict]:
    """The other versions of a base template (none for a version)."""
    if _base_id(template) != template["id"]:
        return []
    return [d for d in versions(tx, template["id"]) if d["id"] != template["id"]]
