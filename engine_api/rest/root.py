"""The API's collection tree and the root ``<api>`` document."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version

from sqlalchemy import Connection, func, select

from engine_api.commands import (
    clusters,
    datacenters,
    disks,
    events,
    host_runtime,
    hosts,
    networks,
    nics,
    storage,
    templates,
    vm_migration,
    vm_runtime,
    vms,
)
from engine_api.commands.builtin import BLANK_ID
from engine_api.core.context import Context
from engine_api.core.version import PRODUCT_VERSION
from engine_api.rest import aaa, extras, images, scheduling
from engine_api.rest.present import TOP
from engine_api.rest.resources import API, Collection, column, doc_field, ref_name
from engine_api.store import repo, search
from engine_api.store.schema import KINDS, col, tokens

# ---------------------------------------------------------------- views joining two kinds


def _attached_sd(conn: Connection, dc: dict, attachment: dict) -> dict | None:
    sd = repo.get(conn, "storage_domain", attachment["storage_domain"]["id"])
    if sd is None:
        return None
    sd.update(status=attachment.get("status"), master=attachment.get("master", False),
              data_center={"id": dc["id"]}, data_centers=[{"id": dc["id"]}])
    return sd


def _list_attached_sds(conn: Connection, dc: dict | None, params: dict) -> list[dict]:
    if dc is None:
        return []
    rows = repo.find(conn, "attached_storage_domain", col("attached_storage_domain", "data_center_id") == dc["id"])
    return [d for d in (_attached_sd(conn, dc, a) for a in rows) if d]


def _load_attached_sd(conn: Connection, dc: dict | None, ident: str) -> dict | None:
    if dc is None:
        return None
    rows = repo.find(conn, "attached_storage_domain", (col("attached_storage_domain", "data_center_id") == dc["id"])
                     & (col("attached_storage_domain", "storage_domain_id") == ident))
    return _attached_sd(conn, dc, rows[0]) if rows else None


def _decorate_sd(conn: Connection, parent: dict | None, sd: dict) -> None:
    if parent is not None:
        return
    rows = repo.find(conn, "attached_storage_domain", col("attached_storage_domain", "storage_domain_id") == sd["id"])
    if rows:
        sd["data_centers"] = [{"id": a["data_center"]["id"]} for a in rows]
    else:
        sd["status"] = "unattached"


def _cluster_net(conn: Connection, cluster: dict, link: dict) -> dict | None:
    net = repo.get(conn, "network", link["network"]["id"])
    if net is None:
        return None
    net.update(cluster={"id": cluster["id"]}, required=link.get("required", True),
               usages=link.get("usages", []), display="display" in link.get("usages", []), status="operational")
    return net


def _list_cluster_nets(conn: Connection, cluster: dict | None, params: dict) -> list[dict]:
    if cluster is None:
        return []
    rows = repo.find(conn, "cluster_network", col("cluster_network", "cluster_id") == cluster["id"])
    return [n for n in (_cluster_net(conn, cluster, r) for r in rows) if n]


def _load_cluster_net(conn: Connection, cluster: dict | None, ident: str) -> dict | None:
    if cluster is None:
        return None
    rows = repo.find(conn, "cluster_network", (col("cluster_network", "cluster_id") == cluster["id"])
                     & (col("cluster_network", "network_id") == ident))
    return _cluster_net(conn, cluster, rows[0]) if rows else None


def _vm_datacenter(t):
    c = KINDS["cluster"].table
    d = KINDS["data_center"].table
    from sqlalchemy import select

    return (select(d.c.name).join(c, c.c.data_center_id == d.c.id).where(c.c.id == t.c.cluster_id)
            .scalar_subquery())


DATACENTER_OF_CLUSTER = (_vm_datacenter, "str")

# ---------------------------------------------------------------- the tree

data_center_storage_domains = Collection(
    "storagedomains", "storage_domain", add=storage.attach, remove=storage.detach,
    load=_load_attached_sd, list_items=_list_attached_sds,
    actions={"activate": storage.activate, "deactivate": storage.deactivate},
)
datacenters_ = Collection(
    "datacenters", "data_center", "data_center",
    fields={"status": doc_field("status"), "local": doc_field("local", "bool"),
            "clusters.name": (lambda t: _exists_name(t, "cluster", "data_center_id"), "str"),
            "storage": (lambda t: _attached_name(t), "str"),
            "storage.name": (lambda t: _attached_name(t), "str")},
    add=datacenters.add, update=datacenters.update, remove=datacenters.remove,
    subs={
        "storagedomains": data_center_storage_domains,
        "clusters": Collection("clusters", "cluster", "cluster", parent_ref="data_center", add=clusters.add),
        "networks": Collection("networks", "network", "network", parent_ref="data_center", add=networks.add),
    },
)
clusters_ = Collection(
    "clusters", "cluster", "cluster",
    fields={"datacenter": ref_name("data_center", "data_center"),
            "data_center": ref_name("data_center", "data_center"),
            "compatibility_level": (lambda t: t.c.doc["version"]["minor"].as_string(), "str"),
            "cpu_type": doc_field("cpu.type")},
    add=clusters.add, update=clusters.update, remove=clusters.remove,
    subs={"networks": Collection("networks", "network", add=networks.assign_to_cluster,
                                 update=networks.update_cluster_network, remove=networks.unassign_from_cluster,
                                 load=_load_cluster_net, list_items=_list_cluster_nets)},
)
hosts_ = Collection(
    "hosts", "host", "host",
    fields={"status": doc_field("status"), "address": doc_field("address"), "type": doc_field("type"),
            "cluster": ref_name("cluster", "cluster"), "datacenter": DATACENTER_OF_CLUSTER},
    add=hosts.add, update=hosts.update, remove=hosts.remove, decorate=hosts.decorate_summary,
    decorate_many=hosts.decorate_summaries,
    actions={"activate": host_runtime.activate, "deactivate": host_runtime.deactivate,
             "install": host_runtime.install, "refresh": host_runtime.refresh, "fence": host_runtime.fence},
)
storagedomains_ = Collection(
    "storagedomains", "storage_domain", "storage_domain",
    fields={"type": doc_field("type"), "storage_type": doc_field("storage.type"),
            "datacenter": (lambda t: _sd_datacenter(t), "str")},
    add=storage.add, update=storage.update, remove=storage.remove, decorate=_decorate_sd,
    subs={"disks": Collection("disks", "disk", "disk", parent_ref="storage_domain", decorate=disks.decorate,
                              decorate_reads_row_only=True)},
)
vnicprofiles_ = Collection(
    "vnicprofiles", "vnic_profile", "vnic_profile", fields={"network": ref_name("network", "network")},
    add=networks.add_profile, update=networks.update_profile, remove=networks.remove_profile,
)
networks_ = Collection(
    "networks", "network", "network",
    fields={"datacenter": ref_name("data_center", "data_center"),
            "data_center": ref_name("data_center", "data_center"),
            "vlan_id": doc_field("vlan.id", "int"), "mtu": doc_field("mtu", "int")},
    add=networks.add, update=networks.update, remove=networks.remove,
    subs={"vnicprofiles": Collection("vnicprofiles", "vnic_profile", "vnic_profile", parent_ref="network",
                                     add=networks.add_profile)},
)


def _attachments(owner: str) -> Collection:
    return Collection(
        "diskattachments", "disk_attachment", "disk_attachment", parent_ref=owner,
        add=disks.add_attachment, update=disks.update_attachment, remove=disks.remove_attachment,
        load=disks.load_attachment, decorate=disks.decorate_attachment, decorate_reads_row_only=True,
    )


def _nics(owner: str) -> Collection:
    return Collection("nics", "nic", "nic", parent_ref=owner, add=nics.add, update=nics.update,
                      remove=nics.remove)


def _blank_everywhere(where: search.Where | None) -> search.Where | None:
    """The Blank template belongs to every data center and cluster: a search by either also finds it."""
    return None if where is None else _with_blank(where)


def _with_blank(where: search.Where) -> search.Where:
    if isinstance(where, search.Term):
        if where.ref is None and where.op == "=" and where.field in ("datacenter", "data_center", "cluster"):
            return search.Or((where, search.Term("id", "=", BLANK_ID)))
        return where
    return type(where)(tuple(_with_blank(w) for w in where.items))


templates_ = Collection(
    "templates", "template", "template",
    fields={"status": doc_field("status"), "cluster": ref_name("cluster", "cluster"),
            "datacenter": (lambda t: _template_datacenter(t), "str")},
    add=templates.add, update=templates.update, remove=templates.remove, rewrite=_blank_everywhere,
    subs={"diskattachments": _attachments("template"), "nics": _nics("template")},
)
vms_ = Collection(
    "vms", "vm", "vm",
    fields={"status": doc_field("status"), "cluster": ref_name("cluster", "cluster"),
            "datacenter": DATACENTER_OF_CLUSTER, "host": ref_name("host", "host"),
            "on_host": ref_name("host", "host"), "template": ref_name("template", "template"),
            "type": doc_field("type"), "os": doc_field("os.type"), "memory": doc_field("memory", "int"),
            "fqdn": doc_field("fqdn")},
    add=vms.add, update=vms.update, remove=vms.remove,
    actions={"start": vm_runtime.start, "stop": vm_runtime.stop, "shutdown": vm_runtime.shutdown,
             "reboot": vm_runtime.reboot, "suspend": vm_runtime.suspend, "migrate": vm_migration.migrate,
             "cancelmigration": vm_migration.cancelmigration},
    subs={"diskattachments": _attachments("vm"), "nics": _nics("vm")},
)
disks_ = Collection(
    "disks", "disk", "disk",
    fields={"alias": column("name"), "status": doc_field("status"), "format": doc_field("format"),
            "storage": ref_name("storage_domain", "storage_domain"),
            "storage.name": ref_name("storage_domain", "storage_domain"),
            "provisioned_size": doc_field("provisioned_size", "int"),
            "disk_type": doc_field("storage_type"), "vm_names": (lambda t: _disk_vm_names(t), "str"),
            "number_of_vms": (lambda t: _disk_attachment_count(t), "int")},
    add=disks.add, update=disks.update, remove=disks.remove, decorate=disks.decorate, decorate_reads_row_only=True,
)
events_ = Collection(
    "events", "event", add=events.add,
    load=lambda conn, parent, ident: events.get_event(conn, ident),
    list_items=lambda conn, parent, params: events.list_events(conn, params),
)
jobs_ = Collection("jobs", "job", "job", fields={"status": doc_field("status")}, default_sort="created",
                   descending=True)

ROOT: dict[str, Collection] = {}  # the API's collection tree by its first segment: see build_registries


def build_registries() -> None:
    """Fill the API's registries: the collection tree (``ROOT``), each type's top-level collection (``TOP``, for
    links) and vdc's own wire types. The application factory calls it; a second call changes nothing."""
    if ROOT:
        return
    tree = {c.name: c for c in (
        datacenters_, clusters_, hosts_, storagedomains_, networks_, vnicprofiles_, templates_, vms_, disks_,
        events_, jobs_,
    )}
    for c in tree.values():
        TOP[c.type] = c
    scheduling.register(tree)
    images.register(tree)  # snapshots, snapshot and disk actions (before the read-only extras)
    aaa.register(tree)  # users, groups, roles, permissions and domains (before the read-only extras)
    extras.register(tree)
    ROOT.update(tree)  # whole: a request never sees half a tree


