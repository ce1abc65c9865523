#!/usr/bin/python
"""Module vdc.infra.export: the engine's current state written as a desired-state YAML file."""

from __future__ import annotations

DOCUMENTATION = r"""
module: export
short_description: Write what exists as a desired-state document (YAML), keeping the comments of an existing file
version_added: 0.1.0
description:
  - Reads the engine in bulk and writes its data centers (with clusters, hosts, storage domains and networks) and
    VMs (with disks and NICs) in the shape of C(schemas/estate.schema.json), so M(vdc.infra.apply) of the result
    changes nothing.
  - When I(dest) exists it is updated in place, as YAML round trip. Comments, key order and layout are kept.
    Only values that differ change, new entities are appended and vanished ones removed. Entities are matched by
    name.
  - Leaves out what the engine decides (ids, statuses), empty values, the ownership marker in comments, and what
    every engine has (the C(Default) data center and cluster unless used or marked, C(ovirtmgmt)).
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  dest:
    description: The YAML file to write (on the host the module runs on).
    type: path
    required: true
  estate:
    description:
      - Export only what this estate owns (the entities whose comment ends with C(vdc-estate:<estate>)),
        and write C(estate) in the document.
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
notes:
  - Check mode is supported; with C(--diff) the file's text before and after is shown.
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Everything the lab estate owns, into git
  vdc.infra.export:
    dest: "{{ playbook_dir }}/estates/exported/lab.yml"
    estate: lab
"""

RETURN = r"""
document:
  description: The exported desired state.
  returned: always
  type: dict
dest:
  description: The file written.
  returned: always
  type: str
"""

import os  # noqa: E402

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402

try:
    from ansible_collections.vdc.infra.plugins.module_utils.estate.export import EXPORTED_KINDS, document
    from ansible_collections.vdc.infra.plugins.module_utils.estate.roundtrip import render
    from ansible_collections.vdc.infra.plugins.module_utils.state import read
except ImportError:  # pydantic missing: EngineModule reports it
    pass


class ExportModule(EngineModule):
    options_of = "export"

    def run(self, client: object) -> dict:
        current = read(client, EXPORTED_KINDS)[0]
        doc = document(current, self.params.get("estate"))
        dest = self.params["dest"]
        before = None
        if os.path.exists(dest):
            with open(dest, encoding="utf-8") as f:
                before = f.read()
        after = render(doc, before)
        changed = after != before
        if changed and not self.module.check_mode:
            os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
            tmp = f"{dest}.tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(after)
            os.replace(tmp, dest)
        result = {"changed": changed, "dest": dest, "document": doc}
        if self.module._diff:
            result["diff"] = {"before": before or "", "after": after, "before_header": dest, "after_header": dest}
        return result


def main() -> None:
    ExportModule()()


if __name__ == "__main__":
    main()
