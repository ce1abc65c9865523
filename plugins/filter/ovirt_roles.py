"""Filters ``vdc.infra.infra_estate`` and ``vdc.infra.vm_infra_estate``: ovirt.ovirt role variables as a
vdc desired-state document (the ``infra`` and ``vm_infra`` roles hand it to ``vdc.infra.apply``)."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display
from ansible_collections.vdc.infra.plugins.plugin_utils.ovirt_vars import (
    UnsupportedError,
    infra_estate,
    unsupported_profile_keys,
    vm_infra_estate,
)

display = Display()


def _infra(variables: dict[str, Any]) -> dict[str, Any]:
    warnings: list[str] = []
    try:
        doc = infra_estate(variables, warnings)
    except UnsupportedError as e:
        raise AnsibleFilterError(str(e)) from None
    for warning in warnings:
        display.warning(warning)
    return doc


def _vm_infra(vms: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        doc = vm_infra_estate(vms)
    except UnsupportedError as e:
        raise AnsibleFilterError(str(e)) from None
    for warning in unsupported_profile_keys(vms):
        display.warning(warning)
    return doc


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"infra_estate": _infra, "vm_infra_estate": _vm_infra}
