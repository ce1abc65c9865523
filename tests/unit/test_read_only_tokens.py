"""The tokens of ``vdc-scheduler@internal`` (given to external scheduling units) read and never write, however
often they are used: the engine remembers what it learnt of a token, and the answer stays the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine_api.commands.external_runtime import USER_ID, USER_NAME, ensure_user
from engine_api.core.context import User
from tests.unit.inprocess import PASSWORD, Api, engine_api


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("read-only")) as api:
        yield api


def _as(api: Api, token: str) -> Api:
    other = Api(api.client, api.engine)
    other.headers = {**api.headers, "Authorization": f"Bearer {token}"}
    return other


def test_scheduler_token_reads_but_every_write_is_refused(api: Api) -> None:
    ensure_user(api.engine)
    token, _ = api.engine.auth.issue(User(USER_ID, f"{USER_NAME}@internal", True), "sso", 300)
    unit = _as(api, token)
    for attempt in range(3):  # the first answer comes from the store, the next ones from what was remembered
        assert unit.get("/datacenters").status_code == 200
        refused = unit.post("/tags", f"<tag><name>from-unit-{attempt}</name></tag>")
        assert refused.status_code == 403, refused.text
        assert "reading only" in refused.text
    assert not [t for t in api.items("/tags") if (t.findtext("name") or "").startswith("from-unit")]


def test_an_administrators_token_writes_every_time(api: Api) -> None:
    admin = api.engine.auth.check_password("admin@internal", PASSWORD)
    assert admin is not None
    token, _ = api.engine.auth.issue(admin)
    client = _as(api, token)
    for attempt in range(3):
        assert client.created("/tags", f"<tag><name>from-admin-{attempt}</name></tag>") is not None
