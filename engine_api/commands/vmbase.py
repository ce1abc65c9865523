"""What VMs and templates share: the VmBase members one passes to the other, their rules, and device owners.

A VM is created from a template and a template from a VM; both copy the same members (memory, CPU, OS,
display, ...). Disk attachments and NICs belong to either a VM or a template: :func:`owner_kind` tells
which, so one device command serves both.
"""

from __future__ import annotations

from sqlalchemy import Connection

from engine_api.commands.common import deep_defaults
from engine_api.commands.storage_pools import active_domains
from engine_api.commands.tx import Tx
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.model.types import STRUCTS
from engine_api.store import repo

GiB = 1 << 30
TiB = 1 << 40
MAX_VCPUS = 4096
MAX_MEMORY = 16 * TiB  # the most a VM may have (oVirt's own limit is lower, per architecture)

# Members a VM and a template share but never pass on: identity, state, sub-collections, and references
# to things this engine does not keep (profiles, quotas, icons, pools).
_NOT_INHERITED = frozenset({
    "id", "name", "description", "comment", "status", "creation_time", "cluster", "version", "vm",
    "template", "origin", "storage_domain", "lease", "cpu_profile", "quota", "large_icon", "small_icon",
    "domain", "instance_type", "vm_pool", "external_host_provider",
})
VM_BASE: frozenset[str] = frozenset(
    name for name in set(STRUCTS["vm"].members) & set(STRUCTS["template"].members)
    if name not in _NOT_INHERITED and not STRUCTS["vm"].members[name].link
)
# Input references this engine has nothing to resolve against; they are dropped rather than stored dangling.
UNRESOLVED_REFS = frozenset({"cpu_profile", "quota", "large_icon", "small_icon", "domain", "vm_pool",
                             "external_host_provider", "storage_domain"})


def default_max(memory: int) -> int:
    """The maximum memory (for hot plug) when none is given: four times the memory, within the limit."""
    return max(memory, min(4 * memory, MAX_MEMORY))


def inherit(doc: dict, source: dict) -> dict:
    """Fill the VmBase members ``doc`` leaves unset from ``source`` (a template or a VM)."""
    if doc.get("memory") is not None:  # a memory of one's own derives its policy from it, not from source
        policy = doc.setdefault("memory_policy", {}) or {}
        doc["memory_policy"] = policy
        policy.setdefault("guaranteed", doc["memory"])
        policy.setdefault("max", default_max(doc["memory"]))
    deep_defaults(doc, {k: v for k, v in source.items() if k in VM_BASE and v is not None})
    return doc


def base_defaults(doc: dict) -> dict:
    """Defaults every VM and template ends up with, whatever it was made from."""
    memory = doc.setdefault("memory", GiB)
    if memory is None:
        memory = doc["memory"] = GiB
    deep_defaults(doc, {
        "memory_policy": {"guaranteed": memory, "max": default_max(memory)},
        "cpu": {"topology": {"sockets": 1, "cores": 1, "threads": 1}},
        "type": "server", "stateless": False, "delete_protected": False, "description": "", "comment": "",
        "high_availability": {"enabled": False, "priority": 0},
    })
    return doc


def check(doc: dict, what: str) -> None:
    """The rules on memory and CPU; a bad value is a 400 naming the field (``vm.memory``)."""
    memory = doc.get("memory")
    if not isinstance(memory, int) or memory <= 0:
        raise BadRequest(f"{what}.memory must be greater than 0, got {memory}")
    if memory > MAX_MEMORY:
        raise BadRequest(f"{what}.memory must not be greater than {MAX_MEMORY} (16 TiB), got {memory}")
    policy = doc.get("memory_policy") or {}
    guaranteed, maximum = policy.get("guaranteed"), policy.get("max")
    if guaranteed is not None:
        if guaranteed <= 0:
            raise BadRequest(f"{what}.memory_policy.guaranteed must be greater than 0, got {guaranteed}")
        if guaranteed > memory:
            raise BadRequest(f"{what}.memory_policy.guaranteed ({guaranteed}) must not be greater than "
                             f"{what}.memory ({memory})")
    if maximum is not None and maximum > MAX_MEMORY:
        raise BadRequest(f"{what}.memory_policy.max must not be greater than {MAX_MEMORY} (16 TiB), "
                         f"got {maximum}")
    if maximum is not None and memory > maximum:
        raise BadRequest(f"{what}.memory ({memory}) must not be greater than "
                         f"{what}.memory_policy.max ({maximum})")
    topology = (doc.get("cpu") or {}).get("topology") or {}
    for key in ("sockets", "cores", "threads"):
        value = topology.get(key)
        if value is not None and value < 1:
            raise BadRequest(f"{what}.cpu.topology.{key} must be at least 1, got {value}")
    vcpus = 1
    for key in ("sockets", "cores", "threads"):
        vcpus *= topology.get(key) or 1
    if vcpus > MAX_VCPUS:
        raise BadRequest(f"{what}.cpu.topology gives {vcpus} virtual CPUs, more than the {MAX_VCPUS} allowed")
    shares = doc.get("cpu_shares")
    if shares is not None and not 0 <= shares <= 262144:
        raise BadRequest(f"{what}.cpu_shares must be between 0 and 262144, got {shares}")
    ha = doc.get("high_availability") or {}
    if ha.get("priority") is not None and not 0 <= ha["priority"] <= 100:
        raise BadRequest(f"{what}.high_availability.priority must be between 0 and 100, got {ha['priority']}")


