"""Logins of internal users on a served engine: lockout and unlock, idle expiry and revocation of tokens,
audit events, ``vdc-engine user|group|group-manage`` while the engine runs, and no secret in any log."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import httpx
import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from sqlalchemy import select

from engine_api.auth import directory
from engine_api.store.schema import events

PASSWORD = "carol-secret-9"


def _cli(live_engine, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine_api", *args, "--data-dir", str(live_engine.engine.data_dir)],
                          input=stdin, capture_output=True, text=True, timeout=120)


def _token(client: httpx.Client, user: str, password: str) -> httpx.Response:
    return client.post("/ovirt-engine/sso/oauth/token", headers={"Accept": "application/json"},
                       data={"grant_type": "password", "scope": "ovirt-app-api", "username": user,
                             "password": password})


def _admin(live_engine) -> sdk.Connection:
    return sdk.Connection(url=live_engine.url, username=live_engine.username, password=live_engine.password)


def _events(live_engine, code: int) -> list[str]:
    with live_engine.engine.db.read() as conn:
        return [r.doc["description"] for r in conn.execute(select(events.c.doc).where(events.c.code == code))]


def _eventually(check, timeout: float = 5.0):
    deadline = time.time() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def client(live_engine):
    base = live_engine.url.rsplit("/ovirt-engine/api", 1)[0]
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def test_cli_manages_the_internal_domain_while_the_engine_runs(live_engine, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    r = _cli(live_engine, "user", "add", "carol", "--password-stdin", "--password-valid-to", "2099-01-01 00:00:00Z",
             "--attribute", "email=carol@example.com", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    assert _cli(live_engine, "group", "add", "operators").returncode == 0
    r = _cli(live_engine, "group-manage", "useradd", "operators", "--user", "carol")
    assert r.returncode == 0 and "added to group operators" in r.stdout
    assert _cli(live_engine, "user", "add", "carol").returncode == 1  # exists
    # no LOGIN yet: 401 at login
    assert _token(client, "carol@internal", PASSWORD).status_code == 401
    conn = _admin(live_engine)
    try:
        system = conn.system_service()
        group = system.groups_service().add(types.Group(name="operators", domain=types.Domain(name="internal-authz")))
        vm = system.vms_service().add(types.Vm(name="carols", cluster=types.Cluster(name="Default"),
                                               template=types.Template(name="Blank")))
        system.vms_service().vm_service(vm.id).permissions_service().add(
            types.Permission(group=types.Group(id=group.id), role=types.Role(name="UserRole")))
    finally:
        conn.close()
    reply = _token(client, "carol@internal", PASSWORD)
    assert reply.status_code == 200, reply.text
    token = reply.json()["access_token"]
    carol = sdk.Connection(url=live_engine.url, token=token)
    assert [v.name for v in carol.system_service().vms_service().list()] == ["carols"]
    # locked from the command line: refused within a second, unlocked the same way
    assert _cli(live_engine, "user", "edit", "carol", "--lock").returncode == 0
    _eventually(lambda: _check_status(_token(client, "carol@internal", PASSWORD), 400, "disabled"))
    assert "disabled: true" in _cli(live_engine, "user", "show", "carol").stdout
    assert _cli(live_engine, "user", "edit", "carol", "--unlock").returncode == 0
    _eventually(lambda: _check_status(_token(client, "carol@internal", PASSWORD), 200))
    # a password reset: the old one stops working
    r = _cli(live_engine, "user", "password-reset", "carol", "--password-stdin", "--password-valid-to", "never",
             stdin="carol-new-secret\n")
    assert r.returncode == 0, r.stderr
    _eventually(lambda: _check_status(_token(client, "carol@internal", PASSWORD), 400))
    assert _token(client, "carol@internal", "carol-new-secret").status_code == 200
    carol.close()
    # nothing secret in the log records or the audit log
    logged = caplog.text + " ".join(_events(live_engine, 30) + _events(live_engine, 114) + _events(live_engine, 0))
    for secret in (PASSWORD, "carol-new-secret", token):
        assert secret not in logged


def _check_status(r: httpx.Response, status: int, word: str = "") -> None:
    assert r.status_code == status, r.text
    assert word in r.text


def test_lockout_after_five_failures_and_unlock(live_engine, client) -> None:
    with live_engine.engine.db.write() as conn:
        uid = directory.add_user(conn, "dave", "dave-secret", None, imported=True)
    conn = _admin(live_engine)
    try:
        conn.system_service().permissions_service().add(
            types.Permission(user=types.User(id=uid), role=types.Role(name="UserRole")))
    finally:
        conn.close()
    assert _token(client, "dave@internal", "dave-secret").status_code == 200
    for i in range(5):
        assert _token(client, "dave@internal", f"wrong-{i}").status_code == 400
    r = _token(client, "dave@internal", "dave-secret")
    assert r.status_code == 400 and "locked" in r.text  # the right password no longer helps
    assert any("dave" in d and "locked for 60 minutes" in d for d in _events(live_engine, 160))
    assert len([d for d in _events(live_engine, 1172) if "dave" in d]) == 5
    assert "locked: true" in _cli(live_engine, "user", "show", "dave").stdout
    assert _cli(live_engine, "user", "unlock", "dave").returncode == 0
    _eventually(lambda: _check_status(_token(client, "dave@internal", "dave-secret"), 200))


def test_twenty_failures_in_a_day_lock(live_engine) -> None:
    with live_engine.engine.db.write() as conn:
        directory.add_user(conn, "erin", "erin-secret", None)
    now = time.time()
    with live_engine.engine.db.write() as conn:
        for i in range(19):  # failures spread over the day, a success after every four
            acc = directory.account(conn, "erin")
            assert not directory.record_failure(conn, acc, now - 80_000 + i * 100)
            if i % 4 == 3:
                directory.record_success(conn, directory.account(conn, "erin"))
        assert directory.record_failure(conn, directory.account(conn, "erin"), now)  # the 20th
        assert directory.account(conn, "erin").locked(now + 3599)
        assert not directory.account(conn, "erin").locked(now + 3601)


def test_tokens_expire_when_idle_and_logout_revokes(live_engine, client) -> None:
    auth = live_engine.engine.auth
    admin = auth.check_password(live_engine.username, live_engine.password)
    token, _ = auth.issue(admin, "sso", 1.0)
    bearer = {"Authorization": f"Bearer {token}"}
    for _ in range(3):  # used every half second: the idle deadline moves on
        assert client.get("/ovirt-engine/api", headers=bearer).status_code == 200
        time.sleep(0.5)
    time.sleep(1.2)
    assert client.get("/ovirt-engine/api", headers=bearer).status_code == 401
    reply = _token(client, live_engine.username, live_engine.password)
    token = reply.json()["access_token"]
    conn = sdk.Connection(url=live_engine.url, token=token)
    assert conn.system_service().get().product_info.name == "vdc"
    before = len(_events(live_engine, 31))
    client.post("/ovirt-engine/services/sso-logout", data={"scope": "ovirt-app-api", "token": token})
    assert client.get("/ovirt-engine/api", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert len(_events(live_engine, 31)) == before + 1
    reply = _token(client, live_engine.username, live_engine.password)
    other = reply.json()["access_token"]
    assert client.post("/ovirt-engine/sso/oauth/revoke", data={"token": other}).status_code == 200
    assert client.get("/ovirt-engine/api", headers={"Authorization": f"Bearer {other}"}).status_code == 401
