#!/usr/bin/python
"""Module vdc.infra.cluster_info: clusters, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_info
short_description: List clusters
version_added: 0.1.0
description:
  - Lists clusters of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_cluster_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some clusters
  vdc.infra.cluster_info:
    pattern: datacenter=dc1
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.clusters | map(attribute='name') | list }}"
"""

RETURN = r"""
clusters:
  description: The clusters found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class ClusterInfoModule(InfoModule):
    collection = "clusters"
    result_key = "clusters"


def main() -> None:
    ClusterInfoModule()()


if __name__ == "__main__":
    main()
