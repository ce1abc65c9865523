"""Tables: one per entity kind, each an id, a name, reference columns with foreign keys, and the document.

The document holds the entity's wire members (JSON); references to other entities live only in their
foreign-key columns, so the database itself keeps referential integrity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
    }
)


@dataclass(frozen=True)
class Kind:
    """An entity kind: its wire type, its table, and the members that reference other kinds."""

    type: str
    table_name: str
    refs: dict[str, str] = field(default_factory=dict)  # member -> referenced kind
    cascade: frozenset[str] = frozenset()  # refs whose target's removal removes this row too
    # scalar members also kept in an indexed column of their own, for lookups: column -> path in the document
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def table(self) -> Table:
        return metadata.tables[self.table_name]


KINDS: dict[str, Kind] = {}


def kind(type_: str, table_name: str, refs: dict[str, str] | None = None, cascade: tuple[str, ...] = (),
         keys: dict[str, tuple[str, ...]] | None = None) -> Kind:
    k = Kind(type_, table_name, refs or {}, frozenset(cascade), keys or {})
    KINDS[type_] = k
    cols = [
        Column("id", String(36), primary_key=True),
        Column("name", String(255), index=True),
        Column("created", Float, nullable=False),
        Column("doc", JSON, nullable=False),
    ]
    for member, target in k.refs.items():
        ondelete = "CASCADE" if member in k.cascade else "RESTRICT"
        cols.append(
            Column(f"{member}_id", String(36), ForeignKey(f"{KINDS[target].table_name}.id", ondelete=ondelete),
                   index=True)
        )
    cols.extend(Column(name, String(64), index=True) for name in k.keys)
    table = Table(table_name, metadata, *cols)
    # names are looked up case-insensitively (uniqueness checks, references by name)
    Index(f"ix_{table_name}_lower_name", func.lower(table.c.name))
    return k


kind("data_center", "data_centers")
kind("cluster", "clusters", {"data_center": "data_center"})
kind("host", "hosts", {"cluster": "cluster"})
kind("storage_domain", "storage_domains")
kind("attached_storage_domain", "data_center_storage_domains",
     {"data_center": "data_center", "storage_domain": "storage_domain"}, cascade=("data_center",))
kind("network", "networks", {"data_center": "data_center"})
kind("cluster_network", "cluster_networks", {"cluster": "cluster", "network": "network"}, cascade=("cluster",))
kind("vnic_profile", "vnic_profiles", {"network": "network"}, cascade=("network",))
kind("template", "templates", {"cluster": "cluster"})
kind("vm", "vms", {"cluster": "cluster", "template": "template", "host": "host"})
kind("disk", "disks", {"storage_domain": "storage_domain"})
kind("disk_attachment", "disk_attachments", {"vm": "vm", "template": "template", "disk": "disk"},
     cascade=("vm", "template", "disk"))
kind("nic", "nics", {"vm": "vm", "template": "template", "vnic_profile": "vnic_profile"},
     cascade=("vm", "template"), keys={"mac_address": ("mac", "address")})
kind("job", "jobs")
kind("user", "users")
kind("scheduling_policy", "scheduling_policies")
kind("affinity_group", "affinity_groups", {"cluster": "cluster"}, cascade=("cluster",))
kind("affinity_label", "affinity_labels")
kind("group", "groups")
kind("role", "roles")
# external scheduling units: a Python file (content, sha256) and the unit classes found in it
kind("scheduler_plugin", "scheduler_plugins")
kind("external_policy_unit", "external_policy_units", {"plugin": "scheduler_plugin"}, cascade=("plugin",))
# tags: a tree under the root tag (a parent of None is the root, which is not stored); removing one removes its subtree
kind("tag", "tags", {"parent": "tag"}, cascade=("parent",))

events = Table(
    "events",
    metadata,
    Column("index", Integer, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("code", Integer, nullable=False),
    Column("correlation_id", String(64), index=True),
    Column("doc", JSON, nullable=False),
)

credentials = Table(
    "credentials",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", Text, nullable=False),
    # the internal directory's account state (aaa-jdbc's): password validity, disabling, lockout
    Column("valid_to", Float),  # when the password expires (None: never)
    Column("disabled", Boolean),
    Column("unlock_time", Float),  # locked until then
    Column("failures", Integer),  # failed logins since the last success
    Column("failure_times", JSON),  # times of the failed logins of the last day
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

permissions = Table(
    "permissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("role_id", String(36), ForeignKey("roles.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), index=True),
    Column("group_id", String(36), ForeignKey("groups.id", ondelete="CASCADE"), index=True),
    Column("object_type", String(32), nullable=False),  # system, data_center, cluster, host, vm, ...
    Column("object_id", String(36), nullable=False, index=True),
    Column("created", Float, nullable=False),
)

TAGGED = ("vm", "host", "template", "user", "group")  # the kinds tags are assigned to

# A tag assigned to one VM, host, template, user or group (exactly one of the object columns is set); an
# assignment goes with its tag or its object.
tag_assignments = Table(
    "tag_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tag_id", String(36), ForeignKey("tags.id", ondelete="CASCADE"), nullable=False, index=True),
    *(Column(f"{k}_id", String(36), ForeignKey(f"{KINDS[k].table_name}.id", ondelete="CASCADE"), index=True)
      for k in TAGGED),
)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the bearer token or session id
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("expires", Float, nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # "sso" (bearer) or "session" (cookie)
    Column("idle", Float),  # seconds of idleness that expire it; each use moves ``expires`` on by this much
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

busy_vms = Table(  # VMs a job moves now, per engine (PostgreSQL: several engines share one database)
    "busy_vms",
    metadata,
    Column("vm_id", String(36), primary_key=True),
    Column("engine", String(64), primary_key=True),  # the holder's node name (see store.shared)
    Column("since", Float, nullable=False),
)

host_reports = Table(  # the last report of each host's agent, written by the engine that monitors
    "host_reports",
    metadata,
    Column("host_id", String(36), primary_key=True),
    Column("report", JSON, nullable=False),
    Column("updated", Float, nullable=False),
)


def col(kind_name: str, column: str):
    """A column of a kind's table, e.g. ``col("cluster", "data_center_id")``."""
    return KINDS[kind_name].table.c[column]
