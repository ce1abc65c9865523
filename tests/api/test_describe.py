"""The API describes itself (RSDL, XSD, model.json, OpenAPI), all from the wire model and the served tree, and
answers honestly: 404 for what it does not serve, 405 for a method a path does not take, 400 for an option it
would ignore."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from engine_api.rest import describe
from engine_api.rest.resources import Collection
from tests.unit.inprocess import BLANK_ID, Api, engine_api, fault

VM = "<vm><name>{}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(Path(tmp_path_factory.mktemp("describe"))) as api:
        api.created("/vms", VM.format("described"))
        yield api


def test_rsdl_lists_every_served_operation_and_nothing_else(api: Api) -> None:
    r = api.get("", {"rsdl": ""})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    doc = ET.fromstring(r.content)
    assert doc.tag == "rsdl" and doc.find("schema").attrib["href"] == "?schema"
    links = {(link.attrib["href"], link.attrib["rel"]): link for link in doc.iter("link")}
    start = links[("vms/{vm:id}/start", "start")]
    assert start.findtext("request/http_method") == "POST" and start.findtext("request/body/type") == "Action"
    assert links[("vms", "add")].findtext("request/body/type") == "Vm"
    search = links[("vms", "get")].findall("request/url/parameters_set/parameter")
    assert {"search", "max", "case_sensitive", "follow"} <= {p.findtext("name") for p in search}
    assert ("vms/{vm:id}", "delete") in links and ("bookmarks", "get") not in links
    assert ("roles", "get") in links and ("vms/{vm:id}/permissions", "add") in links
    hrefs = [h for h, _ in links]
    assert hrefs == sorted(hrefs)
    # the same document in JSON when JSON is asked for
    as_json = api.get("", {"rsdl": ""}, accept_json=True).json()
    assert len(as_json["links"]["link"]) == len(links)


def test_schema_is_the_xsd_and_validates_real_answers(api: Api) -> None:
    r = api.get("", {"schema": ""})
    assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
    assert "ovirt-engine-api-schema.xsd" in r.headers["content-disposition"]
    schema = etree.XMLSchema(etree.fromstring(r.content))
    for path in ("", "/vms", "/hosts", "/clusters", "/datacenters", "/templates", f"/templates/{BLANK_ID}",
                 "/events", "/operatingsystems"):
        doc = etree.fromstring(api.get(path).content)
        assert schema.validate(doc), (path, schema.error_log.last_error)
    bad = etree.fromstring(b"<vm><status>running</status></vm>")  # not a VmStatus: the schema can fail
    assert not schema.validate(bad)


def test_model_json_in_ovirts_format(api: Api) -> None:
    r = api.get("/model.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    model = r.json()
    assert model["root"] == "system" and set(model) == {"root", "types", "services", "documents"}
    types = {t["name"]: t for t in model["types"]}
    vm = types["vm"]
    assert vm["kind"] == "struct"
    assert {"name": "status", "type": "vm_status", "doc": ""} in vm["attributes"]
    assert {"name": "nics", "type": "nic[]", "doc": ""} in vm["links"]
    assert types["vm_status"]["kind"] == "enum" and {"name": "up", "doc": ""} in types["vm_status"]["values"]
    for t in model["types"]:  # every type a member names is described
        for m in t.get("attributes", []) + t.get("links", []):
            assert m["type"].removesuffix("[]") in types, (t["name"], m)
    services = {s["name"]: s for s in model["services"]}
    seen, todo = set(), ["system"]
    while todo:  # every service is reachable from the root through locators
        name = todo.pop()
        seen.add(name)
        todo.extend(loc["service"] for loc in services[name]["locators"] if loc["service"] not in seen)
    assert seen == set(services)
    assert {m["name"] for m in services["vm"]["methods"]} >= {"get", "update", "remove", "start", "stop"}
    assert "bookmarks" not in {loc["name"] for loc in services["system"]["locators"]}


def test_openapi_paths_are_the_served_ones(api: Api) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "/ovirt-engine/api"}]
    assert "post" in doc["paths"]["/vms/{vm_id}/start"]
    assert doc["paths"]["/vms"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/vm"}
    assert doc["components"]["schemas"]["VmStatus"]["enum"][0]
    top = [p for p in doc["paths"] if p.count("/") == 1]
    for path in top:  # every top-level path the document names answers
        assert api.get(path).status_code == 200, path
    assert "/bookmarks" not in doc["paths"] and "/roles" in doc["paths"]
    refs = {m.group(1) for m in __import__("re").finditer(r'"#/components/schemas/([^"]+)"', json.dumps(doc))}
    assert refs <= set(doc["components"]["schemas"])


def test_documents_follow_the_tree_they_are_given() -> None:
    """Nothing is written by hand: a collection added to the tree is in the description with its operations."""
    things = Collection("vmpools", "vm_pool", "vm", add=lambda ctx, p, d: d)
    nodes = describe.walk({"vmpools": things})
    assert [(n.path, n.service, n.entity_service) for n in nodes] == [("vmpools", "vm_pools", "vm_pool")]
    assert [op for op, _, _ in nodes[0].operations()] == ["list", "add", "get"]


def test_unserved_collections_are_404_not_empty(api: Api) -> None:
    vm = api.items("/vms", {"search": "name=described"})[0].attrib["id"]
    dc = api.items("/datacenters")[0].attrib["id"]
    for path in ("/bookmarks", "/vmpools", f"/vms/{vm}/snapshots/x/disks", f"/datacenters/{dc}/quotas"):
        assert api.get(path).status_code == 404, path
    # kept: empty because vdc configures none of them, and the real clients read them
    assert api.items(f"/vms/{vm}/numanodes") == []
    assert api.get("/roles/x").status_code == 404


def test_wrong_method_is_405(api: Api) -> None:
    vm = api.items("/vms", {"search": "name=described"})[0].attrib["id"]
    fault(api.delete("/vms"), 405)
    fault(api.put("/vms", "<vm/>"), 405)
    fault(api.get(f"/vms/{vm}/start"), 405)
    fault(api.post("/operatingsystems", "<operating_system/>"), 405)
    fault(api.delete("/clusterlevels/4.7"), 405)
    fault(api.post("", "<api/>"), 405)


def test_options_vdc_would_ignore_are_refused(api: Api) -> None:
    fault(api.post("/vms", VM.format("permitted"), {"clone_permissions": "true"}), 400, "clone_permissions=true")
    assert api.items("/vms", {"search": "name=permitted"}) == []
    assert api.post("/vms", VM.format("cloned"), {"clone": "true"}).status_code == 201  # honoured: full copies
    fault(api.post("/templates", "<template/>", {"seal": "true"}), 400, "seal=true")
    fault(api.get("/operatingsystems", {"search": "name=rhel*"}), 400, "search")
    fault(api.get("/vms", {"from": "3"}), 400, "from")
    # asking for the default, or for what vdc does, is fine
    assert api.post("/vms", VM.format("not_cloned"), {"clone": "false"}).status_code == 201
    assert api.get("/vms", {"search": "name=not_cloned", "all_content": "true"}).status_code == 200
    assert api.get("/events", {"from": "0", "max": "1"}).status_code == 200

