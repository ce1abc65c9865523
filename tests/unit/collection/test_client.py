"""The client and auth over a fake ``open_url``: URLs, list answers, faults, token lifetime."""

from __future__ import annotations

import io
import json
from urllib.error import HTTPError

import pytest
from ansible_collections.vdc.infra.plugins.module_utils import auth
from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.errors import AuthError, EngineError, VdcError

URL = "https://engine.lab/ovirt-engine/api"


class FakeEngine:
    """Records requests; answers from a dict of (method, url prefix) -> (status, body)."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, url, method=None, data=None, headers=None, **kwargs):
        self.calls.append((method, url, data, headers))
        for (m, prefix), (status, body) in self.answers.items():
            if m == method and url.startswith(prefix):
                raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
                if status >= 400:
                    raise HTTPError(url, status, "Error", {}, io.BytesIO(raw))
                resp = io.BytesIO(raw)
                resp.status = status
                return resp
        raise AssertionError(f"unexpected {method} {url}")


def test_list_builds_the_query_and_unwraps_the_collection():
    fake = FakeEngine({("GET", f"{URL}/vms"): (200, {"vm": [{"id": "1"}]})})
    client = EngineClient(URL, "tok", opener=fake)
    assert client.list("vms", search='name="web 1"', follow=["disk_attachments.disk", "nics"]) == [{"id": "1"}]
    method, url, _, headers = fake.calls[0]
    assert url == f"{URL}/vms?follow=disk_attachments.disk%2Cnics&search=name%3D%22web+1%22"
    assert headers["Authorization"] == "Bearer tok" and headers["Accept"] == "application/json"


def test_an_empty_collection_is_an_empty_list():
    client = EngineClient(URL, "tok", opener=FakeEngine({("GET", f"{URL}/vms"): (200, {})}))
    assert client.list("vms") == []


def test_hrefs_are_absolute_paths():
    fake = FakeEngine({("GET", "https://engine.lab/ovirt-engine/api/vms/1/nics"): (200, {"nic": []})})
    EngineClient(URL, "tok", opener=fake).follow("/ovirt-engine/api/vms/1/nics")
    assert fake.calls[0][1] == "https://engine.lab/ovirt-engine/api/vms/1/nics"


@pytest.mark.parametrize(("body", "reason", "detail"), [
    ({"reason": "Operation Failed", "detail": "[Cannot remove VM: it is up]"}, "Operation Failed",
     "[Cannot remove VM: it is up]"),
    ({"fault": {"reason": "Operation Failed", "detail": "[no host is up]"}, "status": "failed"},
     "Operation Failed", "[no host is up]"),
    (b"<html>proxy error</html>", "Error", "<html>proxy error</html>"),
])
def test_faults_carry_status_reason_and_detail(body, reason, detail):
    client = EngineClient(URL, "tok", opener=FakeEngine({("POST", f"{URL}/vms/1/start"): (409, body)}))
    with pytest.raises(EngineError) as e:
        client.action("vms", "1", "start")
    assert (e.value.status, e.value.reason, e.value.detail) == (409, reason, detail)
    assert "[HTTP 409 (POST /ovirt-engine/api/vms/1/start)]" in str(e.value)


def test_get_of_a_missing_entity_is_none():
    client = EngineClient(URL, "tok", opener=FakeEngine({("GET", f"{URL}/vms/9"): (404, {"reason": "Not Found"})}))
    assert client.get("vms", "9") is None


def test_401_is_an_auth_error():
    client = EngineClient(URL, "tok", opener=FakeEngine({("GET", URL): (401, b"")}))
    with pytest.raises(AuthError):
        client.system()


def test_auth_falls_back_to_the_environment():
    env = {"VDC_URL": URL + "/", "VDC_USERNAME": "admin@internal", "VDC_PASSWORD": "pw", "VDC_INSECURE": "yes"}
    s = auth.settings({"username": "other@internal"}, env)
    assert (s.url, s.username, s.password, s.insecure) == (URL, "other@internal", "pw", True)


@pytest.mark.parametrize(("given", "message"), [
    ({}, "auth.url is required"),
    ({"url": URL, "username": "u"}, "auth needs a token, or a username and a password"),
])
def test_auth_refuses_incomplete_settings(given, message):
    with pytest.raises(VdcError) as e:
        auth.settings(given, {})
    assert str(e.value).startswith(message)


SSO = "https://engine.lab/ovirt-engine/sso/oauth/token"
LOGOUT = "https://engine.lab/ovirt-engine/services/sso-logout"


def test_a_token_obtained_is_revoked_at_the_end():
    fake = FakeEngine({("POST", SSO): (200, {"access_token": "t1"}), ("POST", LOGOUT): (200, {}),
                       ("GET", URL): (200, {"product_info": {}})})
    with auth.session(auth.settings({"url": URL, "username": "u", "password": "p"}, {}), fake) as client:
        client.system()
    assert [c[1] for c in fake.calls] == [SSO, URL, LOGOUT]
    assert b"grant_type=password" in fake.calls[0][2] and b"token=t1" in fake.calls[2][2]


def test_a_token_passed_in_is_kept():
    fake = FakeEngine({("GET", URL): (200, {})})
    with auth.session(auth.settings({"url": URL, "token": "mine"}, {}), fake) as client:
        client.system()
    assert [c[1] for c in fake.calls] == [URL]


def test_sso_refusal_is_an_auth_error():
    fake = FakeEngine({("POST", SSO): (400, {"error_code": "access_denied", "error": "Cannot authenticate"})})
    with pytest.raises(AuthError) as e:
        auth.login(auth.settings({"url": URL, "username": "u", "password": "bad"}, {}), fake)
    assert "Cannot authenticate" in str(e.value)
