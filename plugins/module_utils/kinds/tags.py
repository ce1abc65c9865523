"""Tags: a tree under the engine's ``root`` tag, attached to VMs and hosts through their ``tags`` sub-collections.

The engine keeps the attachments on the tagged side (``/vms/{id}/tags``), so the state reader gives each tag the
VMs and hosts carrying it (``_vms``, ``_hosts``, from their followed ``tags``); attaching and detaching is one
request per VM or host, after the tag itself is added or updated.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Kind, Request, Wire
from ansible_collections.vdc.infra.plugins.module_utils.wire import plain_list

ROOT_ID = "00000000-0000-0000-0000-000000000000"
MEMBERS = (("vm", "vms"), ("host", "hosts"))


def attach(tags: list[Wire], carriers: dict[str, list[Wire]]) -> list[Wire]:
    """``tags`` with ``_vms`` and ``_hosts``: references to the VMs and hosts whose followed ``tags`` hold them."""
    by_tag: dict[str, dict[str, list[Wire]]] = {t["id"]: {"vm": [], "host": []} for t in tags if t.get("id")}
    for kind, docs in carriers.items():
        for doc in docs:
            for tag in plain_list(doc.get("tags")):
                if tag.get("id") in by_tag:
                    by_tag[tag["id"]][kind].append({"id": doc["id"]})
    none: dict[str, list[Wire]] = {}
    return [{**t, "_vms": by_tag.get(t.get("id") or "", none).get("vm", []),
             "_hosts": by_tag.get(t.get("id") or "", none).get("host", [])} for t in tags]


def _facts(entity: Wire, lookup: Any) -> Facts:
    """The ids of the VMs and hosts carrying the tag by name, which detaching one takes."""
    return {"_members": {kind: {lookup.name(kind, r.get("id")): r.get("id") for r in plain_list(entity.get(f"_{key}"))}
                         for kind, key in MEMBERS}}


def _members(ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    """Detach the tag from the VMs and hosts no longer listed, then attach it to the new ones (by their ids)."""
    have_ids = current.get("_members") or {}
    out: list[Request] = []
    for kind, key in MEMBERS:
        if key not in values:
            continue
        want = list(values[key] or [])
        refs = {name: ref.get("id") for name, ref in zip(want, plain_list(body.get(f"_{key}")), strict=False)}
        have = set(current.get(key) or [])
        out += [Request("remove", f"{key}/{(have_ids.get(kind) or {}).get(name)}/tags", ident)
                for name in sorted(have - set(want)) if (have_ids.get(kind) or {}).get(name)]
        for name in sorted(set(want) - have):
            if not refs.get(name):
                raise PlanError(f"cannot attach it to {kind} '{name}': not found", f"tag {ident}")
            out.append(Request("add", f"{key}/{refs[name]}/tags", body={"id": ident}))
    return out


def _own(body: Wire) -> Wire:
    return {k: v for k, v in body.items() if k not in ("_vms", "_hosts")}


def _create(body: Wire, values: dict[str, Any]) -> Wire:
    return _own(body)


def _create_requests(path: str, ident: str, body: Wire, values: dict[str, Any]) -> list[Request]:
    return _members(ident, body, values, {})


def _update_requests(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    """Name, description and parent in the tag; then its VMs and hosts one by one."""
    own = _own(body)
    return ([Request("update", path, ident, own)] if own else []) + _members(ident, body, values, current)


TAG = Kind(
    name="tag", label_word=m.Tag.word(), collection="tags", order=87, fields=m.Tag.wire_fields(),
    create_body=_create, create_requests=_create_requests, update_requests=_update_requests, extra_facts=_facts,
)
