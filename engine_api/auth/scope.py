"""Where permissions reach: the ancestors of an object (for command checks) and the objects a filtered user
sees (as SQL conditions, so a list is filtered by the database in the query that reads it).

Ancestry (oVirt's ``fn_get_entity_parents``): System → data center → cluster → host, VM, template, affinity
group; storage domain → the data centers it is attached to; disk → its storage domain (and their data centers),
the VMs it is attached to and their clusters; network → data center; vNIC profile → network.

Visibility (oVirt's ``user_*_permissions_view``): an object with a permission of its own, or below an object
with a permission through a role that lets its holder see children; a cluster or data center also when a VM or
template the user sees is in it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, false, or_, select, true

from engine_api.auth.grants import Grants
from engine_api.store.schema import KINDS, col

_ATTACHED = "attached_storage_domain"


def _one(conn: Connection, q) -> list[str]:
    row = conn.execute(q).first()
    return [v for v in row if v] if row else []


def ancestors(conn: Connection, object_type: str, object_id: str) -> list[str]:
    """The ids of the object and of everything above it but System."""
    ids = [object_id]
    if object_type not in KINDS:  # System, or an object of no kind: nothing above it
        return ids
    t = KINDS[object_type].table
    if object_type in ("host", "vm", "template"):
        c = KINDS["cluster"].table
        ids += _one(conn, select(t.c.cluster_id, c.c.data_center_id).select_from(t)
                    .outerjoin(c, c.c.id == t.c.cluster_id).where(t.c.id == object_id))
    elif object_type in ("cluster", "network"):
        ids += _one(conn, select(t.c.data_center_id).where(t.c.id == object_id))
    elif object_type == "affinity_group":
        c = KINDS["cluster"].table
        ids += _one(conn, select(t.c.cluster_id, c.c.data_center_id).select_from(t)
                    .join(c, c.c.id == t.c.cluster_id).where(t.c.id == object_id))
    elif object_type == "vnic_profile":
        n = KINDS["network"].table
        ids += _one(conn, select(t.c.network_id, n.c.data_center_id).select_from(t)
                    .join(n, n.c.id == t.c.network_id).where(t.c.id == object_id))
    elif object_type == "storage_domain":
        ids += _data_centers_of_sds(conn, [object_id])
    elif object_type == "disk":
        sd = _one(conn, select(t.c.storage_domain_id).where(t.c.id == object_id))
        ids += sd + _data_centers_of_sds(conn, sd)
        a = KINDS["disk_attachment"].table
        v = KINDS["vm"].table
        c = KINDS["cluster"].table
        for row in conn.execute(select(v.c.id, v.c.cluster_id, c.c.data_center_id).select_from(a)
                                .join(v, v.c.id == a.c.vm_id).outerjoin(c, c.c.id == v.c.cluster_id)
                                .where(a.c.disk_id == object_id)):
            ids += [x for x in row if x]
    return ids


def _data_centers_of_sds(conn: Connection, sd_ids: list[str]) -> list[str]:
    if not sd_ids:
        return []
    a = KINDS[_ATTACHED].table
    return [r[0] for r in conn.execute(select(a.c.data_center_id).where(a.c.storage_domain_id.in_(sd_ids)))]


def _in(column, ids: set[str]) -> ColumnElement[bool]:
    return column.in_(sorted(ids)) if ids else false()


def _clusters_in(dcs: set[str]):
    return select(col("cluster", "id")).where(_in(col("cluster", "data_center_id"), dcs))


def visible_vms(g: Grants) -> ColumnElement[bool]:
    t = KINDS["vm"].table
    dcs, clusters = g.ids("data_center", True), g.ids("cluster", True)
    return or_(_in(t.c.id, g.ids("vm")), _in(t.c.cluster_id, clusters),
               t.c.cluster_id.in_(_clusters_in(dcs)) if dcs else false())


def restrict(g: Grants, kind: str) -> ColumnElement[bool] | None:
    """The condition on ``kind``'s table that keeps what the user sees; None: the kind is not filtered."""
    if kind not in _RULES:
        return None
    if g.sees_everything:
        return true()
    return _RULES[kind](g)


