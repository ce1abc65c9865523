"""Users, groups, roles and permissions over the REST API, permit checks in the command layer and the
filtered view, against the real engine in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from engine_api.auth import directory
from engine_api.auth.permits import EVERYONE_ID
from tests.unit.inprocess import Api, engine_api, fault, ids, texts
from tests.unit.rbac_helpers import add_user, as_user, grant, vm

SUPER_USER = "00000000-0000-0000-0000-000000000001"
USER_ROLE = "00000000-0000-0000-0001-000000000001"
DENIED = "User is not authorized to perform this action."


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("rbac")) as api:
        yield api


@pytest.fixture(scope="module")
def estate(api: Api) -> dict:
    """Two clusters of the Default data center, two VMs in each."""
    dc = api.items("/datacenters")[0].attrib["id"]
    c1 = api.items("/clusters")[0].attrib["id"]
    c2 = api.created("/clusters", f"<cluster><name>c2</name><data_center id='{dc}'/>"
                                  "<cpu><type>Intel Nehalem Family</type></cpu></cluster>").attrib["id"]
    return {"dc": dc, "c1": c1, "c2": c2, "vm11": vm(api, "vm11", c1), "vm12": vm(api, "vm12", c1),
            "vm21": vm(api, "vm21", c2), "vm22": vm(api, "vm22", c2)}


def _vms(client: Api, **params: str) -> set[str]:
    return {e.findtext("name") or "" for e in client.items("/vms", params or None)}


# ---------------------------------------------------------------- roles


def test_builtin_roles_have_ovirts_ids_and_are_read_only(api: Api) -> None:
    roles = {e.findtext("name"): e for e in api.items("/roles")}
    assert roles["SuperUser"].attrib["id"] == SUPER_USER
    assert roles["UserRole"].attrib["id"] == USER_ROLE
    assert roles["ClusterAdmin"].attrib["id"] == "def00001-0000-0000-0000-def000000001"
    assert len(roles) >= 37
    assert roles["SuperUser"].findtext("administrative") == "true"
    assert roles["UserRole"].findtext("administrative") == "false"
    assert {r.findtext("mutable") for r in roles.values()} == {"false"}
    permits = api.items(f"/roles/{SUPER_USER}/permits")
    assert len(permits) == 97
    user_permits = {p.findtext("name") for p in api.items(f"/roles/{USER_ROLE}/permits")}
    assert user_permits == {"change_vm_cd", "connect_to_vm", "reboot_vm", "stop_vm", "shut_down_vm", "hibernate_vm",
                            "run_vm", "reset_vm", "vm_pool_basic_operations", "access_image_storage", "login"}
    fault(api.put(f"/roles/{USER_ROLE}", "<role><description>x</description></role>"), 409, "read-only")
    fault(api.delete(f"/roles/{USER_ROLE}"), 409, "read-only")
    fault(api.post(f"/roles/{USER_ROLE}/permits", "<permit id='1'/>"), 409, "read-only")


def test_custom_role_lifecycle(api: Api) -> None:
    fault(api.post("/roles", "<role><name>r0</name><permits><permit id='1'/></permits></role>"), 400,
          "role type cannot be empty")
    fault(api.post("/roles", "<role><name>r0</name><administrative>false</administrative>"
                             "<permits><permit id='99999'/></permits></role>"), 400, "99999 is not a valid permit ID")
    fault(api.post("/roles", "<role><name>r0</name><administrative>false</administrative>"
                             "<permits><permit id='100'/></permits></role>"), 400, "create_host")
    role = api.created("/roles", "<role><name>VmStarter</name><administrative>false</administrative>"
                                 "<permits><permit id='1300'/><permit><name>run_vm</name></permit></permits></role>")
    rid = role.attrib["id"]
    assert role.findtext("mutable") == "true"
    assert sorted(ids(api.items(f"/roles/{rid}/permits"))) == ["1300", "22"]
    api.created(f"/roles/{rid}/permits", "<permit id='18'/>")
    api.removed(f"/roles/{rid}/permits/22")
    assert sorted(ids(api.items(f"/roles/{rid}/permits"))) == ["1300", "18"]
    updated = api.put(f"/roles/{rid}", "<role><description>starts and stops</description></role>")
    assert updated.status_code == 200 and "starts and stops" in updated.text
    fault(api.put(f"/roles/{rid}", "<role><administrative>true</administrative></role>"), 409, "cannot be changed")
    fault(api.post("/roles", "<role><name>vmstarter</name><administrative>false</administrative>"
                             "<permits><permit id='1300'/></permits></role>"), 409, "already in use")
    uid = add_user(api, "roleuser")
    pid = grant(api, "", "VmStarter", uid)
    fault(api.delete(f"/roles/{rid}"), 409, "in use")
    api.removed(f"/permissions/{pid}")
    api.removed(f"/roles/{rid}")
    assert api.gone(f"/roles/{rid}")


# ---------------------------------------------------------------- users, groups, domains


def test_users_groups_and_the_internal_domain(api: Api) -> None:
    (domain,) = api.items("/domains")
    assert domain.attrib["id"] == "696E7465726E616C2D617574687A" and domain.findtext("name") == "internal-authz"
    fault(api.post("/users", "<user><user_name>nobody@internal-authz</user_name>"
                             "<domain><name>internal-authz</name></domain></user>"), 400, "No such user: nobody")
    with api.engine.db.write() as conn:  # as `vdc-engine user add` does: in the directory, not yet in the engine
        directory.add_user(conn, "dora", "dora-secret", None)
    usernames = texts(api.one("/users"), "user/user_name")
    assert "dora@internal-authz" not in usernames and "admin@internal-authz" in usernames
    in_domain = texts(api.one(f"/domains/{domain.attrib['id']}/users"), "user/user_name")
    assert "dora@internal-authz" in in_domain
    added = api.created("/users", "<user><user_name>dora@internal-authz</user_name><principal>dora</principal>"
                                  "<domain><name>internal-authz</name></domain></user>")
    assert added.findtext("principal") == "dora" and added.find("domain").attrib["id"] == domain.attrib["id"]
    (found,) = api.items("/users", {"search": "usrname=dora@internal-authz"})
    assert found.attrib["id"] == added.attrib["id"]
    group = api.created("/groups", "<group><name>ops</name><domain><name>internal-authz</name></domain></group>")
    assert group.findtext("name") == "ops"
    groups = {e.findtext("name"): e.attrib["id"] for e in api.items("/groups")}
    assert groups["Everyone"] == EVERYONE_ID
    fault(api.delete(f"/groups/{EVERYONE_ID}"), 409, "Everyone")
    fault(api.delete("/users/fdfc627c-d875-11e0-90f0-83df133b58cc"), 409, "admin")
    api.removed(f"/users/{added.attrib['id']}")
    assert api.gone(f"/users/{added.attrib['id']}")
    assert "dora@internal-authz" in texts(api.one(f"/domains/{domain.attrib['id']}/users"), "user/user_name")


def test_everyone_and_admin_permissions_are_seeded(api: Api) -> None:
    system = api.items("/permissions")
    held = {(e.find("role").attrib["id"], (e.find("user") if e.find("user") is not None else e.find("group"))
             .attrib["id"]) for e in system}
    assert (SUPER_USER, "fdfc627c-d875-11e0-90f0-83df133b58cc") in held
    assert ("def00021-0000-0000-0000-def000000015", EVERYONE_ID) in held  # UserProfileEditor
    blank = api.items("/templates/00000000-0000-0000-0000-000000000000/permissions")
    assert any(e.find("group") is not None and e.find("group").attrib["id"] == EVERYONE_ID
               and e.find("role").attrib["id"] == "def00009-0000-0000-0000-def000000009" for e in blank)
    admin_perm = next(e.attrib["id"] for e in system if e.find("role").attrib["id"] == SUPER_USER)
    fault(api.delete(f"/permissions/{admin_perm}"), 409, "last SuperUser")
    everyone_perm = next(e.attrib["id"] for e in system if e.find("group") is not None)
    fault(api.delete(f"/permissions/{everyone_perm}"), 409, "Everyone")


# ---------------------------------------------------------------- login, checks, filtered view


def test_no_login_anywhere_is_401(api: Api) -> None:
    add_user(api, "nologin")
    r = as_user(api, "nologin").get("/vms")
    assert r.status_code == 401, r.text
    assert "not authorized to perform login" in r.text


def test_filtered_view_and_hidden_objects(api: Api, estate: dict) -> None:
    uid = add_user(api, "viewer")
    grant(api, f"/vms/{estate['vm11']}", "UserRole", uid)
    viewer = as_user(api, "viewer")
    assert _vms(viewer) == {"vm11"}
    assert _vms(viewer, search="name=vm*") == {"vm11"}
    assert _vms(viewer, filter="true") == {"vm11"}
    fault(viewer.get("/vms", {"filter": "false"}), 400, "insufficient permissions")
    assert viewer.get(f"/vms/{estate['vm11']}").status_code == 200
    assert viewer.get(f"/vms/{estate['vm12']}").status_code == 404
    assert viewer.post(f"/vms/{estate['vm12']}/stop").status_code == 404
    assert viewer.get(f"/vms/{estate['vm12']}/nics").status_code == 404
    clusters = {e.attrib["id"] for e in viewer.items("/clusters")}
    assert clusters == {estate["c1"]}  # the cluster of a VM the user sees, only
    assert {e.attrib["id"] for e in viewer.items("/datacenters")} == {estate["dc"]}
    assert viewer.items("/hosts") == []
    templates = {e.findtext("name") for e in viewer.items("/templates")}
    assert templates == {"Blank"}  # Everyone's UserTemplateBasedVm
    roles = {e.findtext("administrative") for e in viewer.items("/roles")}
    assert roles == {"false"}
    assert {e.attrib["id"] for e in viewer.items("/users")} == {uid}
    # a data-center-wide role with viewing of children shows every VM under it
    grant(api, f"/datacenters/{estate['dc']}", "UserRole", uid)
    assert _vms(viewer) == {"vm11", "vm12", "vm21", "vm22"}


def test_denied_command_is_403_and_changes_nothing(api: Api, estate: dict) -> None:
    uid = add_user(api, "starter")
    grant(api, f"/vms/{estate['vm21']}", "UserRole", uid)
    starter = as_user(api, "starter")
    before = api.one(f"/vms/{estate['vm21']}")
    fault(starter.put(f"/vms/{estate['vm21']}", "<vm><memory>2147483648</memory></vm>"), 403, DENIED)
    fault(starter.delete(f"/vms/{estate['vm21']}"), 403, DENIED)
    fault(starter.post("/datacenters", "<data_center><name>nope</name><local>false</local></data_center>"), 403,
          DENIED)
    after = api.one(f"/vms/{estate['vm21']}")
    assert after.findtext("memory") == before.findtext("memory")
    assert api.items("/datacenters", {"search": "name=nope"}) == []
    events = api.items("/events", {"search": "severity=error", "max": "5"})
    assert any(DENIED in (e.findtext("description") or "") and e.find("user").attrib["id"] == uid for e in events)


def test_group_and_everyone_permissions_apply(api: Api, estate: dict) -> None:
    uid = add_user(api, "member")
    gid = api.created("/groups", "<group><name>vmops</name><domain><name>internal-authz</name></domain>"
                                 "</group>").attrib["id"]
    with api.engine.db.write() as conn:
        directory.add_member(conn, "vmops", "member")
    api.engine.auth.forget(uid)
    grant(api, f"/clusters/{estate['c2']}", "UserRole", group_id=gid)
    member = as_user(api, "member")
    assert _vms(member) == {"vm21", "vm22"}
    assert {e.findtext("name") for e in member.items(f"/users/{uid}/groups")} == {"vmops"}
    # a creator becomes UserVmManager of the VM it makes, which Everyone's UserTemplateBasedVm on Blank and a
    # VmCreator permission on the cluster allow
    grant(api, f"/clusters/{estate['c2']}", "VmCreator", group_id=gid)
    made = member.created("/vms", f"<vm><name>mine</name><cluster id='{estate['c2']}'/>"
                                  "<template><name>Blank</name></template></vm>").attrib["id"]
    perms = api.items(f"/vms/{made}/permissions")
    assert any(e.find("user") is not None and e.find("user").attrib["id"] == uid
               and e.find("role").attrib["id"] == "def00006-0000-0000-0000-def000000006" for e in perms)
    member.removed(f"/vms/{made}")
    with api.engine.db.read() as conn:  # the permissions of a removed object go with it
        from engine_api.store.schema import permissions

        assert conn.execute(select(func.count()).select_from(permissions)
                            .where(permissions.c.object_id == made)).scalar() == 0


def test_only_superuser_gives_admin_roles(api: Api, estate: dict) -> None:
    uid = add_user(api, "dcadmin")
    other = add_user(api, "other")
    grant(api, f"/datacenters/{estate['dc']}", "DataCenterAdmin", uid)
    dcadmin = as_user(api, "dcadmin")
    fault(dcadmin.post(f"/clusters/{estate['c1']}/permissions",
                       f"<permission><role><name>ClusterAdmin</name></role><user id='{other}'/></permission>"),
          403, DENIED)
    made = dcadmin.created(f"/clusters/{estate['c1']}/permissions",
                           f"<permission><role><name>UserRole</name></role><user id='{other}'/></permission>")
    assert made.find("cluster").attrib["id"] == estate["c1"]
    fault(dcadmin.post("/permissions", f"<permission><role><name>UserRole</name></role><user id='{other}'/>"
                                       "</permission>"), 403, DENIED)
    # an administrator reads everything unfiltered by default, and filtered on request
    assert len(dcadmin.items("/vms")) == len(api.items("/vms"))
    assert {e.attrib["id"] for e in dcadmin.items("/clusters", {"filter": "true"})} == {estate["c1"], estate["c2"]}


def test_many_permits_on_system_are_not_every_permit(api: Api, estate: dict) -> None:
    """Holding every permit a rule can ask for on System passes an action at once; ClusterAdmin on System holds
    many, not all: an action needing one it lacks is still refused, one it holds is allowed."""
    uid = add_user(api, "wide")
    grant(api, "", "ClusterAdmin", uid)
    wide = as_user(api, "wide")
    fault(wide.post("/datacenters", "<data_center><name>nope</name><local>false</local></data_center>"), 403, DENIED)
    assert wide.created("/vms", f"<vm><name>wide-vm</name><cluster id='{estate['c2']}'/>"
                                "<template><name>Blank</name></template></vm>").findtext("name") == "wide-vm"


def test_user_permissions_subcollection(api: Api, estate: dict) -> None:
    uid = add_user(api, "subuser")
    made = api.created(f"/users/{uid}/permissions", f"<permission><role><name>UserRole</name></role>"
                                                   f"<vm id='{estate['vm22']}'/></permission>")
    assert made.find("vm").attrib["id"] == estate["vm22"]
    listed = api.items(f"/users/{uid}/permissions")
    assert ids(listed) == [made.attrib["id"]]
    assert _vms(as_user(api, "subuser")) == {"vm22"}
    api.removed(f"/users/{uid}/permissions/{made.attrib['id']}")
    assert as_user(api, "subuser").get("/vms").status_code == 401  # LOGIN was held through that permission only

