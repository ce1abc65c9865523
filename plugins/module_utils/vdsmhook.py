"""Helpers of the hook modules: a script read from ``src`` or ``content``, and the hooks a host really has.
Hooks and engine configuration keys themselves are kinds of the planner (``kinds/extensions.py``)."""

from __future__ import annotations

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
