"""Tags through ansible-playbook against a live engine: an estate with a tag below another one, attached to VMs,
converges, then reports changed=0; a changed estate is planned under --check (nothing changes), then applied; the
module ``vdc.infra.tag`` (check mode and diff included) and ``vdc.infra.tag_info`` read and change the same tags."""

from __future__ import annotations

import json

import pytest

from tests.integration.helpers import APPLY_PLAY, EngineApi, playbook_runner

MODULES = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - name: the same tag, declared by the module
      vdc.infra.tag: {name: tag-web, parent: tag-env, description: web servers, vms: [tag-vm1, tag-vm2]}
      register: same
    - name: on one VM only, predicted
      vdc.infra.tag: {name: tag-web, vms: [tag-vm2]}
      check_mode: true
      diff: true
      register: predicted
    - name: a new tag below it, on a VM, twice
      vdc.infra.tag: {name: tag-web-eu, parent: tag-web, vms: [tag-vm3]}
      register: new
    - vdc.infra.tag: {name: tag-web-eu, parent: tag-web, vms: [tag-vm3]}
      register: again
    - name: moved to the top, off its VM
      vdc.infra.tag: {name: tag-web-eu, parent: root, vms: []}
      register: moved
    - {name: tags, vdc.infra.tag_info: {name: "tag-*"}, register: tags}
    - name: removed
      vdc.infra.tag: {name: tag-web-eu, state: absent}
      register: removed
    - ansible.builtin.copy:
        content: "{{ {'same': same, 'predicted': predicted, 'new': new, 'again': again, 'moved': moved,
                      'tags': tags, 'removed': removed} | to_json }}"
        dest: "{{ out }}"
"""


def estate(web_vms: list[str], description: str) -> dict:
    return {
        "estate": "tags",
        "data_centers": [{"name": "tag-dc", "clusters": [{"name": "tag-c", "cpu_type": "Intel Nehalem Family"}]}],
        "vms": [{"name": f"tag-vm{i}", "cluster": "tag-c", "memory": "512MiB"} for i in (1, 2, 3)],
        "tags": [{"name": "tag-web", "parent": "tag-env", "description": description, "vms": web_vms},
                 {"name": "tag-env", "description": "environments"}],
    }


FIRST = estate(["tag-vm1", "tag-vm2"], "web servers")
SECOND = estate(["tag-vm2", "tag-vm3"], "the web tier")


@pytest.fixture(scope="module")
def runner(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("tags")
    (work / "apply.yml").write_text(APPLY_PLAY)
    (work / "modules.yml").write_text(MODULES)
    return work, playbook_runner(live_engine, work)


def _apply(runner, doc: dict, *args: str) -> tuple[dict, dict, str]:
    work, run = runner
    path = work / "estate.json"
    path.write_text(json.dumps(doc))
    return run("apply.yml", {"estate": str(path)}, *args)


def _tag(api: EngineApi, name: str) -> dict:
    (tag,) = [t for t in api.get("tags")["tag"] if t["name"] == name]
    return tag


def _tagged(api: EngineApi, name: str) -> list[str]:
    """The VMs carrying the tag itself (the search would also find those carrying a tag below it)."""
    ident = _tag(api, name)["id"]
    return sorted(vm["name"] for vm in api.get("vms", follow="tags").get("vm", [])
                  if any(t["id"] == ident for t in (vm.get("tags") or {}).get("tag", [])))


def test_tags_with_a_parent_attached_to_vms_converge(runner, live_engine):
    api = EngineApi(live_engine)
    out, stats, log = _apply(runner, FIRST)
    assert stats["failed"] == 0 and out["changed"], log
    assert out["counts"]["tag"]["created"] == 2, out["counts"]
    env, web = _tag(api, "tag-env"), _tag(api, "tag-web")
    assert web["parent"]["id"] == env["id"] and web["description"] == "web servers"
    assert env["parent"]["id"] == "00000000-0000-0000-0000-000000000000"
    assert _tagged(api, "tag-web") == ["tag-vm1", "tag-vm2"] and _tagged(api, "tag-env") == []
    found = api.get("vms", search="tag=tag-env").get("vm", [])
    assert sorted(vm["name"] for vm in found) == ["tag-vm1", "tag-vm2"]  # the search finds the tags below

    out, stats, log = _apply(runner, FIRST)
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]


def test_a_changed_estate_is_predicted_under_check_then_applied(runner, live_engine):
    api = EngineApi(live_engine)
    _apply(runner, FIRST)
    out, stats, log = _apply(runner, SECOND, "--check")
    assert stats["failed"] == 0 and out["changed"], log
    assert [(s["kind"], s["op"]) for s in out["plan"] if s["op"] != "noop"] == [("tag", "update")], out["plan"]
    assert _tagged(api, "tag-web") == ["tag-vm1", "tag-vm2"]  # check mode changed nothing
    assert _tag(api, "tag-web")["description"] == "web servers"

    out, stats, log = _apply(runner, SECOND)
    assert stats["failed"] == 0 and out["changed"], log
    assert _tagged(api, "tag-web") == ["tag-vm2", "tag-vm3"]
    assert _tag(api, "tag-web")["description"] == "the web tier"
    out, stats, log = _apply(runner, SECOND)
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]


def test_the_module_and_the_info_module(runner, live_engine):
    api = EngineApi(live_engine)
    work, run = runner
    _apply(runner, FIRST)
    out, stats, log = run("modules.yml", {})
    assert stats["failed"] == 0, log
    assert out["same"]["changed"] is False, out["same"]["plan"]
    predicted = out["predicted"]
    assert predicted["changed"] is True and [s["op"] for s in predicted["plan"]] == ["update"]
    assert predicted["diff"][0]["before"] == {"vms": ["tag-vm1", "tag-vm2"]}
    assert predicted["diff"][0]["after"] == {"vms": ["tag-vm2"]}
    assert out["new"]["changed"] is True and out["again"]["changed"] is False, out["again"]["plan"]
    assert out["moved"]["changed"] is True
    names = {t["name"]: t for t in out["tags"]["tags"]}
    assert sorted(names) == ["tag-env", "tag-web", "tag-web-eu"]
    assert names["tag-web-eu"]["parent"]["id"] == "00000000-0000-0000-0000-000000000000"
    assert out["removed"]["changed"] is True
    assert [t["name"] for t in api.get("tags")["tag"] if t["name"] == "tag-web-eu"] == []
    assert _tagged(api, "tag-web") == ["tag-vm1", "tag-vm2"]  # the prediction changed nothing