# ---------------------------------------------------------------- cross-reference search helpers


def _exists_name(t, kind: str, fk: str):
    """The name of one related row, for ``Clusters.name=x`` style cross references."""
    from sqlalchemy import select

    other = KINDS[kind].table
    return select(other.c.name).where(other.c[fk] == t.c.id).limit(1).scalar_subquery()


def _attached_name(t):
    from sqlalchemy import select

    a = KINDS["attached_storage_domain"].table
    s = KINDS["storage_domain"].table
    return (select(s.c.name).join(a, a.c.storage_domain_id == s.c.id).where(a.c.data_center_id == t.c.id)
            .limit(1).scalar_subquery())


def _sd_datacenter(t):
    from sqlalchemy import select

    a = KINDS["attached_storage_domain"].table
    d = KINDS["data_center"].table
    return (select(d.c.name).join(a, a.c.data_center_id == d.c.id).where(a.c.storage_domain_id == t.c.id)
            .limit(1).scalar_subquery())


def _template_datacenter(t):
    return _vm_datacenter(t)


def _disk_vm_names(t):
    from sqlalchemy import select

    a = KINDS["disk_attachment"].table
    v = KINDS["vm"].table
    return (select(v.c.name).join(a, a.c.vm_id == v.c.id).where(a.c.disk_id == t.c.id).limit(1)
            .scalar_subquery())


