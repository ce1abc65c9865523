"""Every kind the collection manages, in dependency order (DC → cluster → host → storage → network → ... → NIC)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.module_utils.kinds.aaa import GROUP, PERMISSION, ROLE, USER
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Kind
from ansible_collections.vdc.infra.plugins.module_utils.kinds.compute import DISK, EVENT, NIC, TEMPLATE, VM
from ansible_collections.vdc.infra.plugins.module_utils.kinds.extensions import (
    ENGINE_CONFIG,
    POLICY_UNIT,
    UI_PLUGIN,
    VDSM_HOOK,
)
from ansible_collections.vdc.infra.plugins.module_utils.kinds.infra import CLUSTER, DATA_CENTER, HOST
from ansible_collections.vdc.infra.plugins.module_utils.kinds.network import CLUSTER_NETWORK, NETWORK, VNIC_PROFILE
from ansible_collections.vdc.infra.plugins.module_utils.kinds.scheduling import (
    AFFINITY_GROUP,
    AFFINITY_LABEL,
    SCHEDULING_POLICY,
)
from ansible_collections.vdc.infra.plugins.module_utils.kinds.storage import STORAGE_DOMAIN
from ansible_collections.vdc.infra.plugins.module_utils.kinds.tags import TAG

KINDS: dict[str, Kind] = {k.name: k for k in sorted(
    (DATA_CENTER, CLUSTER, HOST, STORAGE_DOMAIN, NETWORK, CLUSTER_NETWORK, VNIC_PROFILE, TEMPLATE, VM, DISK, NIC,
     EVENT, SCHEDULING_POLICY, AFFINITY_GROUP, AFFINITY_LABEL, TAG, USER, GROUP, ROLE, PERMISSION, VDSM_HOOK,
     ENGINE_CONFIG, POLICY_UNIT, UI_PLUGIN),
    key=lambda k: k.order)}
