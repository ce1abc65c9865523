"""The ownership marker: which estate an entity belongs to, stored where the engine keeps and returns it.

The engine has no tags collection yet, so the marker lives at the end of the entity's ``comment``:
``vdc-estate:<estate>`` alone, or after the user's own comment (``web tier vdc-estate:lab``). ``apply``
writes it on every entity it declares (adopting an unmarked one), refuses entities marked by another
estate, and ``prune`` deletes only entities whose marker names this estate. Kinds without a comment
(disks, NICs, network assignments) are never pruned on their own; they go with their VM or network.
"""

from __future__ import annotations

import re

PREFIX = "vdc-estate:"
_MARKER = re.compile(r"(?:^|\s)vdc-estate:(\S+)$")
MARKED_KINDS = ("data_center", "cluster", "host", "storage_domain", "network", "vm")


def marked(comment: str | None, estate: str) -> str:
    """``comment`` carrying the marker of ``estate`` (an older marker is replaced)."""
    text = unmarked(comment)
    return f"{text} {PREFIX}{estate}" if text else f"{PREFIX}{estate}"


def unmarked(comment: str | None) -> str:
    """The user's part of a comment."""
    return _MARKER.sub("", comment or "").strip()


def owner(comment: str | None) -> str | None:
    """The estate named by the marker in ``comment``, if any."""
    found = _MARKER.search(comment or "")
    return found.group(1) if found else None
