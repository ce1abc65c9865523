#!/usr/bin/python
"""Module vdc.infra.event_info: events, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: event_info
short_description: List events
version_added: 0.1.0
description:
  - Lists events of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_event_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some events
  vdc.infra.event_info:
    pattern: severity>=warning
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.events | map(attribute='name') | list }}"
"""

RETURN = r"""
events:
  description: The events found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class EventInfoModule(InfoModule):
    collection = "events"
    result_key = "events"


def main() -> None:
    EventInfoModule()()


if __name__ == "__main__":
    main()
