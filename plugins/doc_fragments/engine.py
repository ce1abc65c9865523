"""Option documentation shared by every vdc.infra module: ``auth`` (all modules) and waiting (managing ones)."""

from __future__ import annotations


class ModuleDocFragment:
    # Connection to the engine; used by every module through `extends_documentation_fragment: vdc.infra.engine`.
    DOCUMENTATION = r"""
options:
  auth:
    description:
      - How to reach and authenticate to the engine.
      - Every key falls back to an environment variable, so the whole dict may be omitted.
      - Set it once for a play with C(module_defaults) and the action group C(group/vdc.infra.engine).
      - When the task runs on the controller (a local connection, as for C(localhost) or with C(delegate_to)
        C(localhost)) without C(become) or C(async), the module's action plugin runs it inside the controller;
        then a token obtained with I(username) and I(password) is kept for the whole playbook run (in a file
        only the user can read, without the password), renewed when the engine refuses it, and revoked when the
        run ends. Set C(vdc_in_controller=false) to run a module process instead, as for C(delegate_to) another
        host.
    type: dict
    default: {}
    suboptions:
      url:
        description:
          - The API URL, for example C(https://engine.example.org/ovirt-engine/api).
          - Falls back to E(VDC_URL).
        type: str
      username:
        description:
          - The user, for example C(admin@internal). Falls back to E(VDC_USERNAME).
        type: str
      password:
        description:
          - The user's password. Falls back to E(VDC_PASSWORD).
        type: str
      token:
        description:
          - An SSO access token, for example the one returned by M(vdc.infra.auth).
          - When given, no user name or password is needed and the module never revokes it.
          - Falls back to E(VDC_TOKEN).
        type: str
      ca_file:
        description:
          - A PEM file with the CA certificate(s) that signed the engine's certificate. Falls back to E(VDC_CA_FILE).
        type: path
      insecure:
        description:
          - Do not verify the engine's TLS certificate. Falls back to E(VDC_INSECURE); false when neither is set.
        type: bool
      headers:
        description:
          - Extra HTTP headers sent with every request, for example C(Correlation-Id).
        type: dict
"""

    # Waiting for end states; used by managing modules.
    WAIT = r"""
options:
  wait:
    description:
      - Wait until each changed entity reaches its end state (for example a VM C(up) or a disk C(ok)).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for an end state before failing with the state reached so far.
    type: int
    default: 180
  poll_interval:
    description:
      - Longest time in seconds between two reads of an entity's status while waiting; the first reads come
        sooner (0.1 s, then doubling), since most end states are reached within a second.
    type: int
    default: 3
notes:
  - Check mode is supported and predicts exactly what a real run changes; with C(--diff) the prediction is shown
    field by field.
  - An option left out means "do not care"; an explicit empty value (C([]), C("")) means "make it empty".
"""

    # Read-only modules.
    INFO = r"""
options:
  pattern:
    description:
      - A query in the engine's search language, for example C(name=web* and cluster=c1).
    type: str
  id:
    description:
      - Return only the entity with this id.
    type: str
  name:
    description:
      - Return only entities with this name.
    type: str
  follow:
    description:
      - Links the engine expands in the same call, as dotted paths, for example C(disk_attachments.disk).
    type: list
    elements: str
    default: []
  max:
    description:
      - Return at most this many entities.
    type: int
notes:
  - Never changes anything; C(changed) is always false and check mode is supported.
"""
