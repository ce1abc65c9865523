"""External scheduling units as managed artifacts, through the real API in-process: a plugin file analysed in a
sandboxed worker, its unit classes registered in /schedulingpolicyunits (internal=false, type, properties), bad
files refused with a 400 saying why and nothing registered, an atomic replacement, removal refused while a policy
uses a unit, units usable by name in policies, and units kept across an engine restart."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine_api.engine import Engine
from tests.unit.inprocess import Api, engine_api

PLUGINS = Path(__file__).resolve().parents[2] / "playbooks" / "files" / "scheduler_plugins"
VDC = "/ovirt-engine/api/vdc/schedulerplugins"
_n = itertools.count(1)

TWO = '''
class Alpha:
    """alpha unit"""
    properties_validation = "alpha_max=[0-9]+;alpha_mode=(on|off)"

    def do_filter(self, hosts_ids, vm_id, args_map):
        """keeps every host"""
        print(hosts_ids)

    def do_score(self, hosts_ids, vm_id, args_map):
        print([(h, 1) for h in hosts_ids])


class Beta:
    def do_balance(self, hosts_ids, args_map):
        """never moves anything"""
        return
'''


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("engine")) as client:
        yield client


def vdc(api: Api, method: str, path: str = "", body: dict | None = None):
    return api.client.request(method, VDC + path, json=body, headers={"Authorization": api.headers["Authorization"]})


def add(api: Api, name: str, content: str, status: int = 201) -> dict:
    r = vdc(api, "POST", body={"name": name, "content": content})
    assert r.status_code == status, r.text
    return r.json()


def external_units(api: Api) -> dict[tuple[str, str], dict]:
    r = api.get("/schedulingpolicyunits", accept_json=True)
    return {(u["name"], u["type"]): u for u in r.json()["scheduling_policy_unit"] if u["internal"] == "false"
            or u["internal"] is False}


def test_plugin_units_are_registered_with_type_description_and_properties(api: Api) -> None:
    name = f"two{next(_n)}"
    doc = add(api, name, TWO)
    assert {(u["name"], u["type"]) for u in doc["units"]} == {("Alpha", "filter"), ("Alpha", "weight"),
                                                               ("Beta", "load_balancing")}
    units = external_units(api)
    alpha = units[("Alpha", "filter")]
    assert alpha["description"] == "keeps every host"
    props = {p["name"]: p["value"] for p in alpha["properties"]["property"]}
    assert props == {"alpha_max": "[0-9]+", "alpha_mode": "(on|off)"}
    assert units[("Beta", "load_balancing")]["description"] == "never moves anything"
    one = api.get(f"/schedulingpolicyunits/{alpha['id']}", accept_json=True).json()
    assert one["name"] == "Alpha" and one["internal"] in (False, "false")
    listed = vdc(api, "GET").json()["scheduler_plugin"]
    assert [p["name"] for p in listed if p["name"] == name] == [name]
    vdc(api, "DELETE", f"/{doc['id']}")
    assert ("Alpha", "filter") not in external_units(api)


@pytest.mark.parametrize(("content", "words"), [
    ("class A:\n    def do_filter(self, h, v, a)\n        print(h)\n", ["syntax error at line 2"]),
    ("x = 1\nclass A:\n    pass\n", ["no unit class"]),
    ("class A:\n    properties_validation = 'max count=[0-9]'\n    def do_filter(self, h, v, a):\n        pass\n",
     ["A.properties_validation is malformed", "max count"]),
    ("class A:\n    properties_validation = 'n=([0-9]'\n    def do_filter(self, h, v, a):\n        pass\n",
     ["regex of n does not compile"]),
    ("class A:\n    properties_validation = {'n': '[0-9]'}\n    def do_filter(self, h, v, a):\n        pass\n",
     ["must be a string"]),
    ("from ovirtsdk.api import API\nclass A:\n    def do_filter(self, h, v, a):\n        pass\n",
     ["ModuleNotFoundError", "ovirtsdk"]),
])
def test_bad_files_are_refused_saying_why_and_register_nothing(api: Api, content: str, words: list[str]) -> None:
    before = external_units(api)
    plugins = vdc(api, "GET").json()["scheduler_plugin"]
    r = vdc(api, "POST", body={"name": f"bad{next(_n)}", "content": content})
    assert r.status_code == 400, r.text
    for word in words:
        assert word in r.json()["detail"], r.json()
    assert external_units(api) == before
    assert vdc(api, "GET").json()["scheduler_plugin"] == plugins


def test_a_file_that_hangs_while_loading_is_refused_within_the_timeout(api: Api) -> None:
    from engine_api.commands import engine_config

    with api.engine.db.write() as conn:
        engine_config.set_value(conn, "ExternalSchedulerResponseTimeout", "1500")
    try:
        r = vdc(api, "POST", body={"name": f"hang{next(_n)}", "content": "while True:\n    pass\n"})
        assert r.status_code == 400 and "did not finish within 1.5 s" in r.json()["detail"], r.text
        assert "hang" not in str(vdc(api, "GET").json())
    finally:
        with api.engine.db.write() as conn:
            engine_config.set_value(conn, "ExternalSchedulerResponseTimeout", "120000")


def _policy_with(api: Api, unit_name: str, kind: str = "filters") -> str:
    item = {"filters": f"<filters><filter><scheduling_policy_unit><name>{unit_name}</name></scheduling_policy_unit>"
                       "</filter></filters>",
            "weight": f"<weight><weight><scheduling_policy_unit><name>{unit_name}</name></scheduling_policy_unit>"
                      "<factor>3</factor></weight></weight>"}[kind]
    return api.created("/schedulingpolicies", f"<scheduling_policy><name>ext{next(_n)}</name>{item}"
                                              "</scheduling_policy>").attrib["id"]


def test_units_by_name_in_policies_and_removal_refused_while_used(api: Api) -> None:
    doc = add(api, f"seedmax{next(_n)}", (PLUGINS / "max_vms.py").read_text())
    (unit,) = doc["units"]
    assert unit["name"] == "max_vms" and unit["type"] == "filter"
    policy = _policy_with(api, "max_vms")
    (f,) = api.items(f"/schedulingpolicies/{policy}/filters")
    assert f.find("scheduling_policy_unit").attrib["id"] == unit["id"]
    r = api.put(f"/schedulingpolicies/{policy}", "<scheduling_policy><properties><property>"
                "<name>maximum_vm_count</name><value>3</value></property></properties></scheduling_policy>")
    assert r.status_code == 200, r.text
    r = api.put(f"/schedulingpolicies/{policy}", "<scheduling_policy><properties><property>"
                "<name>maximum_vm_count</name><value>three</value></property></properties></scheduling_policy>")
    assert r.status_code == 400 and "maximum_vm_count" in r.text
    r = api.delete(f"/schedulingpolicyunits/{unit['id']}")
    assert r.status_code == 409 and policy not in r.text and "used by scheduling policies" in r.text, r.text
    r = vdc(api, "DELETE", f"/{doc['id']}")
    assert r.status_code == 409, r.text
    # the update would drop the used unit: refused, nothing changes
    r = vdc(api, "PUT", f"/{doc['id']}", {"content": TWO.replace("Alpha", "Gamma").replace("Beta", "Delta")})
    assert r.status_code == 409 and "max_vms" in r.text, r.text
    assert ("Gamma", "filter") not in external_units(api)
    api.removed(f"/schedulingpolicies/{policy}")
    api.removed(f"/schedulingpolicyunits/{unit['id']}")
    assert ("max_vms", "filter") not in external_units(api)
    assert vdc(api, "GET", f"/{doc['id']}").json()["units"] == []
    vdc(api, "DELETE", f"/{doc['id']}")


def test_update_replaces_the_units_atomically_keeping_ids(api: Api) -> None:
    doc = add(api, f"upd{next(_n)}", TWO)
    ids = {(u["name"], u["type"]): u["id"] for u in doc["units"]}
    policy = _policy_with(api, "Alpha", "weight")
    new = TWO.replace("class Beta", "class Epsilon").replace('"""alpha unit"""', '"""alpha, second edition"""')
    r = vdc(api, "PUT", f"/{doc['id']}", {"content": new})
    assert r.status_code == 200, r.text
    after = {(u["name"], u["type"]): u["id"] for u in r.json()["units"]}
    assert set(after) == {("Alpha", "filter"), ("Alpha", "weight"), ("Epsilon", "load_balancing")}
    assert after[("Alpha", "weight")] == ids[("Alpha", "weight")]
    assert ("Beta", "load_balancing") not in external_units(api)
    # a bad replacement changes nothing
    r = vdc(api, "PUT", f"/{doc['id']}", {"content": "class ("})
    assert r.status_code == 400 and "syntax error at line 1" in r.text
    assert vdc(api, "GET", f"/{doc['id']}").json()["sha256"] == r_sha(new)
    api.removed(f"/schedulingpolicies/{policy}")
    vdc(api, "DELETE", f"/{doc['id']}")


def r_sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def test_name_clashes_and_builtin_units_are_refused(api: Api) -> None:
    r = vdc(api, "POST", body={"name": f"clash{next(_n)}", "content": "class Memory:\n    def do_filter(self, h, v, a):"
                                                                     "\n        print(h)\n"})
    assert r.status_code == 409 and "built-in" in r.text
    r = api.delete("/schedulingpolicyunits/c9ddbb34-0e1d-4061-a8d7-b0893fa80932")  # Memory
    assert r.status_code == 409
    first = add(api, f"first{next(_n)}", TWO)
    r = vdc(api, "POST", body={"name": f"second{next(_n)}", "content": TWO})
    assert r.status_code == 409 and "comes from plugin" in r.text
    vdc(api, "DELETE", f"/{first['id']}")


def test_only_administrators_manage_plugins(api: Api) -> None:
    r = api.client.get(VDC)
    assert r.status_code == 401


def test_units_survive_a_restart(tmp_path: Path) -> None:
    with engine_api(tmp_path) as api:
        doc = add(api, "survivor", (PLUGINS / "even_vm_distribution.py").read_text())
    engine = Engine(tmp_path)
    try:
        engine.initialise(None)
        from engine_api.commands import external_stored as ext

        with engine.db.read() as conn:
            units = ext.all_units(conn)
            assert [(u.name, u.type, u.module) for u in units] == [("even_vm_distribution", "weight", "survivor")]
            assert units[0].id == doc["units"][0]["id"]
            assert ext.source(conn, units[0].plugin)[1] == (PLUGINS / "even_vm_distribution.py").read_text()
    finally:
        engine.close()
