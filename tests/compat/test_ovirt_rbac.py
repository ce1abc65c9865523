"""The real ``ovirt.ovirt`` modules for users, groups, roles and permissions against the engine: an internal user
(made as ``vdc-engine user add`` makes it), a group, a custom role and permissions converge, the second run
changes nothing, and ``ovirt_vm_info`` run as that user lists only the VM it was given."""

from __future__ import annotations

import json
import os

from engine_api.auth import directory
from tests.compat.test_ovirt_collection import VENV, _run, ansible_playbook  # noqa: F401 - the fixture

PLAYBOOK = r"""
- name: users, groups, roles and permissions with ovirt.ovirt
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: log in as admin
      ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: "{{ engine_user }}",
                               password: "{{ engine_password }}", insecure: true}

    - name: the estate
      module_defaults:
        group/ovirt.ovirt.ovirt:
          auth: "{{ ovirt_auth }}"
      block:
        - name: user
          ovirt.ovirt.ovirt_user: {name: rbacuser, authz_name: internal-authz}
        - name: group
          ovirt.ovirt.ovirt_group: {name: rbacops, authz_name: internal-authz}
        - name: custom role
          ovirt.ovirt.ovirt_role:
            name: vm_operator
            administrative: false
            permits: [run_vm, stop_vm, shut_down_vm]
        - name: a VM
          ovirt.ovirt.ovirt_vm: {name: rbac_vm, cluster: Default, template: Blank}
        - name: a second VM the user is not given
          ovirt.ovirt.ovirt_vm: {name: rbac_other, cluster: Default, template: Blank}
        - name: the user operates the VM
          ovirt.ovirt.ovirt_permission:
            user_name: rbacuser
            authz_name: internal-authz
            role: vm_operator
            object_type: vm
            object_name: rbac_vm
        - name: the group reads the data center
          ovirt.ovirt.ovirt_permission:
            group_name: rbacops
            authz_name: internal-authz
            role: TemplateOwner
            object_type: data_center
            object_name: Default
        - name: read the user back
          ovirt.ovirt.ovirt_user_info: {pattern: "usrname=rbacuser@internal-authz"}
          register: users
        - name: read the user's permissions back
          ovirt.ovirt.ovirt_permission_info: {user_name: rbacuser, authz_name: internal-authz}
          register: perms
        - name: check
          ansible.builtin.assert:
            that:
              - users.ovirt_users | length == 1
              - users.ovirt_users[0].principal == 'rbacuser'
              - perms.ovirt_permissions | length == 1

    - name: log out admin
      ovirt.ovirt.ovirt_auth: {state: absent, ovirt_auth: "{{ ovirt_auth }}"}

    - name: log in as the user
      ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: rbacuser@internal,
                               password: "{{ user_password }}", insecure: true}
    - name: what the user sees
      ovirt.ovirt.ovirt_vm_info: {auth: "{{ ovirt_auth }}"}
      register: seen
    - name: only the VM it was given
      ansible.builtin.assert:
        that:
          - seen.ovirt_vms | map(attribute='name') | list == ['rbac_vm']
    - name: log out the user
      ovirt.ovirt.ovirt_auth: {state: absent, ovirt_auth: "{{ ovirt_auth }}"}
"""


def test_users_groups_roles_permissions_converge(ansible_playbook, live_engine, tmp_path):  # noqa: F811
    with live_engine.engine.db.write() as conn:  # as `vdc-engine user add rbacuser` does
        directory.add_user(conn, "rbacuser", "rbac-user-secret", None)
    (tmp_path / "estate.yml").write_text(PLAYBOOK)
    (tmp_path / "inventory.ini").write_text("localhost ansible_connection=local\n")
    (tmp_path / "vars.json").write_text(json.dumps({
        "engine_url": live_engine.url, "engine_user": live_engine.username, "engine_password": live_engine.password,
        "user_password": "rbac-user-secret"}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_PYTHON_INTERPRETER=str(VENV / "bin" / "python"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_STDOUT_CALLBACK="default", PATH=f"{VENV / 'bin'}:{env['PATH']}",
    )
    env.pop("PYTHONPATH", None)
    first, output, _ = _run(tmp_path, env, 1)
    assert first["failed"] == 0 and first["changed"] >= 6, output[-8000:]
    second, output, _ = _run(tmp_path, env, 2)
    changed = [chunk.split("]", 1)[0] for chunk in output.split("TASK [")[1:] if "\nchanged: [" in chunk]
    assert second["failed"] == 0, output[-8000:]
    assert second["changed"] == 0, f"the second run changed {changed}\n{output[-8000:]}"
