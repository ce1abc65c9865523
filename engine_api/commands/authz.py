"""The permit each command needs and the object it needs it on (oVirt's ``getPermissionCheckSubjects``).

A rule maps a command's action name to subjects: (permit, object type, object id) computed from the command's
arguments, references resolved by id or name as the command itself resolves them. The check passes when the
user, one of their groups or Everyone holds a role with the permit on the object or one of its ancestors
(:func:`engine_api.auth.scope.ancestors`), or on System. A reference that does not resolve gives no subject:
the command refuses it with its own 400 and nothing changes. A command without a rule needs CONFIGURE_ENGINE on
System, so an unlisted command is never open to everyone.

Steps a command runs later, in a job (a VM's launch after its start was accepted), pass as the accepted step
did: a context remembers the checks it passed. The engine's own work (monitoring, HA, balancing) is not
checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine_api.auth import permits as P
from engine_api.auth.grants import Grants, rbac_for
from engine_api.auth.scope import ancestors
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import Fault, Forbidden

NOT_AUTHORIZED = "User is not authorized to perform this action."
BLANK_ID = "00000000-0000-0000-0000-000000000000"

Subject = tuple[int, str, str]  # permit, object type, object id
Resolver = Callable[[Tx, tuple], list[Subject]]


def _ident(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value if isinstance(value, str) else None


class Rule:
    """A resolver that names the permits it can ask for: a user holding all of them on System passes without the
    command's objects being resolved (the administrators' path reads nothing)."""

    def __init__(self, permits: set[int] | frozenset[int], resolve: Resolver):
        self.permits = frozenset(permits)
        self.resolve = resolve

    def __call__(self, tx: Tx, args: tuple) -> list[Subject]:
        return self.resolve(tx, args)


def on_system(permit: int) -> Rule:
    return Rule({permit}, lambda tx, args: [(permit, "system", P.SYSTEM_ID)])


def on_arg(permit: int, kind: str, index: int = 0) -> Rule:
    """The object is argument ``index`` (a document or an id)."""
    def resolve(tx: Tx, args: tuple) -> list[Subject]:
        ident = _ident(args[index]) if len(args) > index else None
        return [(permit, kind, ident)] if ident else []
    return Rule({permit}, resolve)


def on_ref(permit: int, kind: str, member: str, default: dict | None = None, **scope_from: str) -> Rule:
    """The object is what member ``member`` of the document (argument 0) references."""
    def resolve(tx: Tx, args: tuple) -> list[Subject]:
        doc = args[0] if args and isinstance(args[0], dict) else {}
        try:
            found = tx.ref(kind, doc.get(member) or default, member, required=False)
        except Fault:
            return []
        return [(permit, kind, found["id"])] if found else []
    return Rule({permit}, resolve)


def on_owner(vm_permit: int, template_permit: int, index: int = 0) -> Rule:
    """A VM's or a template's device: the owner is argument ``index``."""
    def resolve(tx: Tx, args: tuple) -> list[Subject]:
        ident = _ident(args[index]) if len(args) > index else None
        if not ident:
            return []
        if tx.get("vm", ident) is not None:
            return [(vm_permit, "vm", ident)]
        return [(template_permit, "template", ident)]
    return Rule({vm_permit, template_permit}, resolve)


def _affinity_group(tx: Tx, args: tuple) -> list[Subject]:
    group = tx.get("affinity_group", _ident(args[0]) or "") if args else None
    return [(1550, "cluster", group["cluster"]["id"])] if group and group.get("cluster") else []


def _disk_target(tx: Tx, args: tuple) -> list[Subject]:
    doc = args[0] if args and isinstance(args[0], dict) else {}
    sds = doc.get("storage_domains") or []
    out = []
    for ref in sds[:1]:
        try:
            sd = tx.ref("storage_domain", ref, "disk.storage_domains", required=False)
        except Fault:
            continue
        if sd:
            out.append((1100, "storage_domain", sd["id"]))
    return out or [(1100, "system", P.SYSTEM_ID)]


# No subject here: the command checks its own object (a permission's), or it is a later step of one checked
# when it was accepted (a job's).
CHECKED_ELSEWHERE = Rule(frozenset(), lambda tx, args: [])
on_affinity_group = Rule({1550}, _affinity_group)
on_disk_target = Rule({1100}, _disk_target)


def both(*rules: Rule) -> Rule:
    permits = frozenset().union(*(r.permits for r in rules))
    return Rule(permits, lambda tx, args: [s for r in rules for s in r(tx, args)])


RULES: dict[str, Rule] = {
    "add_data_center": on_system(700),
    "update_data_center": on_arg(702, "data_center"),
    "remove_data_center": on_arg(701, "data_center"),
    "add_cluster": on_ref(400, "data_center", "data_center"),
    "update_cluster": on_arg(401, "cluster"),
    "remove_cluster": on_arg(402, "cluster"),
    "add_host": on_ref(100, "cluster", "cluster", {"name": "Default"}),
    "update_host": on_arg(101, "host"),
    "remove_host": on_arg(102, "host"),
    **{a: on_arg(103, "host") for a in ("activate_host", "deactivate_host", "install_host", "refresh_host")},
    "add_storage_domain": on_system(600),
    "update_storage_domain": on_arg(601, "storage_domain"),
    "remove_storage_domain": on_arg(602, "storage_domain"),
    "attach_storage_domain": on_arg(603, "data_center"),
    **{a: on_arg(603, "storage_domain", 1) for a in ("detach_storage_domain", "activate_storage_domain",
                                                     "deactivate_storage_domain")},
    "add_network": on_ref(704, "data_center", "data_center"),
    "update_network": on_arg(703, "network"),
    "remove_network": on_arg(705, "network"),
    "add_vnic_profile": on_ref(1204, "network", "network"),
    "update_vnic_profile": on_arg(1203, "vnic_profile"),
    "remove_vnic_profile": on_arg(1205, "vnic_profile"),
    "assign_network": on_arg(404, "cluster"),
    "detach_network": on_arg(404, "cluster"),
    "update_cluster_network": on_arg(403, "cluster"),
    "add_template": both(on_ref(200, "vm", "vm")),
    "update_template": on_arg(201, "template"),
    "remove_template": on_arg(202, "template"),
    "add_vm": both(on_ref(1, "cluster", "cluster"), on_ref(1, "template", "template", {"id": BLANK_ID})),
    "update_vm": on_arg(3, "vm"),
    "remove_vm": on_arg(2, "vm"),
    "run_vm": on_arg(22, "vm"),
    "stop_vm": on_arg(18, "vm"),
    "shutdown_vm": on_arg(19, "vm"),
    "reboot_vm": on_arg(17, "vm"),
    "suspend_vm": on_arg(21, "vm"),
    "migrate_vm": on_arg(6, "vm"),
    "cancel_migration": on_arg(6, "vm"),
    "set_vm_ticket": on_arg(7, "vm"),
    "add_vm_interface": on_owner(9, 204),
    "update_vm_interface": on_owner(9, 204),
    "remove_vm_interface": on_owner(9, 204),
    "add_disk": on_disk_target,
    "update_disk": on_arg(1102, "disk"),
    "remove_disk": on_arg(1104, "disk"),
    "attach_disk": on_owner(10, 201),
    "update_disk_attachment": on_owner(10, 201),
    "detach_disk": on_owner(10, 201),
    "add_affinity_group": on_arg(1550, "cluster"),
    "update_affinity_group": on_affinity_group,
    "remove_affinity_group": on_affinity_group,
    **{a: on_system(1550) for a in ("add_affinity_label", "update_affinity_label", "remove_affinity_label")},
    **{a: on_system(800) for a in ("add_scheduling_policy", "update_scheduling_policy",
                                   "remove_scheduling_policy")},
    "add_external_event": on_system(1400),
}

# Steps only the engine's own work or a job's later step runs: no check of their own.
INTERNAL = frozenset({
    "create_volume", "extend_disk", "host_maintenance", "host_non_operational", "monitor_host", "recover_jobs",
    "recover_in_flight", "restart_ha_vm", "balance_vm", "force_power",
})


def register(action: str, resolver: Rule) -> None:
    """A rule for a command defined elsewhere (users, groups, roles and permissions register theirs)."""
    RULES[action] = resolver


def grants(ctx: Context) -> Grants:
    return rbac_for(ctx.engine.db).grants(ctx.user.id)


def denied() -> Forbidden:
    return Forbidden(NOT_AUTHORIZED, "Operation Failed")


def check(ctx: Context, tx: Tx, action: str, args: tuple) -> None:
    """Raise the 403 fault unless the user may run ``action`` with ``args``."""
    if ctx.user.system or action in INTERNAL:
        return
    g = grants(ctx)
    resolver = RULES.get(action) or on_system(800)
    if resolver.permits <= g.system:
        return
    subjects = resolver(tx, args)
    if all(permit in g.system for permit, _, _ in subjects):  # the administrators' path: no reads at all
        return
    for permit, kind, ident in subjects:
        key = (action, permit, ident)
        if key in ctx.authorized:
            continue
        if kind == "system" or not g.holds(permit, ancestors(tx.conn, kind, ident)):
            raise denied()
        ctx.authorized.add(key)


def holds(ctx: Context, tx: Tx, permit: int, kind: str, ident: str) -> bool:
    if ctx.user.system:
        return True
    g = grants(ctx)
    if permit in g.system:
        return True
    return kind != "system" and g.holds(permit, ancestors(tx.conn, kind, ident))
