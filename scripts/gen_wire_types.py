"""Write ``plugins/module_utils/wire_types.py`` from the engine's wire model (``make docs``).

The engine's JSON writes integers and booleans as strings, as oVirt's does; the collection reads them back by
the table of :mod:`engine_api.rest.typed_members`, derived from the one wire model. It is committed because modules
run without the engine installed; a test fails when it is older than the model (run ``make docs`` then).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine_api.rest.app  # noqa: E402,F401  (registers every type the API serves)
from engine_api.rest.typed_members import collections, types  # noqa: E402

TARGET = ROOT / "plugins" / "module_utils" / "wire_types.py"
HEADER = '''"""Generated from the engine's wire model by ``make docs`` (scripts/gen_wire_types.py); do not edit.

``TYPES``: per wire type, each member that is an integer (``int``), a boolean (``bool``), a list of them
(``[int]``), or a struct or list of structs (``cpu``, ``[disk]``) holding some. ``COLLECTIONS``: per URL segment
of a collection, the type of its items and its sub-collections.
"""

from __future__ import annotations

from typing import Any

'''


def _tree(tree: dict[str, Any], indent: str) -> str:
    if not tree:
        return "{}"
    inner = indent + "    "
    rows = [f"{inner}{name!r}: ({t!r}, {_tree(subs, inner)})," for name, (t, subs) in sorted(tree.items())]
    return "{\n" + "\n".join(rows) + f"\n{indent}}}"


def _members(name: str, members: dict[str, str]) -> str:
    """One type's row: its members packed into lines of at most 116 characters, under a hanging indent (pep8)."""
    lines, line = [], "       "
    for key, code in members.items():
        item = f" {key!r}: {code!r},"
        if len(line) + len(item) > 116:
            lines.append(line)
            line = "       "
        line += item
    return "\n".join([f"    {name!r}: {{", *lines, line, "    },"])


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
