"""Fixtures of the host runtime tests: an SDK connection to the module's lab engine, and its estate."""

from __future__ import annotations

import pytest

from tests.hosts.helpers import connect, ensure_estate


@pytest.fixture(scope="module")
def conn(lab_engine):
    connection = connect(lab_engine)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(scope="module")
def storage_path(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("nfs"))


@pytest.fixture
def estate(lab_engine, conn, storage_path):
    """Every test gets the estate whole (hosts up, storage active), whatever an earlier test did to it."""
    return ensure_estate(lab_engine, conn, storage_path)
