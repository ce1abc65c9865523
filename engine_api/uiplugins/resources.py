"""Where a plugin's resources are: oVirt's sanity rules on the requested path, then containment on disk."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from engine_api.uiplugins.descriptors import Plugin, Registry

if TYPE_CHECKING:
    from engine_api.engine import Engine

MAX_PATH = 512  # characters of a requested resource path (oVirt's ServletUtils.isSane)
_guard = threading.Lock()


def is_sane(path: str) -> bool:
    """oVirt's rule: no ``..``, ``//`` or ``./``, at most 512 characters; and never a NUL."""
    return bool(path) and len(path) <= MAX_PATH and not any(bad in path for bad in ("..", "//", "./", "\0"))


def registry_for(engine: Engine) -> Registry:
    """The engine's plugin registry (one per engine): ``<data dir>/ui-plugins`` and ``ui-plugins-config``
    unless the engine's configuration names other directories."""
    with _guard:
        registry = getattr(engine, "ui_plugins", None)
        if registry is None:
            plugins = engine.config.get("ui_plugins_dir") or engine.data_dir / "ui-plugins"
            configs = engine.config.get("ui_plugins_config_dir") or engine.data_dir / "ui-plugins-config"
            registry = Registry(Path(plugins), Path(configs))
            engine.ui_plugins = registry  # type: ignore[attr-defined]
        return registry


def resource_dir(registry: Registry, plugin: Plugin) -> Path | None:
    """The plugin's resource directory, resolved (a symlinked directory, as packages install them, counts)."""
    rp = plugin.descriptor.resource_path
    if rp is None or rp.startswith("/") or not is_sane(rp.rstrip("/")):
        return None
    return (registry.plugins_dir / rp).resolve()


def find_resource(registry: Registry, name: str, path: str) -> Path | None:
    """The file to serve for ``plugin/<name>/<path>``, or None (the answer is then a 404, whatever the cause)."""
    if not name or not is_sane(path):
        return None
    plugin = registry.find(name)
    if plugin is None:
        return None
    base = resource_dir(registry, plugin)
    if base is None:
        return None
    target = (base / path).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return None
    return target
