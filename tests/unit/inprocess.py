"""The real REST API in-process: an engine on a temporary SQLite directory behind Starlette's TestClient.

Used by the command tests: every request goes through auth, the codec, dispatch and the commands exactly
as over the network, without a server.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from engine_api.engine import Engine
from engine_api.rest.app import create_app

API = "/ovirt-engine/api"
PASSWORD = "in-process-secret"
GiB = 1 << 30
BLANK_ID = "00000000-0000-0000-0000-000000000000"


class Api:
    """Thin calls on the API; bodies are XML strings or (sent as JSON) dicts."""

    def __init__(self, client: TestClient, engine: Engine):
        self.client = client
        self.engine = engine
        token = base64.b64encode(f"admin@internal:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/xml",
                        "Content-Type": "application/xml", "Version": "4"}

    def _send(self, method: str, path: str, body: str | dict | None = None, params: dict | None = None,
              accept_json: bool = False) -> httpx.Response:
        headers = dict(self.headers)
        content: bytes | None = None
        if isinstance(body, dict):
            headers["Content-Type"] = "application/json"
            content = json.dumps(body).encode()
        elif body is not None:
            content = body.encode()
        if accept_json:
            headers["Accept"] = "application/json"
        return self.client.request(method, API + path, content=content, params=params, headers=headers)

    def get(self, path: str, params: dict | None = None, accept_json: bool = False) -> httpx.Response:
        return self._send("GET", path, params=params, accept_json=accept_json)

    def post(self, path: str, body: str | dict = "<action/>", params: dict | None = None,
             accept_json: bool = False) -> httpx.Response:
        return self._send("POST", path, body, params, accept_json)

    def put(self, path: str, body: str | dict, params: dict | None = None) -> httpx.Response:
        return self._send("PUT", path, body, params)

    def delete(self, path: str, params: dict | None = None) -> httpx.Response:
        return self._send("DELETE", path, params=params)

    # -- checked shortcuts

    def created(self, path: str, body: str | dict, params: dict | None = None) -> ET.Element:
        r = self.post(path, body, params)
        assert r.status_code == 201, (r.status_code, r.text)
        return ET.fromstring(r.content)

    def one(self, path: str, params: dict | None = None) -> ET.Element:
        r = self.get(path, params)
        assert r.status_code == 200, (r.status_code, r.text)
        return ET.fromstring(r.content)

    def items(self, path: str, params: dict | None = None) -> list[ET.Element]:
        return list(self.one(path, params))

    def removed(self, path: str, params: dict | None = None) -> None:
        r = self.delete(path, params)
        assert r.status_code == 200, (r.status_code, r.text)

    def gone(self, path: str) -> bool:
        return self.get(path).status_code == 404


def fault(r: httpx.Response, status: int, *words: str) -> str:
    """Check ``r`` is a ``<fault>`` (or ``<action><fault>``) with ``status`` naming every one of ``words``."""
    assert r.status_code == status, (r.status_code, r.text)
    assert re.match(r"^application/xml", r.headers["content-type"]), r.headers["content-type"]
    doc = ET.fromstring(r.content)
    if doc.tag == "action":
        assert doc.findtext("status") == "failed", r.text
        doc = doc.find("fault")
    assert doc is not None and doc.tag == "fault", r.text
    assert doc.findtext("reason"), r.text
    detail = doc.findtext("detail") or ""
    for word in words:
        assert word.lower() in detail.lower(), (word, detail)
    return detail


def ref(el: ET.Element, member: str) -> str | None:
    found = el.find(member)
    return None if found is None else found.attrib.get("id")


def ids(elements: list[ET.Element]) -> list[str]:
    return [e.attrib["id"] for e in elements]


def number(el: ET.Element, path: str) -> int:
    text = el.findtext(path)
    assert text is not None, (path, ET.tostring(el))
    return int(text)


@contextmanager
def engine_api(data_dir: Path) -> Iterator[Api]:
    engine = Engine(data_dir)
    engine.initialise(PASSWORD)
    try:
        with TestClient(create_app(engine), base_url="http://testserver") as client:
            yield Api(client, engine)
    finally:
        engine.close()


def named(api: Api, collection: str, name: str) -> ET.Element:
    (found,) = api.items(f"/{collection}", {"search": f'name="{name}"'})
    return found


def nfs_domain(api: Api, name: str, kind: str = "data") -> str:
    sd = api.created("/storagedomains", f"<storage_domain><name>{name}</name><type>{kind}</type>"
                     f"<storage><type>nfs</type><address>nfs.example.com</address><path>/exports/{name}</path>"
                     "</storage></storage_domain>")
    return sd.attrib["id"]


def attach_domain(api: Api, dc_id: str, sd_id: str) -> None:
    api.created(f"/datacenters/{dc_id}/storagedomains", f'<storage_domain id="{sd_id}"/>')


def texts(el: ET.Element, path: str) -> list[str]:
    return [e.text or "" for e in el.findall(path)]


def as_dict(el: ET.Element) -> dict[str, Any]:
    """Children of ``el`` as tag -> text, for flat comparisons."""
    return {child.tag: child.text for child in el}
