"""What a new engine starts with: the admin user, the Blank template, the Default data center."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection

from engine_api.auth.seed import seed
from engine_api.commands import clusters, datacenters
from engine_api.commands.tx import Tx, now_iso

ADMIN_ID = "fdfc627c-d875-11e0-90f0-83df133b58cc"  # the well-known id of admin@internal
BLANK_ID = "00000000-0000-0000-0000-000000000000"
GiB = 1 << 30

BLANK: dict[str, Any] = {
    "id": BLANK_ID, "name": "Blank", "description": "Blank template", "comment": "", "status": "ok",
    "type": "server", "memory": GiB,
    "memory_policy": {"guaranteed": GiB, "max": 4 * GiB, "ballooning": True},
    "cpu": {"topology": {"sockets": 1, "cores": 1, "threads": 1}, "architecture": "undefined"},
    "cpu_shares": 0, "os": {"type": "other", "boot": {"devices": ["hd"]}},
    "bios": {"type": "cluster_default", "boot_menu": {"enabled": False}},
    "high_availability": {"enabled": False, "priority": 0}, "stateless": False, "delete_protected": False,
    "display": {"type": "vnc", "monitors": 1}, "usb": {"enabled": False}, "soundcard_enabled": False,
    "time_zone": {"name": "Etc/GMT"}, "placement_policy": {"affinity": "migratable"},
    "version": {"version_number": 1, "version_name": "base version"}, "origin": "ovirt",
    "creation_time": "2008-04-01T00:00:00.000+00:00", "io": {"threads": 1}, "migration_downtime": -1,
    "start_paused": False, "multi_queues_enabled": True, "virtio_scsi": {"enabled": True},
}


def create_builtins(conn: Connection) -> str:
    tx = Tx(conn, None)
    tx.insert("user", {"id": ADMIN_ID, "name": "admin", "user_name": "admin@internal", "principal": "admin",
                       "namespace": "*", "domain": {"name": "internal-authz"}, "_imported": True})
    blank = dict(BLANK, creation_time=now_iso())
    blank["version"] = dict(BLANK["version"], base_template={"id": BLANK_ID})
    tx.insert("template", blank)
    dc = datacenters.create(tx, {"name": "Default", "description": "The default Data Center"})
    clusters.create(tx, {"name": "Default", "description": "The default server cluster",
                         "data_center": {"id": dc["id"]}, "cpu": {"type": "Intel Nehalem Family"}})
    seed(conn)  # SuperUser on System for admin (the roles and Everyone came with the migration)
    return str(uuid.uuid4())
