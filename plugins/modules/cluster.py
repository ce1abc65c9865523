#!/usr/bin/python
"""Module vdc.infra.cluster: a cluster, reconciled."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster
short_description: Manage clusters
version_added: 0.1.0
description:
  - Create, update and remove clusters. Options follow M(ovirt.ovirt.ovirt_cluster); only declared options are
    compared.
options:
  name:
    description: Name of the cluster.
    type: str
    required: true
  id:
    description: Id of the cluster; when given, the cluster is found by id.
    type: str
  state:
    description: Whether the cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  data_center:
    description: Data center of the cluster. Required to create one; cannot change later.
    type: str
  description:
    description: Description. C("") makes it empty.
    type: str
  comment:
    description: Comment. C("") makes it empty.
    type: str
  cpu_type:
    description: CPU type, for example C(Intel Nehalem Family) or C(Secure AMD EPYC).
    type: str
  cpu_arch:
    description: CPU architecture; follows from I(cpu_type) when that is set.
    type: str
    choices: [x86_64, ppc64, s390x, aarch64, undefined]
  compatibility_version:
    description: Compatibility version, for example C("4.7").
    type: str
  switch_type:
    description: Switch type of the cluster's hosts.
    type: str
    choices: [legacy, ovs]
  firewall_type:
    description: Firewall of the cluster's hosts.
    type: str
    choices: [firewalld, iptables]
  bios_type:
    description: Default chipset and firmware of the cluster's VMs.
    type: str
    choices: [i440fx_sea_bios, q35_ovmf, q35_sea_bios, q35_secure_boot, cluster_default]
  ballooning:
    description: Memory ballooning.
    type: bool
  virt:
    description: The cluster runs VMs.
    type: bool
  gluster:
    description: The cluster provides Gluster storage.
    type: bool
  threads_as_cores:
    description: Count host threads as cores.
    type: bool
  ha_reservation:
    description: Reserve capacity for highly available VMs.
    type: bool
  trusted_service:
    description: Only trusted hosts.
    type: bool
  ksm:
    description: Kernel same-page merging.
    type: bool
  fence_enabled:
    description: Fencing of non-responsive hosts.
    type: bool
  resilience_policy:
    description: What happens to VMs when their host fails.
    type: str
    choices: [do_not_migrate, migrate, migrate_highly_available]
  memory_policy:
    description: Memory over-commit preset (100%, 150%, 200%).
    type: str
    choices: [disabled, server, desktop]
    aliases: [performance_preset]
  migration_auto_converge:
    description: Auto-converge migrations.
    type: str
    choices: ["true", "false", inherit]
  migration_compressed:
    description: Compress migrations.
    type: str
    choices: ["true", "false", inherit]
  migration_encrypted:
    description: Encrypt migrations.
    type: str
    choices: ["true", "false", inherit]
  network:
    description: Management network, by name in the data center; used when creating the cluster only.
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A cluster of Nehalem hosts
  vdc.infra.cluster:
    name: c1
    data_center: dc-lab
    cpu_type: Intel Nehalem Family
    memory_policy: server
"""

RETURN = r"""
id:
  description: Id of the cluster (none when absent).
  returned: always
  type: str
cluster:
  description: The cluster as the engine returns it (the shape of M(vdc.infra.cluster_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(cluster).
  returned: when it exists
  type: dict
plan:
  description: The steps planned, each with C(op), C(kind), C(entity), C(reason) and C(changes).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field that changes.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402

TRISTATE = ["true", "false", "inherit"]


class ClusterModule(ReconcileModule):
    kind = "cluster"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "data_center": {"type": "str"},
        "description": {"type": "str"},
        "comment": {"type": "str"},
        "cpu_type": {"type": "str"},
        "cpu_arch": {"type": "str", "choices": ["x86_64", "ppc64", "s390x", "aarch64", "undefined"]},
        "compatibility_version": {"type": "str"},
        "switch_type": {"type": "str", "choices": ["legacy", "ovs"]},
        "firewall_type": {"type": "str", "choices": ["firewalld", "iptables"]},
        "bios_type": {"type": "str", "choices": ["i440fx_sea_bios", "q35_ovmf", "q35_sea_bios", "q35_secure_boot",
                                                 "cluster_default"]},
        "ballooning": {"type": "bool"},
        "virt": {"type": "bool"},
        "gluster": {"type": "bool"},
        "threads_as_cores": {"type": "bool"},
        "ha_reservation": {"type": "bool"},
        "trusted_service": {"type": "bool"},
        "ksm": {"type": "bool"},
        "fence_enabled": {"type": "bool"},
        "resilience_policy": {"type": "str", "choices": ["do_not_migrate", "migrate", "migrate_highly_available"]},
        "memory_policy": {"type": "str", "choices": ["disabled", "server", "desktop"],
                          "aliases": ["performance_preset"]},
        "migration_auto_converge": {"type": "str", "choices": TRISTATE},
        "migration_compressed": {"type": "str", "choices": TRISTATE},
        "migration_encrypted": {"type": "str", "choices": TRISTATE},
        "network": {"type": "str"},
    }


def main() -> None:
    ClusterModule()()


if __name__ == "__main__":
    main()
