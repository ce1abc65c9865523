"""A user's effective permissions, resolved once and cached until anything they depend on changes.

Grants are what the user, their groups and Everyone hold: permits on System and permits per object. They are
cached per user under a *generation*: a value in the settings table that every change of permissions, roles,
group membership or accounts replaces in the same transaction. The cache re-reads it at most once a second
(``STALE``), so a change made by another process (``vdc-engine user ...`` while the engine runs, a second
engine on PostgreSQL) is seen within that second; a change made in this process calls :meth:`Rbac.invalidate`
after its commit and is seen at once.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, or_, select, update

from engine_api.auth.permits import EVERYONE_ID, LOGIN, PERMITS, SYSTEM_ID
from engine_api.store.db import Database
from engine_api.store.schema import KINDS, group_members, permissions, settings

GENERATION = "rbac_generation"
STALE = 1.0  # seconds a generation read is trusted


@dataclass(frozen=True)
class RoleInfo:
    id: str
    name: str
    permits: frozenset[int]
    admin: bool
    viewing_children: bool


@dataclass
class Held:
    """One permission as its holder sees it."""

    object_type: str
    object_id: str
    role: RoleInfo
    group_id: str | None  # the group it is held through; None: the user's own


@dataclass
class Grants:
    user_id: str
    groups: frozenset[str]  # the user's groups, Everyone included
    held: list[Held]
    system: frozenset[int] = frozenset()  # permits held on System
    by_object: dict[str, list[Held]] = field(default_factory=dict)
    admin: bool = False  # an ADMIN-type role anywhere (oVirt's admin flag)
    login: bool = False  # LOGIN anywhere, Everyone not counted

    def __post_init__(self) -> None:
        system: set[int] = set()
        for h in self.held:
            if h.object_type == "system":
                system |= h.role.permits
            self.by_object.setdefault(h.object_id, []).append(h)
            if h.role.admin:
                self.admin = True
            if LOGIN in h.role.permits and h.group_id != EVERYONE_ID:  # Everyone never lets anyone log in
                self.login = True
        self.system = frozenset(system)

    def holds(self, permit: int, object_ids: list[str]) -> bool:
        """``permit`` on System or on one of ``object_ids`` (an object and its ancestors)."""
        if permit in self.system:
            return True
        for ident in object_ids:
            for h in self.by_object.get(ident, ()):
                if permit in h.role.permits:
                    return True
        return False

    def ids(self, object_type: str, children: bool = False) -> set[str]:
        """Objects of a type the user holds any permission on (``children``: through a role that lets them see
        what is inside)."""
        return {h.object_id for h in self.held if h.object_type == object_type
                and (not children or h.role.viewing_children)}

    @property
    def sees_everything(self) -> bool:
        """A role that shows children, held on System: a filtered list is the whole list."""
        return any(h.object_type == "system" and h.role.viewing_children for h in self.held)

    def direct_permits(self, object_id: str) -> frozenset[int]:
        out: set[int] = set()
        for h in self.by_object.get(object_id, ()):
            if h.group_id is None:
                out |= h.role.permits
        return frozenset(out)


def bump(conn: Connection) -> None:
    """Record, in the caller's transaction, that permissions, roles, groups or accounts changed."""
    value = uuid.uuid4().hex
    if conn.execute(update(settings).where(settings.c.key == GENERATION).values(value=value)).rowcount == 0:
        conn.execute(insert(settings).values(key=GENERATION, value=value))


def load_roles(conn: Connection) -> dict[str, RoleInfo]:
    roles = KINDS["role"].table
    out = {}
    for r in conn.execute(select(roles.c.id, roles.c.name, roles.c.doc)):
        permits = frozenset(int(p) for p in r.doc.get("permits") or [] if int(p) in PERMITS)
        vc = r.doc.get("_viewing_children")
        if vc is None:
            vc = any(PERMITS[p].viewing_children for p in permits)
        out[r.id] = RoleInfo(r.id, r.name, permits, bool(r.doc.get("administrative")), bool(vc))
    return out


class Rbac:
    """The grants cache of one database."""

    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._read_at = 0.0
        self._epoch = 0  # moves on every invalidation; a load that started before one is not cached
        self._roles: dict[str, RoleInfo] | None = None
        self._grants: dict[str, Grants] = {}

    def generation(self) -> str:
        now = time.monotonic()
        if self._generation is not None and now - self._read_at < STALE:
            return self._generation
        with self.db.read() as conn:
            value = conn.execute(select(settings.c.value).where(settings.c.key == GENERATION)).scalar() or "0"
        with self._lock:
            if value != self._generation:
                self._clear()
                self._generation = value
            self._read_at = now
        return value

    def _clear(self) -> None:
        self._epoch += 1
        self._grants = {}
        self._roles = None

    def invalidate(self) -> None:
        """After this process committed a change."""
        with self._lock:
            self._clear()
            self._generation = None

    def roles(self, conn: Connection | None = None) -> dict[str, RoleInfo]:
        self.generation()
        roles = self._roles
        if roles is None:
            epoch = self._epoch
            if conn is None:
                with self.db.read() as c:
                    roles = load_roles(c)
            else:
                roles = load_roles(conn)
            with self._lock:
                if epoch == self._epoch:
                    self._roles = roles
        return roles

    def grants(self, user_id: str) -> Grants:
        self.generation()
        hit = self._grants.get(user_id)
        if hit is not None:
            return hit
        epoch = self._epoch
        with self.db.read() as conn:
            roles = self.roles(conn)
            grants = load_grants(conn, user_id, roles)
        with self._lock:
            if epoch == self._epoch:
                if len(self._grants) > 10_000:
                    self._grants = {}
                self._grants[user_id] = grants
        return grants


def load_grants(conn: Connection, user_id: str, roles: dict[str, RoleInfo]) -> Grants:
    groups = {EVERYONE_ID} | {r.group_id for r in conn.execute(
        select(group_members.c.group_id).where(group_members.c.user_id == user_id))}
    p = permissions.c
    rows = conn.execute(select(p.role_id, p.object_type, p.object_id, p.user_id, p.group_id)
                        .where(or_(p.user_id == user_id, p.group_id.in_(sorted(groups)))))
    held = []
    for r in rows:
        role = roles.get(r.role_id)
        if role is None:
            continue
        held.append(Held(r.object_type, r.object_id, role, None if r.user_id == user_id else r.group_id))
    return Grants(user_id, frozenset(groups), held)


_RBAC: weakref.WeakKeyDictionary[Database, Rbac] = weakref.WeakKeyDictionary()
_RBAC_LOCK = threading.Lock()


def rbac_for(db: Database) -> Rbac:
    with _RBAC_LOCK:
        found = _RBAC.get(db)
        if found is None:
            found = _RBAC[db] = Rbac(db)
        return found


__all__ = ["SYSTEM_ID", "Grants", "Rbac", "bump", "rbac_for"]
