#!/usr/bin/python
"""Module vdc.infra.placement_info: where the cluster's scheduling policy would run (or move) a VM, and why."""

from __future__ import annotations

DOCUMENTATION = r"""
module: placement_info
short_description: Explain where a VM would be placed, host by host
version_added: 0.1.0
description:
  - Asks the engine where the scheduling policy of the VM's cluster would run the VM now (a VM that is down), or
    move it (a running VM), without starting or migrating anything (C(POST /vms/{id}/placement), a vdc extension
    of the oVirt API).
  - For every host of the cluster it returns the verdict of the filters (the filter that refused it and why), and
    for the hosts left the weight, rank and factor of each weight unit and the host's score. The host with the
    highest score is chosen; when none is left, RV(placement.fault) is the fault a start would get.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  vm:
    description: Name of the VM.
    type: str
  id:
    description: Id of the VM; when given, the VM is found by id.
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Where would web1 start?
  vdc.infra.placement_info:
    vm: web1
  register: result

- name: The chosen host and the refusals
  ansible.builtin.debug:
    msg: "{{ result.placement.host_name }}: {{ result.placement.hosts | selectattr('filter', 'defined') | list }}"
"""

RETURN = r"""
placement:
  description: The explanation.
  returned: always
  type: dict
  contains:
    vm:
      description: Id of the VM.
      type: str
    host:
      description: Id of the host the policy chooses (absent when no host fits).
      type: str
    host_name:
      description: Name of that host.
      type: str
    scheduling_policy:
      description: Id of the cluster's scheduling policy.
      type: str
    migration:
      description: Whether the VM runs, so that the explanation is of a migration away from its host.
      type: bool
    fault:
      description: The fault a start (migration) would get, when no host fits.
      type: str
    hosts:
      description: One entry per host of the cluster, with C(id), C(name), C(status), C(selected), C(score),
        C(filter) and C(reason) when refused, and C(weights) (C(name), C(factor), C(weight), C(rank)) when ranked.
      type: list
      elements: dict
"""

from typing import Any  # noqa: E402

from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402


def _list(value: Any, key: str) -> list:
    """A JSON list as the engine writes it: ``{"placement_host": [...]}`` or a plain list."""
    if isinstance(value, dict):
        value = value.get(key, [])
    return value if isinstance(value, list) else []


def flatten(placement: dict) -> dict:
    """The engine's answer as plain data: references as ids, lists as lists."""
    out: dict[str, Any] = {"vm": (placement.get("vm") or {}).get("id"),
                           "scheduling_policy": (placement.get("scheduling_policy") or {}).get("id"),
                           "migration": bool(placement.get("migration")), "hosts": []}
    if placement.get("host"):
        out["host"] = placement["host"]["id"]
    if placement.get("fault"):
        out["fault"] = placement["fault"]
    for h in _list(placement.get("hosts"), "placement_host"):
        entry = {"id": (h.get("host") or {}).get("id"), "name": h.get("name"), "status": h.get("status"),
                 "selected": bool(h.get("selected")), "score": h.get("score", 0)}
        for key in ("filter", "reason"):
            if h.get(key):
                entry[key] = h[key]
        weights = _list(h.get("weights"), "placement_weight")
        if weights:
            entry["weights"] = weights
        if entry["selected"]:
            out["host_name"] = entry["name"]
        out["hosts"].append(entry)
    return out


class PlacementInfoModule(EngineModule):
    options_of = "placement_info"
    module_kwargs = {"required_one_of": [["vm", "id"]]}
    entity_word = "VM"

    def run(self, client: Any) -> dict[str, Any]:
        vm_id = self.params.get("id")
        if not vm_id:
            found = client.search("vms", f'name="{self.params["vm"]}"')
            if not found:
                raise VdcError(f"VM '{self.params['vm']}' does not exist")
            vm_id = found[0]["id"]
        answer = client.action("vms", vm_id, "placement")
        return {"changed": False, "placement": flatten(answer.get("placement") or {})}


def main() -> None:
    PlacementInfoModule()()


if __name__ == "__main__":
    main()
