"""UI plugins as artifacts: read one from a directory or an archive, its digest, and converge it on the engine.

The digest is the engine's (``/ovirt-engine/api/vdc/uiplugins``): SHA-256 over the descriptor's bytes and every
resource file by its path under ``resourcePath``, so a plugin unpacked in a directory and the same plugin packed
in an archive compare equal, and an unchanged plugin is never uploaded again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zipfile
from dataclasses import dataclass
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.errors import EngineError, VdcError

API = "vdc/uiplugins"
DEFAULT_ORDER = 2**31 - 1


@dataclass(frozen=True)
class Bundle:
    name: str
    descriptor: bytes
    resource_path: str | None
    resources: dict[str, bytes]

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        h.update(b"descriptor\0" + hashlib.sha256(self.descriptor).digest())
        for path in sorted(self.resources):
            h.update(b"resource\0" + path.encode() + b"\0" + hashlib.sha256(self.resources[path]).digest())
        return "sha256:" + h.hexdigest()

    def archive(self) -> bytes:
        """A tar.gz the engine installs: the descriptor at the top, the resources under ``resourcePath``."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            members = {f"{self.name}.json": self.descriptor}
            members.update({f"{self.resource_path}/{p}": c for p, c in self.resources.items()})
            for name in sorted(members):
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(members[name]), 0o644, 0
                tar.addfile(info, io.BytesIO(members[name]))
        return buf.getvalue()


def _without_comments(text: str) -> str:
    out, i, n = [], 0, len(text)
    while i < n:
        if text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _descriptor(raw: bytes, where: str) -> tuple[str, str | None]:
    try:
        doc = json.loads(_without_comments(raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError) as e:
        raise VdcError(f"src {where}: the descriptor is not JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"].strip():
        raise VdcError(f"src {where}: the descriptor has no 'name'")
    rp = doc.get("resourcePath")
    return doc["name"], rp.strip("/") if isinstance(rp, str) and rp.strip("/") else None


def read_src(src: str) -> Bundle:
    """A plugin from a directory (one ``*.json`` descriptor and its resource directory) or an archive."""
    if os.path.isdir(src):
        jsons = sorted(f for f in os.listdir(src) if f.endswith(".json") and os.path.isfile(os.path.join(src, f)))
        if len(jsons) != 1:
            raise VdcError(f"src {src}: expected exactly one descriptor (*.json), found {len(jsons)}")
        with open(os.path.join(src, jsons[0]), "rb") as f:
            raw = f.read()
        name, rp = _descriptor(raw, src)
        resources: dict[str, bytes] = {}
        if rp:
            base = os.path.join(src, rp)
            if not os.path.isdir(base):
                raise VdcError(f"src {src}: the resource directory '{rp}' is missing")
            for root, dirs, files in os.walk(base):
                dirs.sort()
                for file in files:
                    path = os.path.join(root, file)
                    with open(path, "rb") as f:
                        resources[os.path.relpath(path, base).replace(os.sep, "/")] = f.read()
        return Bundle(name, raw, rp, resources)
    if not os.path.isfile(src):
        raise VdcError(f"src {src}: no such file or directory")
    members = _archive_members(src)
    top = [n for n in members if "/" not in n and n.endswith(".json")]
    if len(top) != 1:
        raise VdcError(f"src {src}: expected exactly one descriptor (*.json) at the top, found {len(top)}")
    raw = members.pop(top[0])
    name, rp = _descriptor(raw, src)
    prefix = f"{rp}/" if rp else None
    resources = {n[len(prefix):]: c for n, c in members.items() if prefix and n.startswith(prefix)}
    return Bundle(name, raw, rp, resources)


def _archive_members(src: str) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    if zipfile.is_zipfile(src):
        with zipfile.ZipFile(src) as z:
            for info in z.infolist():
                if not info.is_dir():
                    members[info.filename.removeprefix("./")] = z.read(info)
        return members
    try:
        with tarfile.open(src, "r:*") as tar:
            for m in tar:
                if m.isfile():
                    f = tar.extractfile(m)
                    members[m.name.removeprefix("./")] = f.read() if f else b""
    except tarfile.TarError as e:
        raise VdcError(f"src {src}: not a tar or zip archive: {e}") from None
    return members


def state_of(doc: dict | None) -> dict[str, Any]:
    """The comparable state of an installed plugin (for diff)."""
    if not doc:
        return {}
    user = doc.get("user_config") or {}
    return {"name": doc["name"], "digest": doc.get("digest"), "config": user.get("config") or {},
            "enabled": user.get("enabled", True), "order": user.get("order", DEFAULT_ORDER)}


def converge(client: EngineClient, *, name: str | None, src: str | None, config: dict | None,
             enabled: bool | None, order: int | None, state: str, check_mode: bool) -> dict[str, Any]:
    """Make one plugin as declared; returns ``changed``, ``diff`` and the plugin as the engine shows it."""
    bundle = read_src(src) if src else None
    if bundle and name and bundle.name != name:
        raise VdcError(f"name '{name}' differs from the descriptor's name '{bundle.name}' in {src}")
    name = name or (bundle.name if bundle else None)
    if not name:
        raise VdcError("name or src is required")
    current = client.get(API, name)
    before = state_of(current)
    if state == "absent":
        if current and not check_mode:
            client.remove(API, name)
        return {"changed": bool(current), "diff": {"before": before, "after": {}}, "ui_plugin": None}
    if current is None and bundle is None:
        raise VdcError(f"UI plugin '{name}' is not installed; give src to install it")
    after = dict(before) or {"name": name, "config": {}, "enabled": True, "order": DEFAULT_ORDER}
    if bundle:
        after["digest"] = bundle.digest
    for key, value in (("config", config), ("enabled", enabled), ("order", order)):
        if value is not None:
            after[key] = value
    changed = after != before
    doc = current
    if changed and not check_mode:
        if bundle and bundle.digest != before.get("digest"):
            doc = client.upload(API, bundle.archive(), "application/gzip")
        wanted = {k: after[k] for k in ("config", "enabled", "order")}
        if state_of(doc) and {k: state_of(doc)[k] for k in wanted} != wanted:
            doc = client.request("PUT", f"{API}/{name}/configuration", wanted)
        if doc is None:  # pragma: no cover - the engine answers every write with the plugin
            raise EngineError(0, "No answer", f"the engine did not describe UI plugin '{name}'", "GET", API)
        after = state_of(doc)
    return {"changed": changed, "diff": {"before": before, "after": after}, "ui_plugin": doc}
