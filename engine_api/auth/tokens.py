"""Logins, SSO bearer tokens and cookie sessions, backed by the store with a small cache.

The store keeps only SHA-256 digests of tokens (a copy of the database grants nothing); a token is 384 random
bits, so an unsalted digest is enough. Password checks take the same time for an unknown user as for a wrong
password, and failed ones are rate limited (see :mod:`engine_api.auth.throttle`).

A login is refused, in aaa-jdbc's order, for a disabled account, a locked one (5 failures in a row or 20 in a
day lock it for an hour), a wrong password, an expired password, and a user who holds LOGIN nowhere (Everyone's
permissions do not count). Logins, failed logins, lockouts and logouts are audit events; no password or token
is ever written to an event or a log. Tokens and sessions expire when idle: each use moves the deadline on.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from engine_api.auth import directory
from engine_api.auth.grants import Rbac, rbac_for
from engine_api.auth.passwords import hash_password, needs_rehash, verify_password
from engine_api.auth.permits import INTERNAL_AUTHZ, INTERNAL_PROFILE
from engine_api.auth.throttle import LoginThrottle, TooManyAttempts
from engine_api.core.context import User
from engine_api.store.audit import record_event
from engine_api.store.db import Database
from engine_api.store.schema import KINDS, tokens

TOKEN_TTL = 12 * 3600.0  # seconds a bearer token lives without being used
RECHECK = 30.0  # seconds a cached token is trusted before the store is asked again (other engines may revoke)
SESSION_TTL = 30 * 60.0  # default idle time of a cookie session
MAX_SESSION_TTL = 7 * 24 * 3600.0  # the longest session a client may ask for with Session-TTL

# audit event codes (oVirt's AuditLogType)
USER_VDC_LOGIN = 30
USER_VDC_LOGOUT = 31
USER_VDC_LOGIN_FAILED = 114
USER_ACCOUNT_DISABLED_OR_LOCKED = 160
USER_ACCOUNT_PASSWORD_EXPIRED = 1171
AUTH_FAILED_INVALID_CREDENTIALS = 1172

__all__ = ["Authenticator", "LoginFailed", "NoLoginPermit", "TooManyAttempts", "digest"]

_dummy_hash: list[str] = []


class LoginFailed(Exception):
    """A refused login; the message says why without repeating the password."""


class NoLoginPermit(LoginFailed):
    """Right credentials, but LOGIN is held nowhere: the engine answers 401 at login."""


def digest(token: str) -> str:
    """What the store keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _dummy() -> str:
    """A stored-password stand-in, so that an unknown user costs one hash check as a known one does."""
    if not _dummy_hash:
        _dummy_hash.append(hash_password(secrets.token_urlsafe(16)))
    return _dummy_hash[0]


def _login_name(user_name: str) -> tuple[str, str | None]:
    """``name@domain`` → (name, domain); a domain that is not the internal one gives None."""
    name, at, domain = user_name.rpartition("@")
    if not at:
        return user_name, INTERNAL_AUTHZ
    if domain in ("internal", INTERNAL_AUTHZ):
        return name, INTERNAL_AUTHZ
    return name, None


@dataclass
class _Token:
    user_id: str
    name: str
    expires: float  # deadline as last stored
    idle: float | None
    checked: float
    used: float


