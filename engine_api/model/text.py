"""The one rule for text the engine keeps: nothing XML 1.0 cannot carry.

A NUL, another C0 control character, a lone surrogate or U+FFFE/U+FFFF in one stored string would make every
XML answer holding it malformed, and with it every list of its collection.
"""

from __future__ import annotations

import re
from typing import Any

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def first_illegal(text: str) -> tuple[int, str] | None:
    """Where the first character XML cannot carry is, and which, or None."""
    bad = XML_ILLEGAL.search(text)
    return (bad.start(), f"U+{ord(bad.group()):04X}") if bad else None


def illegal_text(value: Any, path: str, max_depth: int = 64) -> str | None:
    """The path of the first string in a document (dicts, lists, scalars) XML cannot carry, or None."""
    if isinstance(value, str):
        return path if XML_ILLEGAL.search(value) else None
    if max_depth <= 0:
        return path
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and XML_ILLEGAL.search(key):
                return f"{path}.{key!r}"
            found = illegal_text(item, f"{path}.{key}", max_depth - 1)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = illegal_text(item, f"{path}[{i}]", max_depth - 1)
            if found:
                return found
    return None
