"""VDSM hooks and engine configuration keys as declared artifacts, converged through the engine's vdc APIs
(``/ovirt-engine/api/vdc/hooks``, ``/ovirt-engine/api/vdc/engineconfig``). A hook is idempotent by its
sha256 and its targets: an unchanged hook is not sent again."""

from __future__ import annotations

import hashlib
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError

HOOKS = "vdc/hooks"
CONFIG = "vdc/engineconfig"


def read_content(src: str | None, content: str | None) -> bytes | None:
    if src and content is not None:
        raise VdcError("give src or content, not both")
    if src:
        try:
            with open(src, "rb") as f:
                return f.read()
        except OSError as e:
            raise VdcError(f"src {src}: {e.strerror or e}") from None
    return content.encode() if content is not None else None


def find(client: EngineClient, event: str, name: str) -> dict | None:
    docs = (client.request("GET", HOOKS) or {}).get("vdsm_hook") or []
    return next((h for h in docs if h["event"] == event and h["name"] == name), None)


def state_of(doc: dict | None) -> dict[str, Any]:
    if not doc:
        return {}
    out = {"name": doc["name"], "event": doc["event"], "sha256": doc["sha256"],
           "clusters": sorted(c["name"] for c in doc.get("clusters") or []),
           "hosts": sorted(h["name"] for h in doc.get("hosts") or [])}
    if "content" in doc:
        out["content"] = doc["content"]
    return out


def converge_hook(client: EngineClient, *, name: str, event: str, content: bytes | None, clusters: list[str] | None,
                  hosts: list[str] | None, state: str, check_mode: bool) -> dict[str, Any]:
    """Make one hook as declared; returns ``changed``, ``diff`` and the hook as the engine shows it (with its
    per-host status)."""
    current = find(client, event, name)
    before = state_of(current)
    if state == "absent":
        if current and not check_mode:
            client.request("DELETE", f"{HOOKS}/{current['id']}")
        return {"changed": bool(current), "diff": {"before": before, "after": {}}, "vdsm_hook": None}
    if current is None and content is None:
        raise VdcError(f"VDSM hook {event}/{name} does not exist; give src or content to add it")
    after = dict(before) or {"name": name, "event": event, "clusters": [], "hosts": []}
    body: dict[str, Any] = {}
    if content is not None:
        after["sha256"] = hashlib.sha256(content).hexdigest()
        try:
            after["content"] = content.decode()
        except UnicodeDecodeError:
            after.pop("content", None)
        if after["sha256"] != before.get("sha256"):
            body.update(_content_body(content))
    for key, value in (("clusters", clusters), ("hosts", hosts)):
        if value is not None:
            after[key] = sorted(set(value))
            if after[key] != before.get(key):
                body[key] = [{"name": v} for v in after[key]]
    changed = current is None or bool(body)
    doc = current
    if changed and not check_mode:
        if current is None:
            payload = {"name": name, "event": event, "clusters": [{"name": c} for c in after["clusters"]],
                       "hosts": [{"name": h} for h in after["hosts"]], **_content_body(content or b"")}
            doc = client.request("POST", HOOKS, payload)
        else:
            doc = client.request("PUT", f"{HOOKS}/{current['id']}", body)
        after = state_of(doc)
    result = {"changed": changed, "diff": {"before": before, "after": after}, "vdsm_hook": doc}
    if doc and doc.get("deploy_errors"):
        result["deploy_errors"] = doc["deploy_errors"]
    return result


def _content_body(content: bytes) -> dict[str, str]:
    try:
        return {"content": content.decode()}
    except UnicodeDecodeError:
        import base64

        return {"content_base64": base64.b64encode(content).decode()}


def converge_config(client: EngineClient, *, name: str, value: str, version: str | None,
                    check_mode: bool) -> dict[str, Any]:
    entries = (client.request("GET", f"{CONFIG}/{name}") or {}).get("engine_config") or []
    wanted_version = version or "general"
    entry = next((e for e in entries if e["version"] == wanted_version), None)
    if entry is None:
        levels = ", ".join(e["version"] for e in entries)
        raise VdcError(f"engine configuration {name} has no version {wanted_version} (it has: {levels})")
    before = {"name": name, "version": wanted_version, "value": entry["value"]}
    after = dict(before, value=value)
    changed = entry["value"] != value
    if changed and not check_mode:
        done = client.request("PUT", f"{CONFIG}/{name}", {"value": value, **({"version": version} if version else {})})
        after["value"] = done["value"]
    return {"changed": changed, "diff": {"before": before, "after": after}, "engine_config": after}


def host_hooks(client: EngineClient, host: str) -> list[dict]:
    """The hook scripts a host really has (oVirt's ``/hosts/{id}/hooks``: event, name, md5)."""
    found = client.get("hosts", host) if _is_id(host) else None
    if found is None:
        hits = client.list("hosts", search=f"name={host}")
        if not hits:
            raise VdcError(f"no host named '{host}'")
        found = hits[0]
    listed = client.request("GET", f"hosts/{found['id']}/hooks") or {}
    items = listed.get("hook") if isinstance(listed, dict) else listed
    return [{"event_name": h.get("event_name"), "name": h.get("name"), "md5": h.get("md5"), "id": h.get("id")}
            for h in items or []]


def _is_id(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4
