"""Write ``plugins/module_utils/wire_types.py`` from the engine's wire model (``make docs``).

The engine's JSON writes integers and booleans as strings, as oVirt's does. The collection reads them back by
type, and this table is what it reads them by: for every wire type, its integer and boolean members and the
structs and lists that lead to some; for every collection path, the type of its items. It is derived from the one
wire model, never written by hand, and committed because modules run without the engine installed; a test fails
when it is older than the model (run ``make docs`` then).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine_api.rest.app  # noqa: E402,F401  (registers every type the API serves)
from engine_api.model.types import STRUCTS, Member  # noqa: E402
from engine_api.rest.describe import walk  # noqa: E402

TARGET = ROOT / "plugins" / "module_utils" / "wire_types.py"
TYPED = frozenset({"int", "bool"})
HEADER = '''"""Generated from the engine's wire model by ``make docs`` (scripts/gen_wire_types.py); do not edit.

``TYPES``: per wire type, each member that is an integer (``int``), a boolean (``bool``), a list of them
(``[int]``), or a struct or list of structs (``cpu``, ``[disk]``) holding some. ``COLLECTIONS``: per URL segment
of a collection, the type of its items and its sub-collections.
"""

from __future__ import annotations

from typing import Any

'''


def _code(m: Member) -> str:
    if m.kind == "list":
        return f"[{m.item_kind if m.item_kind in TYPED else m.type}]"
    return m.kind if m.kind in TYPED else m.type


def _structs(m: Member) -> str | None:
    """The struct type a member holds (itself or as list items), else None."""
    if m.kind == "struct" or (m.kind == "list" and m.item_kind == "struct"):
        return m.type
    return None


def types() -> dict[str, dict[str, str]]:
    """Members worth decoding: typed scalars, and structs that reach one (found to a fixed point)."""
    relevant = {n for n, t in STRUCTS.items()
                if any(m.kind in TYPED or (m.kind == "list" and m.item_kind in TYPED) for m in t.members.values())}
    grown = True
    while grown:
        grown = False
        for name, t in STRUCTS.items():
            if name not in relevant and any(_structs(m) in relevant for m in t.members.values()):
                relevant.add(name)
                grown = True
    out: dict[str, dict[str, str]] = {}
    for name in sorted(relevant):
        members = STRUCTS[name].members
        kept = {k: _code(m) for k, m in sorted(members.items())
                if m.kind in TYPED or (m.kind == "list" and m.item_kind in TYPED) or _structs(m) in relevant}
        if kept:
            out[name] = kept
    return out


def collections() -> dict[str, Any]:
    tree: dict[str, Any] = {}
    index: dict[tuple[str, ...], dict[str, Any]] = {(): tree}
    for node in walk():
        parent = index[node.segments[:-2]] if len(node.segments) > 1 else tree
        subs: dict[str, Any] = {}
        parent[node.segments[-1]] = (node.coll.type, subs)
        index[node.segments] = subs
    return tree


def _tree(tree: dict[str, Any], indent: str) -> str:
    if not tree:
        return "{}"
    inner = indent + "    "
    rows = [f"{inner}{name!r}: ({t!r}, {_tree(subs, inner)})," for name, (t, subs) in sorted(tree.items())]
    return "{\n" + "\n".join(rows) + f"\n{indent}}}"


def _members(name: str, members: dict[str, str]) -> str:
    """One type's row, its members packed into lines of at most 116 characters."""
    lines, line = [], f"    {name!r}: {{"
    for key, code in members.items():
        item = f"{key!r}: {code!r}, "
        if len(line) + len(item) > 116:
            lines.append(line.rstrip())
            line = "        "
        line += item
    return "\n".join([*lines, line.rstrip().rstrip(",") + "},"])


def render() -> str:
    rows = [_members(name, members) for name, members in types().items()]
    return (HEADER + "TYPES: dict[str, dict[str, str]] = {\n" + "\n".join(rows) + "\n}\n\n"
            + f"COLLECTIONS: dict[str, Any] = {_tree(collections(), '')}\n")


def stale() -> bool:
    return not TARGET.exists() or TARGET.read_text() != render()


def main() -> int:
    if stale():
        TARGET.write_text(render())
        print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
