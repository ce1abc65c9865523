#!/usr/bin/python
"""Module vdc.infra.template_info: templates, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: template_info
short_description: List templates
version_added: 0.1.0
description:
  - Lists templates of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_template_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some templates
  vdc.infra.template_info:
    pattern: datacenter=dc1
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.templates | map(attribute='name') | list }}"
"""

RETURN = r"""
templates:
  description: The templates found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class TemplateInfoModule(InfoModule):
    collection = "templates"
    result_key = "templates"


def main() -> None:
    TemplateInfoModule()()


if __name__ == "__main__":
    main()
