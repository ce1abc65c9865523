"""Wire details as oVirt's server gives them: ``product_info`` with vdc's name and version (major, minor, build,
revision and the full version), JSON scalars (integers and booleans as strings, dates as epoch milliseconds,
decimals as numbers) and an empty collection in JSON as ``{}``, 406 for an ``Accept`` the API cannot
produce, and an ``Allow`` header on 405."""

from __future__ import annotations

from importlib.metadata import version

import httpx
import pytest
from lxml import etree


@pytest.fixture(scope="module")
def http(live_engine):
    token = httpx.post(live_engine.url.replace("/api", "/sso/oauth/token"), headers={"Accept": "application/json"},
                       data={"grant_type": "password", "scope": "ovirt-app-api", "username": live_engine.username,
                             "password": live_engine.password}).json()["access_token"]
    with httpx.Client(base_url=live_engine.url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def test_product_info(http: httpx.Client) -> None:
    info = etree.fromstring(http.get("").content).find("product_info")
    assert info.findtext("name") == "vdc" and info.findtext("vendor") == "vdc" and info.findtext("instance_id")
    v = info.find("version")
    assert [v.findtext(k) for k in ("major", "minor", "revision")] == ["4", "5", "0"]
    assert int(v.findtext("build")) >= 0
    assert v.findtext("full_version") == f"4.5.{v.findtext('build')}-vdc{version('vdc-engine')}"


@pytest.mark.parametrize("accept", ["text/html", "image/png, text/plain;q=0.5"])
def test_406_for_what_the_api_cannot_produce(http: httpx.Client, accept: str) -> None:
    r = http.get("/vms", headers={"Accept": accept})
    assert r.status_code == 406 and r.headers["content-type"].startswith("application/xml")
    assert etree.fromstring(r.content).findtext("reason") == "Not Acceptable"


@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/xml", "application/*;q=0.1", ""])
def test_what_it_can_produce_is_served(http: httpx.Client, accept: str) -> None:
    assert http.get("/vms", headers={"Accept": accept}).status_code == 200


def test_allow_on_405(http: httpx.Client) -> None:
    body = "<vm><name>allow</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
    vm = etree.fromstring(http.post("/vms", content=body, headers={"Content-Type": "application/xml"}).content)
    blank = "00000000-0000-0000-0000-000000000000"
    cases = {("PUT", "/vms"): "GET, POST", ("DELETE", "/events"): "GET, POST", ("POST", f"/templates/{blank}"):
             "GET, PUT, DELETE", ("GET", f"/vms/{vm.get('id')}/start"): "POST", ("PUT", "/cpuprofiles"): "GET",
             ("POST", ""): "GET", ("PUT", "/model.json"): "GET"}
    for (method, path), allow in cases.items():
        r = http.request(method, path, content=b"<x/>", headers={"Content-Type": "application/xml"})
        assert (r.status_code, r.headers.get("allow")) == (405, allow), (method, path, r.text)


def test_an_empty_collection_in_json_is_an_empty_object(http: httpx.Client) -> None:
    json = {"Accept": "application/json"}
    assert http.get("/vms", params={"search": "name=no-such-vm"}, headers=json).json() == {}
    assert http.get("/vms", params={"search": "name=no-such-vm"}).content == b"<vms/>"
    assert http.get("/tags", headers=json).json()["tag"][0]["name"] == "root"


def test_json_scalars_as_the_engine_writes_them(http: httpx.Client) -> None:
    """Integers and booleans are strings, enums and ids strings, dates epoch milliseconds and decimals numbers;
    input takes a JSON number or boolean as well as the string, read by the member's type."""
    json = {"Accept": "application/json", "Content-Type": "application/json"}
    made = []
    for name, memory, stateless in (("scalars-n", 1 << 30, False), ("scalars-s", str(1 << 30), "false")):
        r = http.post("/vms", json={"name": name, "memory": memory, "stateless": stateless, "cpu": {
            "topology": {"sockets": 2, "cores": "1"}}, "cluster": {"name": "Default"}, "template": {"name": "Blank"}},
            headers=json)
        assert r.status_code == 201, r.text
        made.append(r.json())
    for vm in made:
        assert (vm["memory"], vm["stateless"], vm["cpu"]["topology"]["sockets"]) == ("1073741824", "false", "2")
        assert vm["cpu"]["topology"]["cores"] == "1" and isinstance(vm["id"], str) and vm["status"] == "down"
        assert isinstance(vm["creation_time"], int)  # epoch milliseconds, a JSON number
    got = http.get(f"/vms/{made[0]['id']}", headers=json).json()
    assert got["memory"] == "1073741824" and got["delete_protected"] == "false"
    dc = http.get("/datacenters", headers=json).json()["data_center"][0]
    assert dc["version"] == {"major": "4", "minor": "7"} and dc["local"] == "false"
    assert {"major": "4", "minor": "2"} in dc["supported_versions"]["version"]  # nested lists keep their wrapper
    cluster = http.get("/clusters", headers=json).json()["cluster"][0]
    group = http.post(f"/clusters/{cluster['id']}/affinitygroups", json={"name": "scalars", "priority": 2.5},
                      headers=json).json()
    assert group["priority"] == 2.5 and group["enforcing"] in ("true", "false")  # a decimal stays a number
    net = http.post("/networks", json={"name": "scalars", "data_center": {"id": dc["id"]}, "vlan": {"id": 100}},
                    headers=json).json()
    assert net["vlan"] == {"id": "100"}  # the one numeric id attribute is an integer too


@pytest.mark.parametrize(("member", "value", "words"), [
    ("memory", "lots", "vm.memory: expected an integer, got 'lots'"),
    ("stateless", "maybe", "vm.stateless: expected true or false, got 'maybe'"),
    ("memory", True, "vm.memory: expected an integer"),
])
def test_json_scalar_that_does_not_fit_its_type_is_refused(http: httpx.Client, member: str, value: object,
                                                           words: str) -> None:
    json = {"Accept": "application/json", "Content-Type": "application/json"}
    r = http.post("/vms", json={"name": "bad-scalar", member: value, "cluster": {"name": "Default"},
                                "template": {"name": "Blank"}}, headers=json)
    assert r.status_code == 400 and words in r.json()["detail"], r.text
