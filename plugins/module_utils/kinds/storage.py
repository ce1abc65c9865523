"""Storage domains, and their attachment to a data center (which is where their status lives)."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import ActionPlan, Facts, Kind, Wire


def _attachment_facts(entity: Wire, lookup: Any) -> Facts:
    """``_attachments`` is added by the state reader from ``/datacenters?follow=storage_domains``."""
    attached = entity.get("_attachments") or []
    if not attached:
        return {"data_center": None, "status": "unattached"}
    first = attached[0]
    return {"data_center": lookup.name("data_center", first["data_center"]), "status": first.get("status")}


def _actions(desired: Any, facts: Facts | None) -> list[ActionPlan]:
    """``present``: attached and active; ``maintenance``: attached, inactive; ``unattached``: detached."""
    state = desired.state
    current_dc = facts.get("data_center") if facts else None
    status = facts.get("status") if facts else "unattached"
    wanted_dc = desired.values.get("data_center")
    dc = wanted_dc or current_dc
    if state == "unattached":
        out = []
        if status == "active":
            out.append(ActionPlan("deactivate", f"detaching from data center {current_dc}", "maintenance"))
        if current_dc:
            out.append(ActionPlan("detach", f"state unattached, attached to data center {current_dc}", "unattached"))
        return out
    if not dc:
        return []
    if current_dc and wanted_dc and current_dc != wanted_dc:
        raise PlanError(f"is attached to data center {current_dc}, not {wanted_dc}; "
                        "set state unattached first to move it", desired.label)
    out = []
    if not current_dc:
        out.append(ActionPlan("attach", f"not attached to data center {dc}", "maintenance"))
        if state == "maintenance":
            # The engine activates a domain as soon as it is attached if a host is up (as oVirt does); whether one
            # is cannot be known here, so maintenance always deactivates after attaching (a no-op if it is not).
            out.append(ActionPlan("deactivate", "state maintenance; attaching activates it when a host is up",
                                  "maintenance"))
        status = "maintenance"
    if state == "present" and status != "active":
        out.append(ActionPlan("activate", f"state present needs it active in {dc}, it is {status}", "active"))
    if state == "maintenance" and status == "active":
        out.append(ActionPlan("deactivate", "state maintenance, it is active", "maintenance"))
    return out


def _before_delete(facts: Facts) -> list[ActionPlan]:
    out = []
    if facts.get("status") == "active":
        out.append(ActionPlan("deactivate", "an active domain cannot be detached", "maintenance"))
    if facts.get("data_center"):
        out.append(ActionPlan("detach", "an attached domain cannot be removed", "unattached"))
    return out


def _delete_params(options: dict[str, Any]) -> dict[str, Any]:
    return {k: True for k in ("destroy", "format") if options.get(k)}


STORAGE_DOMAIN = Kind(
    name="storage_domain", label_word=m.StorageDomain.word(), collection="storagedomains", order=40,
    fields=m.StorageDomain.wire_fields(), defaults={"domain_function": "data"},
    extra_facts=_attachment_facts, actions=_actions, before_delete=_before_delete, delete_params=_delete_params,
)
