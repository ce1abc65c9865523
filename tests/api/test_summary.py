"""The root's summary counts what is true: users logged in now, not every user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.inprocess import PASSWORD, Api, engine_api


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(Path(tmp_path_factory.mktemp("summary"))) as api:
        yield api


def test_summary_counts_logged_in_users(api: Api) -> None:
    def active() -> int:
        return int(api.one("").findtext("summary/users/active"))

    before = active()  # basic auth opens no session
    api.engine.auth.issue(api.engine.auth.check_password("admin@internal", PASSWORD))
    assert active() == before + 1
    assert int(api.one("").findtext("summary/users/total")) >= active()
