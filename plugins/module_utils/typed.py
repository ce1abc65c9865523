"""The engine's JSON read back by type: integers and booleans arrive as strings, as oVirt's engine writes them.

Which members are integers or booleans comes from the wire model (:mod:`.wire_types`, generated from it); the type
of an answer from the path it was asked at (a collection, one of its entities, an action, the API root). A value
that is not what its type says (an older engine's JSON number, a text) is kept as it came; nothing is guessed.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.wire_types import COLLECTIONS, TYPES

_INT = re.compile(r"-?[0-9]+")
_BOOLS = {"true": True, "false": False}


def api_relative(path: str, api_path: str) -> str:
    """``path`` relative to the API root, without its query: an href the engine writes (``/ovirt-engine/api/vms/1``)
    loses the API's path, also when the client's URL names the version (``.../api/v4``)."""
    path = path.split("?")[0]
    if path.startswith("/"):
        for base in (api_path, api_path.removesuffix("/v4")):
            if path == base or path.startswith(base + "/"):
                return path[len(base):]
    return path


def answer_type(path: str) -> tuple[str, bool] | None:
    """(wire type, whether the answer at ``path`` is a list of it), or None for a path outside the model.

    ``path`` is relative to the API URL (``vms/<id>/nics``), without a query."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return "api", False
    tree = COLLECTIONS
    rest = segments
    while rest:
        found = tree.get(rest[0])
        if found is None:
            return None
        type_name, tree = found
        if len(rest) == 1:
            return type_name, True
        if len(rest) == 2:
            return type_name, False
        if len(rest) == 3 and rest[2] not in tree:
            return "action", False
        rest = rest[2:]
    return None  # pragma: no cover (the loop returns)


def decode(doc: Any, type_name: str) -> Any:
    """``doc`` (an entity of ``type_name``) with its integers and booleans as Python values; changed in place."""
    members = TYPES.get(type_name)
    if not members or not isinstance(doc, dict):
        return doc
    for key, value in doc.items():
        code = members.get(key)
        if code is not None:
            doc[key] = _value(value, code)
    return doc


def decode_answer(doc: Any, path: str) -> Any:
    """An answer of the engine at ``path``: a list (``{"vm": [...]}``), an entity, an action or the API root."""
    found = answer_type(path)
    if found is None or not isinstance(doc, dict):
        return doc
    type_name, listed = found
    items = doc.get(type_name)
    if listed and isinstance(items, list) and "href" not in doc:
        for item in items:
            decode(item, type_name)
        return doc
    return decode(doc, type_name)  # an entity, also what adding one to a collection answers


def _value(value: Any, code: str) -> Any:
    if code == "int":
        return int(value) if isinstance(value, str) and _INT.fullmatch(value) else value
    if code == "bool":
        return _BOOLS.get(value, value) if isinstance(value, str) else value
    if code.startswith("["):
        inner = code[1:-1]
        if isinstance(value, dict):  # a list keeps its wrapper: {"version": [...]}
            return {k: _value(v, code) if isinstance(v, list) else v for k, v in value.items()}
        if isinstance(value, list):
            return [_value(v, inner) for v in value]
        return value
    return decode(value, code)
