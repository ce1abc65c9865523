"""The store's migrations: the Alembic head is the schema the code declares, and restarts keep data.

Runs on SQLite always and on the throwaway PostgreSQL server when one is available.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine_api.commands import clusters, datacenters
from engine_api.commands.builtin import ADMIN_ID, BLANK_ID
from engine_api.commands.nics import allocate_mac
from engine_api.commands.tx import Tx
from engine_api.core.context import Context, User
from engine_api.engine import Engine
from engine_api.store.db import MIGRATIONS, Database
from engine_api.store.schema import KINDS, credentials, events, metadata, settings

PASSWORD = "first-password"


def _reset_pg(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'engine.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    _reset_pg(url)
    yield url
    _reset_pg(url)


def _head() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def test_migration_head_matches_schema_metadata(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.migrate()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            assert ctx.get_current_revision() == _head()
            diff = compare_metadata(ctx, metadata)
        assert diff == [], f"schema.py and the migrations differ; add a migration: {diff}"
        tables = set(sa.inspect(db.engine).get_table_names())
        assert set(metadata.tables) <= tables
    finally:
        db.close()


def test_migrate_twice_is_a_no_op(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.migrate()
        db.migrate()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == _head()
    finally:
        db.close()


def _count(engine: Engine, table: sa.Table, where=None) -> int:
    q = sa.select(sa.func.count()).select_from(table)
    if where is not None:
        q = q.where(where)
    with engine.db.read() as conn:
        return conn.execute(q).scalar_one()


def _builtin_counts(engine: Engine) -> dict[str, int]:
    t = KINDS["template"].table
    dc = KINDS["data_center"].table
    cl = KINDS["cluster"].table
    users = KINDS["user"].table
    nets = KINDS["network"].table
    return {
        "blank": _count(engine, t, t.c.name == "Blank"),
        "blank_id": _count(engine, t, t.c.id == BLANK_ID),
        "default_dc": _count(engine, dc, dc.c.name == "Default"),
        "default_cluster": _count(engine, cl, cl.c.name == "Default"),
        "admin": _count(engine, users, users.c.id == ADMIN_ID),
        "users": _count(engine, users),
        "credentials": _count(engine, credentials),
        "instance_id": _count(engine, settings, settings.c.key == "instance_id"),
        "ovirtmgmt": _count(engine, nets, nets.c.name == "ovirtmgmt"),
    }


def test_engine_restart_keeps_data_and_does_not_duplicate_builtins(tmp_path, db_url: str) -> None:
    data_dir = tmp_path / "data"
    first = Engine(data_dir, db_url)
    try:
        assert first.initialise(PASSWORD) is None
        instance_id = first.instance_id
        assert instance_id
        counts = _builtin_counts(first)
        assert counts == {"blank": 1, "blank_id": 1, "default_dc": 1, "default_cluster": 1, "admin": 1,
                          "users": 1, "credentials": 1, "instance_id": 1, "ovirtmgmt": 1}
        admin = first.auth.check_password("admin@internal", PASSWORD)
        assert admin is not None and admin.admin
        ctx = Context(first, User(ADMIN_ID, "admin@internal", True), "restart-test")
        dc = datacenters.add(ctx, None, {"name": "kept_dc", "description": "survives restarts"})
        clusters.add(ctx, None, {"name": "kept_cluster", "data_center": {"id": dc["id"]},
                                 "cpu": {"type": "Intel Skylake Client Family"}})
        token, _ = first.auth.issue(admin)
        n_events = _count(first, events)
    finally:
        first.close()

    second = Engine(data_dir, db_url)
    try:
        # Restarting with no password keeps the stored one and generates none.
        assert second.initialise(None) is None
        assert second.instance_id == instance_id
        after = _builtin_counts(second)
        after_dcs = after.pop("ovirtmgmt")
        assert after_dcs == 2  # Default's and kept_dc's, no more
        assert after == {k: v for k, v in counts.items() if k != "ovirtmgmt"}
        dct = KINDS["data_center"].table
        with second.db.read() as conn:
            kept = conn.execute(sa.select(dct).where(dct.c.name == "kept_dc")).one()
        assert kept.doc["description"] == "survives restarts"
        clt = KINDS["cluster"].table
        assert _count(second, clt, clt.c.name == "kept_cluster") == 1
        assert _count(second, events) > n_events  # the start is recorded, old events are kept
        assert second.auth.check_password("admin@internal", PASSWORD) is not None
        # A bearer token issued before the restart still resolves (tokens live in the store).
        assert second.auth.resolve(token) is not None
    finally:
        second.close()

    third = Engine(data_dir, db_url)
    try:
        # Restarting with a new password replaces the stored one, without a second credential row.
        third.initialise("second-password")
        assert third.instance_id == instance_id
        assert _count(third, credentials) == 1
        assert third.auth.check_password("admin@internal", "second-password") is not None
        assert third.auth.check_password("admin@internal", PASSWORD) is None
        tt = KINDS["template"].table
        assert _count(third, tt, tt.c.name == "Blank") == 1
    finally:
        third.close()


def test_nic_mac_column_is_filled_from_the_documents_of_an_older_store(db_url: str) -> None:
    """0009 copies each NIC's address into its indexed column, so allocation continues after the highest."""
    db = Database(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
            nics = sa.table("nics", sa.column("id", sa.String), sa.column("name", sa.String),
                            sa.column("created", sa.Float), sa.column("doc", sa.JSON))
            conn.execute(sa.insert(nics), [
                {"id": "nic-1", "name": "nic1", "created": 1.0, "doc": {"mac": {"address": "56:6f:00:00:00:2a"}}},
                {"id": "nic-2", "name": "nic2", "created": 2.0, "doc": {"interface": "virtio"}}])
        db.migrate()
        t = KINDS["nic"].table
        with db.read() as conn:
            macs = dict(conn.execute(sa.select(t.c.id, t.c.mac_address)).all())
            assert macs == {"nic-1": "56:6f:00:00:00:2a", "nic-2": None}
            assert allocate_mac(Tx(conn, None)) == "56:6f:00:00:00:2b"
    finally:
        db.close()
