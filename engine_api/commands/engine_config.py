"""Engine configuration keys set like oVirt's ``engine-config``: per cluster level (``--cver``) or general.

Values live in the store's ``settings`` table (``config/<key>/<version>``), so a change made by
``vdc-engine config`` or through the API is seen by the next request without restarting the engine, by every
engine sharing the database.

- ``UserDefinedVMProperties`` / ``PredefinedVMProperties``: ``name=regex;name2=regex`` per cluster level, the
  VM and template custom properties a cluster of that level accepts (a value must match its regex whole).
- ``HookScriptTimeoutInSeconds``: how long a hook script may run on a host before its process group is killed;
  sent to each host with its hooks.
- ``ExternalSchedulerResponseTimeout``: how long (ms) one call of an external scheduling unit may run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from engine_api.commands.datacenters import SUPPORTED_VERSIONS
from engine_api.core.errors import BadRequest, NotFound
from engine_api.store.schema import settings

GENERAL = "general"
VERSIONS = [f"{v['major']}.{v['minor']}" for v in SUPPORTED_VERSIONS]
PROPERTY_NAME = re.compile(r"^[a-z_A-Z0-9]+$")  # oVirt's key pattern

# oVirt's predefined VM properties (names as oVirt ships them; the patterns are vdc's own, same meaning)
PREDEFINED = ";".join([
    "sap_agent=^(true|false)$", "sndbuf=^[0-9]+$",
    "vhost=^(([a-zA-Z0-9_]*):(true|false))(,(([a-zA-Z0-9_]*):(true|false)))*$",
    "viodiskcache=^(none|writeback|writethrough)$", "hugepages=^[0-9]+$",
    "scsi_hostdev=^(scsi_generic|scsi_block|scsi_hd|virtio_blk_pci)$", "nvram_template=^[^,]+$",
    "extra_cpu_flags=^.*$",
])


@dataclass(frozen=True)
class Key:
    name: str
    description: str
    versioned: bool
    default: str


KEYS = {k.name: k for k in (
    Key("UserDefinedVMProperties", "User defined VM properties (name=regex;...), per cluster level", True, ""),
    Key("PredefinedVMProperties", "Predefined VM properties (name=regex;...), per cluster level", True, PREDEFINED),
    Key("HookScriptTimeoutInSeconds", "Seconds a VDSM hook script may run before it is killed", False, "60"),
    Key("ExternalSchedulerResponseTimeout", "Milliseconds an external scheduling unit may run before it is "
        "killed (oVirt's default)", False, "120000"),
)}


def parse_properties(value: str) -> dict[str, str]:
    """``name=regex;name2=regex`` -> {name: regex}; a wrong item or a regex that does not compile is a 400."""
    out: dict[str, str] = {}
    for item in (value or "").split(";"):
        if not item.strip():
            continue
        name, sep, regex = item.partition("=")
        name = name.strip()
        if not sep or not PROPERTY_NAME.match(name):
            raise BadRequest(f"'{item[:80]}' is not name=regex (a name is letters, digits and '_')")
        try:
            re.compile(regex)
        except re.error as e:
            raise BadRequest(f"the regex of property {name} does not compile: {e}") from None
        out[name] = regex
    return out


def _key(name: str) -> Key:
    key = KEYS.get(name)
    if key is None:
        raise NotFound(f"no configuration key '{name[:80]}'; known keys: {', '.join(KEYS)}")
    return key


def _version(key: Key, version: str | None) -> str:
    if not key.versioned:
        if version not in (None, "", GENERAL):
            raise BadRequest(f"{key.name} is not per cluster level; give no version")
        return GENERAL
    if not version:
        raise BadRequest(f"{key.name} is per cluster level: give a version ({', '.join(VERSIONS)})")
    if version not in VERSIONS:
        raise BadRequest(f"no cluster level {version[:16]}; levels: {', '.join(VERSIONS)}")
    return version


def _check(key: Key, value: str) -> str:
    if key.name.endswith("VMProperties"):
        parse_properties(value)
    elif key.name == "HookScriptTimeoutInSeconds":
        try:
            seconds = float(value)
        except ValueError:
            raise BadRequest(f"{key.name} must be a number of seconds, got '{value[:40]}'") from None
        if not 0 < seconds <= 3600:
            raise BadRequest(f"{key.name} must be within (0, 3600], got {value}")
    elif key.name == "ExternalSchedulerResponseTimeout":
        if not value.isdigit() or not 100 <= int(value) <= 3_600_000:
            raise BadRequest(f"{key.name} must be a number of milliseconds from 100 to 3600000, got '{value[:40]}'")
    return value


def _row(name: str, version: str) -> str:
    return f"config/{name}/{version}"


def get(conn: Connection, name: str, version: str | None = None) -> str:
    key = _key(name)
    version = _version(key, version)
    row = conn.execute(select(settings.c.value).where(settings.c.key == _row(name, version))).first()
    return row.value if row is not None else key.default


def set_value(conn: Connection, name: str, value: str, version: str | None = None) -> bool:
    """Set a key (overwriting its whole value, as engine-config does); True when it changed."""
    key = _key(name)
    version = _version(key, version)
    value = _check(key, value)
    if get(conn, name, version) == value:
        return False
    ident = _row(name, version)
    if value == key.default:
        conn.execute(delete(settings).where(settings.c.key == ident))
    elif conn.execute(select(settings.c.key).where(settings.c.key == ident)).first():
        conn.execute(update(settings).where(settings.c.key == ident).values(value=value))
    else:
        conn.execute(insert(settings).values(key=ident, value=value))
    return True


def entries(conn: Connection, name: str | None = None) -> list[dict]:
    """Every key (or one) at every level it has: {name, version, value, description}."""
    out = []
    for key in ([_key(name)] if name else KEYS.values()):
        for version in (VERSIONS if key.versioned else [GENERAL]):
            out.append({"name": key.name, "version": version, "value": get(conn, key.name, version),
                        "description": key.description})
    return out


def vm_properties(conn: Connection, version: str) -> dict[str, str]:
    """The custom properties a VM of this cluster level may have: predefined, then user defined (wins)."""
    if version not in VERSIONS:
        version = VERSIONS[-1]
    return {**parse_properties(get(conn, "PredefinedVMProperties", version)),
            **parse_properties(get(conn, "UserDefinedVMProperties", version))}
