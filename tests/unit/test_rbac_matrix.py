"""The permission matrix, generated: every built-in role × operations on VMs, templates, clusters, hosts, data
centers, networks, storage domains, disks and permissions × the level the role is given at (System, the data
center, the cluster, the object itself).

The expected answer is derived from oVirt's facts, not from the engine: the operation passes its permission
check when the role holds the operation's permit and the level is the object or one of its ancestors; a
non-administrator (filtered) sees an entity only through a permission on it, or on an ancestor through a role
that shows children, and gets 404 for one it does not see. A passed check then meets the operation's own rule
(each operation here is built to fail that rule, 400 or 409, so the matrix changes nothing): the answer tells
which side of the check it was on. ``test_matrix_through_the_sdk`` runs part of it with ovirtsdk4 against a served
engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from engine_api.auth.permits import BUILTIN_ROLES, SYSTEM_ID, BuiltinRole
from tests.unit.inprocess import Api, engine_api, nfs_domain
from tests.unit.rbac_helpers import add_user, grant, vm

LEVELS = ("system", "data_center", "cluster", "object")


@dataclass(frozen=True)
class Op:
    name: str
    permit: int
    target: str  # key of the object in the estate
    entity: bool  # the request names the entity in its path (a hidden one is a 404)
    send: Callable[[Api, dict], int]


def _put(path: str, body: str) -> Callable[[Api, dict], int]:
    return lambda api, e: api.put(path.format(**e), body).status_code


def _post(path: str, body: str) -> Callable[[Api, dict], int]:
    return lambda api, e: api.post(path.format(**e), body.format(**e)).status_code


OPS = [
    Op("edit_vm", 3, "vm", True, _put("/vms/{vm}", "<vm><name>bad name!</name></vm>")),
    Op("stop_vm", 18, "vm", True, _post("/vms/{vm}/stop", "<action/>")),  # it is down: 409
    Op("start_vm", 22, "vm", True, _post("/vms/{vm}/start", "<action/>")),  # no host: 409
    Op("migrate_vm", 6, "vm", True, _post("/vms/{vm}/migrate", "<action/>")),  # down: 409
    Op("remove_vm", 2, "protected", True, lambda api, e: api.delete(f"/vms/{e['protected']}").status_code),
    Op("create_vm", 1, "cluster", False,
       _post("/vms", "<vm><name>bad name!</name><cluster id='{cluster}'/><template><name>Blank</name></template>"
                     "</vm>")),
    Op("edit_template", 201, "template", True, _put("/templates/{template}", "<template><name>bad name!</name>"
                                                                             "</template>")),
    Op("edit_cluster", 401, "cluster", True, _put("/clusters/{cluster}", "<cluster><name>bad name!</name></cluster>")),
    Op("create_cluster", 400, "data_center", False,
       _post("/clusters", "<cluster><name>bad name!</name><data_center id='{data_center}'/></cluster>")),
    Op("create_host", 100, "cluster", False, _post("/hosts", "<host><name>h</name><cluster id='{cluster}'/></host>")),
    Op("edit_data_center", 702, "data_center", True,
       _put("/datacenters/{data_center}", "<data_center><name>bad name!</name></data_center>")),
    Op("edit_network", 703, "network", True, _put("/networks/{network}", "<network><mtu>1</mtu></network>")),
    Op("create_vnic_profile", 1204, "network", False,
       _post("/vnicprofiles", "<vnic_profile><name>bad name!</name><network id='{network}'/></vnic_profile>")),
    Op("edit_storage_domain", 601, "storage_domain", True,
       _put("/storagedomains/{storage_domain}", "<storage_domain><name>bad name!</name></storage_domain>")),
    Op("create_disk", 1100, "storage_domain", False,
       _post("/disks", "<disk><name>d</name><storage_domains><storage_domain id='{storage_domain}'/>"
                       "</storage_domains></disk>")),
    Op("add_vm_permission", 502, "vm", True,  # the other user already has it: 409
       _post("/vms/{vm}/permissions", "<permission><role><name>UserRole</name></role><user id='{other}'/>"
                                      "</permission>")),
]

# the ancestors of each target (the object itself first; System is above all)
CHAINS = {"vm": ("vm", "cluster", "data_center"), "protected": ("protected", "cluster", "data_center"),
          "template": ("template", "cluster", "data_center"), "cluster": ("cluster", "data_center"),
          "data_center": ("data_center",), "network": ("network", "data_center"),
          "storage_domain": ("storage_domain",)}  # not attached to a data center


def level_key(level: str, op: Op) -> str:
    return op.target if level == "object" else level


def visible(role: BuiltinRole, level: str, op: Op) -> bool:
    """oVirt's user views, for the entity ``op`` names, seen through ``role`` given at ``level``."""
    if role.admin or not op.entity:
        return True
    held = level_key(level, op)
    chain = CHAINS[op.target]
    if held == op.target:
        return True
    if role.viewing_children and (held == "system" or held in chain):
        return True
    return op.target == "data_center" and held == "cluster"  # a data center shows with a cluster in it


def expected(role: BuiltinRole, level: str, op: Op) -> str:
    if not visible(role, level, op):
        return "hidden"
    held = level_key(level, op)
    reaches = held == "system" or held in CHAINS[op.target]
    return "allowed" if op.permit in role.permits and reaches else "denied"


def outcome(status: int) -> str:
    if status == 404:
        return "hidden"
    if status == 403:
        return "denied"
    assert status in (400, 409), status  # the operation's own rule, after the check passed
    return "allowed"


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("matrix")) as api:
        yield api


