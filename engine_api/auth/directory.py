"""The internal domain (``internal-authz``, profile ``internal``): the users and groups the engine keeps itself,
their passwords and account state, as ``ovirt-aaa-jdbc-tool`` manages them in oVirt.

A user of the internal domain is a row of ``users`` with a ``credentials`` row (the password hash and the
account state). Until it is added to the engine (``POST /users``, or a first login) it is listed under
``/domains/{id}/users`` only. Every change here replaces the permissions generation (:func:`grants.bump`), so a
running engine drops what it cached about the account within a second, wherever the change was made.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from engine_api.auth.grants import bump
from engine_api.auth.passwords import hash_password
from engine_api.auth.permits import EVERYONE_ID, INTERNAL_AUTHZ
from engine_api.store.schema import KINDS, credentials, group_members

# aaa-jdbc's defaults
MAX_FAILURES_SINCE_SUCCESS = 5
MAX_FAILURES_PER_INTERVAL = 20
INTERVAL = 24 * 3600.0
LOCK_SECONDS = 60 * 60.0
MIN_PASSWORD_LENGTH = 6
NEVER = 2**53  # "valid to" far away: what engine-setup gives admin (now + 73000 days) rounds to this


class DirectoryError(Exception):
    """A refused directory change; the message names the user or group."""


@dataclass
class Account:
    id: str
    name: str
    doc: dict
    password_hash: str
    valid_to: float | None
    disabled: bool
    unlock_time: float | None
    failures: int
    failure_times: list[float]

    @property
    def user_name(self) -> str:
        return self.doc.get("user_name") or f"{self.name}@internal"

    def locked(self, now: float) -> bool:
        return bool(self.unlock_time and self.unlock_time > now)


def user_doc(name: str, attrs: dict[str, Any] | None = None, imported: bool = False) -> dict:
    doc = {"user_name": f"{name}@internal", "principal": name, "namespace": "*",
           "domain": {"name": INTERNAL_AUTHZ}, "_imported": imported}
    for key, value in (attrs or {}).items():
        if value is not None:
            doc[key] = value
    return doc


def group_doc(name: str, imported: bool = False) -> dict:
    return {"namespace": "*", "domain": {"name": INTERNAL_AUTHZ}, "_imported": imported}


def _users():
    return KINDS["user"].table


def account(conn: Connection, name: str) -> Account | None:
    """The internal account whose login name is ``name`` (case-insensitive)."""
    u = _users()
    c = credentials.c
    row = conn.execute(
        select(u.c.id, u.c.name, u.c.doc, c.password_hash, c.valid_to, c.disabled, c.unlock_time, c.failures,
               c.failure_times).join(credentials, c.user_id == u.c.id).where(func.lower(u.c.name) == name.lower())
    ).first()
    if row is None:
        return None
    return Account(row.id, row.name, row.doc, row.password_hash, row.valid_to, bool(row.disabled),
                   row.unlock_time, row.failures or 0, list(row.failure_times or []))


def _must(conn: Connection, name: str) -> Account:
    found = account(conn, name)
    if found is None:
        raise DirectoryError(f"user '{name}' does not exist in the internal domain")
    return found


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DirectoryError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def add_user(conn: Connection, name: str, password: str | None = None, valid_to: float | None = None,
             attrs: dict[str, Any] | None = None, imported: bool = False, ident: str | None = None) -> str:
    """A new internal user; without a password it cannot log in until one is set."""
    if not name or "@" in name or len(name) > 255 or any(ch.isspace() for ch in name):
        raise DirectoryError(f"'{name}' is not a valid user name (no spaces, no '@', at most 255 characters)")
    u = _users()
    if conn.execute(select(u.c.id).where(func.lower(u.c.name) == name.lower())).first() is not None:
        raise DirectoryError(f"user '{name}' already exists")
    if password is not None:
        check_password_rules(password)
    ident = ident or str(uuid.uuid4())
    conn.execute(insert(u).values(id=ident, name=name, created=time.time(), doc=user_doc(name, attrs, imported)))
    stored = hash_password(password) if password is not None else "!" + secrets.token_hex(8)  # matches nothing
    conn.execute(insert(credentials).values(user_id=ident, password_hash=stored,
                                            valid_to=valid_to if password is not None else None))
    bump(conn)
    return ident


def set_password(conn: Connection, name: str, password: str, valid_to: float | None) -> None:
    check_password_rules(password)
    acc = _must(conn, name)
    conn.execute(update(credentials).where(credentials.c.user_id == acc.id)
                 .values(password_hash=hash_password(password), valid_to=valid_to))
    bump(conn)


def set_locked(conn: Connection, name: str, locked: bool) -> None:
    """``--lock``: disabled until unlocked; ``--unlock``: enabled, lockout and failure counts cleared."""
    acc = _must(conn, name)
    values: dict[str, Any] = {"disabled": True} if locked else {"disabled": False, "unlock_time": None,
                                                                "failures": 0, "failure_times": []}
    conn.execute(update(credentials).where(credentials.c.user_id == acc.id).values(**values))
    bump(conn)


def record_failure(conn: Connection, acc: Account, now: float) -> bool:
    """Count a failed login; True when it locks the account."""
    failures = acc.failures + 1
    times = [t for t in acc.failure_times if t > now - INTERVAL][-MAX_FAILURES_PER_INTERVAL:] + [now]
    lock = failures >= MAX_FAILURES_SINCE_SUCCESS or len(times) >= MAX_FAILURES_PER_INTERVAL
    values: dict[str, Any] = {"failures": failures, "failure_times": times}
    if lock:
        values.update(unlock_time=now + LOCK_SECONDS, failures=0)
    conn.execute(update(credentials).where(credentials.c.user_id == acc.id).values(**values))
    if lock:
        bump(conn)
    return lock


def record_success(conn: Connection, acc: Account) -> None:
    if acc.failures:
        conn.execute(update(credentials).where(credentials.c.user_id == acc.id).values(failures=0))


def rehash(conn: Connection, acc: Account, password: str) -> None:
    conn.execute(update(credentials).where(credentials.c.user_id == acc.id)
                 .values(password_hash=hash_password(password)))


def group(conn: Connection, name: str) -> dict | None:
    g = KINDS["group"].table
    row = conn.execute(select(g.c.id, g.c.name, g.c.doc).where(func.lower(g.c.name) == name.lower())).first()
    return None if row is None else {"id": row.id, "name": row.name, **row.doc}


def add_group(conn: Connection, name: str, imported: bool = False, ident: str | None = None) -> str:
    if not name or len(name) > 255:
        raise DirectoryError(f"'{name}' is not a valid group name")
    if group(conn, name) is not None:
        raise DirectoryError(f"group '{name}' already exists")
    ident = ident or str(uuid.uuid4())
    conn.execute(insert(KINDS["group"].table).values(id=ident, name=name, created=time.time(),
                                                     doc=group_doc(name, imported)))
    bump(conn)
    return ident


def _member_args(conn: Connection, group_name: str, user_name: str) -> tuple[str, str]:
    g = group(conn, group_name)
    if g is None or g["id"] == EVERYONE_ID:
        raise DirectoryError(f"group '{group_name}' does not exist in the internal domain")
    return g["id"], _must(conn, user_name).id


def add_member(conn: Connection, group_name: str, user_name: str) -> bool:
    group_id, user_id = _member_args(conn, group_name, user_name)
    m = group_members.c
    if conn.execute(select(m.user_id).where(m.group_id == group_id, m.user_id == user_id)).first():
        return False
    conn.execute(insert(group_members).values(group_id=group_id, user_id=user_id))
    bump(conn)
    return True


def remove_member(conn: Connection, group_name: str, user_name: str) -> bool:
    group_id, user_id = _member_args(conn, group_name, user_name)
    m = group_members.c
    gone = conn.execute(delete(group_members).where(m.group_id == group_id, m.user_id == user_id)).rowcount
    if gone:
        bump(conn)
    return bool(gone)


def members(conn: Connection, group_id: str) -> list[str]:
    return [r[0] for r in conn.execute(select(group_members.c.user_id).where(group_members.c.group_id == group_id))]


def groups_of(conn: Connection, user_id: str) -> list[str]:
    return [r[0] for r in conn.execute(select(group_members.c.group_id).where(group_members.c.user_id == user_id))]
