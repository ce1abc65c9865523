"""The query parameters each operation honours, and the refusal of those it would ignore.

oVirt's API has request options that change what an operation does (``clone=true`` on a VM add copies the
template's disks, ``reboot=true`` on a host add reboots it). A vdc operation that does not do what such an
option asks refuses it with a 400 naming it, rather than succeed silently without it. Options that only ask
for the default (``clone=false``) are accepted. Parameters that are not options of oVirt's API at all are
ignored, as oVirt ignores them.

The same table is what the self-description (:mod:`engine_api.rest.describe`) lists as each operation's
parameters.
"""

from __future__ import annotations

from engine_api.core.errors import BadRequest
from engine_api.core.params import BOOLEANS, flag
from engine_api.rest.resources import Collection

# Honoured by every request: the engine's own behaviour already is what they ask for.
EVERYWHERE = frozenset({"correlation_id", "filter", "all_content", "async"})  # async: only when the answer comes

# Options of oVirt's API that are not booleans; given where vdc does not honour them they are refused.
VALUED = frozenset({"search", "max", "case_sensitive", "from", "follow", "host", "storagedomain"})

# (wire type, operation) -> options the vdc command reads (beyond ``EVERYWHERE`` and the list/get ones).
HONOURED: dict[tuple[str, str], frozenset[str]] = {
    ("host", "add"): frozenset({"activate"}),
    ("host", "remove"): frozenset({"force"}),
    ("data_center", "remove"): frozenset({"force"}),
    ("vm", "add"): frozenset({"clone"}),  # full copies of the template's disks instead of thin overlays
    ("vm", "remove"): frozenset({"detach_only"}),
    ("vm", "update"): frozenset({"next_run"}),  # a running VM keeps its configuration until its next run
    ("disk_attachment", "remove"): frozenset({"detach_only"}),
    # the host that would do the work: vdc's engine does it itself, so naming one changes nothing
    ("storage_domain", "remove"): frozenset({"destroy", "format", "host"}),
}


def searchable(coll: Collection) -> bool:
    """The list honours ``search`` (rows of a kind are searched in the store; events search themselves)."""
    return (bool(coll.kind) and coll.list_items is None) or coll.type == "event"


def honoured(coll: Collection, op: str) -> frozenset[str]:
    """The query parameters operation ``op`` (list, get, add, update, remove or an action) of ``coll`` reads."""
    names = set(HONOURED.get((coll.type, op), ()))
    if op == "list":
        names |= {"max", "follow"}
        if searchable(coll):
            names |= {"search", "case_sensitive"}
        if coll.type == "event":
            names.add("from")
    elif op == "get":
        names.add("follow")
    return frozenset(names)


def check(coll: Collection, op: str, params: dict[str, str]) -> None:
    """Refuse an option of oVirt's API that operation ``op`` would ignore."""
    allowed = honoured(coll, op) | EVERYWHERE
    for name, value in params.items():
        if name in allowed:
            continue
        what = f"the {op} of {coll.name}" if op in ("list", "add") else f"the {op} of a {coll.type.replace('_', ' ')}"
        if name in BOOLEANS:
            if flag(params, name):
                raise BadRequest(f"parameter '{name}=true' is not supported by {what} in vdc; it would be ignored",
                                 "Unsupported option")
        elif name in VALUED and value != "":
            raise BadRequest(f"parameter '{name}' is not supported by {what} in vdc; it would be ignored",
                             "Unsupported option")
