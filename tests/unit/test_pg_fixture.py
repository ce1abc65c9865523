"""Proves the ``postgres_url`` fixture: a real server we can connect to and use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


def test_url_points_at_local_postgres(postgres_url: str) -> None:
    url = sa.make_url(postgres_url)
    assert url.drivername == "postgresql+psycopg"
    assert url.host == "127.0.0.1"
    assert url.port


def test_select_one(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(sa.text("select 1")).scalar_one() == 1
        assert conn.dialect.name == "postgresql"


def test_create_and_drop_table_with_json_column(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    table = sa.Table(
        "pg_fixture_probe",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("doc", sa.JSON, nullable=False),
    )
    doc = {"name": "vm1", "memory": 1073741824, "nics": [{"name": "nic1"}], "ha": None}
    metadata.create_all(engine)
    try:
        assert sa.inspect(engine).has_table("pg_fixture_probe")
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"id": 1, "doc": doc}])
        with engine.connect() as conn:
            assert conn.execute(sa.select(table.c.doc).where(table.c.id == 1)).scalar_one() == doc
            # The server really stores JSON: query into it.
            query = sa.text("select doc->>'name' from pg_fixture_probe where id = 1")
            assert conn.execute(query).scalar_one() == "vm1"
    finally:
        metadata.drop_all(engine)
    assert not sa.inspect(engine).has_table("pg_fixture_probe")
