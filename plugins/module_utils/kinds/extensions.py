"""VDSM hooks, engine configuration keys and external scheduling units, through the engine's vdc extensions of
the API.

- A hook (``/ovirt-engine/api/vdc/hooks``) is known by its name within its hook point (``event``); its content is
  compared as text, and a change of content or targets is one ``PUT`` that the engine deploys.
- An engine configuration entry (``/ovirt-engine/api/vdc/engineconfig``) is a key at one level (``version``,
  ``general`` for unversioned keys). Every entry exists, so there is nothing to create: the reader gives each an
  id of its own (``name/version``), and an update is the key's ``PUT`` with that level.
- A scheduler plugin (``/ovirt-engine/api/vdc/schedulerplugins``) is a Python file of scheduling units known by its
  module name; its content is compared as text, and a change is one ``PUT`` (the engine replaces its units). Its
  units are named in scheduling policies, so a policy step waits for the plugins' steps.
- A UI plugin (``/ovirt-engine/api/vdc/uiplugins``) is known by its name (its id); its descriptor and resources are
  compared by the engine's content digest, computed by the model from ``src``. Adding it or changing its content is
  an upload of its archive (raw, not JSON), then its user configuration (``config``, ``enabled``, ``order``) is one
  ``PUT`` that replaces it, keeping what the estate does not set.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils import uiplugin
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Kind, Request, Wire

HOOKS = "vdc/hooks"
CONFIG = "vdc/engineconfig"
PLUGINS = "vdc/schedulerplugins"
UI_PLUGINS = uiplugin.API
GENERAL = "general"

VDSM_HOOK = Kind(
    name="vdsm_hook", label_word=m.VdsmHook.word(), collection=HOOKS, order=25, scope=("event",),
    required=("event", "content"), fields=m.VdsmHook.wire_fields(),
)


def config_entries(docs: list[Wire]) -> list[Wire]:
    """The engine's entries, each with the id the planner knows it by."""
    return [{**d, "id": f"{d.get('name')}/{d.get('version')}"} for d in docs]


def _config_create(body: Wire, values: dict[str, Any]) -> Wire:
    raise PlanError(f"the engine has no configuration key {values.get('name')} at level {values.get('version')} "
                    "(vdc-engine config -l lists the keys; unversioned keys have the level general)",
                    f"engine configuration '{values.get('name')}'")


def _config_requests(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    version = current.get("version")
    return [Request("update", path, current.get("name"), {
        "value": body.get("value", ""), **({"version": version} if version and version != GENERAL else {})})]


ENGINE_CONFIG = Kind(
    name="engine_config", label_word=m.EngineConfig.word(), collection=CONFIG, order=1, scope=("version",),
    fields=m.EngineConfig.wire_fields(), create_body=_config_create, update_requests=_config_requests,
)


def _plugin_update(body: Wire, values: dict[str, Any], current: Facts) -> Wire:
    """A plugin is renamed by no request: an update replaces its content only."""
    return {k: v for k, v in body.items() if k != "name"}


POLICY_UNIT = Kind(
    name="policy_unit", label_word=m.PolicyUnit.word(), collection=PLUGINS, order=14, required=("content",),
    fields=m.PolicyUnit.wire_fields(), update_body=_plugin_update,
)


def ui_plugins(docs: list[Wire]) -> list[Wire]:
    """The engine's UI plugins, each with its name as the id the planner knows it by."""
    return [{**d, "id": d.get("name")} for d in docs]


def _ui_upload(values: dict[str, Any], options: dict[str, Any]) -> Request | None:
    """The plugin's archive, when its content is new or changed (the digest is among the values to send)."""
    if "digest" not in values:
        return None
    if not options.get("src"):
        raise PlanError("give src to install it", f"UI plugin '{values.get('name')}'")
    return Request("upload", UI_PLUGINS, data=uiplugin.read_src(options["src"]).archive(),
                   content_type="application/gzip")


USER_CONFIG = ("config", "enabled", "order")


def _ui_config(path: str, ident: str, values: dict[str, Any], current: Facts) -> list[Request]:
    """The whole user configuration: the values set, the current ones for the rest (a default order is left out)."""
    if not any(k in values for k in USER_CONFIG):
        return []
    body = {k: values[k] if k in values else current.get(k) for k in USER_CONFIG}
    if body["order"] in (None, uiplugin.DEFAULT_ORDER):
        del body["order"]
    body = {k: v for k, v in body.items() if v is not None}
    return [Request("update", f"{path}/{ident}", "configuration", body)]


def _ui_create(path: str, ident: str, body: Wire, values: dict[str, Any]) -> list[Request]:
    return _ui_config(path, ident, values, {})


def _ui_update(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    return _ui_config(path, ident, values, current)


UI_PLUGIN = Kind(
    name="ui_plugin", label_word=m.UiPlugin.word(), collection=UI_PLUGINS, order=26, required=("digest",),
    fields=m.UiPlugin.wire_fields(), upload=_ui_upload, create_requests=_ui_create, update_requests=_ui_update,
)
