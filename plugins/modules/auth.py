#!/usr/bin/python
"""Module vdc.infra.auth: obtain or revoke an SSO token."""

from __future__ import annotations

DOCUMENTATION = r"""
module: auth
short_description: Obtain or revoke an SSO token for the other modules
version_added: 0.1.0
description:
  - With I(state=present), logs in and returns the fact C(vdc_auth), a dict to pass as I(auth) to the other
    modules so a play logs in once. Modules never revoke a token they are given.
  - With I(state=absent), revokes the token in I(auth.token). Like M(ovirt.ovirt.ovirt_auth), it reports
    C(changed=false) either way.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  state:
    description: Log in or log out.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- block:
    - name: Log in once
      vdc.infra.auth:
        auth:
          url: https://engine.example.org/ovirt-engine/api
          username: admin@internal
          password: "{{ vault_password }}"

    - vdc.infra.vm_info:
        auth: "{{ vdc_auth }}"
  always:
    - name: Log out
      vdc.infra.auth:
        state: absent
        auth: "{{ vdc_auth }}"
"""

RETURN = r"""
ansible_facts:
  description: The fact C(vdc_auth) with C(url), C(token), C(ca_file), C(insecure) and C(headers).
  returned: with state=present
  type: dict
  contains:
    vdc_auth:
      description: Pass it as I(auth) to other modules.
      type: dict
      returned: with state=present
"""

from ansible_collections.vdc.infra.plugins.module_utils.auth import login, logout, settings  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.errors import EngineError, VdcError  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402


class AuthModule(EngineModule):
    options_of = "auth"

    def __call__(self) -> None:
        try:
            s = settings(self.params.get("auth"))
            if self.params["state"] == "absent":
                if not s.token:
                    raise VdcError("state absent needs auth.token, the token to revoke")
                logout(s, s.token)
                self.module.exit_json(changed=False)
            token = s.token or login(s)
        except (EngineError, VdcError) as e:
            self._fail(e)
        fact = {"url": s.url, "token": token, "ca_file": s.ca_file, "insecure": s.insecure, "headers": s.headers}
        self.module.exit_json(changed=False, ansible_facts={"vdc_auth": fact})


def main() -> None:
    AuthModule()()


if __name__ == "__main__":
    main()
