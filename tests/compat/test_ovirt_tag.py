"""The real ``ovirt.ovirt`` ``ovirt_tag`` (and ``ovirt_tag_info``) against the engine: a tag below another one,
assigned to VMs (``present`` detaches the VMs not listed, ``attached``/``detached`` leave the others alone), read
back by name and by VM; the second run changes nothing, and ``state: absent`` removes a tag."""

from __future__ import annotations

import json
import os

from tests.compat.test_ovirt_collection import VENV, _run, ansible_playbook  # noqa: F401 - the fixture

PLAYBOOK = r"""
- name: tags with ovirt.ovirt
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: log in
      ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: "{{ engine_user }}",
                               password: "{{ engine_password }}", insecure: true}
    - name: the estate
      module_defaults:
        group/ovirt.ovirt.ovirt:
          auth: "{{ ovirt_auth }}"
      block:
        - name: VMs
          ovirt.ovirt.ovirt_vm: {name: "{{ item }}", cluster: Default, template: Blank}
          loop: [tagged1, tagged2, tagged3]
        - name: a parent tag
          ovirt.ovirt.ovirt_tag: {name: environments, description: where VMs run}
        - name: a tag below it, on two VMs and no host
          ovirt.ovirt.ovirt_tag:
            name: production
            description: production VMs
            parent: environments
            vms: [tagged1, tagged2]
            hosts: []
        - name: attached to a third VM, the others left alone
          ovirt.ovirt.ovirt_tag: {name: backup, state: attached, vms: [tagged3, tagged1]}
        - name: detached from a VM that does not carry it
          ovirt.ovirt.ovirt_tag: {name: backup, state: detached, vms: [tagged2]}
        - name: read by name
          ovirt.ovirt.ovirt_tag_info: {name: production}
          register: by_name
        - name: read by VM
          ovirt.ovirt.ovirt_tag_info: {vm: tagged1}
          register: by_vm
        - name: check
          ansible.builtin.assert:
            that:
              - by_name.ovirt_tags | length == 1
              - by_name.ovirt_tags[0].description == 'production VMs'
              - by_vm.ovirt_tags | map(attribute='name') | sort == ['backup', 'production']
    - name: log out
      ovirt.ovirt.ovirt_auth: {state: absent, ovirt_auth: "{{ ovirt_auth }}"}
"""

REMOVE = r"""
- name: remove a tag with ovirt.ovirt
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: "{{ engine_user }}",
                               password: "{{ engine_password }}", insecure: true}
    - ovirt.ovirt.ovirt_tag: {auth: "{{ ovirt_auth }}", name: backup, state: absent}
      register: removed
    - ansible.builtin.assert: {that: [removed.changed]}
    - ovirt.ovirt.ovirt_auth: {state: absent, ovirt_auth: "{{ ovirt_auth }}"}
"""


def test_ovirt_tag_converges(ansible_playbook, live_engine, tmp_path):  # noqa: F811
    (tmp_path / "estate.yml").write_text(PLAYBOOK)
    (tmp_path / "inventory.ini").write_text("localhost ansible_connection=local\n")
    (tmp_path / "vars.json").write_text(json.dumps({
        "engine_url": live_engine.url, "engine_user": live_engine.username, "engine_password": live_engine.password}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_PYTHON_INTERPRETER=str(VENV / "bin" / "python"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_STDOUT_CALLBACK="default", PATH=f"{VENV / 'bin'}:{env['PATH']}",
    )
    env.pop("PYTHONPATH", None)
    first, output, _ = _run(tmp_path, env, 1)
    assert first["failed"] == 0 and first["changed"] >= 4, output[-8000:]
    second, output, _ = _run(tmp_path, env, 2)
    changed = [chunk.split("]", 1)[0] for chunk in output.split("TASK [")[1:] if "\nchanged: [" in chunk]
    assert second["failed"] == 0, output[-8000:]
    assert second["changed"] == 0, f"the second run changed {changed}\n{output[-8000:]}"

    (tmp_path / "estate.yml").write_text(REMOVE)
    removed, output, _ = _run(tmp_path, env, 3)
    assert removed["failed"] == 0 and removed["changed"] == 1, output[-8000:]
    with live_engine.engine.db.read() as conn:
        from engine_api.commands.tags import list_tags

        assert {t["name"] for t in list_tags(conn)} == {"root", "environments", "production"}
