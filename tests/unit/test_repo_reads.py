"""The store's frequent reads (by id, by name, by reference columns, named conditions) run by the database driver
on the connection's transaction: the same documents as SQLAlchemy's execution of the same statements, on SQLite
and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import bindparam, select

from engine_api.store import repo
from engine_api.store.db import Database
from engine_api.store.schema import col


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('repo')}/engine.db"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url)
    database.migrate()
    yield database
    database.close()


def _ids() -> tuple[str, str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())


def _sqlalchemys(conn: Any, kind: str, column: str, value: str) -> list[dict]:
    """The same documents read through SQLAlchemy's execution (its JSON type decodes the document)."""
    return repo.find(conn, kind, col(kind, column) == value)


def test_reads_by_id_name_columns_and_conditions_match_sqlalchemys(db: Database) -> None:
    dc, cluster, host = _ids()
    with db.write() as conn:
        repo.insert_doc(conn, "data_center", {"id": dc, "name": "Dc-1", "description": "ünïcode \"q\"", "local": False})
        repo.insert_doc(conn, "cluster", {"id": cluster, "name": "c1", "data_center": {"id": dc}, "ballooning": True})
        repo.insert_doc(conn, "host", {"id": host, "name": "h1", "cluster": {"id": cluster}, "status": "up",
                                       "memory": 2**40})
    with db.read() as conn:
        got = repo.get(conn, "cluster", cluster)
        assert got == {"id": cluster, "name": "c1", "data_center": {"id": dc}, "ballooning": True}
        assert got == _sqlalchemys(conn, "cluster", "id", cluster)[0]
        assert repo.get(conn, "host", host)["memory"] == 2**40
        assert repo.get(conn, "cluster", str(uuid.uuid4())) is None
        raw = repo.get_raw(conn, "host", host)
        assert raw is not None and raw.doc() == repo.get(conn, "host", host) and dict(raw.refs) == {"cluster": cluster}
        assert repo.by_name(conn, "data_center", "dc-1", {}) == _sqlalchemys(conn, "data_center", "id", dc)
        assert repo.by_name(conn, "cluster", "C1", {"data_center": dc})[0]["id"] == cluster
        assert repo.by_name(conn, "cluster", "c1", {"data_center": str(uuid.uuid4())}) == []
        assert [c["id"] for c in repo.find_by(conn, "cluster", data_center_id=dc)] == [cluster]
        assert repo.find_by(conn, "host", cluster_id=cluster) == _sqlalchemys(conn, "host", "cluster_id", cluster)

        def up_in(status: str):  # a JSON member in the condition: the driver gets SQLAlchemy's path for it
            return lambda: (col("host", "cluster_id").in_(select(col("cluster", "id")).where(
                col("cluster", "data_center_id") == bindparam("dc")))
                & (col("host", "doc")["status"].as_string() == status))

        assert [h["id"] for h in repo.find_named(conn, "host", "up in dc (test)", up_in("up"), {"dc": dc},
                                                 limit=1)] == [host]
        assert repo.find_named(conn, "host", "down in dc (test)", up_in("down"), {"dc": dc}) == []


def test_the_reads_run_in_the_connections_transaction(db: Database) -> None:
    """What the transaction wrote and has not committed is what its reads see; nobody else sees it."""
    dc, _, _ = _ids()
    with db.write() as conn:
        repo.insert_doc(conn, "data_center", {"id": dc, "name": "uncommitted", "description": "new"})
        assert repo.get(conn, "data_center", dc)["description"] == "new"
        assert [d["id"] for d in repo.find_by(conn, "data_center", name="uncommitted")] == [dc]
        with db.read() as other:
            assert repo.get(other, "data_center", dc) is None
    with db.read() as conn:
        assert repo.by_name(conn, "data_center", "UNCOMMITTED", {})[0]["id"] == dc
