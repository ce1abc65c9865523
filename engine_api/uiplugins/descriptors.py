"""UI plugin descriptors and user configuration, read as oVirt's engine reads them.

A descriptor ``<dir>/<base>.json`` declares ``name``, ``url``, ``config``, ``resourcePath`` and ``lazyLoad``; its
user configuration ``<config dir>/<base>-config.json`` may set ``config``, ``enabled`` and ``order``. Both may
hold ``//`` and ``/* */`` comments. The effective configuration is the shallow merge of the two ``config``
objects (a top-level key of the user's replaces the descriptor's wholesale). Files are re-read when they change;
an entry that fails validation is skipped with a warning, and, as in oVirt, an entry that was valid before stays
in service until its descriptor disappears.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_ORDER = 2**31 - 1  # Integer.MAX_VALUE: plugins without an order load last
MAX_FILE = 1 << 20  # bytes of a descriptor or a user configuration


class InvalidPlugin(ValueError):
    """A descriptor or user configuration that breaks a rule; the message names the field."""


class NotJson(InvalidPlugin):
    """Text that is not JSON (with comments)."""


def strip_comments(text: str) -> str:
    """JSON text without ``//`` line and ``/* */`` block comments (those inside strings stay)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise NotJson("a /* comment is not closed")
            out.append(" ")
            i = end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_json(text: str) -> Any:
    try:
        return json.loads(strip_comments(text))
    except json.JSONDecodeError as e:
        raise NotJson(f"not JSON: {e}") from None


