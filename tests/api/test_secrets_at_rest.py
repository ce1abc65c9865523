"""Secrets at rest: the data directory and every database file are the engine's user's only, and no bearer
token or session id is stored in a form that grants access."""

from __future__ import annotations

import stat
from pathlib import Path

import sqlalchemy as sa

from engine_api.auth.tokens import digest
from engine_api.core.context import User
from engine_api.engine import Engine
from engine_api.store.db import Database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_and_database_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "engine.db-wal").write_bytes(b"")  # left by an older engine, readable by all
    (data / "engine.db-wal").chmod(0o644)
    engine = Engine(data)
    try:
        engine.initialise("a-password")
        admin = engine.auth.check_password("admin@internal", "a-password")
        token, _ = engine.auth.issue(admin)
        assert _mode(data) == 0o700
        files = [p for p in data.iterdir() if p.name.startswith("engine.db")]
        assert {p.name for p in files} >= {"engine.db", "engine.db-wal", "engine.db-shm"}
        for path in files:
            assert _mode(path) == 0o600, (path.name, oct(_mode(path)))
        # The token is nowhere in the database's files, only its digest.
        for path in files:
            assert token.encode() not in path.read_bytes(), path.name
        assert engine.auth.resolve(token) == admin
    finally:
        engine.close()


def test_tokens_stored_before_are_kept_as_digests(tmp_path: Path) -> None:
    """Migration 0003 turns stored tokens into their digests: they keep working, and are no longer readable."""
    from alembic import command
    from alembic.config import Config

    from engine_api.store.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'engine.db'}"
    db = Database(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with db.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (id, name, doc, created) VALUES ('u1', 'someone', '{}', 0)"))
        conn.execute(sa.text("INSERT INTO tokens (token, user_id, expires, kind) VALUES "
                             "('plain-old-token', 'u1', 9999999999, 'sso')"))
    db.migrate()
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT token_hash FROM tokens")).scalars().all()
    assert rows == [digest("plain-old-token")]
    from engine_api.auth.tokens import Authenticator

    assert Authenticator(db).resolve("plain-old-token") == User("u1", "someone", False)
    db.close()


def test_a_second_engine_on_a_busy_port_never_says_ready(tmp_path: Path) -> None:
    """It polled the first engine's URL and printed ``ready`` before failing to bind; now it refuses at once."""
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "engine_api", "serve", "--listen", f"127.0.0.1:{port}",
                               "--data-dir", str(tmp_path / "d")], capture_output=True, text=True, timeout=60,
                              env={"VDC_ADMIN_PASSWORD": "x", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ready" not in done.stdout and "cannot listen" in done.stderr
