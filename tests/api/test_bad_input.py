"""Raw HTTP against the engine: bad input gets a 4xx ``<fault>`` naming the problem and changes nothing;
plus the protocol details clients rely on (auth, versions, correlation ids, JSON, sessions, SSO errors).
"""

from __future__ import annotations

import json
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select, update

from engine_api.auth.tokens import digest
from engine_api.rest.codec import MAX_BODY, MAX_STRING
from engine_api.store.schema import tokens

API = "/ovirt-engine/api"
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
JSON_IN = {"Content-Type": "application/json", "Accept": "application/xml"}
JSON_OUT = {"Accept": "application/json"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CPU_TYPE = "Intel Skylake Client Family"


@pytest.fixture(scope="module")
def root_url(live_engine) -> str:
    return live_engine.url[: -len(API)]


@pytest.fixture(scope="module")
def api(live_engine, root_url) -> Iterator[httpx.Client]:
    """An admin client using Basic auth, as curl users do."""
    with httpx.Client(base_url=root_url, auth=(live_engine.username, live_engine.password), timeout=30) as client:
        yield client


@pytest.fixture
def fresh(live_engine, root_url) -> Iterator[httpx.Client]:
    """A client of one test's own, for requests that may hit an engine failure (which drops the connection)."""
    with httpx.Client(base_url=root_url, auth=(live_engine.username, live_engine.password), timeout=30) as client:
        yield client


def remove_named(api: httpx.Client, collection: str, name: str) -> None:
    r = api.get(f"{API}/{collection}", params={"search": f"name={name}"}, headers=XML)
    for item in ET.fromstring(r.content) if r.status_code == 200 else []:
        api.delete(item.attrib["href"], headers=XML)


@pytest.fixture(scope="module")
def anon(root_url) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=root_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def dc_id(api) -> str:
    """A data center of this module's own, for updates that must not happen."""
    r = api.post(f"{API}/datacenters", content=b"<data_center><name>bad_input_dc</name>"
                 b"<description>untouched</description></data_center>", headers=XML)
    assert r.status_code == 201, r.text
    return ET.fromstring(r.content).attrib["id"]


def count(api: httpx.Client, collection: str) -> int:
    r = api.get(f"{API}/{collection}", headers=XML)
    assert r.status_code == 200, r.text
    return len(ET.fromstring(r.content))


def fault(r: httpx.Response, status: int | tuple[int, ...], *words: str) -> ET.Element:
    """Check ``r`` is an XML fault with ``status`` whose detail names every one of ``words``."""
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, (r.status_code, r.text)
    assert re.match(r"^(application|text)/xml", r.headers["content-type"]), r.headers["content-type"]
    doc = ET.fromstring(r.content)
    if doc.tag == "action":
        doc = doc.find("fault")
    assert doc is not None and doc.tag == "fault", r.text
    assert doc.findtext("reason"), r.text
    detail = doc.findtext("detail") or ""
    for word in words:
        assert word.lower() in detail.lower(), (word, detail)
    return doc


# ---------------------------------------------------------------- bodies that do not parse or fit


def test_malformed_xml(api) -> None:
    before = count(api, "datacenters")
    r = api.post(f"{API}/datacenters", content=b"<data_center><name>half", headers=XML)
    fault(r, 400, "malformed XML")
    r = api.post(f"{API}/datacenters", content=b"<data_center><name>x</name></data_centre>", headers=XML)
    fault(r, 400, "malformed XML")
    r = api.post(f"{API}/datacenters", content=b"not xml at all", headers=XML)
    fault(r, 400, "XML")
    assert count(api, "datacenters") == before


def test_wrong_root_element(api) -> None:
    before = count(api, "datacenters")
    r = api.post(f"{API}/datacenters", content=b"<cluster><name>wrong_root</name></cluster>", headers=XML)
    fault(r, 400, "data_center", "cluster")
    assert count(api, "datacenters") == before


def test_malformed_json(api) -> None:
    before = count(api, "datacenters")
    r = api.post(f"{API}/datacenters", content=b'{"name": "half', headers=JSON_IN)
    fault(r, 400, "malformed JSON")
    r = api.post(f"{API}/datacenters", content=b'["a", "list"]', headers=JSON_IN)
    fault(r, 400, "expected an object")
    assert count(api, "datacenters") == before


def test_unknown_element(api) -> None:
    before = count(api, "vms")
    r = api.post(f"{API}/vms", content=b"<vm><name>bogus_vm</name><bogus/></vm>", headers=XML)
    fault(r, 400, "bogus")
    r = api.post(f"{API}/vms", content=b'{"name": "bogus_vm", "bogus": 1}', headers=JSON_IN)
    fault(r, 400, "bogus")
    r = api.post(f"{API}/datacenters", content=b"<data_center><name>x</name><version><mayor>4</mayor></version>"
                 b"</data_center>", headers=XML)
    fault(r, 400, "version", "mayor")
    assert count(api, "vms") == before


def test_wrong_type(api) -> None:
    before = count(api, "vms")
    r = api.post(f"{API}/vms", content=b"<vm><name>typed_vm</name><memory>lots</memory></vm>", headers=XML)
    fault(r, 400, "memory", "lots")
    r = api.post(f"{API}/vms", content=b'{"name": "typed_vm", "memory": "lots"}', headers=JSON_IN)
    fault(r, 400, "memory", "lots")
    r = api.post(f"{API}/vms", content=b"<vm><name>typed_vm</name><stateless>maybe</stateless></vm>", headers=XML)
    fault(r, 400, "stateless", "maybe")
    r = api.post(f"{API}/vms", content=b"<vm><name>typed_vm</name><memory><gb>1</gb></memory></vm>", headers=XML)
    fault(r, 400, "memory")
    assert count(api, "vms") == before


def test_integer_out_of_range(fresh) -> None:
    """Sizes are 64-bit on the wire; a larger number is refused, not stored (it would break searches)."""
    before = count(fresh, "vms")
    huge = str(1 << 64).encode()
    try:
        r = fresh.post(f"{API}/vms", content=b"<vm><name>huge_vm</name><cluster><name>Default</name></cluster>"
                       b"<template><name>Blank</name></template><memory>" + huge + b"</memory></vm>", headers=XML)
        fault(r, 400, "memory")
        assert count(fresh, "vms") == before
    finally:
        remove_named(fresh, "vms", "huge_vm")


HUGE = str(1 << 64)


@pytest.mark.parametrize(("collection", "name", "body", "member"), [
    ("clusters", "wide_cluster", "<cluster><name>wide_cluster</name><data_center><name>Default</name></data_center>"
     f"<memory_policy><over_commit><percent>{HUGE}</percent></over_commit></memory_policy></cluster>", "percent"),
    ("storagedomains", "wide_sd", "<storage_domain><name>wide_sd</name><type>data</type><storage><type>nfs</type>"
     "<address>nfs.example.com</address><path>/exports/wide</path></storage>"
     f"<warning_low_space_indicator>{HUGE}</warning_low_space_indicator></storage_domain>",
     "warning_low_space_indicator"),
    ("hosts", "wide_host", f"<host><name>wide_host</name><address>127.77.0.1</address><port>{HUGE}</port></host>",
     "port"),
], ids=["cluster", "storage_domain", "host"])
def test_integers_wider_than_64_bits_are_refused(fresh, collection: str, name: str, body: str, member: str) -> None:
    """No integer on the wire is wider than 64 bits (most are 32); a wider one is a 400, never stored."""
    before = count(fresh, collection)
    try:
        fault(fresh.post(f"{API}/{collection}", content=body.encode(), headers=XML), 400, member)
        assert count(fresh, collection) == before
    finally:
        remove_named(fresh, collection, name)


def test_unknown_enum_value(api) -> None:
    vms, disks = count(api, "vms"), count(api, "disks")
    r = api.post(f"{API}/vms", content=b"<vm><name>enum_vm</name><type>dekstop</type></vm>", headers=XML)
    fault(r, 400, "type", "dekstop")
    r = api.post(f"{API}/disks", content=b"<disk><name>enum_disk</name><format>qcow9</format>"
                 b"<provisioned_size>1073741824</provisioned_size></disk>", headers=XML)
    fault(r, 400, "format", "qcow9")
    assert (count(api, "vms"), count(api, "disks")) == (vms, disks)


XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE data_center [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
       b"<data_center><name>xxe_dc</name><description>&xxe;</description></data_center>")
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE data_center [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
          b"<data_center><name>laughs_dc</name><description>&c;</description></data_center>")
PARAMETER = (b'<?xml version="1.0"?>\n<!DOCTYPE data_center [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>\n'
             b"<data_center><name>param_dc</name></data_center>")


@pytest.mark.parametrize("body", [
    pytest.param(XXE, id="external"),
    pytest.param(LAUGHS, id="internal"),
    pytest.param(PARAMETER, id="parameter"),
    pytest.param(XXE.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
                 id="external-utf16"),
    pytest.param(XXE.replace(b"DOCTYPE", b"doctype"), id="lowercase-doctype"),
])
def test_doctype_and_entities_are_never_expanded(api, dc_id, body: bytes) -> None:
    before = count(api, "datacenters")
    r = api.post(f"{API}/datacenters", content=body, headers=XML)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert b"root:" not in r.content and b"hahaha" not in r.content
    fault(r, 400)
    # The same body as an update of an existing data center leaves it alone.
    put = body.replace(b"<name>xxe_dc</name>", b"").replace(b"<name>laughs_dc</name>", b"")
    r = api.put(f"{API}/datacenters/{dc_id}", content=put, headers=XML)
    assert 400 <= r.status_code < 500 and b"root:" not in r.content, r.text
    assert count(api, "datacenters") == before
    got = api.get(f"{API}/datacenters/{dc_id}", headers=XML)
    assert ET.fromstring(got.content).findtext("description") == "untouched"
    listing = api.get(f"{API}/datacenters", headers=XML).content
    assert b"root:" not in listing and b"xxe_dc" not in listing and b"laughs_dc" not in listing


def test_doctype_declaration_is_named(api) -> None:
    fault(api.post(f"{API}/datacenters", content=XXE, headers=XML), 400, "entity")


def test_body_over_the_size_limit(api) -> None:
    before = count(api, "datacenters")
    filler = b"x" * (MAX_BODY + 1)
    r = api.post(f"{API}/datacenters", content=b"<data_center><name>big</name><description>" + filler
                 + b"</description></data_center>", headers=XML)
    fault(r, (400, 413), str(MAX_BODY))
    r = api.post(f"{API}/datacenters", content=b'{"name": "big", "description": "' + filler + b'"}', headers=JSON_IN)
    fault(r, (400, 413), str(MAX_BODY))

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds for chunked bodies too
        yield b"<data_center><name>big</name><description>"
        for _ in range(MAX_BODY // 65536 + 2):
            yield b"y" * 65536
        yield b"</description></data_center>"

    r = api.post(f"{API}/datacenters", content=chunks(), headers=XML)
    fault(r, (400, 413), str(MAX_BODY))
    assert count(api, "datacenters") == before


def test_longest_string_is_read_and_one_more_is_refused(api, dc_id) -> None:
    """Strings are bounded (MAX_STRING characters), below the body limit: the longest is accepted, one more
    character is a 400 naming the member, and the stored text is untouched by the refused one."""
    head, tail = b"<data_center><description>", b"</description></data_center>"
    r = api.put(f"{API}/datacenters/{dc_id}", content=head + b"z" * MAX_STRING + tail, headers=XML)
    assert r.status_code == 200, r.text[:300]
    r = api.put(f"{API}/datacenters/{dc_id}", content=head + b"y" * (MAX_STRING + 1) + tail, headers=XML)
    fault(r, 400, "description", str(MAX_STRING))
    got = ET.fromstring(api.get(f"{API}/datacenters/{dc_id}", headers=XML).content).findtext("description")
    assert got == "z" * MAX_STRING
    r = api.put(f"{API}/datacenters/{dc_id}", content=b"<data_center><description>untouched</description>"
                b"</data_center>", headers=XML)
    assert r.status_code == 200


def test_reference_to_a_missing_id(api) -> None:
    before = count(api, "clusters")
    r = api.post(f"{API}/clusters", content=b'<cluster><name>orphan</name><data_center id="nope"/>'
                 b"<cpu><type>" + CPU_TYPE.encode() + b"</type></cpu></cluster>", headers=XML)
    fault(r, 400, "data_center", "nope")
    r = api.post(f"{API}/clusters", content=b"<cluster><name>orphan</name><data_center><name>no_such_dc</name>"
                 b"</data_center></cluster>", headers=XML)
    fault(r, 400, "no_such_dc")
    r = api.post(f"{API}/networks", content=b'<network><name>orphan</name><data_center id="nope"/></network>',
                 headers=XML)
    fault(r, 400, "nope")
    assert count(api, "clusters") == before
    assert api.get(f"{API}/clusters", params={"search": "name=orphan"}, headers=XML).content == b"<clusters/>"


def test_missing_entity_and_collection(api) -> None:
    fault(api.get(f"{API}/datacenters/nope", headers=XML), 404, "nope")
    fault(api.delete(f"{API}/datacenters/nope", headers=XML), 404, "nope")
    fault(api.put(f"{API}/datacenters/nope", content=b"<data_center/>", headers=XML), 404, "nope")
    fault(api.get(f"{API}/nosuchthings", headers=XML), 404, "nosuchthings")


def test_invalid_search(api) -> None:
    cases = {
        "bogus=1": "bogus",
        'name="unclosed': "quote",
        "name=x and": "missing",
        "memory=lots": "memory",
        "name=x sortby": "sortby",
        "name=x page 0": "page",
    }
    for query, word in cases.items():
        r = api.get(f"{API}/vms", params={"search": query}, headers=XML)
        doc = fault(r, 400, word)
        assert query in (doc.findtext("detail") or ""), query
    fault(api.get(f"{API}/datacenters", params={"search": "nosuchfield=x"}, headers=XML), 400, "nosuchfield")
    fault(api.get(f"{API}/datacenters", params={"max": "many"}, headers=XML), 400, "max")


def test_search_sortby_paging_and_max_errors(fresh) -> None:
    """Every bad search is a 400 fault, never a 500: sort fields are checked like condition fields."""
    fault(fresh.get(f"{API}/datacenters", params={"search": "name=x sortby bogus"}, headers=XML), 400, "bogus")
    huge = "99999999999999999999999"
    for params in ({"search": f"name=x page {huge}"}, {"max": huge}):
        r = fresh.get(f"{API}/datacenters", params=params, headers=XML)
        assert r.status_code in (200, 400), (params, r.status_code, r.text[:200])
        if r.status_code == 400:
            fault(r, 400)


def test_client_supplied_ids_are_checked(fresh) -> None:
    """An id in an add is either refused (400) or replaced; it never becomes an unreachable href."""
    before = count(fresh, "datacenters")
    try:
        for i, bad in enumerate(("x/y", "a" * 100, "has space", "")):
            r = fresh.post(f"{API}/datacenters", content=f'<data_center id="{bad}"><name>client_id_{i}</name>'
                           "</data_center>".encode(), headers=XML)
            if r.status_code == 201:
                created = ET.fromstring(r.content).attrib["id"]
                assert UUID_RE.match(created), (bad, created)
                assert fresh.get(f"{API}/datacenters/{created}", headers=XML).status_code == 200
            else:
                fault(r, 400, "id")
    finally:
        remove_named(fresh, "datacenters", "client_id_*")
    assert count(fresh, "datacenters") == before


def test_unexpected_errors_are_xml_faults(fresh, monkeypatch) -> None:
    """An engine failure is a 500 ``<fault>`` (the SDK needs XML) and the server keeps serving."""
    from engine_api.rest.root import ROOT

    def boom(*args, **kwargs):
        raise RuntimeError("simulated engine failure")

    monkeypatch.setattr(ROOT["jobs"], "list", boom)
    r = fresh.get(f"{API}/jobs", headers={"Correlation-Id": "boom-1", **XML})
    monkeypatch.undo()
    fault(r, 500)
    assert r.headers.get("Correlation-Id") == "boom-1"
    assert fresh.get(f"{API}/jobs", headers=XML).status_code == 200


# ---------------------------------------------------------------- authentication


def test_no_credentials(anon) -> None:
    for path in (API, f"{API}/", f"{API}/datacenters", f"{API}/v4/datacenters"):
        r = anon.get(path)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"] == 'Basic realm="RESTAPI"'
        if r.content:
            fault(r, 401)


def test_missing_and_wrong_password(anon, live_engine) -> None:
    user = live_engine.username
    for auth in ((user, ""), (user, "wrong-password"), ("nobody@internal", live_engine.password)):
        r = anon.get(API, auth=auth)
        assert r.status_code == 401, auth
        assert "Basic" in r.headers["WWW-Authenticate"]
        if r.content:
            fault(r, 401)
    r = anon.get(API, headers={"Authorization": "Basic !!!not-base64"})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    r = anon.get(API, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers


def _sso_token(anon: httpx.Client, live_engine) -> str:
    r = anon.post("/ovirt-engine/sso/oauth/token", headers={"Accept": "application/json"},
                  data={"grant_type": "password", "scope": "ovirt-app-api", "username": live_engine.username,
                        "password": live_engine.password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and int(body["exp"]) > time.time() * 1000
    return body["access_token"]


def test_expired_token(anon, live_engine) -> None:
    token = _sso_token(anon, live_engine)
    bearer = {"Authorization": f"Bearer {token}"}
    assert anon.get(API, headers=bearer).status_code == 200
    db = live_engine.engine.db
    with db.write() as conn:
        conn.execute(update(tokens).where(tokens.c.token_hash == digest(token)).values(expires=time.time() - 1))
    # Drop the authenticator's in-memory copy (as a restart would) so the stored expiry is what counts.
    live_engine.engine.auth._cache.pop(digest(token), None)
    r = anon.get(API, headers=bearer)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == 'Basic realm="RESTAPI"'
    if r.content:
        fault(r, 401, "expired")
    with db.read() as conn:
        assert conn.execute(select(tokens).where(tokens.c.token_hash == digest(token))).first() is None  # purged
    assert anon.get(API, headers=bearer).status_code == 401


def test_token_expires_by_itself(anon, live_engine) -> None:
    auth = live_engine.engine.auth
    admin = auth.check_password(live_engine.username, live_engine.password)
    token, _ = auth.issue(admin, "sso", 0.5)
    bearer = {"Authorization": f"Bearer {token}"}
    assert anon.get(API, headers=bearer).status_code == 200
    time.sleep(0.6)
    r = anon.get(API, headers=bearer)
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers


def test_sso_logout_revokes(anon, live_engine) -> None:
    token = _sso_token(anon, live_engine)
    bearer = {"Authorization": f"Bearer {token}"}
    assert anon.get(API, headers=bearer).status_code == 200
    r = anon.post("/ovirt-engine/services/sso-logout", data={"scope": "ovirt-app-api", "token": token})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert "error" not in r.json()
    assert anon.get(API, headers=bearer).status_code == 401


def test_sso_errors_are_json(anon, live_engine) -> None:
    r = anon.post("/ovirt-engine/sso/oauth/token", headers={"Accept": "application/json"},
                  data={"grant_type": "password", "scope": "ovirt-app-api", "username": live_engine.username,
                        "password": "wrong-password"})
    assert r.status_code == 400
    assert re.match(r"^\s*(application|text)/json", r.headers["content-type"])
    body = r.json()
    assert body["error_code"] == "access_denied"
    assert live_engine.username in body["error"] and "access_token" not in body
    r = anon.post("/ovirt-engine/sso/oauth/token", data={"grant_type": "password", "scope": "ovirt-app-api"})
    assert r.status_code == 400 and "error" in r.json() and "access_token" not in r.json()
    r = anon.post("/ovirt-engine/sso/oauth/token", data={"grant_type": "magic", "username": "admin@internal",
                                                        "password": live_engine.password})
    assert r.status_code == 400 and "error" in r.json() and "access_token" not in r.json()


def test_persistent_auth_session_cookie(root_url, live_engine) -> None:
    with httpx.Client(base_url=root_url, timeout=30) as client:
        r = client.get(f"{API}/datacenters", auth=(live_engine.username, live_engine.password),
                       headers={"Prefer": "persistent-auth"})
        assert r.status_code == 200
        assert "JSESSIONID" in r.cookies
        # The next request carries only the cookie.
        r = client.get(f"{API}/datacenters")
        assert r.status_code == 200, r.text
        assert r.request.headers.get("authorization") is None
        assert "JSESSIONID" in r.request.headers.get("cookie", "")
        # Prefer: new-auth ignores the session.
        assert client.get(f"{API}/datacenters", headers={"Prefer": "new-auth"}).status_code == 401
    with httpx.Client(base_url=root_url, timeout=30) as client:
        r = client.get(f"{API}/datacenters", auth=(live_engine.username, live_engine.password))
        assert r.status_code == 200 and "JSESSIONID" not in r.cookies  # no Prefer, no session
        assert client.get(f"{API}/datacenters").status_code == 401
    r = httpx.get(f"{root_url}{API}", cookies={"JSESSIONID": "forged"})
    assert r.status_code == 401


# ---------------------------------------------------------------- versions and correlation ids


def test_unsupported_version(api) -> None:
    fault(api.get(API, headers={"Version": "3", **XML}), 400, "3")
    fault(api.get(f"{API}/datacenters", headers={"Version": "5", **XML}), 400, "5")
    fault(api.get(f"{API}/v3/datacenters", headers=XML), 400, "3")
    # The URL prefix wins over the header.
    assert api.get(f"{API}/v4/datacenters", headers={"Version": "3", **XML}).status_code == 200


def test_v4_prefix(api) -> None:
    plain = api.get(f"{API}/datacenters", headers=XML)
    prefixed = api.get(f"{API}/v4/datacenters", headers=XML)
    assert prefixed.status_code == 200
    assert [e.attrib["id"] for e in ET.fromstring(prefixed.content)] == \
        [e.attrib["id"] for e in ET.fromstring(plain.content)]
    root = api.get(f"{API}/v4", headers=XML)
    assert root.status_code == 200 and ET.fromstring(root.content).tag == "api"


def test_correlation_id(api) -> None:
    r = api.get(API, headers={"Correlation-Id": "deploy-42_a"})
    assert r.headers["Correlation-Id"] == "deploy-42_a"
    r = api.get(API, headers={"Correlation-Id": "abc<script>!! def;" + "x" * 60})
    cid = r.headers["Correlation-Id"]
    assert re.fullmatch(r"[0-9A-Za-z_-]{1,36}", cid) and cid.startswith("abcscriptdefx")
    assert len(cid) == 36
    r = api.get(API, params={"correlation_id": "from-query"})
    assert r.headers["Correlation-Id"] == "from-query"
    generated = api.get(API).headers["Correlation-Id"]
    assert UUID_RE.match(generated)
    assert api.get(API).headers["Correlation-Id"] != generated
    # Faults carry it as well.
    r = api.get(f"{API}/datacenters/nope", headers={"Correlation-Id": "lost-one"})
    assert r.status_code == 404 and r.headers["Correlation-Id"] == "lost-one"
    r = api.post(f"{API}/datacenters", content=b"<data_center", headers={"Correlation-Id": "broken-one", **XML})
    assert r.status_code == 400 and r.headers["Correlation-Id"] == "broken-one"


def test_correlation_id_reaches_events(api) -> None:
    cid = f"evt-{uuid.uuid4().hex[:12]}"
    r = api.post(f"{API}/datacenters", content=f"<data_center><name>{cid}</name></data_center>".encode(),
                 headers={"Correlation-Id": cid, **XML})
    assert r.status_code == 201
    r = api.get(f"{API}/events", params={"search": f"correlation_id={cid}"}, headers=XML)
    assert r.status_code == 200, r.text
    events = ET.fromstring(r.content)
    assert len(events) >= 1 and all(e.findtext("correlation_id") == cid for e in events)


# ---------------------------------------------------------------- JSON, DELETE


def test_json_output_shapes(api, dc_id) -> None:
    r = api.get(f"{API}/datacenters", headers=JSON_OUT)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["data_center"] and isinstance(body["data_center"], list)
    dc = next(d for d in body["data_center"] if d["id"] == dc_id)
    assert dc["href"] == f"{API}/datacenters/{dc_id}" and dc["name"] == "bad_input_dc"
    rels = {link["rel"]: link["href"] for link in dc["link"]}
    assert rels["clusters"] == f"{API}/datacenters/{dc_id}/clusters"
    assert rels["storagedomains"] == f"{API}/datacenters/{dc_id}/storagedomains"
    assert dc["version"]["major"] == "4" and dc["local"] == "false"  # integers and booleans as strings, as oVirt
    assert isinstance(dc["supported_versions"]["version"], list)
    one = api.get(f"{API}/datacenters/{dc_id}", headers=JSON_OUT).json()
    assert one["id"] == dc_id and "data_center" not in one
    clusters = api.get(f"{API}/clusters", headers=JSON_OUT).json()["cluster"]
    default = next(c for c in clusters if c["name"] == "Default")
    assert set(default["data_center"]) == {"id", "href"}
    empty = api.get(f"{API}/clusters", params={"search": "name=nothing_here"}, headers=JSON_OUT)
    assert empty.status_code == 200 and empty.json().get("cluster", []) == []


def test_json_actions_shape(api, dc_id) -> None:
    r = api.post(f"{API}/storagedomains", headers=JSON_IN, content=json.dumps({
        "name": "json_nfs", "type": "data",
        "storage": {"type": "nfs", "address": "nfs.example.com", "path": "/exports/json"},
    }).encode())
    assert r.status_code == 201, r.text
    sd_id = ET.fromstring(r.content).attrib["id"]
    r = api.post(f"{API}/datacenters/{dc_id}/storagedomains", content=f'<storage_domain id="{sd_id}"/>'.encode(),
                 headers=XML)
    assert r.status_code in (200, 201), r.text
    body = api.get(f"{API}/datacenters/{dc_id}/storagedomains/{sd_id}", headers=JSON_OUT).json()
    actions = {a["rel"]: a["href"] for a in body["actions"]["link"]}
    base = f"{API}/datacenters/{dc_id}/storagedomains/{sd_id}"
    assert actions["activate"] == f"{base}/activate" and actions["deactivate"] == f"{base}/deactivate"
    assert body["status"] == "maintenance"
    # A failing action answers with the action envelope holding the fault (409: no host is up).
    r = api.post(f"{base}/activate", content=b"<action/>", headers=XML)
    assert r.status_code == 409
    doc = ET.fromstring(r.content)
    assert doc.tag == "action" and doc.findtext("status") == "failed" and doc.find("fault") is not None
    r = api.post(f"{base}/activate", content=b"{}", headers={**JSON_IN, **JSON_OUT})
    assert r.status_code == 409 and r.json()["fault"]["reason"]
    assert api.delete(base, headers=XML).status_code == 200
    assert api.delete(f"{API}/storagedomains/{sd_id}", headers=XML).status_code == 200


def test_json_vm_shape(api) -> None:
    r = api.post(f"{API}/vms", content=b"<vm><name>json_vm</name><cluster><name>Default</name></cluster>"
                 b"<template><name>Blank</name></template><memory>1073741824</memory></vm>", headers=XML)
    assert r.status_code in (201, 202), r.text
    vm_id = ET.fromstring(r.content).attrib["id"]
    try:
        body = api.get(f"{API}/vms", params={"search": "name=json_vm"}, headers=JSON_OUT).json()
        assert list(body) == ["vm"] and len(body["vm"]) == 1
        vm = body["vm"][0]
        href = f"{API}/vms/{vm_id}"
        assert vm["id"] == vm_id and vm["href"] == href and vm["name"] == "json_vm"
        assert vm["memory"] == str(1 << 30)
        assert set(vm["cluster"]) == {"id", "href"} and vm["cluster"]["href"].startswith(f"{API}/clusters/")
        assert vm["template"]["id"] == "00000000-0000-0000-0000-000000000000"
        links = {link["rel"]: link["href"] for link in vm["link"]}
        assert links["nics"] == f"{href}/nics" and links["diskattachments"] == f"{href}/diskattachments"
        actions = {a["rel"]: a["href"] for a in vm["actions"]["link"]}
        assert actions["start"] == f"{href}/start" and actions["stop"] == f"{href}/stop"
        assert vm["os"]["boot"]["devices"]["device"] == ["hd"]  # lists of values keep their wrapper
        one = api.get(href, headers=JSON_OUT).json()
        assert one["id"] == vm_id and "vm" not in one
    finally:
        assert api.delete(f"{API}/vms/{vm_id}", headers=XML).status_code == 200


def test_json_input_creates(api) -> None:
    r = api.post(f"{API}/datacenters", content=b'{"data_center": {"name": "json_dc", "local": "false"}}',
                 headers={**JSON_IN, **JSON_OUT})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "json_dc" and created["local"] == "false"
    assert r.headers["Location"] == created["href"]
    assert api.delete(created["href"]).status_code == 200


def test_delete_answers_200_with_an_action(api) -> None:
    r = api.post(f"{API}/datacenters", content=b"<data_center><name>doomed_dc</name></data_center>", headers=XML)
    assert r.status_code == 201
    href = ET.fromstring(r.content).attrib["href"]
    assert r.headers["Location"] == href
    before = count(api, "datacenters")
    r = api.delete(href, headers=XML)
    assert r.status_code == 200
    doc = ET.fromstring(r.content)
    assert doc.tag == "action" and doc.findtext("status") == "complete"
    assert count(api, "datacenters") == before - 1
    fault(api.get(href, headers=XML), 404)
    fault(api.delete(href, headers=XML), 404)


def test_methods_not_allowed(api, dc_id) -> None:
    before = count(api, "datacenters")
    r = api.post(f"{API}/datacenters/{dc_id}", content=b"<data_center/>", headers=XML)
    assert 400 <= r.status_code < 500
    r = api.put(f"{API}/datacenters", content=b"<data_center/>", headers=XML)
    assert 400 <= r.status_code < 500
    r = api.delete(f"{API}/datacenters", headers=XML)
    assert 400 <= r.status_code < 500
    assert count(api, "datacenters") == before


# ---------------------------------------------------------------- reproductions: each a 4xx, nothing stored


def _well_formed(api: httpx.Client, *collections: str) -> None:
    for collection in collections:
        r = api.get(f"{API}/{collection}", headers=XML)
        assert r.status_code == 200, (collection, r.status_code, r.text[:200])
        ET.fromstring(r.content)  # raises on a document that is not well-formed


def _nested(depth: int) -> dict:
    doc: dict = {"name": "deep"}
    for i in range(depth):
        doc = {"template": doc} if i % 2 == 0 else {"vm": doc}
    return doc


def test_json_nested_ten_thousand_deep(api) -> None:
    before = count(api, "vms")
    body = b'{"vm":' * 10_000 + b"{}" + b"}" * 10_000
    fault(api.post(f"{API}/vms", content=body, headers=JSON_IN), 400, "nested")
    body = b"[" * 10_000 + b"]" * 10_000
    fault(api.post(f"{API}/vms", content=body, headers=JSON_IN), 400, "nested")
    assert count(api, "vms") == before


def test_valid_looking_300_deep_nesting(api) -> None:
    """``{"vm":{"template":{"vm":...}}}`` fits the model at every level; the depth bound still refuses it."""
    before = count(api, "vms")
    body = json.dumps({"name": "deep_vm", **_nested(300)}).encode()
    fault(api.post(f"{API}/vms", content=body, headers=JSON_IN), 400, "nested")
    xml = "<vm><name>deep_vm</name>" + "<template><vm>" * 120 + "</vm></template>" * 120 + "</vm>"
    fault(api.post(f"{API}/vms", content=xml.encode(), headers=XML), 400)
    assert count(api, "vms") == before


def test_search_of_ten_thousand_parentheses(api) -> None:
    query = "(" * 10_000 + "name=x" + ")" * 10_000
    fault(api.get(f"{API}/vms", params={"search": query}, headers=XML), 400)
    query = "(" * 40 + "name=x" + ")" * 40
    fault(api.get(f"{API}/vms", params={"search": query}, headers=XML), 400, "nested")


def test_follow_of_600_levels(api) -> None:
    follow = ".".join(["template", "vm"] * 300)
    fault(api.get(f"{API}/vms", params={"follow": follow}, headers=XML), 400, "follow")
    fault(api.get(f"{API}/vms", params={"follow": ",".join(["nics"] * 100)}, headers=XML), 400, "follow")


def test_search_of_1500_or_terms_is_refused_and_logs_nothing(api, caplog) -> None:
    query = " or ".join(f"name=a{i}" for i in range(1500))
    with caplog.at_level("WARNING"):
        fault(api.get(f"{API}/vms", params={"search": query}, headers=XML), 400)
        fault(api.get(f"{API}/events", params={"search": query}, headers=XML), 400)
        fault(api.get(f"{API}/hosts", params={"search": query}, headers=XML), 400)
        short = " or ".join(f"id={i}" for i in range(300))  # short enough, but too many conditions
        fault(api.get(f"{API}/vms", params={"search": short}, headers=XML), 400, "conditions")
    assert not [rec for rec in caplog.records if rec.levelno >= 30], [rec.getMessage()[:200] for rec in caplog.records]
    # The largest search allowed still runs in the database.
    query = " or ".join(f"name=a{i}" for i in range(200))
    assert api.get(f"{API}/vms", params={"search": query}, headers=XML).status_code == 200


def test_a_failed_request_logs_one_line_without_the_statement(fresh, monkeypatch, caplog) -> None:
    from sqlalchemy.exc import OperationalError

    from engine_api.rest.root import ROOT

    def broken(*args, **kwargs):
        raise OperationalError("SELECT secret_column FROM jobs WHERE name IN (?, ?)", ("p1", "p2"),
                               Exception("Expression tree is too large"))

    monkeypatch.setattr(ROOT["jobs"], "list", broken)
    with caplog.at_level("WARNING"):
        r = fresh.get(f"{API}/jobs", headers=XML)
    monkeypatch.undo()
    fault(r, 500)
    failed = [rec for rec in caplog.records if "failed" in rec.getMessage()]
    assert len(failed) == 1, [rec.getMessage() for rec in caplog.records]
    line = failed[0].getMessage()
    assert "\n" not in line and failed[0].exc_info is None and len(line) < 500, line
    assert "Expression tree is too large" in line and "SELECT" not in line and "p1" not in line


@pytest.mark.parametrize("raw", [b"1e400", b"-1e400", b"Infinity", b"-Infinity", b"NaN", b"1.5", b"true",
                                 b'"1_0"', b'"\\u0663"', b'{"id": 7}', b"[1]", b"9" * 5000])
def test_numbers_are_checked_before_use(api, raw: bytes) -> None:
    before = count(api, "vms")
    body = (b'{"name": "number_vm", "cluster": {"name": "Default"}, "template": {"name": "Blank"}, "memory": '
            + raw + b"}")
    r = api.post(f"{API}/vms", content=body, headers=JSON_IN)
    fault(r, 400, *(() if raw.startswith((b"Inf", b"-Inf", b"NaN", b"999")) else ("memory",)))
    assert count(api, "vms") == before


def test_floats_and_dates_are_checked(api, dc_id) -> None:
    for body in (b'{"storage_format": "v5", "version": {"major": 1e400}}',
                 b'{"comment": "x", "supported_versions": {"version": [{"major": Infinity}]}}'):
        fault(api.put(f"{API}/datacenters/{dc_id}", content=body, headers=JSON_IN), 400)
    r = api.post(f"{API}/events", content=b'{"description": "d", "severity": "normal", "origin": "t", '
                 b'"custom_id": 1, "time": 1e300}', headers=JSON_IN)
    fault(r, 400, "time")
    r = api.post(f"{API}/events", content=b"<event><description>d</description><severity>normal</severity>"
                 b"<origin>t</origin><custom_id>2</custom_id><time>2024-99-99T00:00:00Z</time></event>", headers=XML)
    fault(r, 400, "time")


@pytest.mark.parametrize("ttl", [b"\xb2", "²".encode(), b"9" * 5000, b"0", b"-5", b"1e3", b"99999999"])
def test_session_ttl_is_checked(root_url, live_engine, ttl: bytes) -> None:
    """``²`` is a digit to str.isdigit() but not to int(); every TTL is checked as ASCII digits in range."""
    with httpx.Client(base_url=root_url, timeout=30) as client:
        r = client.get(f"{API}/datacenters", auth=(live_engine.username, live_engine.password),
                       headers={"Prefer": "persistent-auth", "Session-TTL": ttl, **XML})
        fault(r, 400, "Session-TTL")
        assert "JSESSIONID" not in r.cookies
        r = client.get(f"{API}/datacenters", auth=(live_engine.username, live_engine.password),
                       headers={"Prefer": "persistent-auth", "Session-TTL": "5", **XML})
        assert r.status_code == 200 and "JSESSIONID" in r.cookies


def test_event_index_out_of_range(api) -> None:
    for ident in ("99999999999999999999", "9" * 5000, "-1", "١٢"):
        fault(api.get(f"{API}/events/{ident}", headers=XML), 404)


def test_network_usages_of_objects(api) -> None:
    r = api.get(f"{API}/networks", params={"search": "name=ovirtmgmt"}, headers=XML)
    net = ET.fromstring(r.content)[0]
    before = api.get(net.attrib["href"], headers=XML).content
    r = api.put(net.attrib["href"], content=b'{"usages": [{"id": 7}]}', headers=JSON_IN)
    fault(r, 400, "usages")
    r = api.put(net.attrib["href"], content=b'{"usages": {"usage": [["vm"]]}}', headers=JSON_IN)
    fault(r, 400, "usages")
    assert api.get(net.attrib["href"], headers=XML).content == before


def test_lone_surrogate_is_refused_and_nothing_changes(api, dc_id) -> None:
    r = api.put(f"{API}/datacenters/{dc_id}", content=b'{"description": "\\ud800"}', headers=JSON_IN)
    fault(r, 400, "description")
    r = api.put(f"{API}/datacenters/{dc_id}", content=b'{"description": "ok \\udfff tail"}',
                headers={**JSON_IN, **JSON_OUT})
    assert r.status_code == 400
    got = api.get(f"{API}/datacenters/{dc_id}", headers=XML)
    assert ET.fromstring(got.content).findtext("description") != "\ud800"
    _well_formed(api, "datacenters")


@pytest.mark.parametrize("char", ["\u0000", "\u0001", "\u001b", "\u000b", "\ufffe", "\uffff"])
def test_nul_and_control_characters_are_refused(api, dc_id, char: str) -> None:
    before = {c: count(api, c) for c in ("datacenters", "clusters", "networks", "vnicprofiles")}
    text = f"a{char}b"
    dc = json.dumps({"name": "ctl_dc", "comment": text}).encode()
    fault(api.post(f"{API}/datacenters", content=dc, headers=JSON_IN), 400, "comment")
    cluster = json.dumps({"name": "ctl_cluster", "description": text, "data_center": {"id": dc_id},
                          "cpu": {"type": CPU_TYPE}}).encode()
    fault(api.post(f"{API}/clusters", content=cluster, headers=JSON_IN), 400, "description")
    net = json.dumps({"name": "ctl_net", "description": text, "data_center": {"id": dc_id}}).encode()
    fault(api.post(f"{API}/networks", content=net, headers=JSON_IN), 400, "description")
    fault(api.put(f"{API}/datacenters/{dc_id}", content=json.dumps({"comment": text}).encode(), headers=JSON_IN),
          400, "comment")
    assert {c: count(api, c) for c in before} == before
    _well_formed(api, *before)


def test_every_collection_reads_through_the_sdk_after_hostile_text(live_engine, api, dc_id) -> None:
    """The four lists that broke for ovirtsdk4 still read after an attempt to store control characters."""
    import ovirtsdk4

    for body in (b'{"comment": "a\\u0000b"}', b'{"description": "\\ud800"}'):
        assert api.put(f"{API}/datacenters/{dc_id}", content=body, headers=JSON_IN).status_code == 400
    connection = ovirtsdk4.Connection(url=live_engine.url, username=live_engine.username,
                                      password=live_engine.password, insecure=True)
    try:
        system = connection.system_service()
        for service in (system.data_centers_service(), system.clusters_service(), system.networks_service(),
                        system.vnic_profiles_service()):
            assert service.list() is not None
    finally:
        connection.close()


def test_names_are_matched_whole(api) -> None:
    """``dupx\\n`` is not a valid name (a ``$`` anchor would let the newline through and make a second dupx)."""
    try:
        r = api.post(f"{API}/datacenters", content=b'{"name": "dupx"}', headers=JSON_IN)
        assert r.status_code == 201, r.text
        for name in ("dupx\n", "dupx\r\n", "dupx\t", "\ndupx"):
            r = api.post(f"{API}/datacenters", content=json.dumps({"name": name}).encode(), headers=JSON_IN)
            fault(r, 400, "name")
        r = api.post(f"{API}/networks", content=json.dumps({"name": "netx\n", "data_center": {"name": "dupx"}})
                     .encode(), headers=JSON_IN)
        fault(r, 400, "name")
        r = api.get(f"{API}/datacenters", params={"search": "name=dupx*"}, headers=XML)
        assert len(ET.fromstring(r.content)) == 1
    finally:
        remove_named(api, "datacenters", "dupx*")


def _rss(pid: int | None = None) -> int:
    import os

    with open(f"/proc/{pid or os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_chunked_200_mb_sso_post_keeps_memory_bounded(live_engine) -> None:
    """An unauthenticated chunked body is read by its bytes: the engine keeps at most its limit and gives up
    the connection after a bounded drain, however much more the client sends."""
    import socket

    host, port = live_engine.url.split("//")[1].split("/")[0].split(":")
    before = _rss()
    started = time.monotonic()
    sent = 0
    answer = b""
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /ovirt-engine/sso/oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")
        chunk = b"%x\r\n" % (1 << 20) + b"a" * (1 << 20) + b"\r\n"
        try:
            while sent < 200 << 20:
                s.sendall(chunk)
                sent += 1 << 20
        except OSError:
            pass  # the engine gave up the connection
        try:
            answer = s.recv(4096)
        except OSError:
            pass
    assert time.monotonic() - started < 30
    assert sent < 200 << 20, "the engine read 200 MB of an unauthenticated body"
    assert _rss() - before < 64 << 20, (before, _rss())
    if answer:
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_chunked_body_over_the_limit_on_the_api_is_413(api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"<data_center><name>big</name><description>"
        for _ in range(MAX_BODY // 65536 + 4):
            yield b"y" * 65536
        yield b"</description></data_center>"

    before = count(api, "datacenters")
    fault(api.post(f"{API}/datacenters", content=chunks(), headers=XML), 413, str(MAX_BODY))
    assert count(api, "datacenters") == before


@pytest.mark.parametrize("collection", ["disks", "vnicprofiles"])
def test_delete_with_a_bad_flag_is_refused(api, collection: str) -> None:
    sd_href = None
    if collection == "disks":
        r = api.post(f"{API}/storagedomains", headers=JSON_IN, content=json.dumps({
            "name": "flag_nfs", "type": "data",
            "storage": {"type": "nfs", "address": "nfs.example.com", "path": "/exports/flag"}}).encode())
        assert r.status_code == 201, r.text
        sd_href = ET.fromstring(r.content).attrib["href"]
        r = api.post(f"{API}/disks", content=b"<disk><name>flag_disk</name><provisioned_size>1048576"
                     b"</provisioned_size><format>cow</format><storage_domains><storage_domain id=\""
                     + sd_href.rsplit("/", 1)[1].encode() + b'"/></storage_domains></disk>', headers=XML)
    else:
        net = ET.fromstring(api.get(f"{API}/networks", params={"search": "name=ovirtmgmt"}, headers=XML).content)[0]
        r = api.post(f"{API}/vnicprofiles", content=f'<vnic_profile><name>flag_profile</name><network id="'
                     f'{net.attrib["id"]}"/></vnic_profile>'.encode(), headers=XML)
    assert r.status_code in (201, 202), r.text
    href = ET.fromstring(r.content).attrib["href"]
    try:
        for value in ("maybe", "2", "truee"):
            fault(api.delete(href, params={"detach_only": value}, headers=XML), 400, "detach_only")
        fault(api.delete(href, params={"force": "perhaps"}, headers=XML), 400, "force")
        assert api.get(href, headers=XML).status_code == 200
    finally:
        assert api.delete(href, headers=XML).status_code == 200
        if sd_href:
            assert api.delete(sd_href, headers=XML).status_code == 200


def test_login_is_rate_limited_for_everyone(root_url, live_engine) -> None:
    """Wrong passwords drain a bucket per user and per client: then even the right password waits (the
    answer says for how long), administrators included; a pair already verified is not slowed."""
    with httpx.Client(base_url=root_url, timeout=30) as anon:
        form = {"grant_type": "password", "scope": "ovirt-app-api", "username": "ratelimited@internal"}
        answers = [anon.post("/ovirt-engine/sso/oauth/token", data={**form, "password": f"guess{i}"})
                   for i in range(15)]
        assert answers[0].status_code == 400
        limited = [r for r in answers if r.status_code == 429]
        assert limited and "retry" in limited[0].json()["error"] and limited[0].headers["Retry-After"]
        assert all("access_token" not in r.json() for r in answers)
    # The bucket of this client is empty for a while: the administrator's known pair still works (cached).
    r = httpx.get(f"{root_url}{API}", auth=(live_engine.username, live_engine.password), timeout=30)
    assert r.status_code == 200
    time.sleep(1.5)


def test_unknown_user_takes_as_long_as_a_wrong_password(live_engine) -> None:
    auth = live_engine.engine.auth
    auth.throttle.burst = 1000.0  # timing, not limiting, is measured here

    def timed(name: str) -> float:
        best = 1e9
        for i in range(3):
            started = time.perf_counter()
            assert auth.check_password(name, f"wrong-{i}-{time.time()}", "timing") is None
            best = min(best, time.perf_counter() - started)
        return best

    try:
        known, unknown = timed(live_engine.username), timed("nobody-at-all@internal")
    finally:
        auth.throttle.burst = 10.0
    assert unknown > known / 3, (known, unknown)
