"""Reading and validating desired-state documents: every mistake names its file, line and path."""

from __future__ import annotations

import textwrap

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.errors import EstateError
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import FastLoadError, inline, load
from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import validate

ESTATE = """\
estate: lab
data_centers:
  - name: dc1
    clusters:
      - name: c1
        hosts:
          - {name: hv1, address: 127.0.1.1, ssh: {user: root, public_key: true}}
vms:
  - {name: web0, cluster: c1}
  - {name: web1, cluster: c1}
  - {name: web2, cluster: c1}
  - name: web3
    cluster: c1
    memory: 2GB x
"""


def problems(tmp_path, text: str, name: str = "estate.yml") -> list[str]:
    (tmp_path / name).write_text(textwrap.dedent(text))
    with pytest.raises(EstateError) as e:
        validate(load(str(tmp_path / name)))
    return [p.replace(str(tmp_path) + "/", "") for p in e.value.problems]


def test_a_bad_size_names_file_line_and_path(tmp_path):
    assert problems(tmp_path, ESTATE) == [
        "estate.yml:14: vms[3].memory: '2GB x' is not a size; write it like '2GiB', '512MiB', '2GB' or a number "
        "of bytes"]


def test_unknown_and_missing_options_and_choices(tmp_path):
    found = problems(tmp_path, """\
        data_centers:
          - name: dc1
            storage_domains:
              - {name: d1, type: dat, nfs: {address: nas, path: /x}}
            networks:
              - {name: app, clusters: [{required: true}]}
        vms:
          - {name: v, memroy: 1GiB}
        """)
    assert found == [
        "estate.yml:4: data_centers[0].storage_domains[0].type: Input should be 'data', 'iso' or 'export'",
        "estate.yml:6: data_centers[0].networks[0].clusters[0].name: is required",
        "estate.yml:8: vms[0].memroy: is not a known option (see schemas/estate.schema.json)",
    ]


def test_a_ui_plugin_is_read_beside_the_estate(tmp_path):
    plugin = tmp_path / "files" / "monitoring"
    (plugin / "files").mkdir(parents=True)
    (plugin / "monitoring.json").write_text('{"name": "monitoring", "url": "plugin/monitoring/start.html", '
                                            '"resourcePath": "files"} // a comment\n')
    (plugin / "files" / "start.html").write_text("<html></html>")
    found = problems(tmp_path, """\
        vms: []
        ui_plugins:
          - {src: files/monitoring/, config: {url: x}, order: 1}
          - {name: other, src: files/monitoring}
          - {name: gone, src: files/gone}
        """)
    assert found == ["estate.yml:4: ui_plugins[1]: name 'other' differs from the descriptor's name 'monitoring'",
                     "estate.yml:5: ui_plugins[2]: src files/gone: no such file or directory"], found
    found = problems(tmp_path, """\
        ui_plugins:
          - {src: files/monitoring/}
          - {name: monitoring, enabled: false}
        """)
    assert found == ["estate.yml:3: ui_plugins[1].name: UI plugin 'monitoring' is declared twice "
                     "(first at ui_plugins[0])"]


def test_a_scheduling_unit_file_is_read_beside_the_estate(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "max_vms.py").write_text("class max_vms():\n    pass\n")
    found = problems(tmp_path, """\
        scheduling_policy_units:
          - {name: max_vms.py, src: files/max_vms.py}
          - {name: gone, src: files/gone.py}
          - {name: both, src: files/max_vms.py, content: x}
        """)
    assert found == ["estate.yml:3: scheduling_policy_units[1]: src files/gone.py: No such file or directory",
                     "estate.yml:4: scheduling_policy_units[2]: give src or content, not both"]
    found = problems(tmp_path, """\
        scheduling_policy_units:
          - {name: max_vms.py, src: files/max_vms.py}
          - {name: max_vms, content: "class max_vms(): pass"}
        """)
    assert found == ["estate.yml:3: scheduling_policy_units[1].name: scheduler plugin 'max_vms' is declared twice "
                     "(first at scheduling_policy_units[0])"]


