"""Shared pytest fixtures for the whole test suite.

Add new fixtures here (or in a conftest.py next to the tests that need them).
Each pytest-xdist worker runs its own session, so session-scoped fixtures are
created once per worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests import pg


def under_ci() -> bool:
    """True on CI, where a missing dependency must fail the run, never skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a throwaway PostgreSQL database, one server per test session/worker."""
    bindir = pg.find_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; `make setup` installs them"
        if under_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = pg.PostgresServer(bindir)
    try:
        url = server.start()
    except pg.PostgresError as exc:
        pytest.fail(f"could not start a throwaway PostgreSQL server: {exc}", pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_engine(tmp_path_factory):
    """An engine on SQLite served over HTTP on a free loopback port (one per test module)."""
    from tests import live

    server = live.start(tmp_path_factory.mktemp("engine"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_engine_pg(tmp_path_factory, postgres_url):
    """The same engine on the throwaway PostgreSQL database (tables are dropped first)."""
    from sqlalchemy import create_engine, text

    from tests import live

    eng = create_engine(postgres_url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()
    server = live.start(tmp_path_factory.mktemp("engine-pg"), postgres_url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab_engine(tmp_path_factory):
    """An engine with two lab hosts (agents on a loopback range of their own) and fast monitoring."""
    from tests import live

    server = live.start(tmp_path_factory.mktemp("lab"), lab_hosts=2,
                        config={"monitor_interval": 0.5, "non_responsive_timeout": 3.0})
    try:
        yield server
    finally:
        server.stop()
