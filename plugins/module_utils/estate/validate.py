"""Validating a desired-state document; each problem names its file, line and path.

``estate.yml:12: vms[3].memory: '2GB x' is not a size; ...``: pydantic says what is wrong and where in
the document (its ``loc``); the source says on which line that part was written. Pydantic adds segments
of its own to a ``loc`` (the branch of a union, a validator's name); only segments that exist in the
document are shown.
"""

from __future__ import annotations

import os
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.errors import EstateError
from ansible_collections.vdc.infra.plugins.module_utils.estate.document import Estate, duplicates
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import FastLoadError, Loc, Source, load, path_text
from pydantic import ValidationError

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known option (see schemas/estate.schema.json)",
}


def real_loc(doc: Any, loc: Loc, last_may_be_missing: bool = False) -> Loc:
    """The part of pydantic's ``loc`` that names keys and indexes of ``doc``."""
    out: list[Any] = []
    node = doc
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif last_may_be_missing and i == len(loc) - 1 and isinstance(part, str) and isinstance(node, dict):
            node = None
        else:
            continue
        out.append(part)
    return tuple(out)


def problem(source: Source, loc: Loc, message: str) -> str:
    where = source.locate(loc)
    prefix = f"{where[0]}:{where[1]}: " if where else ""
    path = path_text(loc)
    return f"{prefix}{path}: {message}" if path else f"{prefix}{message}"


def _message(err: Any) -> str:
    return _MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, ")


def validate(source: Source) -> Estate:
    """The document as an :class:`Estate`; an EstateError lists every problem found."""
    try:
        # Relative paths in the document (a hook's src) are read from the directory of its files.
        base = os.path.dirname(os.path.abspath(source.files[0])) if source.files else None
        estate = Estate.model_validate(source.doc, context={"base": base})
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = real_loc(source.doc, err["loc"], err["type"] == "missing")
            text = problem(source, loc, _message(err))
            if text not in problems:
                problems.append(text)
        raise EstateError(problems) from None
    found = [problem(source, loc, msg) for loc, msg in duplicates(estate)]
    if found:
        raise EstateError(found)
    return estate


def read(src: str) -> tuple[Source, Estate]:
    """The document at ``src``, validated: read fast, and again with positions only when something is wrong,
    so every problem still names its file and line."""
    try:
        source = load(src, located=False)
        return source, validate(source)
    except (FastLoadError, EstateError):
        source = load(src)
        return source, validate(source)