def test_a_hook_script_is_read_beside_the_estate(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "pincpu.py").write_text("#!/usr/bin/python\n")
    found = problems(tmp_path, """\
        vdsm_hooks:
          - {name: 50_pincpu, event: before_vm_start, src: files/pincpu.py}
          - {name: 50_gone, event: before_vm_start, src: files/gone.py}
        """)
    assert found == ["estate.yml:3: vdsm_hooks[1]: src files/gone.py: No such file or directory"]


def test_names_declared_twice(tmp_path):
    found = problems(tmp_path, """\
        vms:
          - {name: a, cluster: c1}
          - {name: a, cluster: c1, nics: [{name: nic1}, {name: nic1}]}
        """)
    assert found == ["estate.yml:3: vms[1].name: VM 'a' is declared twice (first at vms[0])",
                     "estate.yml:3: vms[1].nics[1].name: nic 'nic1' is declared twice in VM 'a'"]


def test_a_directory_is_merged_and_positions_follow_each_file(tmp_path):
    (tmp_path / "10-dc.yml").write_text("data_centers:\n  - name: dc1\n    clusters: [{name: c1}]\n")
    (tmp_path / "20-more.yml").write_text("data_centers:\n  - name: dc1\n    networks: [{name: app}]\n"
                                          "vms:\n  - {name: v1, cluster: c1}\n  - {name: v2, memory: lots}\n")
    source = load(str(tmp_path))
    assert [dc["name"] for dc in source.doc["data_centers"]] == ["dc1"]
    assert source.doc["data_centers"][0]["networks"] == [{"name": "app"}]
    with pytest.raises(EstateError) as e:
        validate(source)
    assert e.value.problems[0].startswith(f"{tmp_path}/20-more.yml:6: vms[1].memory: 'lots' is not a size")


def test_files_that_disagree_on_a_scalar(tmp_path):
    (tmp_path / "a.yml").write_text("estate: one\n")
    (tmp_path / "b.yml").write_text("estate: two\n")
    with pytest.raises(EstateError) as e:
        load(str(tmp_path))
    assert e.value.problems == [f"{tmp_path}/b.yml:1: estate: 'two' differs from 'one' at {tmp_path}/a.yml:1"]


def test_yaml_syntax_errors_have_a_line(tmp_path):
    assert problems(tmp_path, "vms:\n  - name: a\n   cluster: b\n")[0].startswith("estate.yml:3: not valid YAML")
    assert problems(tmp_path, "a: 1\na: 2\n")[0].startswith("estate.yml:2: not valid YAML: found duplicate key")


def test_inline_documents_have_paths_but_no_lines():
    with pytest.raises(EstateError) as e:
        validate(inline({"vms": [{"name": "a", "memory": "2GB x"}]}))
    assert e.value.problems[0].startswith("vms[0].memory: '2GB x' is not a size")


def test_the_design_examples_shape_validates():
    doc = validate(inline({
        "data_centers": [{"name": "dc1", "local": False, "clusters": [{
            "name": "c1", "cpu_type": "Intel Nehalem Family",
            "hosts": [{"name": "hv1", "address": "hv1.example.org", "ssh": {"user": "root", "public_key": True}}]}],
            "storage_domains": [{"name": "data1", "type": "data", "master": True,
                                 "nfs": {"address": "nas.example.org", "path": "/export/data"}}],
            "networks": [{"name": "app", "vlan": 120, "clusters": ["c1"]}]}],
        "vms": [{"name": "web1", "cluster": "c1", "template": "Blank", "memory": "2GiB", "cpu_cores": 2,
                 "state": "running", "disks": [{"name": "web1_os", "size": "20GiB", "storage_domain": "data1",
                                                "bootable": True}],
                 "nics": [{"name": "nic1", "network": "app"}], "custom_properties": {"pincpu": "0-1"}}]}))
    dc = doc.data_centers[0]
    assert dc.clusters[0].hosts[0].public_key is True
    assert dc.storage_domains[0].domain_function == "data"
    assert dc.networks[0].vlan_tag == 120 and dc.networks[0].clusters[0].name == "c1"
    assert doc.vms[0].memory == 2 * 1024**3
    assert [(p.name, p.value) for p in doc.vms[0].custom_properties] == [("pincpu", "0-1")]


