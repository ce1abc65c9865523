"""Writing a document over an existing YAML file without losing what a person put there.

ruamel.yaml's round-trip mode keeps comments, key order and flow style; :func:`update` changes the loaded
tree in place, so only what differs is touched: a changed value is replaced where it stands, a new key goes
after the key it follows in the new document, a new list item at the end, a vanished one is removed, and
items of a list of named mappings are matched by name (so the engine's order never reorders the file).
"""

from __future__ import annotations

import io
from typing import Any


def _named(items: list) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def update(node: Any, new: Any) -> Any:
    """``node`` (a loaded YAML tree) changed in place to equal ``new``; returns what to store in its stead."""
    if isinstance(node, dict) and isinstance(new, dict):
        for key in [k for k in node if k not in new]:
            del node[key]
        previous = None
        for key, value in new.items():
            if key in node:
                node[key] = update(node[key], value)
            elif hasattr(node, "insert"):  # after the key it follows in ``new``, not after trailing comments
                node.insert(list(node).index(previous) + 1 if previous in node else 0, key, value)
            else:
                node[key] = value
            previous = key
        return node
    if isinstance(node, list) and isinstance(new, list) and _named(node) and _named(new):
        wanted = {i["name"]: i for i in new}
        for i in reversed(range(len(node))):
            if node[i]["name"] not in wanted:
                del node[i]
        have = {i["name"]: n for n, i in enumerate(node)}
        for item in new:
            if item["name"] in have:
                node[have[item["name"]]] = update(node[have[item["name"]]], item)
            else:
                node.append(item)
        return node
    if isinstance(node, list) and isinstance(new, list) and len(node) == len(new):
        for i, value in enumerate(new):
            node[i] = update(node[i], value)
        return node
    return node if node == new and type(node) is type(new) else new


def render(doc: dict[str, Any], existing: str | None) -> str:
    """``doc`` as YAML text; when ``existing`` text is given, it is updated rather than rewritten."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    tree = yaml.load(existing) if existing and existing.strip() else None
    tree = update(tree, doc) if isinstance(tree, dict) else doc
    yaml.explicit_start = not existing or existing.startswith("---")
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()
