"""Plugins as managed artifacts: install from an archive, user configuration, enable, disable, remove.

An archive (tar, optionally compressed, or zip) holds one descriptor ``<something>.json`` at its top level and,
when the descriptor names a ``resourcePath``, that directory with the plugin's files; nothing else. A plugin's
digest covers the descriptor's bytes and every resource file (by path relative to the resource directory), so
the same plugin packed twice, or unpacked in a directory, has the same digest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import threading
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from engine_api.uiplugins.descriptors import (
    Descriptor,
    InvalidPlugin,
    Plugin,
    Registry,
    descriptor_from,
    parse_json,
    user_config_from,
)
from engine_api.uiplugins.resources import is_sane, resource_dir

MAX_ARCHIVE = 64 << 20  # bytes of an uploaded archive, and of its unpacked files
MAX_FILES = 2000
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")  # a managed plugin's name is also a file name
_lock = threading.Lock()


class Conflict(ValueError):
    """The request is well formed but clashes with what is installed."""


class Missing(LookupError):
    pass


@dataclass(frozen=True)
class Bundle:
    descriptor_bytes: bytes
    descriptor: Descriptor
    resources: dict[str, bytes]  # path relative to the resource directory -> content

    @property
    def digest(self) -> str:
        return digest(self.descriptor_bytes, self.resources)


def digest(descriptor: bytes, resources: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    h.update(b"descriptor\0" + hashlib.sha256(descriptor).digest())
    for path in sorted(resources):
        h.update(b"resource\0" + path.encode() + b"\0" + hashlib.sha256(resources[path]).digest())
    return "sha256:" + h.hexdigest()


def _member_path(name: str) -> PurePosixPath:
    while name.startswith("./"):
        name = name[2:]
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("..", "") for part in name.rstrip("/").split("/")):
        raise InvalidPlugin(f"the archive member '{name[:200]}' is not a plain relative path")
    return path


def _members(data: bytes) -> dict[PurePosixPath, bytes]:
    """Regular files of the archive by path; links, devices and unsafe paths are refused."""
    files: dict[PurePosixPath, bytes] = {}
    total = 0

    def add(name: str, content: bytes) -> None:
        nonlocal total
        total += len(content)
        if total > MAX_ARCHIVE or len(files) >= MAX_FILES:
            raise InvalidPlugin(f"the archive unpacks to more than {MAX_ARCHIVE} bytes or {MAX_FILES} files")
        files[_member_path(name)] = content

    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                if info.is_dir():
                    _member_path(info.filename)
                    continue
                if (info.external_attr >> 16) & 0o170000 not in (0, 0o100000):
                    raise InvalidPlugin(f"the archive member '{info.filename[:200]}' is not a regular file")
                if info.file_size > MAX_ARCHIVE:
                    raise InvalidPlugin(f"the archive member '{info.filename[:200]}' is too large")
                add(info.filename, z.read(info))
        return files
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                if member.isdir():
                    _member_path(member.name)
                    continue
                if not member.isfile():
                    raise InvalidPlugin(f"the archive member '{member.name[:200]}' is not a regular file or directory")
                if member.size > MAX_ARCHIVE:
                    raise InvalidPlugin(f"the archive member '{member.name[:200]}' is too large")
                f = tar.extractfile(member)
                add(member.name, f.read() if f else b"")
    except tarfile.TarError as e:
        raise InvalidPlugin(f"not a tar or zip archive: {e}") from None
    return files


def read_archive(data: bytes) -> Bundle:
    files = _members(data)
    top = [p for p in files if len(p.parts) == 1 and p.name.endswith(".json")]
    if len(top) != 1:
        raise InvalidPlugin(f"the archive must hold exactly one descriptor (*.json) at its top level, found {len(top)}")
    raw = files.pop(top[0])
    try:
        descriptor = descriptor_from(parse_json(raw.decode("utf-8")))
    except UnicodeDecodeError:
        raise InvalidPlugin("the descriptor is not UTF-8") from None
    if not NAME.fullmatch(descriptor.name):
        raise InvalidPlugin(f"a managed plugin's name must match {NAME.pattern}, got '{descriptor.name[:100]}'")
    resources: dict[str, bytes] = {}
    rp = descriptor.resource_path
    if rp is not None:
        rp = rp.strip("/")
        if not rp or not is_sane(rp) or rp.startswith("."):
            raise InvalidPlugin(f"resourcePath '{descriptor.resource_path}' must be a plain relative directory")
    prefix = PurePosixPath(rp) if rp else None
    for path, content in files.items():
        if prefix is None or not path.is_relative_to(prefix) or path == prefix:
            raise InvalidPlugin(f"'{path}' is neither the descriptor nor under resourcePath '{rp or ''}'")
        resources[str(path.relative_to(prefix))] = content
    return Bundle(raw, descriptor, resources)


def installed_resources(registry: Registry, plugin: Plugin) -> dict[str, bytes]:
    base = resource_dir(registry, plugin)
    found: dict[str, bytes] = {}
    if base is None or not base.is_dir():
        return found
    for root, dirs, files in os.walk(base):
        dirs.sort()
        for name in files:
            path = Path(root) / name
            if path.is_file() and path.resolve().is_relative_to(base):
                found[path.relative_to(base).as_posix()] = path.read_bytes()
    return found


def installed_digest(registry: Registry, plugin: Plugin) -> str:
    try:
        raw = plugin.descriptor_file.read_bytes()
    except OSError:
        return ""
    return digest(raw, installed_resources(registry, plugin))


def describe(registry: Registry, plugin: Plugin) -> dict:
    """The API's view of one plugin."""
    d = plugin.descriptor
    return {
        "name": d.name, "href": f"/ovirt-engine/api/vdc/uiplugins/{d.name}",
        "descriptor_file": plugin.descriptor_file.name, "url": d.url, "resource_path": d.resource_path,
        "lazy_load": d.lazy_load, "default_config": d.config, "user_config": plugin.user.as_doc(),
        "config": plugin.merged_config(), "enabled": plugin.user.enabled, "order": plugin.user.order,
        "digest": installed_digest(registry, plugin),
    }


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def install(registry: Registry, bundle: Bundle) -> tuple[Plugin, bool]:
    """Install or replace a plugin; (the plugin, whether it is new). Same digest: nothing is written."""
    with _lock:
        plugins = registry.reload()
        name, rp = bundle.descriptor.name, (bundle.descriptor.resource_path or "").strip("/")
        current = next((p for p in plugins if p.name == name), None)
        for other in plugins:
            other_rp = (other.descriptor.resource_path or "").strip("/")
            if other.name != name and rp and other_rp == rp:
                raise Conflict(f"resourcePath '{rp}' belongs to plugin '{other.name}'")
        if current is not None and installed_digest(registry, current) == bundle.digest:
            return current, False
        root = registry.plugins_dir
        root.mkdir(parents=True, exist_ok=True)
        if rp:
            staging = root / f".install-{uuid.uuid4().hex[:12]}"
            for rel, content in bundle.resources.items():
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            staging.mkdir(exist_ok=True)
            final = root / rp
            final.parent.mkdir(parents=True, exist_ok=True)
            old = root / f".old-{uuid.uuid4().hex[:12]}"
            if final.is_symlink() or final.is_file():
                final.unlink()
            elif final.exists():
                final.rename(old)
            staging.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        if current is not None:
            old_rp = (current.descriptor.resource_path or "").strip("/")
            if old_rp and old_rp != rp:
                _remove_dir(registry, root / old_rp)
        target = current.descriptor_file if current is not None else root / f"{name}.json"
        _write_atomic(target, bundle.descriptor_bytes)
        plugin = registry.find_after_reload(name)
        if plugin is None:  # pragma: no cover - the descriptor was validated before it was written
            raise InvalidPlugin(f"plugin '{name}' did not load after its install")
        return plugin, current is None