def _disk_attachment_count(t):
    """How many VMs and templates the disk is attached to, as oVirt counts them (0: a floating disk)."""
    from sqlalchemy import func, select

    a = KINDS["disk_attachment"].table
    return select(func.count()).where(a.c.disk_id == t.c.id).scalar_subquery()


# ---------------------------------------------------------------- the root document


def api_root(ctx: Context) -> dict:
    major, minor, build = PRODUCT_VERSION
    links = {}
    for name in ROOT:
        links[name] = f"{API}/{name}"
        if ROOT[name].kind or name == "events":
            links[f"{name}/search"] = f"{API}/{name}?search={{query}}"
    doc = {
        "href": API,
        "product_info": {
            "name": "vdc", "vendor": "vdc", "instance_id": ctx.engine.instance_id,
            # the oVirt API level vdc speaks (what clients compare), released as vdc's own version
            "version": {"major": major, "minor": minor, "build": build, "revision": 0,
                        "full_version": f"{major}.{minor}.{build}-vdc{_package_version()}"},
        },
        "special_objects": {"blank_template": {"id": BLANK_ID, "href": f"{API}/templates/{BLANK_ID}"},
                            "root_tag": {"id": BLANK_ID, "href": f"{API}/tags/{BLANK_ID}"}},
        "time": datetime.now(UTC).astimezone().isoformat(timespec="milliseconds"),
        "authenticated_user": {"id": ctx.user.id, "href": f"{API}/users/{ctx.user.id}"},
        "effective_user": {"id": ctx.user.id, "href": f"{API}/users/{ctx.user.id}"},
        "_links": links,
    }
    if ctx.user.admin:
        with ctx.engine.db.read() as conn:
            doc["summary"] = _summary(conn)
    return doc


def _package_version() -> str:
    """vdc's own version, as installed (the checkout's when it is not)."""
    try:
        return version("vdc-engine")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout that was never installed
        return "0"


def _active_users(conn: Connection) -> int:
    """Users with a token or session that has not expired: the ones logged in now."""
    q = select(func.count(func.distinct(tokens.c.user_id))).where(tokens.c.expires > time.time())
    return conn.execute(q).scalar_one()


def _summary(conn: Connection) -> dict:
    def counts(kind: str, active_status: str) -> dict:
        total = repo.count(conn, kind)
        active = repo.count(conn, kind, col(kind, "doc")["status"].as_string() == active_status)
        return {"total": total, "active": active}

    sd_total = repo.count(conn, "storage_domain")
    sd_active = repo.count(conn, "attached_storage_domain",
                           col("attached_storage_domain", "doc")["status"].as_string() == "active")
    return {"vms": counts("vm", "up"), "hosts": counts("host", "up"),
            "users": {"total": repo.count(conn, "user"), "active": _active_users(conn)},
            "storage_domains": {"total": sd_total, "active": sd_active}}
