"""Users, passwords, SSO bearer tokens and cookie sessions, backed by the store with a small cache.

The store keeps only SHA-256 digests of tokens (a copy of the database grants nothing); a token is 384 random
bits, so an unsalted digest is enough. Password checks take the same time for an unknown user as for a wrong
password, and failed ones are rate limited (see :mod:`engine_api.auth.throttle`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time

from sqlalchemy import delete, insert, select

from engine_api.auth.passwords import hash_password, verify_password
from engine_api.auth.throttle import LoginThrottle, TooManyAttempts
from engine_api.commands.context import User
from engine_api.store.db import Database
from engine_api.store.schema import KINDS, credentials, tokens

TOKEN_TTL = 12 * 3600.0  # seconds a bearer token lives
RECHECK = 30.0  # seconds a cached token is trusted before the store is asked again (other engines may revoke)
SESSION_TTL = 30 * 60.0  # default idle time of a cookie session
MAX_SESSION_TTL = 7 * 24 * 3600.0  # the longest session a client may ask for with Session-TTL

__all__ = ["Authenticator", "TooManyAttempts", "digest"]

_dummy_hash: list[str] = []


def digest(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _dummy() -> str:
    """A stored-password stand-in, so that an unknown user costs one scrypt as a known one does."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


class Authenticator:
    def __init__(self, db: Database):
        self.db = db
        self._cache: dict[str, tuple[User, float, float]] = {}  # token -> (user, expires, checked)
        self._verified: dict[str, tuple[User, float]] = {}  # sha256(user:password) -> (user, until)
        self._lock = threading.Lock()
        self.throttle = LoginThrottle()

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

    def check_password(self, user_name: str, password: str, client: str = "") -> User | None:
        """The user, or None; raises TooManyAttempts while ``client`` or ``user_name`` failed too often."""
        key = hashlib.sha256(f"{user_name}\0{password}".encode()).hexdigest()
        now = time.time()
        hit = self._verified.get(key)
        if hit and hit[1] > now:
            return hit[0]
        keys = (f"user:{user_name.lower()[:320]}", f"client:{client}")
        self.throttle.check(*keys)
        with self.db.read() as conn:
            found = self._user(conn, user_name)
        stored = found[1] if found is not None else _dummy()
        if not verify_password(password, stored) or found is None:
            self.throttle.failed(*keys)
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified = {k: v for k, v in self._verified.items() if v[1] > now}
            self._verified[key] = (found[0], now + 60)
        return found[0]

    def issue(self, user: User, kind: str = "sso", ttl: float = TOKEN_TTL) -> tuple[str, float]:
        token = secrets.token_urlsafe(48)
        expires = time.time() + ttl
        with self.db.write() as conn:
            conn.execute(insert(tokens).values(token_hash=digest(token), user_id=user.id, expires=expires,
                                               kind=kind))
        with self._lock:
            self._cache[digest(token)] = (user, expires, time.time())
        return token, expires

    def resolve(self, token: str) -> User | None:
        now = time.time()
        token = digest(token)
        hit = self._cache.get(token)
        if hit is None or now - hit[2] > RECHECK:
            with self.db.read() as conn:
                row = conn.execute(select(tokens).where(tokens.c.token_hash == token)).first()
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
            self._revoke_digest(token)
            return None
        return hit[0]

    def revoke(self, token: str) -> None:
        self._revoke_digest(digest(token))

    def _revoke_digest(self, token_hash: str) -> None:
        with self._lock:
            self._cache.pop(token_hash, None)
        with self.db.write() as conn:
            conn.execute(delete(tokens).where(tokens.c.token_hash == token_hash))

    def purge_expired(self) -> None:
        with self.db.write() as conn:
            conn.execute(delete(tokens).where(tokens.c.expires <= time.time()))
