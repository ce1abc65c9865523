#!/usr/bin/python
"""Module vdc.infra.host: a host, reconciled."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host
short_description: Manage hosts
version_added: 0.1.0
description:
  - Add, update and remove hypervisor hosts. Options follow M(ovirt.ovirt.ovirt_host).
  - After adding a host the module waits (with I(wait)) until it is C(up) or in C(maintenance); a host that
    ends in C(install_failed), C(non_operational), C(non_responsive) or C(error) fails the task with the
    engine's last events about it.
options:
  name:
    description: Name of the host.
    type: str
    required: true
  id:
    description: Id of the host; when given, the host is found by id.
    type: str
  state:
    description:
      - Whether the host should exist.
      - C(present) adds it and waits until it is C(up) (or in maintenance, see I(activate)); C(absent) moves a
        host that is up to maintenance first (its VMs migrate away), then removes it, as
        M(ovirt.ovirt.ovirt_host) does.
    type: str
    choices: [present, absent]
    default: present
  cluster:
    description: Cluster of the host.
    type: str
  address:
    description: Host name or IP address the engine reaches the host at. Required to add one.
    type: str
  description:
    description: Description.
    type: str
  comment:
    description: Comment.
    type: str
  password:
    description: Root password used to deploy the host; sent when adding it only, never returned.
    type: str
  public_key:
    description: Deploy with the engine's SSH public key instead of a password.
    type: bool
    aliases: [ssh_public_key]
  ssh_port:
    description: SSH port of the host.
    type: int
  spm_priority:
    description: SPM priority, from -1 (never) to 10.
    type: int
  override_iptables:
    description: Let the engine manage the host's firewall.
    type: bool
  activate:
    description:
      - With I(state=present), whether the host should be active, as in M(ovirt.ovirt.ovirt_host).
      - When true, a host in C(maintenance) is activated (and waited for until C(up)).
      - When false, a new host is added and left in C(maintenance) once installed, and the maintenance of an
        existing host is left alone (a host that is C(up) is not moved to maintenance either).
    type: bool
    default: true
  force:
    description: With I(state=absent), remove the host even when the engine would refuse (for example a host
      that does not answer and cannot reach maintenance).
    type: bool
    default: false
  timeout:
    description: Seconds to wait for the host to come up.
    type: int
    default: 600
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A host deployed with the engine's SSH key
  vdc.infra.host:
    name: hv1
    address: hv1.example.org
    cluster: c1
    public_key: true

- name: A host added but left in maintenance (activated by a later run without activate=false)
  vdc.infra.host:
    name: hv2
    address: hv2.example.org
    cluster: c1
    public_key: true
    activate: false
"""

RETURN = r"""
id:
  description: Id of the host (none when absent).
  returned: always
  type: str
host:
  description: The host as the engine returns it (the shape of M(vdc.infra.host_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(host).
  returned: when it exists
  type: dict
plan:
  description: The steps planned, each with C(op), C(kind), C(entity), C(reason) and C(changes).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field that changes; the password is masked.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402


class HostModule(ReconcileModule):
    kind = "host"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "cluster": {"type": "str"},
        "address": {"type": "str"},
        "description": {"type": "str"},
        "comment": {"type": "str"},
        "password": {"type": "str", "no_log": True},
        "public_key": {"type": "bool", "aliases": ["ssh_public_key"]},
        "ssh_port": {"type": "int"},
        "spm_priority": {"type": "int"},
        "override_iptables": {"type": "bool"},
        "activate": {"type": "bool", "default": True},
        "force": {"type": "bool", "default": False},
        "timeout": {"type": "int", "default": 600},
    }


def main() -> None:
    HostModule()()


if __name__ == "__main__":
    main()