def test_read_is_fast_for_a_valid_document_and_located_for_a_broken_one(tmp_path):
    from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import read

    (tmp_path / "ok.yml").write_text("vms:\n  - {name: a, cluster: c1, memory: 1GiB}\n")
    source, estate = read(str(tmp_path / "ok.yml"))
    assert estate.vms[0].memory == 1024**3 and source.positions == {}  # no line numbers were needed
    (tmp_path / "bad.yml").write_text("vms:\n  - {name: a, cluster: c1}\n  - {name: a, cluster: c1}\n")
    with pytest.raises(EstateError) as e:
        read(str(tmp_path / "bad.yml"))
    assert e.value.problems[0].startswith(f"{tmp_path}/bad.yml:3: vms[1].name: VM 'a' is declared twice")
    (tmp_path / "dup.yml").write_text("vms: []\nvms: []\n")
    with pytest.raises(EstateError, match="dup.yml:2: not valid YAML: found duplicate key"):
        read(str(tmp_path / "dup.yml"))


def test_a_json_document_reads_as_pyyaml_reads_it(tmp_path):
    import yaml
    from ansible_collections.vdc.infra.plugins.module_utils.estate.source import _load_fast

    text = ('{"estate": "lab", "vms": [{"name": "a", "cluster": "c1", "memory": "1GiB", "cpu_cores": 2, "ha": true,\n'
            ' "description": "caf\\u00e9 \\"x\\"\\n", "comment": null},\n'
            ' {"name": "b", "numbers": [1.5, 1e3, 2.5e-3, 1.5E+2, -7, 100000000000000000000]}]}')
    (tmp_path / "e.yml").write_text(text)
    got = _load_fast(str(tmp_path / "e.yml"))
    assert got == yaml.load(text, Loader=yaml.CSafeLoader)
    assert got["vms"][0]["description"] == 'caf\u00e9 "x"\n'
    assert got["vms"][1]["numbers"][:4] == [1.5, "1e3", 0.0025, 150.0]  # what PyYAML makes of each
    from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import read

    (tmp_path / "dup.yml").write_text('{"vms": [], "vms": []}')
    with pytest.raises(EstateError, match="dup.yml:1: not valid YAML: found duplicate key"):
        read(str(tmp_path / "dup.yml"))


def test_the_fast_read_of_a_directory_is_the_located_read_without_positions(tmp_path):
    (tmp_path / "10-dc.yml").write_text("estate: lab\ndata_centers:\n  - name: dc1\n    clusters: [{name: c1}]\n")
    (tmp_path / "20-vms.yml").write_text(
        "data_centers:\n  - name: dc1\n    networks: [{name: app, vlan: 7}]\n"
        "vms:\n  - {name: v1, cluster: c1, stateless: yes, custom_properties: {1: one, 2.5: yes}}\n")
    fast, located = load(str(tmp_path), located=False), load(str(tmp_path))
    assert fast.doc == located.doc and fast.positions == {} and located.positions
    assert fast.doc["vms"][0]["custom_properties"] == {"1": "one", "2.5": True}  # keys are text in both
    assert fast.doc["data_centers"] == [{"name": "dc1", "clusters": [{"name": "c1"}],
                                         "networks": [{"name": "app", "vlan": 7}]}]
    (tmp_path / "30-other.yml").write_text("estate: other\n")
    with pytest.raises(FastLoadError):
        load(str(tmp_path), located=False)
