#!/usr/bin/python
"""Module vdc.infra.affinity_group_info: the affinity groups of a cluster."""

from __future__ import annotations

DOCUMENTATION = r"""
module: affinity_group_info
short_description: List the affinity groups of a cluster
version_added: 0.1.0
description:
  - Lists the affinity groups of one cluster, optionally only those whose name matches I(name).
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  cluster:
    description: Name of the cluster.
    type: str
    required: true
  name:
    description: Only the groups with this name (a glob such as C(db-*) is allowed).
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: The affinity groups of c1
  vdc.infra.affinity_group_info:
    cluster: c1
  register: result
"""

RETURN = r"""
affinity_groups:
  description: The groups found, as the engine returns them (C(vms) and C(hosts) as references, C(broken) when
    running VMs break an enforcing rule).
  returned: always
  type: list
  elements: dict
"""

import fnmatch  # noqa: E402

from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402


class AffinityGroupInfoModule(EngineModule):
    entity_word = "cluster"
    options_of = "affinity_group_info"

    def run(self, client) -> dict:
        clusters = client.search("clusters", f'name="{self.params["cluster"]}"')
        if not clusters:
            raise VdcError("does not exist", f"cluster '{self.params['cluster']}'")
        groups = client.list(f"clusters/{clusters[0]['id']}/affinitygroups")
        if self.params.get("name"):
            groups = [g for g in groups if fnmatch.fnmatchcase(g.get("name", ""), self.params["name"])]
        return {"changed": False, "affinity_groups": groups}


def main() -> None:
    AffinityGroupInfoModule()()


if __name__ == "__main__":
    main()