def _under_cluster(kind: str):
    def rule(g: Grants) -> ColumnElement[bool]:
        t = KINDS[kind].table
        dcs = g.ids("data_center", True)
        return or_(_in(t.c.id, g.ids(kind)), _in(t.c.cluster_id, g.ids("cluster", True)),
                   t.c.cluster_id.in_(_clusters_in(dcs)) if dcs else false())
    return rule


def _clusters(g: Grants) -> ColumnElement[bool]:
    t = KINDS["cluster"].table
    v, tp = KINDS["vm"].table, KINDS["template"].table
    vms, templates = g.ids("vm"), g.ids("template")
    return or_(_in(t.c.id, g.ids("cluster")), _in(t.c.data_center_id, g.ids("data_center", True)),
               t.c.id.in_(select(v.c.cluster_id).where(_in(v.c.id, vms))) if vms else false(),
               t.c.id.in_(select(tp.c.cluster_id).where(_in(tp.c.id, templates))) if templates else false())


def _data_centers(g: Grants) -> ColumnElement[bool]:
    t = KINDS["data_center"].table
    c = KINDS["cluster"].table
    return or_(_in(t.c.id, g.ids("data_center")),
               t.c.id.in_(select(c.c.data_center_id).where(_clusters(g))))


def _storage_domains(g: Grants) -> ColumnElement[bool]:
    t = KINDS["storage_domain"].table
    a = KINDS[_ATTACHED].table
    dcs = g.ids("data_center", True)
    return or_(_in(t.c.id, g.ids("storage_domain")),
               t.c.id.in_(select(a.c.storage_domain_id).where(_in(a.c.data_center_id, dcs))) if dcs else false())


def _networks(g: Grants) -> ColumnElement[bool]:
    t = KINDS["network"].table
    return or_(_in(t.c.id, g.ids("network")), _in(t.c.data_center_id, g.ids("data_center", True)))


def _vnic_profiles(g: Grants) -> ColumnElement[bool]:
    t = KINDS["vnic_profile"].table
    n = KINDS["network"].table
    dcs = g.ids("data_center", True)
    return or_(_in(t.c.id, g.ids("vnic_profile")), _in(t.c.network_id, g.ids("network", True)),
               t.c.network_id.in_(select(n.c.id).where(_in(n.c.data_center_id, dcs))) if dcs else false())


def _disks(g: Grants) -> ColumnElement[bool]:
    t = KINDS["disk"].table
    a = KINDS["disk_attachment"].table
    v = KINDS["vm"].table
    sds = g.ids("storage_domain", True)
    dcs = g.ids("data_center", True)
    seen_vms = select(v.c.id).where(visible_vms_children(g))
    s = KINDS[_ATTACHED].table
    return or_(_in(t.c.id, g.ids("disk")), _in(t.c.storage_domain_id, sds),
               t.c.storage_domain_id.in_(select(s.c.storage_domain_id).where(_in(s.c.data_center_id, dcs)))
               if dcs else false(),
               t.c.id.in_(select(a.c.disk_id).where(a.c.vm_id.in_(seen_vms))))


def visible_vms_children(g: Grants) -> ColumnElement[bool]:
    """VMs whose children (disks, NICs) the user sees: a viewing-children role on the VM or above it."""
    t = KINDS["vm"].table
    dcs = g.ids("data_center", True)
    return or_(_in(t.c.id, g.ids("vm", True)), _in(t.c.cluster_id, g.ids("cluster", True)),
               t.c.cluster_id.in_(_clusters_in(dcs)) if dcs else false())


_RULES = {
    "vm": visible_vms,
    "host": _under_cluster("host"),
    "template": _under_cluster("template"),
    "cluster": _clusters,
    "data_center": _data_centers,
    "storage_domain": _storage_domains,
    "network": _networks,
    "vnic_profile": _vnic_profiles,
    "disk": _disks,
}
FILTERED_KINDS = frozenset(_RULES)