class Authenticator:
    def __init__(self, db: Database):
        self.db = db
        self.rbac: Rbac = rbac_for(db)
        self._cache: dict[str, _Token] = {}  # token digest -> what it grants
        self._verified: dict[str, tuple[str, str, float, str]] = {}  # sha256(user\0password) -> (id, name, until, gen)
        self._lock = threading.Lock()
        self.throttle = LoginThrottle()

    def _user(self, user_id: str, name: str) -> User:
        return User(user_id, name, self.rbac.grants(user_id).admin)

    def _event(self, code: int, text: str, severity: str = "normal", user_id: str | None = None) -> None:
        with self.db.write() as conn:
            record_event(conn, None, code, text, severity, user=user_id)

    def authenticate(self, user_name: str, password: str, client: str = "") -> User:
        """The user, or LoginFailed; raises TooManyAttempts while ``client`` or ``user_name`` failed too often."""
        key = hashlib.sha256(f"{user_name}\0{password}".encode()).hexdigest()
        now = time.time()
        hit = self._verified.get(key)
        if hit and hit[2] > now and hit[3] == self.rbac.generation():
            return self._user(hit[0], hit[1])
        keys = (f"user:{user_name.lower()[:320]}", f"client:{client}")
        self.throttle.check(*keys)
        shown = user_name[:100]
        name, domain = _login_name(user_name)
        with self.db.read() as conn:
            acc = directory.account(conn, name) if domain else None
        stored = acc.password_hash if acc is not None else _dummy()
        good = verify_password(password, stored)
        if acc is None or acc.disabled or acc.locked(now) or not good:
            self.throttle.failed(*keys)
            if acc is None:
                self._event(USER_VDC_LOGIN_FAILED, f"User {shown} failed to log in: unknown user name or wrong "
                            f"password (from '{client}').", "error")
                raise LoginFailed(f"Cannot authenticate user '{shown}': wrong user name or password")
            if acc.disabled or acc.locked(now):
                self._event(USER_ACCOUNT_DISABLED_OR_LOCKED, f"User {acc.user_name} cannot log in: the account is "
                            f"{'disabled' if acc.disabled else 'locked'} (from '{client}').", "error", acc.id)
                raise LoginFailed(f"Cannot authenticate user '{shown}': the account is "
                                  f"{'disabled' if acc.disabled else 'locked'}")
            with self.db.write() as conn:
                locked = directory.record_failure(conn, acc, now)
                record_event(conn, None, AUTH_FAILED_INVALID_CREDENTIALS, f"User {acc.user_name} failed to log "
                             f"in: wrong password (from '{client}').", "error", user=acc.id)
                if locked:
                    record_event(conn, None, USER_ACCOUNT_DISABLED_OR_LOCKED, f"User {acc.user_name} is locked for "
                                 f"{int(directory.LOCK_SECONDS // 60)} minutes after repeated failed logins.",
                                 "warning", user=acc.id)
            if locked:
                self.forget(acc.id)
            raise LoginFailed(f"Cannot authenticate user '{shown}': wrong user name or password")
        if acc.valid_to is not None and acc.valid_to <= now:
            self._event(USER_ACCOUNT_PASSWORD_EXPIRED, f"User {acc.user_name} cannot log in: the password has "
                        "expired.", "error", acc.id)
            raise LoginFailed(f"Cannot authenticate user '{shown}': the password has expired")
        if not self.rbac.grants(acc.id).login:
            self._event(USER_VDC_LOGIN_FAILED, f"User {acc.user_name} is not authorized to log in.", "error",
                        acc.id)
            raise NoLoginPermit(f"The user {acc.name}@{INTERNAL_AUTHZ} with profile [{INTERNAL_PROFILE}] is not "
                              "authorized to perform login")
        with self.db.write() as conn:
            directory.record_success(conn, acc)
            if needs_rehash(acc.password_hash):
                directory.rehash(conn, acc, password)
            if not acc.doc.get("_imported", True):  # a first login adds the user to the engine, as oVirt does
                users = KINDS["user"].table
                conn.execute(update(users).where(users.c.id == acc.id).values(doc={**acc.doc, "_imported": True}))
            record_event(conn, None, USER_VDC_LOGIN, f"User {acc.user_name} connecting from '{client}' logged in.",
                         user=acc.id)
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified = {k: v for k, v in self._verified.items() if v[2] > now}
            self._verified[key] = (acc.id, acc.user_name, now + 60, self.rbac.generation())
        return self._user(acc.id, acc.user_name)

    def check_password(self, user_name: str, password: str, client: str = "") -> User | None:
        """The user, or None when the login is refused (see :meth:`authenticate`)."""
        try:
            return self.authenticate(user_name, password, client)
        except LoginFailed:
            return None

    def forget(self, user_id: str) -> None:
        """Drop what is cached of a user's logins (their account changed)."""
        self.rbac.invalidate()
        with self._lock:
            self._verified = {k: v for k, v in self._verified.items() if v[0] != user_id}

    def issue(self, user: User, kind: str = "sso", ttl: float = TOKEN_TTL) -> tuple[str, float]:
        """A new token or session id that expires after ``ttl`` seconds without use."""
        token = secrets.token_urlsafe(48)
        now = time.time()
        expires = now + ttl
        with self.db.write() as conn:
            conn.execute(insert(tokens).values(token_hash=digest(token), user_id=user.id, expires=expires,
                                               kind=kind, idle=ttl))
        with self._lock:
            self._cache[digest(token)] = _Token(user.id, user.name, expires, ttl, now, now)
        return token, expires

    def resolve(self, token: str) -> User | None:
        now = time.time()
        token = digest(token)
        hit = self._cache.get(token)
        if hit is None or now - hit.checked > RECHECK:
            with self.db.read() as conn:
                row = conn.execute(select(tokens).where(tokens.c.token_hash == token)).first()
                urow = None
                if row is not None:
                    users = KINDS["user"].table
                    urow = conn.execute(select(users.c.id, users.c.name, users.c.doc)
                                        .where(users.c.id == row.user_id)).first()
            if row is None or urow is None:
                with self._lock:
                    self._cache.pop(token, None)
                return None
            expires = max(row.expires, hit.used + row.idle) if hit and row.idle else row.expires
            if expires <= now:
                self._revoke_digest(token)
                return None
            if row.idle:  # the deadline moves on with use: written at most once per RECHECK
                expires = now + row.idle
                with self.db.write() as conn:
                    conn.execute(update(tokens).where(tokens.c.token_hash == token).values(expires=expires))
            hit = _Token(urow.id, urow.doc.get("user_name", urow.name), expires, row.idle, now, now)
            with self._lock:
                self._cache[token] = hit
        deadline = hit.used + hit.idle if hit.idle else hit.expires
        if deadline <= now:
            self._revoke_digest(token)
            return None
        hit.used = now
        return self._user(hit.user_id, hit.name)

    def revoke(self, token: str) -> None:
        """Log out: the token (or session id) stops working here at once, and everywhere within RECHECK."""
        user_id = self._revoke_digest(digest(token))
        if user_id:
            with self.db.write() as conn:
                users = KINDS["user"].table
                name = conn.execute(select(users.c.doc).where(users.c.id == user_id)).scalar()
                shown = (name or {}).get("user_name", user_id)
                record_event(conn, None, USER_VDC_LOGOUT, f"User {shown} logged out.", user=user_id)

    def _revoke_digest(self, token_hash: str) -> str | None:
        with self._lock:
            self._cache.pop(token_hash, None)
        with self.db.write() as conn:
            user_id = conn.execute(select(tokens.c.user_id).where(tokens.c.token_hash == token_hash)).scalar()
            conn.execute(delete(tokens).where(tokens.c.token_hash == token_hash))
        return user_id

    def purge_expired(self) -> None:
        with self.db.write() as conn:
            conn.execute(delete(tokens).where(tokens.c.expires <= time.time()))
