"""External scheduling units as declared artifacts: a Python file in the scheduler proxy's plugin format,
converged through the engine's ``/ovirt-engine/api/vdc/schedulerplugins`` API. Idempotent by the file's sha256:
an unchanged file is not sent again."""

from __future__ import annotations

import hashlib
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError

PLUGINS = "vdc/schedulerplugins"


def module_name(name: str) -> str:
    return name[:-3] if name.endswith(".py") else name


def find(client: EngineClient, name: str) -> dict | None:
    docs = (client.request("GET", PLUGINS) or {}).get("scheduler_plugin") or []
    return next((p for p in docs if p["name"] == module_name(name)), None)


def state_of(doc: dict | None) -> dict[str, Any]:
    if not doc:
        return {}
    return {"name": doc["name"], "sha256": doc["sha256"], "content": doc.get("content", ""),
            "units": sorted(f"{u['name']} ({u['type']})" for u in doc.get("units") or [])}


def converge_policy_unit(client: EngineClient, *, name: str, content: bytes | None, state: str,
                         check_mode: bool) -> dict[str, Any]:
    """Make one plugin file as declared; returns ``changed``, ``diff`` and the plugin as the engine shows it
    (with the units it registered). A file the engine refuses fails with the engine's reason."""
    current = find(client, name)
    before = state_of(current)
    if state == "absent":
        if current and not check_mode:
            client.request("DELETE", f"{PLUGINS}/{current['id']}")
        return {"changed": bool(current), "diff": {"before": before, "after": {}}, "scheduler_plugin": None}
    if content is None:
        if current is None:
            raise VdcError(f"scheduler plugin {module_name(name)} does not exist; give src or content to add it")
        return {"changed": False, "diff": {"before": before, "after": before}, "scheduler_plugin": current}
    try:
        text = content.decode()
    except UnicodeDecodeError:
        raise VdcError(f"scheduler plugin {module_name(name)}: the file is not UTF-8 text") from None
    sha = hashlib.sha256(content).hexdigest()
    changed = current is None or current["sha256"] != sha
    after = dict(before) or {"name": module_name(name), "units": []}
    after.update(sha256=sha, content=text)
    doc = current
    if changed and not check_mode:
        if current is None:
            doc = client.request("POST", PLUGINS, {"name": module_name(name), "content": text})
        else:
            doc = client.request("PUT", f"{PLUGINS}/{current['id']}", {"content": text})
        after = state_of(doc)
    return {"changed": changed, "diff": {"before": before, "after": after}, "scheduler_plugin": doc}