def follow_memory(current: dict, changes: dict) -> None:
    """A new memory size moves the guaranteed and maximum memory that were derived from the old one."""
    old, new = current.get("memory"), changes.get("memory")
    if new is None or new == old:
        return
    policy_in = changes.get("memory_policy") or {}
    policy = current.get("memory_policy") or {}
    derived = {}
    if policy_in.get("guaranteed") is None and policy.get("guaranteed") == old:
        derived["guaranteed"] = new
    if old is not None and policy_in.get("max") is None and policy.get("max") == default_max(old) and new > old:
        derived["max"] = default_max(new)
    if derived:
        changes["memory_policy"] = dict(policy_in, **derived)


def resolve_placement(tx: Tx, doc: dict, what: str) -> None:
    """Pinning hosts given by name become references by id."""
    policy = doc.get("placement_policy")
    if not isinstance(policy, dict) or not policy.get("hosts"):
        return
    field = f"{what}.placement_policy.hosts"
    policy["hosts"] = [{"id": tx.ref("host", h, field)["id"]} for h in policy["hosts"]]


def drop_unresolved(doc: dict, what: str) -> dict:
    if doc.get("instance_type"):
        raise BadRequest(f"{what}.instance_type: instance types are not supported by this engine")
    for key in UNRESOLVED_REFS:
        doc.pop(key, None)
    return doc


def resolve_lease(tx: Tx, doc: dict, what: str, cluster_id: str, given: dict | None = None) -> None:
    """A VM lease (``lease.storage_domain``, by id or name) on a storage domain active in the VM's data center;
    a lease given without a storage domain removes the lease, as in oVirt."""
    lease = (given if given is not None else doc).get("lease")
    if lease is None:
        return
    if not isinstance(lease, dict) or not lease.get("storage_domain"):
        doc.pop("lease", None)
        return
    field = f"{what}.lease.storage_domain"
    sd = tx.ref("storage_domain", lease["storage_domain"], field)
    dc = data_center_of(tx, cluster_id)
    if dc is not None:
        if sd["id"] not in {d["id"] for d in active_domains(tx, dc["id"])}:
            raise Conflict(f"Cannot set the lease of {what} {doc.get('name')}: storage domain {sd['name']} is not "
                           f"active in data center {dc['name']} ({field}).")
    doc["lease"] = {"storage_domain": {"id": sd["id"]}}


def data_center_of(tx: Tx, cluster_id: str | None) -> dict | None:
    if not cluster_id:
        return None
    cluster = tx.get("cluster", cluster_id)
    return tx.get("data_center", cluster["data_center"]["id"]) if cluster else None


def same_data_center(tx: Tx, cluster_a: str | None, cluster_b: str | None) -> bool:
    """Whether two clusters are in one data center (a missing cluster is in any)."""
    a, b = data_center_of(tx, cluster_a), data_center_of(tx, cluster_b)
    return a is None or b is None or a["id"] == b["id"]


def cluster_for_copy(tx: Tx, doc: dict, field: str, what: str, source: dict) -> dict:
    """The cluster a copy of the VM ``source`` goes to: the one asked in ``doc`` (``field``), else the source's;
    it must be in the source's data center. ``what`` names the copy in the fault ("VM x", "template x")."""
    cluster = tx.ref("cluster", doc.get("cluster"), field, required=False) \
        or tx.must("cluster", source["cluster"]["id"])
    if not same_data_center(tx, source["cluster"]["id"], cluster["id"]):
        raise Conflict(f"Cannot add {what}: cluster {cluster['name']} is in another data center than VM "
                       f"{source['name']}.")
    return cluster


def architecture(cluster: dict) -> str | None:
    arch = (cluster.get("cpu") or {}).get("architecture")
    return arch if arch and arch != "undefined" else None


def set_architecture(doc: dict, cluster: dict | None) -> None:
    arch = architecture(cluster) if cluster else None
    if arch:
        cpu = doc.get("cpu") or {}
        cpu["architecture"] = arch
        doc["cpu"] = cpu


# ---------------------------------------------------------------- owners of devices


def _owner_of(conn: Connection, parent: dict) -> tuple[str, dict]:
    for kind in ("vm", "template"):
        doc = repo.get(conn, kind, parent["id"])
        if doc is not None:
            return kind, doc
    raise NotFound(f"vm or template '{parent['id']}' does not exist")


def owner_kind(conn: Connection, owner: dict) -> str:
    """``"vm"`` or ``"template"``: the kind of the entity a disk attachment or NIC belongs to."""
    return _owner_of(conn, owner)[0]


def owner(tx: Tx, parent: dict | None) -> tuple[str, dict]:
    """The kind and the current document of a device's owner."""
    if parent is None:
        raise BadRequest("a VM or a template is required")
    return _owner_of(tx.conn, parent)


def what_of(kind: str, doc: dict) -> str:
    return f"{'VM' if kind == 'vm' else 'template'} {doc['name']}"


def refuse_hotplug(kind: str, owner_doc: dict, doing: str) -> None:
    """Plugged devices of a VM that is not down change only when it is down: hot plug is not supported yet."""
    if kind == "vm" and owner_doc.get("status", "down") != "down":
        raise Conflict(f"Cannot {doing} VM {owner_doc['name']} while it is {owner_doc['status']}: "
                       "hot-plugging is not supported yet; stop the VM first.")
