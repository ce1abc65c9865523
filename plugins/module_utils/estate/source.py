"""Reading a desired-state document from YAML, remembering where every value was written.

``src`` is one YAML file or a directory of them (``*.yml``/``*.yaml``, by name). Files are merged: lists
are concatenated, a data center declared in several files is one data center (its clusters, storage
domains and networks are concatenated), a scalar must agree wherever it is repeated. ruamel.yaml's
round-trip loader keeps line numbers, so :func:`locate` can name ``file:line`` for any document path; a
faster loader without them serves documents that turn out valid.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.errors import EstateError

Loc = tuple[Any, ...]
Position = tuple[str, int]  # file, 1-based line
_MERGED_BY_NAME = frozenset({("data_centers",)})  # lists whose items with the same name are one entity


@dataclass
class Source:
    """A document (plain dicts, lists and scalars) and the position of each of its paths."""

    doc: dict[str, Any] = field(default_factory=dict)
    positions: dict[Loc, Position] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def locate(self, loc: Loc) -> Position | None:
        """Where the deepest known part of ``loc`` was written."""
        for end in range(len(loc), -1, -1):
            found = self.positions.get(tuple(loc[:end]))
            if found:
                return found
        return None


def inline(doc: dict[str, Any]) -> Source:
    """A document given as data (the module's ``state`` option): no positions."""
    return Source(doc=dict(doc or {}))


def files_of(src: str) -> list[str]:
    if os.path.isdir(src):
        names = sorted(n for n in os.listdir(src) if n.endswith((".yml", ".yaml")) and not n.startswith("."))
        if not names:
            raise EstateError([f"{src}: the directory holds no .yml or .yaml file"])
        return [os.path.join(src, n) for n in names]
    if not os.path.exists(src):
        raise EstateError([f"{src}: no such file or directory"])
    return [src]


class FastLoadError(Exception):
    """The fast loader refused a file; the located loader says where and why."""


def _fast_loader() -> Any:
    """PyYAML's C loader (it ships with ansible-core) that refuses duplicate keys, as the located loader does."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            mapping = super().construct_mapping(node, deep)
            if len(mapping) != len(node.value):  # two keys made one: which, the located loader tells
                raise FastLoadError("duplicate key")
            if not all(isinstance(k, str) for k in mapping):  # keys are text, as plain() makes the located ones
                return {str(k): v for k, v in mapping.items()}
            return mapping

    return Loader


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise FastLoadError("duplicate key")
    return mapping


def _load_json(text: str) -> Any:
    """A file that is JSON (a YAML document in flow style, as tools write them) read by the json module, several
    times faster than PyYAML builds it; the same data: a number with a fraction or an exponent is what PyYAML makes
    of it (``1e3`` stays a string), a duplicate key is refused. None when the text is not JSON."""
    import json

    import yaml

    try:
        return json.loads(text, object_pairs_hook=_unique_keys,
                          parse_float=lambda s: yaml.load(s, Loader=_fast_loader()))  # noqa: S506 - a safe loader
    except ValueError:
        return None


def _load_fast(path: str) -> Any:
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise FastLoadError(str(e)) from None
    if text.lstrip().startswith("{"):
        doc = _load_json(text)
        if doc is not None:
            return doc
    try:
        return yaml.load(text, Loader=_fast_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise FastLoadError(str(e)) from None


def _load_located(path: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        yaml = YAML(typ="rt")
        yaml.version = (1, 1)  # as Ansible (and the fast loader) read YAML: yes is true, 017 is octal
        with open(path, encoding="utf-8") as f:
            return yaml.load(f)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{path}:{mark.line + 1}" if mark else path
        raise EstateError([f"{where}: not valid YAML: {e.problem or e.context}"]) from None


def load(src: str, located: bool = True) -> Source:
    """Every YAML file at ``src``, merged.

    ``located=False`` reads with PyYAML's C loader, several times faster than ruamel.yaml's round trip but
    without line numbers: for a document that turns out valid, positions are never needed. Any trouble
    raises FastLoadError, and the caller reads again with positions to report it (see ``validate.read``).
    """
    source = Source()
    for path in files_of(src):
        node = _load_located(path) if located else _load_fast(path)
        if node is None:
            continue
        if not isinstance(node, dict):
            if not located:
                raise FastLoadError("not a mapping")
            raise EstateError([f"{path}:1: the document must be a mapping (data_centers, vms, ...)"])
        source.files.append(path)
        _merge_map(source, source.doc, node, (), path, located)
    return source


def _line(node: Any, key: Any) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        return (lc.item(key) if isinstance(key, int) else lc.key(key))[0] + 1
    except (KeyError, IndexError, TypeError):
        return None


def _record(source: Source, node: Any, loc: Loc, path: str) -> None:
    """Positions of everything under ``node``, which sits at ``loc`` in the merged document."""
    keys = range(len(node)) if isinstance(node, list) else node.keys() if isinstance(node, dict) else ()
    for key in keys:
        line = _line(node, key)
        if line:
            source.positions[loc + (key,)] = (path, line)
        _record(source, node[key], loc + (key,), path)


def plain(node: Any) -> Any:
    """ruamel's round-trip types (CommentedMap, ScalarInt, ...) as plain Python values."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (bool, int, float, str):  # ruamel subclasses these (ScalarBoolean is an int)
        if isinstance(node, kind):
            return bool(node) if type(node).__name__ == "ScalarBoolean" else kind(node)
    return node


def _merge_map(source: Source, target: dict, node: dict, loc: Loc, path: str, located: bool) -> None:
    """Merge ``node`` into ``target``; a node read without positions (``located=False``) is plain already."""
    for key, value in node.items():
        key = str(key)
        here = loc + (key,)
        if key not in target:
            if not located:
                target[key] = value
                continue
            target[key] = plain(value)
            line = _line(node, key)
            if line:
                source.positions[here] = (path, line)
            _record(source, value, here, path)
        elif isinstance(target[key], list) and isinstance(value, list):
            _merge_list(source, target[key], value, here, path, located)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            _merge_map(source, target[key], value, here, path, located)
        elif target[key] != plain(value):
            if not located:
                raise FastLoadError("files disagree")
            line = _line(node, key)
            first = source.positions.get(here)
            where = f"{path}:{line}" if line else path
            raise EstateError([f"{where}: {path_text(here)}: {plain(value)!r} differs from {target[key]!r}"
                               + (f" at {first[0]}:{first[1]}" if first else "")])


def _merge_list(source: Source, target: list, node: list, loc: Loc, path: str, located: bool) -> None:
    by_name = {item.get("name"): i for i, item in enumerate(target) if isinstance(item, dict)} \
        if tuple(k for k in loc if not isinstance(k, int)) in _MERGED_BY_NAME else {}
    for i, item in enumerate(node):
        name = item.get("name") if isinstance(item, dict) else None
        if name is not None and name in by_name:
            _merge_map(source, target[by_name[name]], item, loc + (by_name[name],), path, located)
            continue
        index = len(target)
        if not located:
            target.append(item)
            continue
        target.append(plain(item))
        line = _line(node, i)
        if line:
            source.positions[loc + (index,)] = (path, line)
        _record(source, item, loc + (index,), path)


def path_text(loc: Loc) -> str:
    """``('vms', 3, 'memory')`` → ``vms[3].memory``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
