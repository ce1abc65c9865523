"""Users, passwords, SSO bearer tokens and cookie sessions, backed by the store with a small cache."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from sqlalchemy import delete, insert, select

from engine_api.auth.passwords import verify_password
from engine_api.commands.context import User
from engine_api.store.db import Database
from engine_api.store.schema import KINDS, credentials, tokens

TOKEN_TTL = 12 * 3600.0  # seconds a bearer token lives
RECHECK = 30.0  # seconds a cached token is trusted before the store is asked again (other engines may revoke)
SESSION_TTL = 30 * 60.0  # default idle time of a cookie session


class Authenticator:
    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[str, tuple[User, float, float]] = {}  # token -> (user, expires, checked)
        self._verified: dict[str, tuple[User, float]] = {}  # sha256(user:password) -> (user, until)
        self._lock = threading.Lock()

    def _user(self, conn, user_name: str) -> tuple[User, str] | None:
        users = KINDS["user"].table
        name, _, domain = user_name.partition("@")
        row = conn.execute(
            select(users.c.id, users.c.name, users.c.doc, credentials.c.password_hash)
            .join(credentials, credentials.c.user_id == users.c.id)
            .where(users.c.name == name)
        ).first()
        if row is None or (domain and row.doc.get("domain", {}).get("name", "internal-authz")
                           not in (domain, f"{domain}-authz")):
            return None
        return User(row.id, row.doc.get("user_name", user_name), bool(row.doc.get("_admin"))), row.password_hash

    def check_password(self, user_name: str, password: str) -> User | None:
        key = hashlib.sha256(f"{user_name}\0{password}".encode()).hexdigest()
        now = time.time()
        hit = self._verified.get(key)
        if hit and hit[1] > now:
            return hit[0]
        with self.db.read() as conn:
            found = self._user(conn, user_name)
        if found is None or not verify_password(password, found[1]):
            return None
        self._verified[key] = (found[0], now + 60)
        return found[0]

    def issue(self, user: User, kind: str = "sso", ttl: float = TOKEN_TTL) -> tuple[str, float]:
        token = secrets.token_urlsafe(48)
        expires = time.time() + ttl
        with self.db.write() as conn:
            conn.execute(insert(tokens).values(token=token, user_id=user.id, expires=expires, kind=kind))
        with self._lock:
            self._cache[token] = (user, expires, time.time())
        return token, expires

    def resolve(self, token: str) -> User | None:
        now = time.time()
        hit = self._cache.get(token)
        if hit is None or now - hit[2] > RECHECK:
            with self.db.read() as conn:
                row = conn.execute(select(tokens).where(tokens.c.token == token)).first()
                if row is None:
                    with self._lock:
                        self._cache.pop(token, None)
                    return None
                users = KINDS["user"].table
                urow = conn.execute(select(users).where(users.c.id == row.user_id)).first()
            if urow is None:
                return None
            user = User(urow.id, urow.doc.get("user_name", urow.name), bool(urow.doc.get("_admin")))
            hit = (user, row.expires, now)
            with self._lock:
                self._cache[token] = hit
        if hit[1] <= now:
            self.revoke(token)
            return None
        return hit[0]

    def revoke(self, token: str) -> None:
        with self._lock:
            self._cache.pop(token, None)
        with self.db.write() as conn:
            conn.execute(delete(tokens).where(tokens.c.token == token))

    def purge_expired(self) -> None:
        with self.db.write() as conn:
            conn.execute(delete(tokens).where(tokens.c.expires <= time.time()))
