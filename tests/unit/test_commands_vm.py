"""VMs, disks, disk attachments, NICs and templates through the real REST API, in-process.

One engine per module (SQLite in a temporary directory), set up with an NFS data domain attached to the
Default data center; every test makes the entities it changes, with names of its own.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.unit.inprocess import (
    BLANK_ID,
    Api,
    GiB,
    attach_domain,
    engine_api,
    fault,
    ids,
    named,
    nfs_domain,
    number,
    ref,
    texts,
)

_names = itertools.count(1)


@dataclass
class Env:
    dc: str
    cluster: str
    sd: str
    iso: str
    profile: str


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("engine")) as client:
        yield client


@pytest.fixture(scope="module")
def env(api: Api) -> Env:
    dc = named(api, "datacenters", "Default").attrib["id"]
    cluster = named(api, "clusters", "Default").attrib["id"]
    sd = nfs_domain(api, "data1")
    attach_domain(api, dc, sd)
    iso = nfs_domain(api, "iso1", "iso")
    (mgmt,) = [n for n in api.items(f"/datacenters/{dc}/networks") if n.findtext("name") == "ovirtmgmt"]
    (profile,) = api.items(f"/networks/{mgmt.attrib['id']}/vnicprofiles")
    return Env(dc, cluster, sd, iso, profile.attrib["id"])


def unique(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


def new_vm(api: Api, name: str | None = None, extra: str = "", cluster: str = "Default") -> ET.Element:
    name = name or unique("vm")
    return api.created("/vms", f"<vm><name>{name}</name><cluster><name>{cluster}</name></cluster>{extra}</vm>")


def disk_xml(name: str, sd: str, size: int = GiB, extra: str = "") -> str:
    return (f"<disk><name>{name}</name><provisioned_size>{size}</provisioned_size>"
            f'<storage_domains><storage_domain id="{sd}"/></storage_domains>{extra}</disk>')


def attach_new(api: Api, vm: str, sd: str, name: str | None = None, bootable: bool = False) -> ET.Element:
    body = (f"<disk_attachment><interface>virtio_scsi</interface><bootable>{str(bootable).lower()}</bootable>"
            f"{disk_xml(name or unique('d'), sd)}</disk_attachment>")
    return api.created(f"/vms/{vm}/diskattachments", body)


def add_nic(api: Api, owner: str, name: str, extra: str = "", kind: str = "vms") -> ET.Element:
    return api.created(f"/{kind}/{owner}/nics", f"<nic><name>{name}</name>{extra}</nic>")


# ---------------------------------------------------------------- VMs


def test_vm_from_blank_inherits_the_template(api: Api, env: Env) -> None:
    vm = new_vm(api, "inherit1")
    assert vm.findtext("name") == "inherit1"
    assert ref(vm, "template") == BLANK_ID and ref(vm, "cluster") == env.cluster
    assert number(vm, "memory") == GiB
    assert number(vm, "memory_policy/guaranteed") == GiB and number(vm, "memory_policy/max") == 4 * GiB
    assert [number(vm, f"cpu/topology/{k}") for k in ("sockets", "cores", "threads")] == [1, 1, 1]
    assert vm.findtext("cpu/architecture") == "x86_64"  # from the cluster, not Blank's "undefined"
    assert vm.findtext("os/type") == "other" and texts(vm, "os/boot/devices/device") == ["hd"]
    assert vm.findtext("display/type") == "vnc" and vm.findtext("time_zone/name") == "Etc/GMT"
    assert vm.findtext("status") == "down" and vm.findtext("origin") == "ovirt"
    assert vm.findtext("run_once") == "false" and vm.findtext("next_run_configuration_exists") == "false"
    assert re.match(r"^\d{4}-\d\d-\d\dT", vm.findtext("creation_time") or "")
    assert vm.findtext("stop_time") and vm.find("host") is None
    got = api.one(f"/vms/{vm.attrib['id']}")
    assert got.findtext("name") == "inherit1" and number(got, "memory") == GiB


def test_vm_add_with_json_body_and_json_reply(api: Api, env: Env) -> None:
    r = api.post("/vms", {"name": "json1", "cluster": {"id": env.cluster}, "memory": 2 * GiB,
                          "cpu": {"topology": {"cores": 2}}, "type": "desktop"}, accept_json=True)
    assert r.status_code == 201, r.text
    vm = r.json()
    assert vm["name"] == "json1" and int(vm["memory"]) == 2 * GiB
    # an own memory size derives the policy from itself, not from the template's
    assert int(vm["memory_policy"]["guaranteed"]) == 2 * GiB and int(vm["memory_policy"]["max"]) == 8 * GiB
    assert vm["cpu"]["topology"] == {"sockets": "1", "cores": "2", "threads": "1"}  # as oVirt writes them
    assert vm["type"] == "desktop" and vm["status"] == "down"
    assert r.headers["location"].endswith(f"/vms/{vm['id']}")


def test_a_followed_json_list_is_what_each_vm_followed_shows(api: Api, env: Env) -> None:
    """A JSON list with follow is put together from cached row encodings; each VM in it is what the same VM
    read with the same follow shows (the documents encoded whole), disks and NICs included, before and after a
    change, and a VM with neither has empty lists."""
    follow = {"follow": "disk_attachments.disk,nics", "search": "name=followed*"}
    full, empty = new_vm(api, "followed1").attrib["id"], new_vm(api, "followed2").attrib["id"]
    for n in (1, 2):
        attach_new(api, full, env.sd, bootable=n == 1)
        add_nic(api, full, f"nic{n}")

    def check() -> dict[str, dict]:
        listed = api.get("/vms", follow, accept_json=True).json()["vm"]
        for vm in listed:
            alone = api.get(f"/vms/{vm['id']}", {"follow": follow["follow"]}, accept_json=True).json()
            assert vm == alone
        return {vm["name"]: vm for vm in listed}

    vms = check()
    attachments = vms["followed1"]["disk_attachments"]["disk_attachment"]
    assert len(attachments) == 2 and len(vms["followed1"]["nics"]["nic"]) == 2
    assert all(a["disk"]["provisioned_size"] == str(GiB) for a in attachments)
    assert vms["followed2"]["disk_attachments"] == {"disk_attachment": []}
    assert vms["followed2"]["nics"] == {"nic": []}
    disk = vms["followed1"]["disk_attachments"]["disk_attachment"][0]["disk"]
    assert api.put(f"/disks/{disk['id']}", "<disk><description>changed</description></disk>").status_code == 200
    assert api.put(f"/vms/{empty}", "<vm><description>changed too</description></vm>").status_code == 200
    vms = check()
    assert vms["followed1"]["disk_attachments"]["disk_attachment"][0]["disk"]["description"] == "changed"
    assert vms["followed2"]["description"] == "changed too"
    # XML lists are encoded from the documents, with the same members
    xml = {e.findtext("name"): e for e in api.items("/vms", follow)}
    assert len(xml["followed1"].findall("disk_attachments/disk_attachment/disk/provisioned_size")) == 2
    assert len(xml["followed1"].findall("nics/nic")) == 2


def test_vm_name_is_unique_engine_wide(api: Api, env: Env) -> None:
    new_vm(api, "dup1")
    before = len(api.items("/vms"))
    fault(api.post("/vms", "<vm><name>DUP1</name><cluster><name>Default</name></cluster></vm>"), 409,
          "DUP1", "already in use")
    assert len(api.items("/vms")) == before


@pytest.mark.parametrize(("extra", "field"), [
    ("<memory>0</memory>", "vm.memory"),
    ("<memory>-5</memory>", "vm.memory"),
    (f"<memory>{1 << 64}</memory>", "vm.memory"),
    (f"<memory_policy><max>{1 << 62}</max></memory_policy>", "vm.memory_policy.max"),
    ("<cpu><topology><sockets>4096</sockets><cores>2</cores></topology></cpu>", "vm.cpu.topology"),
    (f"<memory>{GiB}</memory><memory_policy><guaranteed>{2 * GiB}</guaranteed></memory_policy>",
     "vm.memory_policy.guaranteed"),
    (f"<memory>{8 * GiB}</memory><memory_policy><max>{4 * GiB}</max></memory_policy>", "vm.memory_policy.max"),
    ("<cpu><topology><cores>0</cores></topology></cpu>", "vm.cpu.topology.cores"),
    ("<high_availability><priority>500</priority></high_availability>", "vm.high_availability.priority"),
])
def test_bad_vm_values_name_the_field(api: Api, env: Env, extra: str, field: str) -> None:
    name = unique("bad")
    fault(api.post("/vms", f"<vm><name>{name}</name><cluster><name>Default</name></cluster>{extra}</vm>"), 400,
          field)
    assert api.items("/vms", {"search": f"name={name}"}) == []


def test_vm_needs_name_and_cluster(api: Api, env: Env) -> None:
    fault(api.post("/vms", "<vm><cluster><name>Default</name></cluster></vm>"), 400, "vm.name")
    fault(api.post("/vms", "<vm><name>nocluster</name></vm>"), 400, "vm.cluster")
    fault(api.post("/vms", "<vm><name>nocluster</name><cluster><name>nowhere</name></cluster></vm>"), 400,
          "vm.cluster", "nowhere")
    fault(api.post("/vms", "<vm><name>notemplate</name><cluster><name>Default</name></cluster>"
                           "<template><name>nosuch</name></template></vm>"), 400, "vm.template")


def test_vm_update_rename_memory_and_refusals(api: Api, env: Env) -> None:
    vm = new_vm(api, "upd1")
    new_vm(api, "upd2")
    path = f"/vms/{vm.attrib['id']}"
    r = api.put(path, f"<vm><name>upd1b</name><memory>{2 * GiB}</memory><description>x</description>"
                      "<status>up</status><creation_time>2001-01-01T00:00:00Z</creation_time></vm>")
    assert r.status_code == 200, r.text
    got = api.one(path)
    assert got.findtext("name") == "upd1b" and got.findtext("description") == "x"
    assert got.findtext("status") == "down"  # server members are not written by clients
    assert got.findtext("creation_time") == vm.findtext("creation_time")
    # the guaranteed and maximum memory that followed the old size follow the new one
    assert number(got, "memory") == 2 * GiB and number(got, "memory_policy/guaranteed") == 2 * GiB
    assert number(got, "memory_policy/max") == 8 * GiB
    fault(api.put(path, "<vm><name>upd2</name></vm>"), 409, "upd2")
    fault(api.put(path, f"<vm><memory_policy><guaranteed>{4 * GiB}</guaranteed></memory_policy></vm>"), 400,
          "vm.memory_policy.guaranteed")
    template = api.created("/templates", f'<template><name>{unique("t")}</name><vm id="{vm.attrib["id"]}"/>'
                                         "</template>")
    fault(api.put(path, f'<vm><template id="{template.attrib["id"]}"/></vm>'), 409, "template")
    assert api.put(path, f'<vm><template id="{BLANK_ID}"/></vm>').status_code == 200  # the same one is fine
    other_dc = api.created("/datacenters", f"<data_center><name>{unique('dc')}</name></data_center>")
    other = api.created("/clusters", f"<cluster><name>{unique('c')}</name><data_center id=\"{other_dc.attrib['id']}\"/>"
                                     "<cpu><type>Intel Nehalem Family</type></cpu></cluster>")
    fault(api.put(path, f'<vm><cluster id="{other.attrib["id"]}"/></vm>'), 409, "data center")
    assert ref(api.one(path), "cluster") == env.cluster


def test_delete_protected_vm_cannot_be_removed(api: Api, env: Env) -> None:
    vm = new_vm(api, extra="<delete_protected>true</delete_protected>")
    path = f"/vms/{vm.attrib['id']}"
    fault(api.delete(path), 409, "delete protected")
    assert api.one(path).findtext("delete_protected") == "true"
    assert api.put(path, "<vm><delete_protected>false</delete_protected></vm>").status_code == 200
    api.removed(path)
    assert api.gone(path)


def test_start_is_refused_with_a_fault_without_an_up_host(api: Api, env: Env) -> None:
    vm = new_vm(api)
    name = vm.findtext("name") or ""
    path = f"/vms/{vm.attrib['id']}"
    fault(api.post(f"{path}/start"), 409, "Cannot run VM. There are no hosts to use.")
    for action in ("stop", "shutdown", "reboot", "suspend", "migrate", "cancelmigration"):
        fault(api.post(f"{path}/{action}"), 409, "Cannot", name)
    assert api.one(path).findtext("status") == "down"
    (last,) = api.items("/events", {"max": "1"})
    assert last.findtext("severity") == "error" and name in (last.findtext("description") or "")


def _set_status(api: Api, kind: str, ident: str, status: str) -> None:
    """What monitoring would record; the tests have no host agents."""
    from engine_api.commands.tx import Tx

    with api.engine.db.write() as conn:
        tx = Tx(conn, None)
        doc = tx.must(kind, ident)
        doc["status"] = status
        tx.update(kind, doc)


def test_vm_power_actions_without_a_live_host_are_refused(api: Api, env: Env) -> None:
    """Running a VM needs an up host with an agent; no action pretends to succeed without one."""
    vm = new_vm(api).attrib["id"]
    fault(api.post(f"/vms/{vm}/start"), 409, "Cannot run VM. There are no hosts to use. Check that the cluster "
                                             "contains at least one host in Up state.")
    for action in ("stop", "shutdown", "reboot", "suspend", "migrate"):
        fault(api.post(f"/vms/{vm}/{action}"), 409, "it is down")
    fault(api.post(f"/vms/{vm}/cancelmigration"), 409, "not migrating")
    assert api.one(f"/vms/{vm}").findtext("status") == "down"


# ---------------------------------------------------------------- disks


def test_disk_create_defaults_and_rules(api: Api, env: Env) -> None:
    disk = api.created("/disks", disk_xml("floating1", env.sd, 3 * GiB))
    assert disk.findtext("name") == "floating1" and disk.findtext("alias") == "floating1"
    assert [s.attrib["id"] for s in disk.findall("storage_domains/storage_domain")] == [env.sd]
    assert number(disk, "provisioned_size") == 3 * GiB
    assert disk.findtext("format") == "cow" and disk.findtext("sparse") == "true"
    assert disk.findtext("status") == "ok" and disk.findtext("content_type") == "data"
    assert disk.findtext("storage_type") == "image" and disk.findtext("shareable") == "false"
    assert disk.findtext("qcow_version") == "qcow2_v3" and disk.findtext("image_id")
    assert number(disk, "actual_size") == 0 and number(disk, "total_size") == 0
    raw = api.created("/disks", disk_xml("prealloc1", env.sd, GiB, "<alias>prealloc_alias</alias><format>raw</format>"
                                         "<sparse>false</sparse><shareable>true</shareable>"))
    assert raw.findtext("name") == raw.findtext("alias") == "prealloc_alias"  # alias wins
    assert number(raw, "actual_size") == GiB and raw.find("qcow_version") is None
    fault(api.post("/disks", f'<disk><name>nosize</name><storage_domains><storage_domain id="{env.sd}"/>'
                             "</storage_domains></disk>"), 400, "disk.provisioned_size")
    fault(api.post("/disks", disk_xml("zero", env.sd, 0)), 400, "disk.provisioned_size")
    fault(api.post("/disks", disk_xml("huge", env.sd, 1 << 64)), 400, "disk.provisioned_size")
    fault(api.post("/disks", "<disk><name>nosd</name><provisioned_size>1</provisioned_size></disk>"), 400,
          "disk.storage_domains")
    fault(api.post("/disks", disk_xml("oniso", env.iso)), 400, "disk.storage_domains", "iso")
    fault(api.post("/disks", disk_xml("sharedcow", env.sd, extra="<shareable>true</shareable>")), 400,
          "disk.shareable", "raw")


def test_disk_update_grows_only(api: Api, env: Env) -> None:
    disk = api.created("/disks", disk_xml("grow1", env.sd, 2 * GiB))
    path = f"/disks/{disk.attrib['id']}"
    fault(api.put(path, f"<disk><provisioned_size>{GiB}</provisioned_size></disk>"), 409, "shrink")
    assert api.put(path, f"<disk><provisioned_size>{4 * GiB}</provisioned_size><alias>grown1</alias>"
                         "<bootable>true</bootable></disk>").status_code == 200
    got = api.one(path)
    assert number(got, "provisioned_size") == 4 * GiB
    assert got.findtext("alias") == got.findtext("name") == "grown1"
    fault(api.put(path, "<disk><format>raw</format></disk>"), 400, "disk.format")
    fault(api.put(path, "<disk><shareable>true</shareable></disk>"), 400, "disk.shareable")
    api.removed(path)
    assert api.gone(path)


def test_disk_attachments(api: Api, env: Env) -> None:
    vm = new_vm(api)
    vm_id = vm.attrib["id"]
    floating = api.created("/disks", disk_xml(unique("boot"), env.sd))
    att = api.created(f"/vms/{vm_id}/diskattachments",
                      f'<disk_attachment><interface>virtio</interface><bootable>true</bootable>'
                      f'<disk id="{floating.attrib["id"]}"/></disk_attachment>')
    assert att.attrib["id"] == floating.attrib["id"] == ref(att, "disk")  # known by the disk's id
    assert ref(att, "vm") == vm_id and att.findtext("bootable") == "true"
    assert att.findtext("active") == "true" and att.findtext("read_only") == "false"
    assert att.findtext("pass_discard") == "false" and att.findtext("interface") == "virtio"
    one = api.one(f"/vms/{vm_id}/diskattachments/{floating.attrib['id']}")
    assert one.attrib["id"] == floating.attrib["id"]
    fault(api.post(f"/vms/{vm_id}/diskattachments", f'<disk_attachment><interface>virtio</interface>'
                                                    f'<disk id="{floating.attrib["id"]}"/></disk_attachment>'),
          409, "already attached")
    fault(api.post(f"/vms/{vm_id}/diskattachments",
                   f"<disk_attachment><bootable>true</bootable><interface>virtio</interface>"
                   f"{disk_xml(unique('boot'), env.sd)}</disk_attachment>"), 409, "bootable")
    fault(api.post(f"/vms/{vm_id}/diskattachments",
                   f"<disk_attachment>{disk_xml(unique('x'), env.sd)}</disk_attachment>"), 400,
          "disk_attachment.interface")
    second = attach_new(api, vm_id, env.sd, name="second_d")
    assert second.findtext("bootable") == "false"
    disk = api.one(f"/disks/{second.attrib['id']}")
    assert disk.findtext("name") == "second_d"
    unnamed = api.created(f"/vms/{vm_id}/diskattachments",
                          f"<disk_attachment><interface>sata</interface><disk><provisioned_size>{GiB}"
                          f'</provisioned_size><storage_domains><storage_domain id="{env.sd}"/></storage_domains>'
                          "</disk></disk_attachment>")
    assert api.one(f"/disks/{unnamed.attrib['id']}").findtext("alias") == f"{vm.findtext('name')}_Disk1"
    assert sorted(ids(api.items(f"/vms/{vm_id}/diskattachments"))) == sorted(
        [floating.attrib["id"], second.attrib["id"], unnamed.attrib["id"]])
    mine = {floating.attrib["id"], second.attrib["id"], unnamed.attrib["id"]}
    still_floating = api.created("/disks", disk_xml(unique("spare"), env.sd)).attrib["id"]
    unattached = set(ids(api.items("/disks", {"search": "number_of_vms=0"})))
    assert still_floating in unattached and not mine & unattached  # oVirt's search for floating disks
    assert mine <= set(ids(api.items("/disks", {"search": "number_of_vms>0"})))
    assert set(ids(api.items("/disks", {"search": f"vm_names={vm.findtext('name')}"}))) == mine
    # not attachable twice while not shareable
    other = new_vm(api)
    fault(api.post(f"/vms/{other.attrib['id']}/diskattachments",
                   f'<disk_attachment><interface>virtio</interface><disk id="{second.attrib["id"]}"/>'
                   "</disk_attachment>"), 409, "not shareable")
    # update: bootable moves only when the other one gives it up
    path = f"/vms/{vm_id}/diskattachments/{second.attrib['id']}"
    fault(api.put(path, "<disk_attachment><bootable>true</bootable></disk_attachment>"), 409, "bootable")
    assert api.put(path, "<disk_attachment><interface>virtio</interface><read_only>true</read_only>"
                         "</disk_attachment>").status_code == 200
    got = api.one(path)
    assert got.findtext("interface") == "virtio" and got.findtext("read_only") == "true"
    # the storage domain must be in the VM's data center
    lonely = nfs_domain(api, unique("lonely"))
    fault(api.post(f"/vms/{vm_id}/diskattachments",
                   f"<disk_attachment><interface>virtio</interface>{disk_xml(unique('l'), lonely)}"
                   "</disk_attachment>"), 409, "not attached to data center")


def test_detaching_keeps_the_disk_unless_detach_only_is_false(api: Api, env: Env) -> None:
    vm_id = new_vm(api).attrib["id"]
    kept = attach_new(api, vm_id, env.sd).attrib["id"]
    dropped = attach_new(api, vm_id, env.sd).attrib["id"]
    api.removed(f"/vms/{vm_id}/diskattachments/{kept}")
    assert api.gone(f"/vms/{vm_id}/diskattachments/{kept}")
    assert api.one(f"/disks/{kept}").findtext("status") == "ok"  # floating now
    api.removed(f"/vms/{vm_id}/diskattachments/{dropped}", {"detach_only": "false"})
    assert api.gone(f"/disks/{dropped}")


def test_removing_a_vm_removes_its_disks_unless_detach_only(api: Api, env: Env) -> None:
    vm_id = new_vm(api).attrib["id"]
    disk = attach_new(api, vm_id, env.sd, bootable=True).attrib["id"]
    nic = add_nic(api, vm_id, "nic1").attrib["id"]
    api.removed(f"/vms/{vm_id}")
    assert api.gone(f"/vms/{vm_id}") and api.gone(f"/disks/{disk}") and api.gone(f"/vms/{vm_id}/nics/{nic}")

    vm_id = new_vm(api).attrib["id"]
    disk = attach_new(api, vm_id, env.sd).attrib["id"]
    api.removed(f"/vms/{vm_id}", {"detach_only": "true"})
    assert api.gone(f"/vms/{vm_id}")
    assert api.one(f"/disks/{disk}").findtext("status") == "ok"


def test_a_disk_of_a_vm_cannot_be_removed_while_the_vm_runs(api: Api, env: Env) -> None:
    vm_id = new_vm(api).attrib["id"]
    disk = attach_new(api, vm_id, env.sd).attrib["id"]
    _set_status(api, "vm", vm_id, "up")
    fault(api.delete(f"/disks/{disk}"), 409, "attached to VM")
    fault(api.delete(f"/vms/{vm_id}"), 409, "stop it first")
    fault(api.post(f"/vms/{vm_id}/nics", "<nic><name>hot</name></nic>"), 409, "hot-plugging")
    fault(api.delete(f"/vms/{vm_id}/diskattachments/{disk}"), 409, "hot-plugging")
    fault(api.put(f"/disks/{disk}", f"<disk><provisioned_size>{2 * GiB}</provisioned_size></disk>"), 409,
          "cannot extend", "no known host")  # a running VM's disk grows live, through its host
    # a running VM takes a new description at once; a new memory size waits for its next run
    assert api.put(f"/vms/{vm_id}", "<vm><description>live</description></vm>").status_code == 200
    assert api.one(f"/vms/{vm_id}").findtext("next_run_configuration_exists") == "false"
    assert api.put(f"/vms/{vm_id}", f"<vm><memory>{2 * GiB}</memory></vm>").status_code == 200
    assert api.one(f"/vms/{vm_id}").findtext("next_run_configuration_exists") == "true"
    _set_status(api, "vm", vm_id, "down")
    api.removed(f"/disks/{disk}")
    assert api.items(f"/vms/{vm_id}/diskattachments") == []


# ---------------------------------------------------------------- NICs


def test_nics_and_mac_addresses(api: Api, env: Env) -> None:
    vm_id = new_vm(api).attrib["id"]
    nic = add_nic(api, vm_id, "nic1", "<vnic_profile><name>ovirtmgmt</name></vnic_profile>")
    mac = nic.findtext("mac/address") or ""
    assert re.match(r"^56:6f(:[0-9a-f]{2}){4}$", mac), mac
    assert nic.findtext("interface") == "virtio" and ref(nic, "vnic_profile") == env.profile
    assert [nic.findtext(k) for k in ("linked", "plugged", "on_boot")] == ["true", "true", "true"]
    second = add_nic(api, vm_id, "nic2", "<interface>e1000</interface>")
    assert second.findtext("mac/address") != mac and second.find("vnic_profile") is None
    fault(api.post(f"/vms/{vm_id}/nics", "<nic><name>NIC1</name></nic>"), 409, "already in use")
    other = new_vm(api).attrib["id"]
    fault(api.post(f"/vms/{other}/nics", f"<nic><name>n</name><mac><address>{mac.upper()}</address></mac></nic>"),
          409, mac)
    fault(api.post(f"/vms/{other}/nics", "<nic><name>n</name><mac><address>01:00:5e:00:00:01</address></mac>"
                                         "</nic>"), 400, "nic.mac.address")
    fault(api.post(f"/vms/{other}/nics", "<nic><name>n</name><mac><address>bogus</address></mac></nic>"), 400,
          "nic.mac.address")
    given = add_nic(api, other, "nic1", "<mac><address>02:00:00:AA:BB:CC</address></mac>")
    assert given.findtext("mac/address") == "02:00:00:aa:bb:cc"
    # update: a MAC in use elsewhere is refused, a new name must be free, the profile can be dropped
    path = f"/vms/{vm_id}/nics/{nic.attrib['id']}"
    fault(api.put(path, "<nic><mac><address>02:00:00:aa:bb:cc</address></mac></nic>"), 409, "already in use")
    fault(api.put(path, "<nic><name>nic2</name></nic>"), 409, "nic2")
    assert api.put(path, "<nic><name>eth0</name><vnic_profile/><linked>false</linked></nic>").status_code == 200
    got = api.one(path)
    assert got.findtext("name") == "eth0" and got.find("vnic_profile") is None and got.findtext("linked") == "false"
    assert got.findtext("mac/address") == mac
    api.removed(path)
    assert ids(api.items(f"/vms/{vm_id}/nics")) == [second.attrib["id"]]


def test_nic_profile_by_name_is_looked_up_in_the_vms_data_center(api: Api, env: Env) -> None:
    other_dc = api.created("/datacenters", f"<data_center><name>{unique('dc')}</name></data_center>")
    assert other_dc.attrib["id"] != env.dc  # it has an ovirtmgmt profile too: the name alone is ambiguous
    vm_id = new_vm(api).attrib["id"]
    nic = add_nic(api, vm_id, "nic1", "<vnic_profile><name>ovirtmgmt</name></vnic_profile>")
    assert ref(nic, "vnic_profile") == env.profile
    (foreign_net,) = [n for n in api.items(f"/datacenters/{other_dc.attrib['id']}/networks")]
    (foreign,) = api.items(f"/networks/{foreign_net.attrib['id']}/vnicprofiles")
    fault(api.post(f"/vms/{vm_id}/nics", f'<nic><name>n2</name><vnic_profile id="{foreign.attrib["id"]}"/></nic>'),
          400, "nic.vnic_profile", "another data center")
    fault(api.post(f"/vms/{vm_id}/nics", "<nic><name>n3</name><vnic_profile><name>nosuch</name></vnic_profile>"
                                         "</nic>"), 400, "nic.vnic_profile")


# ---------------------------------------------------------------- templates


def test_template_from_vm_and_vm_from_template(api: Api, env: Env) -> None:
    source = new_vm(api, extra=f"<memory>{2 * GiB}</memory><os><type>rhel_9x64</type></os>"
                               "<cpu><topology><sockets>2</sockets></topology></cpu>")
    source_id = source.attrib["id"]
    boot = attach_new(api, source_id, env.sd, bootable=True).attrib["id"]
    data = attach_new(api, source_id, env.sd).attrib["id"]
    vm_nic = add_nic(api, source_id, "nic1", f'<vnic_profile id="{env.profile}"/>')
    name = unique("tpl")
    template = api.created("/templates", f'<template><name>{name}</name><vm id="{source_id}"/>'
                                         "<description>golden</description>"
                                         "<version><version_name>v1</version_name></version></template>")
    tid = template.attrib["id"]
    assert template.findtext("status") == "ok" and template.findtext("description") == "golden"
    assert number(template, "memory") == 2 * GiB and template.findtext("os/type") == "rhel_9x64"
    assert number(template, "cpu/topology/sockets") == 2 and ref(template, "cluster") == env.cluster
    assert number(template, "version/version_number") == 1 and template.findtext("version/version_name") == "v1"
    assert template.find("version/base_template").attrib["id"] == tid
    assert template.find("status") is not None and template.find("host") is None
    t_atts = api.items(f"/templates/{tid}/diskattachments")
    assert len(t_atts) == 2 and not {boot, data} & set(ids(t_atts))  # copies, not the VM's own disks
    assert [a.findtext("bootable") for a in t_atts].count("true") == 1
    for a in t_atts:
        d = api.one(f"/disks/{a.attrib['id']}")
        assert d.findtext("status") == "ok" and d.find("storage_domains/storage_domain").attrib["id"] == env.sd
    (t_nic,) = api.items(f"/templates/{tid}/nics")
    assert t_nic.findtext("name") == "nic1" and t_nic.find("mac") is None
    assert ref(t_nic, "vnic_profile") == env.profile
    fault(api.post("/templates", f'<template><name>{name}</name><vm id="{source_id}"/></template>'), 409, name)
    fault(api.post("/templates", f"<template><name>{unique('tpl')}</name></template>"), 400, "template.vm")

    clone = api.created("/vms", f"<vm><name>{unique('fromtpl')}</name><cluster id=\"{env.cluster}\"/>"
                                f"<template><name>{name}</name></template></vm>")
    cid = clone.attrib["id"]
    assert ref(clone, "template") == tid and number(clone, "memory") == 2 * GiB
    assert clone.findtext("os/type") == "rhel_9x64" and number(clone, "cpu/topology/sockets") == 2
    assert clone.findtext("description") == ""  # identity is not inherited
    c_atts = api.items(f"/vms/{cid}/diskattachments")
    assert len(c_atts) == 2 and not set(ids(c_atts)) & (set(ids(t_atts)) | {boot, data})
    (c_nic,) = api.items(f"/vms/{cid}/nics")
    c_mac = c_nic.findtext("mac/address")
    assert c_nic.findtext("name") == "nic1" and c_mac and c_mac != vm_nic.findtext("mac/address")

    # the template stays while a VM is based on it; Blank stays for good
    fault(api.delete(f"/templates/{tid}"), 409, "based on it")
    fault(api.delete(f"/templates/{BLANK_ID}"), 409, "Blank")
    api.removed(f"/vms/{cid}")
    api.removed(f"/templates/{tid}")
    assert api.gone(f"/templates/{tid}")
    for a in t_atts:
        assert api.gone(f"/disks/{a.attrib['id']}")
    assert api.one(f"/disks/{boot}").findtext("status") == "ok"  # the source VM keeps its own


def test_template_needs_a_vm_that_is_down(api: Api, env: Env) -> None:
    vm_id = new_vm(api).attrib["id"]
    _set_status(api, "vm", vm_id, "up")
    fault(api.post("/templates", f'<template><name>{unique("tpl")}</name><vm id="{vm_id}"/></template>'), 409,
          "must be down")


def test_template_update(api: Api, env: Env) -> None:
    vm_id = new_vm(api).attrib["id"]
    tid = api.created("/templates", f'<template><name>{unique("tpl")}</name><vm id="{vm_id}"/></template>'
                      ).attrib["id"]
    assert api.put(f"/templates/{tid}", "<template><description>new</description><version>"
                                        "<version_name>v2</version_name><version_number>9</version_number>"
                                        "</version></template>").status_code == 200
    got = api.one(f"/templates/{tid}")
    assert got.findtext("description") == "new" and got.findtext("version/version_name") == "v2"
    assert number(got, "version/version_number") == 1
    fault(api.put(f"/templates/{tid}", "<template><memory>0</memory></template>"), 400, "template.memory")
    fault(api.put(f"/templates/{BLANK_ID}", "<template><name>NotBlank</name></template>"), 409, "Blank")
    template_nic = add_nic(api, tid, "tnic", "<mac><address>02:00:00:00:00:09</address></mac>", kind="templates")
    assert template_nic.find("mac") is None  # template NICs have none