def _non_blank(doc: dict, key: str, required: bool) -> str | None:
    value = doc.get(key)
    if value is None:
        if required:
            raise InvalidPlugin(f"'{key}' is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPlugin(f"'{key}' must be a non-blank string")
    return value


def _object(doc: dict, key: str) -> dict:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidPlugin(f"'{key}' must be an object")
    return value


def _boolean(doc: dict, key: str, default: bool) -> bool:
    value = doc.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InvalidPlugin(f"'{key}' must be true or false, got {json.dumps(value)[:40]}")
    return value


def _integer(doc: dict, key: str, default: int) -> int:
    value = doc.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value <= MAX_ORDER:
        raise InvalidPlugin(f"'{key}' must be a 32-bit integer, got {json.dumps(value)[:40]}")
    return value


@dataclass(frozen=True)
class Descriptor:
    name: str
    url: str
    config: dict
    resource_path: str | None
    lazy_load: bool


@dataclass(frozen=True)
class UserConfig:
    config: dict = field(default_factory=dict)
    enabled: bool = True
    order: int = MAX_ORDER

    def as_doc(self) -> dict:
        return {"config": self.config, "enabled": self.enabled, "order": self.order}


def descriptor_from(doc: Any) -> Descriptor:
    if not isinstance(doc, dict):
        raise InvalidPlugin("a descriptor must be a JSON object")
    resource_path = _non_blank(doc, "resourcePath", False)
    return Descriptor(_non_blank(doc, "name", True) or "", _non_blank(doc, "url", True) or "",
                      _object(doc, "config"), resource_path, _boolean(doc, "lazyLoad", True))


def user_config_from(doc: Any) -> UserConfig:
    if not isinstance(doc, dict):
        raise InvalidPlugin("a user configuration must be a JSON object")
    return UserConfig(_object(doc, "config"), _boolean(doc, "enabled", True), _integer(doc, "order", MAX_ORDER))


@dataclass(frozen=True)
class Plugin:
    """One plugin as the portal sees it: its descriptor, its user configuration and where both live."""

    descriptor: Descriptor
    user: UserConfig
    descriptor_file: Path
    config_file: Path

    @property
    def name(self) -> str:
        return self.descriptor.name

    def merged_config(self) -> dict:
        merged = dict(self.descriptor.config)
        merged.update(self.user.config)
        return merged

    def page_url(self) -> str:
        """The host page URL as the portal loads it; old samples' ``/webadmin/webadmin/...`` is the same place."""
        url = self.descriptor.url
        if url.startswith("/webadmin/webadmin/"):
            return "/ovirt-engine/webadmin/" + url[len("/webadmin/webadmin/"):]
        return url

    def definition(self) -> dict:
        """What the host page embeds for the client (``pluginDefinitions``)."""
        return {"name": self.name, "url": self.page_url(), "config": self.merged_config(),
                "lazyLoad": self.descriptor.lazy_load, "enabled": self.user.enabled}


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _read(path: Path) -> str:
    with open(path, encoding="utf-8") as f:
        text = f.read(MAX_FILE + 1)
    if len(text) > MAX_FILE:
        raise InvalidPlugin(f"larger than {MAX_FILE} bytes")
    return text


@dataclass
class _Entry:
    plugin: Plugin | None
    descriptor_stamp: tuple[int, int] | None
    config_stamp: tuple[int, int] | None


class Registry:
    """The plugins of one engine: descriptors in ``plugins_dir``, user configuration in ``config_dir``."""

    def __init__(self, plugins_dir: Path, config_dir: Path):
        self.plugins_dir = Path(plugins_dir)
        self.config_dir = Path(config_dir)
        self._entries: dict[Path, _Entry] = {}
        self._lock = threading.Lock()
        self._loaded = False

    def config_file_for(self, descriptor_file: Path) -> Path:
        return self.config_dir / f"{descriptor_file.stem}-config.json"

    def reload(self) -> list[Plugin]:
        """Re-read what changed on disk; the valid plugins by ``order`` (then descriptor file name)."""
        with self._lock:
            seen = set()
            for path in self._descriptor_files():
                seen.add(path)
                self._refresh(path)
            for gone in set(self._entries) - seen:
                del self._entries[gone]
            self._loaded = True
            return self._sorted()

    def plugins(self) -> list[Plugin]:
        """The plugins as last read (read once when nothing was yet)."""
        if not self._loaded:
            return self.reload()
        with self._lock:
            return self._sorted()

    def find(self, name: str) -> Plugin | None:
        """The first plugin (in load order) of that name; later ones of the same name are never loaded."""
        return next((p for p in self.plugins() if p.name == name), None)

    def find_after_reload(self, name: str) -> Plugin | None:
        return next((p for p in self.reload() if p.name == name), None)

    def _sorted(self) -> list[Plugin]:
        found = [e.plugin for e in self._entries.values() if e.plugin is not None]
        return sorted(found, key=lambda p: (p.user.order, p.descriptor_file.name))

    def _descriptor_files(self) -> list[Path]:
        try:
            names = sorted(os.listdir(self.plugins_dir))
        except OSError:
            return []
        files = []
        for name in names:
            path = self.plugins_dir / name
            if name.endswith(".json") and path.is_file() and os.access(path, os.R_OK):
                files.append(path)
        return files

    def _refresh(self, path: Path) -> None:
        entry = self._entries.get(path)
        d_stamp = _stamp(path)
        config_file = self.config_file_for(path)
        c_stamp = _stamp(config_file)
        if entry is not None and entry.descriptor_stamp == d_stamp and entry.config_stamp == c_stamp:
            return
        previous = entry.plugin if entry else None
        try:
            descriptor = descriptor_from(parse_json(_read(path)))
        except (OSError, UnicodeDecodeError, InvalidPlugin) as e:
            self._invalid(path, e, previous)
            self._entries[path] = _Entry(previous, d_stamp, c_stamp)
            return
        try:
            user = user_config_from(parse_json(_read(config_file))) if c_stamp else UserConfig()
        except (OSError, UnicodeDecodeError) as e:
            log.warning("cannot read '%s' (%s); using an empty user configuration", config_file, e)
            user = UserConfig()
        except NotJson:  # an unparsable configuration counts as empty, as in oVirt
            log.warning("'%s' is not valid JSON; using an empty user configuration", config_file)
            user = UserConfig()
        except InvalidPlugin as e:
            self._invalid(config_file, e, previous)
            self._entries[path] = _Entry(previous, d_stamp, c_stamp)
            return
        self._entries[path] = _Entry(Plugin(descriptor, user, path, config_file), d_stamp, c_stamp)

    @staticmethod
    def _invalid(path: Path, error: Exception, previous: Plugin | None) -> None:
        kept = f"; plugin '{previous.name}' stays as it was" if previous else ""
        log.warning("Validation error in '%s': %s%s", path, error, kept)
