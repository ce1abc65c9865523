#!/usr/bin/python
"""Module vdc.infra.event: an event recorded in the engine's log."""

from __future__ import annotations

DOCUMENTATION = r"""
module: event
short_description: Record events in the engine's event log
version_added: 0.1.0
description:
  - Add or remove an event. Options follow M(ovirt.ovirt.ovirt_event).
  - I(origin) and I(custom_id) identify the event, so running the task again adds nothing.
options:
  state:
    description: Whether the event should exist.
    type: str
    choices: [present, absent]
    default: present
  id:
    description: Id of the event (for I(state=absent)).
    type: str
  description:
    description: Message of the event.
    type: str
  severity:
    description: Severity.
    type: str
    choices: [normal, warning, error, alert]
    default: normal
  origin:
    description: Who reports the event, for example the name of a playbook.
    type: str
    required: true
  custom_id:
    description: A number unique per I(origin).
    type: int
    required: true
  data_center:
    description: Data center the event is about.
    type: str
  cluster:
    description: Cluster the event is about.
    type: str
  host:
    description: Host the event is about.
    type: str
  storage_domain:
    description: Storage domain the event is about.
    type: str
  vm:
    description: VM the event is about.
    type: str
  template:
    description: Template the event is about.
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Note a deployment
  vdc.infra.event:
    origin: deploy-playbook
    custom_id: 20260101
    severity: normal
    description: Web tier deployed
    cluster: c1
"""

RETURN = r"""
id:
  description: Id of the event.
  returned: always
  type: str
event:
  description: The event as the engine returns it.
  returned: when it exists
  type: dict
entity:
  description: Same as RV(event).
  returned: when it exists
  type: dict
plan:
  description: The steps planned.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402


class EventModule(ReconcileModule):
    kind = "event"
    argument_spec = {
        "description": {"type": "str"},
        "severity": {"type": "str", "choices": ["normal", "warning", "error", "alert"], "default": "normal"},
        "origin": {"type": "str", "required": True},
        "custom_id": {"type": "int", "required": True},
        "data_center": {"type": "str"},
        "cluster": {"type": "str"},
        "host": {"type": "str"},
        "storage_domain": {"type": "str"},
        "vm": {"type": "str"},
        "template": {"type": "str"},
    }


def main() -> None:
    EventModule()()


if __name__ == "__main__":
    main()
