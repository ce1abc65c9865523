#!/usr/bin/python
"""Module vdc.infra.apply: a whole estate, declared in one document, reconciled in one task."""

from __future__ import annotations

DOCUMENTATION = r"""
module: apply
short_description: Bring a whole estate (data centers, clusters, hosts, storage, networks, VMs) to a desired state
version_added: 0.1.0
description:
  - Takes a desired-state document (the shape of C(schemas/estate.schema.json)), reads what exists in a handful
    of bulk calls, plans every entity with the same planner the per-entity modules use, and carries the plan
    out in dependency order, independent entities side by side.
  - Entities it declares are marked as owned by the estate; the marker C(vdc-estate:<estate>) is kept at the
    end of the entity's C(comment), since the engine has no tags yet. An unmarked entity that is declared is
    adopted (marked); one marked by another estate is refused.
  - "A mistake in the document is reported with its file, line and path, for example
    C(estate.yml:12: vms[3].memory: '2GB x' is not a size)."
  - Besides data centers and VMs, the document declares C(scheduling_policies), C(affinity_groups) and
    C(affinity_labels) (clusters choose a policy with C(scheduling_policy)); these have no comment, so they are
    never marked and never pruned. C(scheduling_policy_units) lists Python files of external scheduling units
    (as M(vdc.infra.policy_unit) takes them; a relative C(src) is read from the estate's directory), added
    before the policies that name their units. C(ui_plugins) lists UI plugins of the administration portal
    (as M(vdc.infra.ui_plugin) takes them; a relative C(src) is read from the estate's directory), compared by
    content digest and user configuration; a new or changed plugin is uploaded as an archive.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  state:
    description:
      - The desired-state document itself, as a dict with C(data_centers), C(vms) and
        optionally C(estate).
      - Mutually exclusive with I(src).
    type: dict
  src:
    description:
      - A YAML file holding the document, or a directory whose C(.yml)/C(.yaml) files
        are merged (by file name order; lists are concatenated, a data center named in
        several files is one data center).
      - Read on the host the module runs on (usually the controller, with C(delegate_to)
        or C(localhost)).
    type: path
  estate:
    description:
      - Name of the estate, written in the ownership marker. Defaults to the document's
        C(estate) key, else C(default).
    type: str
  prune:
    description:
      - Delete entities marked as owned by this estate that the document no longer declares
        (VMs first, data centers last). Entities without the marker are never touched.
    type: bool
    default: false
  only:
    description:
      - Limit the run to some kinds (C(data_centers), C(clusters), C(hosts), C(storage_domains),
        C(networks), C(vms), C(disks), C(nics), C(scheduling_policies), C(affinity_groups),
        C(affinity_labels), or the singular forms) or names (an entity, and the disks
        and NICs of a VM of that name). Pruning is limited the same way.
    type: list
    default: []
    elements: str
  parallel:
    description:
      - How many independent steps run at the same time (each waits for its own end state).
    type: int
    default: 8
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
notes:
  - With C(--check) the module stops after the plan; with C(--diff) it shows the plan entity by entity and,
    for every change, the fields before and after.
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: The lab estate, from a directory of YAML files
  vdc.infra.apply:
    src: "{{ playbook_dir }}/estates/lab"
    prune: true

- name: Only the VMs of an inline document
  vdc.infra.apply:
    estate: web
    only: [vms]
    state:
      vms:
        - name: web1
          cluster: c1
          memory: 2GiB
          state: running
          disks: [{name: web1_os, size: 20GiB, storage_domain: data1, bootable: true}]
          nics: [{name: nic1, network: app}]
"""

RETURN = r"""
estate:
  description: Name of the estate (the owner in the ownership marker).
  returned: always
  type: str
counts:
  description: Per kind, how many entities were (or, in check mode, would be) created, updated, deleted or left
    unchanged.
  returned: always
  type: dict
  sample: {vm: {created: 2, updated: 0, deleted: 1, unchanged: 40}}
totals:
  description: The same counts summed over every kind.
  returned: always
  type: dict
plan:
  description: Every step that changes something, in plan order, each with C(op) (create, update, delete,
    action), C(kind), C(entity), C(reason) and C(changes). What is left unchanged is counted in C(counts), not
    listed (a no-op re-apply returns an empty plan).
  returned: always
  type: list
  elements: dict
diff:
  description: The plan as text, then before and after of every changing step.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.module import WAIT_SPEC, EngineModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.waiter import WaitOptions  # noqa: E402

try:
    from ansible_collections.vdc.infra.plugins.module_utils.estate.converge import ApplyOptions, apply
    from ansible_collections.vdc.infra.plugins.module_utils.estate.flatten import flatten
    from ansible_collections.vdc.infra.plugins.module_utils.estate.report import plan_text
    from ansible_collections.vdc.infra.plugins.module_utils.estate.source import Source, inline, load
    from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import read, validate
    from ansible_collections.vdc.infra.plugins.module_utils.reconciler import diff_of
except ImportError:  # pydantic missing: EngineModule reports it
    pass


class ApplyModule(EngineModule):
    extra_specs = (WAIT_SPEC,)
    options_of = "apply"
    module_kwargs = {"mutually_exclusive": [("state", "src")], "required_one_of": [("state", "src")]}

    def prepare(self) -> None:
        src = self.params.get("src")
        if src:
            self.source, document = read(src)
        else:
            self.source: Source = inline(self.params["state"])
            document = validate(self.source)
        self.estate = self.params.get("estate") or document.estate or "default"
        self.flat = flatten(document, self.estate)
        secrets = {d.values.get("password") for d in self.flat.desired if d.values.get("password")}
        self.module.no_log_values.update(secrets)

    def run(self, client: object) -> dict:
        options = ApplyOptions(
            estate=self.estate, prune=self.params["prune"], only=tuple(self.params["only"]),
            parallel=max(1, self.params["parallel"]), check_mode=self.module.check_mode,
            wait=WaitOptions(self.params["wait"], self.params["timeout"], self.params["poll_interval"]))
        try:
            the_plan, result = apply(client, self.flat, options)
        except VdcError as e:
            raise self._located(e) from None
        if self.module._diff:
            result["diff"] = [{"prepared": plan_text(the_plan)}, *diff_of(the_plan)]
        return result

    def _located(self, error: VdcError) -> VdcError:
        """An error about a declared entity, prefixed with where the document declares it."""
        loc = self.flat.origins.get(error.entity or "")
        if loc is None:
            return error
        if not self.source.positions and self.params.get("src"):
            self.source = load(self.params["src"])  # read fast at first; now the lines are needed
        where = self.source.locate(loc)
        if where:
            error.entity = f"{where[0]}:{where[1]}: {error.entity}"
        return error


def main() -> None:
    ApplyModule()()


if __name__ == "__main__":
    main()
