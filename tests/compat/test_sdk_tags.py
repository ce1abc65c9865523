"""Tags through the real ovirtsdk4: the tree under the root tag (add, rename, move, remove with its subtree),
assignment to VMs, hosts, templates, users and groups as ``AssignedTagsService`` drives it, and ``tag=`` in the
search of each, which also finds what carries a tag below the one searched (as oVirt's search does)."""

from __future__ import annotations

from collections.abc import Iterator

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

ROOT_ID = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def conn(live_engine) -> Iterator[sdk.Connection]:
    connection = sdk.Connection(url=live_engine.url, username=live_engine.username,
                                password=live_engine.password, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def _tag(conn: sdk.Connection, name: str, parent: str | None = None, description: str = "") -> types.Tag:
    return conn.system_service().tags_service().add(types.Tag(
        name=name, description=description, parent=types.Tag(name=parent) if parent else None))


def _names(entities) -> set[str]:
    return {e.name for e in entities}


def test_the_tree_under_root(conn: sdk.Connection) -> None:
    tags = conn.system_service().tags_service()
    root = tags.tag_service(ROOT_ID).get()
    assert (root.name, root.parent) == ("root", None)
    top = _tag(conn, "tree-top", description="top")
    assert top.parent.id == ROOT_ID and top.description == "top"
    child = _tag(conn, "tree-child", "tree-top")
    assert child.parent.id == top.id
    listed = tags.list()
    assert listed[0].id == ROOT_ID and {"tree-top", "tree-child"} <= _names(listed)
    assert conn.follow_link(child.parent).name == "tree-top"  # what ovirt_tag reads back

    with pytest.raises(sdk.Error) as e:  # names are unique
        _tag(conn, "TREE-TOP")
    assert e.value.code == 409
    with pytest.raises(sdk.Error) as e:  # never below itself or its subtree
        tags.tag_service(top.id).update(types.Tag(parent=types.Tag(id=child.id)))
    assert e.value.code == 409 and "descendants" in str(e.value)
    with pytest.raises(sdk.Error) as e:
        tags.tag_service(ROOT_ID).remove()
    assert e.value.code == 409

    moved = tags.tag_service(child.id).update(types.Tag(name="tree-moved", description="d",
                                                        parent=types.Tag(id=ROOT_ID)))
    assert (moved.name, moved.description, moved.parent.id) == ("tree-moved", "d", ROOT_ID)
    tags.tag_service(child.id).update(types.Tag(parent=types.Tag(name="tree-top")))
    assert tags.tag_service(child.id).get().parent.id == top.id

    tags.tag_service(top.id).remove()  # the subtree goes with it
    with pytest.raises(sdk.NotFoundError):
        tags.tag_service(child.id).get()


def _vm(conn: sdk.Connection, name: str) -> types.Vm:
    return conn.system_service().vms_service().add(types.Vm(
        name=name, cluster=types.Cluster(name="Default"), template=types.Template(name="Blank")))


def test_assigned_to_vms_and_found_by_search(conn: sdk.Connection) -> None:
    system = conn.system_service()
    vms = system.vms_service()
    _tag(conn, "env")
    _tag(conn, "prod", "env")
    _tag(conn, "prod-eu", "prod")
    web, db, other = (_vm(conn, n) for n in ("tag-web", "tag-db", "tag-other"))
    vms.vm_service(web.id).tags_service().add(types.Tag(name="prod-eu"))
    added = vms.vm_service(db.id).tags_service().add(types.Tag(name="prod"))
    assert added.name == "prod"
    with pytest.raises(sdk.Error) as e:  # attached once
        vms.vm_service(db.id).tags_service().add(types.Tag(name="prod"))
    assert e.value.code == 409
    with pytest.raises(sdk.Error) as e:
        vms.vm_service(db.id).tags_service().add(types.Tag(name="no-such-tag"))
    assert e.value.code == 400

    assigned = vms.vm_service(web.id).tags_service().list()
    assert _names(assigned) == {"prod-eu"} and assigned[0].vm.id == web.id
    assert vms.vm_service(web.id).tags_service().tag_service(assigned[0].id).get().name == "prod-eu"

    assert _names(vms.list(search="tag=prod-eu")) == {"tag-web"}
    assert _names(vms.list(search="tag=prod")) == {"tag-web", "tag-db"}  # prod-eu is below prod
    assert _names(vms.list(search="tag=env")) == {"tag-web", "tag-db"}
    assert _names(vms.list(search="tag=prod-*")) == {"tag-web"}
    assert "tag-other" in _names(vms.list(search="tag!=prod")) - {"tag-web", "tag-db"}
    assert _names(vms.list(search="tag=prod and name=tag-db")) == {"tag-db"}
    followed = vms.list(search="name=tag-*", follow="tags")
    assert {v.name: _names(v.tags) for v in followed} == {"tag-web": {"prod-eu"}, "tag-db": {"prod"},
                                                          "tag-other": set()}

    vms.vm_service(db.id).tags_service().tag_service(added.id).remove()
    assert _names(vms.list(search="tag=prod")) == {"tag-web"}
    vms.vm_service(other.id).remove()  # a removed VM's assignments go with it
    for vm in (web, db):
        vms.vm_service(vm.id).remove()


def test_hosts_templates_users_and_groups(conn: sdk.Connection, live_engine) -> None:
    system = conn.system_service()
    _tag(conn, "team")
    template = system.templates_service().list(search="name=Blank")[0]
    system.templates_service().template_service(template.id).tags_service().add(types.Tag(name="team"))
    assert _names(system.templates_service().list(search="tag=team")) == {"Blank"}
    user = system.users_service().list()[0]
    system.users_service().user_service(user.id).tags_service().add(types.Tag(name="team"))
    assert user.id in {u.id for u in system.users_service().list(search="tag=team")}
    group = system.groups_service().list()
    if group:
        system.groups_service().group_service(group[0].id).tags_service().add(types.Tag(name="team"))
        assert _names(system.groups_service().list(search="tag=team")) == {group[0].name}
    assert system.hosts_service().list(search="tag=team") == []
    team = next(t for t in system.tags_service().list() if t.name == "team")
    system.tags_service().tag_service(team.id).remove()  # assignments go with the tag
    assert system.templates_service().list(search="tag=team") == []
