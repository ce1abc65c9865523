"""Read-only things every engine has: the default MAC pool, CPU types, cluster levels, operating systems.

They are data, not rows: the REST layer serves them from here (``/macpools``,
``/clusterlevels``, ``/operatingsystems``) and clusters refer to them by id.
"""

from __future__ import annotations

import copy

from engine_api.auth.permits import PERMITS
from engine_api.core.errors import BadRequest

DEFAULT_MAC_POOL_ID = "58ca604b-017d-0374-0220-00000000014a"
MAC_POOLS: list[dict] = [
    {"id": DEFAULT_MAC_POOL_ID, "name": "Default", "description": "Default MAC pool", "allow_duplicates": False,
     "default_pool": True, "ranges": [{"from": "56:6f:00:00:00:00", "to": "56:6f:ff:ff:ff:ff"}]},
]

# CPU types by architecture, oldest first: a type's level is its position in its architecture's list.
CPU_TYPES: dict[str, list[str]] = {
    "x86_64": [
        f"{secure}{family}"
        for family in ("Intel Nehalem Family", "Intel Westmere Family", "Intel SandyBridge Family",
                       "Intel IvyBridge Family", "Intel Haswell Family", "Intel Broadwell Family",
                       "Intel Skylake Client Family", "Intel Skylake Server Family",
                       "Intel Cascadelake Server Family", "Intel Icelake Server Family", "AMD EPYC")
        for secure in ("", "Secure ")
    ] + ["AMD Opteron G4", "AMD Opteron G5"],
    "ppc64": ["IBM POWER8", "IBM POWER9", "IBM POWER10"],
    "s390x": ["IBM z114, z196", "IBM zBC12, zEC12", "IBM z13s, z13", "IBM z14", "IBM z15"],
    "aarch64": ["ARM Cortex-A57", "ARM Neoverse-N1"],
}

CLUSTER_LEVELS = ["4.2", "4.3", "4.4", "4.5", "4.6", "4.7"]

# Operating system names as oVirt's osinfo knows them; the ids are this engine's.
OPERATING_SYSTEMS: list[tuple[str, str, str]] = [
    ("other", "Other OS", "x86_64"), ("other_linux", "Linux", "x86_64"),
    ("rhel_7x64", "Red Hat Enterprise Linux 7.x x64", "x86_64"),
    ("rhel_8x64", "Red Hat Enterprise Linux 8.x x64", "x86_64"),
    ("rhel_9x64", "Red Hat Enterprise Linux 9.x x64", "x86_64"),
    ("debian_9", "Debian 9+", "x86_64"), ("ubuntu_14_04", "Ubuntu Trusty Tahr LTS+", "x86_64"),
    ("sles_11", "SUSE Linux Enterprise Server 11+", "x86_64"), ("freebsdx64", "FreeBSD 9.2 x64", "x86_64"),
    ("windows_10x64", "Windows 10 x64", "x86_64"), ("windows_2016x64", "Windows 2016 x64", "x86_64"),
    ("windows_2019x64", "Windows 2019 x64", "x86_64"), ("windows_2022", "Windows 2022", "x86_64"),
    ("windows_11", "Windows 11", "x86_64"),
    ("other_ppc64", "Other OS", "ppc64"), ("other_linux_ppc64", "Linux", "ppc64"),
    ("other_s390x", "Other OS", "s390x"), ("other_linux_s390x", "Linux", "s390x"),
    ("other_linux_aarch64", "Linux", "aarch64"),
]


def mac_pools() -> list[dict]:
    return copy.deepcopy(MAC_POOLS)


def cluster_levels() -> list[dict]:
    cpu_types = [{"name": name, "level": level, "architecture": arch}
                 for arch, names in CPU_TYPES.items() for level, name in enumerate(names, 1)]
    permits = [{"id": str(p.id), "name": p.name, "administrative": p.admin} for p in PERMITS.values()]
    return [{"id": level, "name": level, "cpu_types": copy.deepcopy(cpu_types), "permits": copy.deepcopy(permits)}
            for level in CLUSTER_LEVELS]


def operating_systems() -> list[dict]:
    return [{"id": str(i), "name": name, "description": description, "architecture": arch}
            for i, (name, description, arch) in enumerate(OPERATING_SYSTEMS)]


def _pick(items: list[dict], ref: dict, field: str, what: str) -> dict:
    for item in items:
        if (ref.get("id") and item["id"] == ref["id"]) or (not ref.get("id") and item["name"] == ref.get("name")):
            return item
    raise BadRequest(f"{field}: no {what} {ref.get('id') or ref.get('name')!r}")


def cluster_refs(doc: dict) -> None:
    """Resolve (or default) a cluster's ``mac_pool`` to a reference by id (its scheduling policy: see
    :func:`engine_api.commands.scheduling.resolve_cluster_policy`)."""
    for member, items, default in (("mac_pool", MAC_POOLS, DEFAULT_MAC_POOL_ID),):
        ref = doc.get(member)
        if not ref or not (ref.get("id") or ref.get("name")):
            doc[member] = {"id": default}
        else:
            doc[member] = {"id": _pick(items, ref, f"cluster.{member}", member.replace("_", " "))["id"]}
