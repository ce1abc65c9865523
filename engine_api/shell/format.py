"""Output as ovirt-shell printed it: ``key : value`` lines, nested members joined with ``-``, keys padded to
the widest; or a table (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from rich.console import Console
from rich.table import Table

SKIPPED = {"link", "actions", "href"}
SUMMARY = ("id", "name", "description")  # what ``list`` shows of each item without --show-all


def pairs(doc: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """The ``key, value`` of every non-empty field; a list repeats its key once per item."""
    for key, value in doc.items():
        if key in SKIPPED or value is None or value == "":
            continue
        name = f"{prefix}-{key}" if prefix else key
        if isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value.values())), list):
            value = next(iter(value.values()))  # {"usage": [...]}: the list's XML wrapper
        if isinstance(value, dict):
            yield from pairs(value, name)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield from pairs(item, name)
                else:
                    yield name, str(item)
        else:
            yield name, str(value).lower() if isinstance(value, bool) else str(value)


def text(doc: dict[str, Any], show_all: bool = True) -> str:
    rows = list(pairs(doc))
    if not show_all:
        rows = [r for r in rows if r[0] in SUMMARY]
    if not rows:
        return ""
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k.ljust(width)}: {v}\n" for k, v in rows)


def text_list(docs: list[dict[str, Any]], show_all: bool) -> str:
    return "\n".join(t for t in (text(d, show_all) for d in docs) if t)


def table(docs: list[dict[str, Any]], show_all: bool, out: IO[str], title: str | None = None) -> None:
    rows = [dict(_joined(d)) for d in docs]
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns and (show_all or k in SUMMARY))
    t = Table(title=title)
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*(r.get(c, "") for c in columns))
    Console(file=out, width=200 if not out.isatty() else None, no_color=not out.isatty()).print(t)


def _joined(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Pairs with a repeated key's values joined, one cell per key."""
    seen: dict[str, list[str]] = {}
    for k, v in pairs(doc):
        seen.setdefault(k, []).append(v)
    for k, vs in seen.items():
        yield k, ", ".join(vs)
