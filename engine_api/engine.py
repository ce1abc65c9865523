"""The engine: its store, its authenticator, and the first-start initialisation of a data directory."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import insert, select

from engine_api.auth.passwords import hash_password
from engine_api.auth.tokens import Authenticator
from engine_api.commands import builtin
from engine_api.commands.tx import record_event
from engine_api.store.db import Database
from engine_api.store.schema import credentials, settings

PRODUCT_VERSION = (4, 5, 6)


class Engine:
    def __init__(self, data_dir: str | Path, db_url: str | None = None):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database(db_url or f"sqlite:///{self.data_dir / 'engine.db'}")
        self.db.migrate()
        self.auth = Authenticator(self.db)
        self.instance_id = ""

    def initialise(self, admin_password: str | None) -> str | None:
        """Create what a new engine has (admin, Blank, Default); returns a generated admin password."""
        generated = None
        with self.db.write() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == "instance_id")).first()
            if row is None:
                if not admin_password:
                    admin_password = generated = secrets.token_urlsafe(12)
                self.instance_id = builtin.create_builtins(conn)
                conn.execute(insert(settings).values(key="instance_id", value=self.instance_id))
                conn.execute(insert(credentials).values(user_id=builtin.ADMIN_ID,
                                                        password_hash=hash_password(admin_password)))
            else:
                self.instance_id = row.value
                if admin_password:
                    from sqlalchemy import update

                    conn.execute(update(credentials).where(credentials.c.user_id == builtin.ADMIN_ID)
                                 .values(password_hash=hash_password(admin_password)))
            record_event(conn, None, 9700, "vdc engine started.")
        return generated

    def close(self) -> None:
        self.db.close()