@pytest.fixture(scope="module")
def estate(api: Api) -> dict:
    dc = api.items("/datacenters")[0].attrib["id"]
    cluster = api.items("/clusters")[0].attrib["id"]
    made = {"system": SYSTEM_ID, "data_center": dc, "cluster": cluster, "vm": vm(api, "mvm", cluster)}
    made["protected"] = api.created("/vms", f"<vm><name>mprot</name><cluster id='{cluster}'/><template>"
                                            "<name>Blank</name></template><delete_protected>true</delete_protected>"
                                            "</vm>").attrib["id"]
    made["template"] = api.created("/templates", f"<template><name>mtpl</name><vm id='{made['vm']}'/></template>"
                                   ).attrib["id"]
    made["network"] = next(n.attrib["id"] for n in api.items(f"/datacenters/{dc}/networks")
                           if n.findtext("name") == "ovirtmgmt")
    made["storage_domain"] = nfs_domain(api, "msd")
    made["other"] = add_user(api, "matrix-other")
    grant(api, f"/vms/{made['vm']}", "UserRole", made["other"])
    made["user"] = add_user(api, "matrix-user")
    return made


PATHS = {"system": "", "data_center": "/datacenters/{}", "cluster": "/clusters/{}", "vm": "/vms/{}",
         "protected": "/vms/{}", "template": "/templates/{}", "network": "/networks/{}",
         "storage_domain": "/storagedomains/{}"}


def _token_client(api: Api, user_id: str) -> Api:
    """A client with a bearer token of the user (a token outlives the LOGIN check, so roles without LOGIN
    are measured too; their login is the ``login`` column)."""
    from engine_api.core.context import User

    token, _ = api.engine.auth.issue(User(user_id, "matrix-user@internal"))
    client = Api(api.client, api.engine)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.mark.parametrize("role", BUILTIN_ROLES, ids=[r.name for r in BUILTIN_ROLES])
def test_matrix(api: Api, estate: dict, role: BuiltinRole) -> None:
    client = _token_client(api, estate["user"])
    wrong: list[str] = []
    for level in LEVELS:
        targets = {level_key(level, op) for op in OPS}
        for target in sorted(targets):  # one grant per distinct object the level names
            pid = grant(api, PATHS[target].format(estate[target]), role.name, estate["user"])
            try:
                for op in (o for o in OPS if level_key(level, o) == target):
                    got = outcome(op.send(client, estate))
                    want = expected(role, level, op)
                    if got != want:
                        wrong.append(f"{role.name} at {level} ({target}): {op.name} {got}, expected {want}")
                login = api.engine.auth.rbac.grants(estate["user"]).login
                assert login == (1300 in role.permits), (role.name, level)
            finally:
                api.removed(f"/permissions/{pid}" if target == "system" else
                            f"{PATHS[target].format(estate[target])}/permissions/{pid}")
    assert not wrong, "\n".join(wrong)


def test_matrix_is_not_trivial() -> None:
    """The generated expectations hold every outcome, so the matrix can fail either way."""
    seen = {expected(r, lvl, op) for r in BUILTIN_ROLES for lvl in LEVELS for op in OPS}
    assert seen == {"allowed", "denied", "hidden"}
    assert len(BUILTIN_ROLES) * len(LEVELS) * len(OPS) == 37 * 4 * 16


# ---------------------------------------------------------------- part of it through ovirtsdk4


SDK_ROLES = ("ClusterAdmin", "UserRole", "UserVmManager", "ReadOnlyAdmin", "PowerUserRole")


def test_matrix_through_the_sdk(live_engine) -> None:
    import ovirtsdk4 as sdk
    import ovirtsdk4.types as types

    from engine_api.auth import directory
    from engine_api.auth.permits import ROLES_BY_NAME

    admin = sdk.Connection(url=live_engine.url, username=live_engine.username, password=live_engine.password)
    system = admin.system_service()
    cluster = system.clusters_service().list(search="name=Default")[0]
    dc = system.data_centers_service().list(search="name=Default")[0]
    target = system.vms_service().add(types.Vm(name="sdk-matrix", cluster=types.Cluster(id=cluster.id),
                                               template=types.Template(name="Blank")))
    with live_engine.engine.db.write() as conn:
        uid = directory.add_user(conn, "sdkmatrix", "sdk-matrix-secret", None, imported=True)
    services = {"system": system, "data_center": system.data_centers_service().data_center_service(dc.id),
                "cluster": system.clusters_service().cluster_service(cluster.id),
                "object": system.vms_service().vm_service(target.id)}
    wrong = []
    try:
        for name in SDK_ROLES:
            role = ROLES_BY_NAME[name]
            for level, service in services.items():
                perm = service.permissions_service().add(types.Permission(user=types.User(id=uid),
                                                                           role=types.Role(name=name)))
                user = sdk.Connection(url=live_engine.url, username="sdkmatrix@internal",
                                      password="sdk-matrix-secret")
                try:
                    vm_service = user.system_service().vms_service().vm_service(target.id)
                    for op, permit, call in (("stop_vm", 18, vm_service.stop), ("start_vm", 22, vm_service.start),
                                             ("edit_vm", 3, lambda s=vm_service: s.update(types.Vm(name="bad name!")))):
                        try:
                            call()
                            got = "ok?"
                        except sdk.Error as e:
                            got = {403: "denied", 404: "hidden", 400: "allowed", 409: "allowed"}.get(e.code, str(e))
                        fake = Op(op, permit, "vm", True, lambda a, e: 0)
                        want = expected(role, level, fake)
                        if got != want:
                            wrong.append(f"{name} at {level}: {op} {got}, expected {want}")
                finally:
                    user.close()
                    service.permissions_service().permission_service(perm.id).remove()
    finally:
        admin.close()
    assert not wrong, "\n".join(wrong)