def _remove_dir(registry: Registry, path: Path) -> None:
    """Remove a resource directory of the plugins' own directory (a symlink is unlinked, never followed)."""
    if path.is_symlink():
        path.unlink()
    elif path.is_dir() and path.resolve().is_relative_to(registry.plugins_dir.resolve()):
        shutil.rmtree(path)


def get(registry: Registry, name: str) -> Plugin:
    plugin = registry.find_after_reload(name)
    if plugin is None:
        raise Missing(f"there is no UI plugin named '{name[:100]}'")
    return plugin


def set_user_config(registry: Registry, name: str, doc: object) -> Plugin:
    """Replace the plugin's user configuration (``config``, ``enabled``, ``order``) after validating it."""
    with _lock:
        plugin = get(registry, name)
        if not isinstance(doc, dict):
            raise InvalidPlugin("a user configuration must be a JSON object")
        user_config_from(doc)  # validates
        body = {k: v for k, v in {"config": doc.get("config"), "enabled": doc.get("enabled"),
                                  "order": doc.get("order")}.items() if v is not None}
        _write_atomic(plugin.config_file, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
        return get(registry, name)


def set_enabled(registry: Registry, name: str, enabled: bool) -> Plugin:
    plugin = get(registry, name)
    doc = {"config": plugin.user.config, "enabled": enabled}
    if plugin.user.order != 2**31 - 1:
        doc["order"] = plugin.user.order
    return set_user_config(registry, name, doc)


def remove(registry: Registry, name: str) -> None:
    with _lock:
        plugin = get(registry, name)
        rp = (plugin.descriptor.resource_path or "").strip("/")
        others = [p for p in registry.plugins() if p.name != name]
        if rp and not any((p.descriptor.resource_path or "").strip("/") == rp for p in others):
            _remove_dir(registry, registry.plugins_dir / rp)
        for path in (plugin.descriptor_file, plugin.config_file):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        registry.reload()
