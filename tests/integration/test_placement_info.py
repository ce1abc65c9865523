"""vdc.infra.placement_info through ansible-playbook: the engine's explanation of a placement, as plain data."""

from __future__ import annotations

import pytest

from tests.integration.helpers import EngineApi, playbook_runner

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - {name: explain, vdc.infra.placement_info: {vm: placed1}, register: by_name}
    - {name: by id, vdc.infra.placement_info: {id: "{{ by_name.placement.vm }}"}, register: by_id}
    - {name: missing, vdc.infra.placement_info: {vm: nosuch}, register: missing, ignore_errors: true}
    - ansible.builtin.copy:
        content: "{{ {'by_name': by_name, 'by_id': by_id, 'missing': missing} | to_json }}"
        dest: "{{ out }}"
"""


@pytest.fixture(scope="module")
def runner(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("placement")
    (work / "explain.yml").write_text(PLAYBOOK)
    return playbook_runner(live_engine, work)


def test_placement_info_explains_without_starting(runner, live_engine):
    api = EngineApi(live_engine)
    vm = api.add("vms", {"name": "placed1", "cluster": {"name": "Default"}, "template": {"name": "Blank"},
                         "memory": 1 << 30})
    out, stats, log = runner("explain.yml", {})
    assert stats["failed"] == 0, log
    placement = out["by_name"]["placement"]
    assert out["by_name"]["changed"] is False and placement["vm"] == vm["id"]
    assert placement["migration"] is False and "host" not in placement  # the engine has no host that is up
    assert placement["fault"] == ("Cannot run VM. There are no hosts to use. Check that the cluster contains at "
                                  "least one host in Up state.")
    assert out["by_id"]["placement"] == placement
    assert out["missing"]["failed"] and "VM 'nosuch' does not exist" in out["missing"]["msg"]
    assert api.get(f"vms/{vm['id']}")["status"] == "down"
