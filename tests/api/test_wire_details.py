"""Wire details as oVirt's server gives them: ``product_info`` with vdc's name and version (major, minor, build,
revision and the full version), an empty collection in JSON as ``{}``, 406 for an ``Accept`` the API cannot
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
