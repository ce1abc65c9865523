"""OVA export and import: ``POST /vms/{id}/export`` with ``host`` and ``directory`` (ovirtsdk4's
``export_to_path_on_host``) and ``POST /externalvmimports`` with an ``ova://`` URL.

The engine writes the OVF (oVirt's layout: References/File, NetworkSection, DiskSection, VirtualSystem with
its hardware Items); the named host's agent converts each disk's chain to qcow2 and packs the OVF and the
disks into a tar. An import reads the OVF through the host's agent, creates the VM with its disks and NICs,
and has the agent convert the disk members onto the storage domain; the VM is ``image_locked`` and its
disks ``locked`` until then, with an audit event either way. An export needs the VM down (oVirt exports a
running VM through a temporary snapshot; vdc does not yet).
"""

from __future__ import annotations

import math

from lxml import etree

from engine_api.commands import disks as disks_cmd
from engine_api.commands import images, nics, vms
from engine_api.commands.authz import on_arg, on_ref, register
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx, now_iso
from engine_api.commands.vmbase import same_data_center
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.protocol.client import AgentError

register("export_vm_ova", on_arg(8, "vm"))  # IMPORT_EXPORT_VM on the VM
register("import_vm_ova", on_ref(1, "cluster", "cluster"))  # CREATE_VM in the cluster

OVF = "http://schemas.dmtf.org/ovf/envelope/1"
RASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
VSSD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OVIRT = "http://www.ovirt.org/ovf"
NSMAP = {"ovf": OVF, "rasd": RASD, "vssd": VSSD, "xsi": XSI, "ovirt": OVIRT}
GiB = 1 << 30

QCOW_URL = "http://www.gnome.org/~markmc/qcow-image-format.html"
RAW_URL = "http://www.vmware.com/specifications/vmdk.html#sparse"
CPU, MEMORY, NETWORK, DISK = "3", "4", "10", "17"
# oVirt's VmInterfaceType numbers, written as a network Item's ResourceSubType
NIC_TYPES = {"rtl8139_virtio": 0, "rtl8139": 1, "e1000": 2, "virtio": 3, "spapr_vlan": 4, "pci_passthrough": 5,
             "e1000e": 6}
DISK_INTERFACES = {"virtio": "VirtIO", "virtio_scsi": "VirtIO_SCSI", "ide": "IDE", "sata": "SATA",
                   "spapr_vscsi": "SPAPR_VSCSI"}


def _o(name: str) -> str:
    return f"{{{OVF}}}{name}"


def _sub(parent: etree._Element, tag: str, text: object = None, ns: str | None = None, **attrs: str):
    el = etree.SubElement(parent, f"{{{ns}}}{tag}" if ns else tag, attrs)
    if text is not None:
        el.text = str(text)
    return el


def _item(hw: etree._Element, rtype: str, caption: str, instance: str, **fields: object) -> etree._Element:
    item = _sub(hw, "Item")
    _sub(item, "Caption", caption, RASD)
    _sub(item, "InstanceId", instance, RASD)
    _sub(item, "ResourceType", rtype, RASD)
    for k, v in fields.items():
        _sub(item, k, v, RASD)
    return item


# ---------------------------------------------------------------- the OVF


def build_ovf(tx: Tx, vm: dict, vm_disks: list[tuple[dict, dict]], vm_nics: list[dict]) -> str:
    """oVirt's OVA descriptor of a VM; ``vm_disks`` are (attachment, disk) pairs. File sizes and populated
    sizes are the agent's to fill in once it has converted the disks."""
    root = etree.Element(_o("Envelope"), {_o("version"): "4.4.0.0"}, nsmap=NSMAP)
    refs = _sub(root, "References")
    for _att, disk in vm_disks:
        image = images.volume(disk)
        _sub(refs, "File", **{_o("href"): image, _o("id"): image, _o("size"): str(disk.get("actual_size") or 0),
                              _o("description"): disk["name"]})
    networks = {}
    for nic in vm_nics:
        net = _network_of(tx, nic)
        if net:
            networks[net["name"]] = net
    net_section = _sub(root, "NetworkSection")
    _sub(net_section, "Info", "List of networks")
    for name in networks:
        _sub(net_section, "Network", **{_o("name"): name})
    disk_section = _sub(root, "DiskSection")
    _sub(disk_section, "Info", "List of Virtual Disks")
    for att, disk in vm_disks:
        image = images.volume(disk)
        cow = disk.get("_format", disk.get("format")) == "cow" or image != disk["id"]
        _sub(disk_section, "Disk", **{
            _o("diskId"): image, _o("capacity"): str(math.ceil(int(disk["provisioned_size"]) / GiB)),
            _o("capacityAllocationUnits"): "byte * 2^30", _o("populatedSize"): str(disk.get("actual_size") or 0),
            _o("parentRef"): "", _o("fileRef"): image, _o("format"): QCOW_URL if cow else RAW_URL,
            _o("volume-format"): "COW" if cow else "RAW",
            _o("volume-type"): "Sparse" if disk.get("sparse", True) else "Preallocated",
            _o("disk-interface"): DISK_INTERFACES.get(str(att.get("interface")), "VirtIO"),
            _o("boot"): str(bool(att.get("bootable"))).lower(),
            _o("pass-discard"): str(bool(att.get("pass_discard"))).lower(),
            _o("disk-alias"): disk["name"], _o("disk-description"): disk.get("description") or "",
            _o("wipe-after-delete"): str(bool(disk.get("wipe_after_delete"))).lower()})
    system = _sub(root, "VirtualSystem", **{_o("id"): vm["id"]})
    template = tx.get("template", (vm.get("template") or {}).get("id", "")) or {}
    memory_mb = int(vm.get("memory") or 0) // (1 << 20)
    policy = vm.get("memory_policy") or {}
    topology = (vm.get("cpu") or {}).get("topology") or {}
    sockets, cores, threads = (int(topology.get(k) or 1) for k in ("sockets", "cores", "threads"))
    for tag, value in (("Name", vm["name"]), ("Description", vm.get("description") or ""),
                       ("Comment", vm.get("comment") or ""), ("CreationDate", vm.get("creation_time") or ""),
                       ("ExportDate", now_iso()), ("TemplateId", template.get("id", "")),
                       ("TemplateName", template.get("name", "")),
                       ("IsStateless", str(bool(vm.get("stateless"))).lower()), ("Origin", "0"),
                       ("VmType", {"desktop": 0, "server": 1, "high_performance": 2}.get(str(vm.get("type")), 1)),
                       ("MinAllocatedMem", int(policy.get("guaranteed") or 0) // (1 << 20)),
                       ("MaxMemorySizeMb", int(policy.get("max") or 0) // (1 << 20) or memory_mb),
                       ("BiosType", (vm.get("bios") or {}).get("type") or "cluster_default"),
                       ("ClusterCompatibilityVersion", "4.7")):
        _sub(system, tag, value)
    os_section = _sub(system, "OperatingSystemSection", **{_o("id"): vm["id"], _o("required"): "false"})
    _sub(os_section, "Info", "Guest Operating System")
    _sub(os_section, "Description", (vm.get("os") or {}).get("type") or "other")
    hw = _sub(system, "VirtualHardwareSection")
    _sub(hw, "Info", f"{sockets * cores * threads} CPU, {memory_mb} Memory")
    _sub(_sub(hw, "System"), "VirtualSystemType", "ENGINE 4.4.0.0", VSSD)
    _item(hw, CPU, f"{sockets * cores * threads} virtual cpu", "1", Description="Number of virtual CPU",
          num_of_sockets=sockets, cpu_per_socket=cores, threads_per_cpu=threads,
          max_num_of_vcpus=sockets * cores * threads)
    _item(hw, MEMORY, f"{memory_mb} MB of memory", "2", Description="Memory Size", AllocationUnits="MegaBytes",
          VirtualQuantity=memory_mb)
    for att, disk in vm_disks:
        image = images.volume(disk)
        item = _item(hw, DISK, disk["name"], image, HostResource=f"{disk['id']}/{image}",
                     Parent="00000000-0000-0000-0000-000000000000", Template=template.get("id", ""),
                     StorageId=images.pool_of(disk))
        _sub(item, "Type", "disk")
        _sub(item, "Device", "disk")
        _sub(item, "BootOrder", 1 if att.get("bootable") else 0)
        _sub(item, "IsPlugged", str(att.get("active", True)).lower())
        _sub(item, "IsReadOnly", str(bool(att.get("read_only"))).lower())
    for nic in vm_nics:
        net = _network_of(tx, nic)
        net_name = net["name"] if net else ""
        item = _item(hw, NETWORK, f"Ethernet adapter on {net_name or '[No Network]'}", nic["id"],
                     ResourceSubType=NIC_TYPES.get(nic.get("interface") or "virtio", 3),
                     Connection=net_name, Name=nic["name"], MACAddress=(nic.get("mac") or {}).get("address", ""))
        _sub(item, "Type", "interface")
        _sub(item, "Device", "bridge")
        _sub(item, "IsPlugged", str(nic.get("plugged", True)).lower())
        _sub(item, "linked", str(nic.get("linked", True)).lower())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode()


def _network_of(tx: Tx, nic: dict) -> dict | None:
    profile = tx.get("vnic_profile", (nic.get("vnic_profile") or {}).get("id", "")) if nic.get("vnic_profile") \
        else None
    return tx.get("network", profile["network"]["id"]) if profile else None


# ---------------------------------------------------------------- export


def _check_export(tx: Tx, vm_id: str, action: dict) -> tuple[dict, dict, str, str]:
    vm = tx.must("vm", vm_id)
    if not action.get("host"):
        raise BadRequest("action.host is required", "Incomplete parameters")
    directory = action.get("directory")
    if not directory:
        raise BadRequest("action.directory is required", "Incomplete parameters")
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise BadRequest(f"action.directory '{directory}' is not an absolute path")
    filename = action.get("filename") or f"{vm['name']}.ova"
    if "/" in filename or filename in (".", ".."):
        raise BadRequest(f"action.filename '{filename}' is not a plain file name")
    host = tx.ref("host", action["host"], "action.host")
    if vm.get("status") != "down":
        raise Conflict(f"Cannot export VM {vm['name']}: it is {vm['status'].replace('_', ' ')}; "
                       "a VM is exported while it is down.")
    if host.get("status") != "up":
        raise Conflict(f"Cannot export VM {vm['name']}: host {host['name']} is {host.get('status')}.")
    if not same_data_center(tx, (host.get("cluster") or {}).get("id"), vm["cluster"]["id"]):
        raise Conflict(f"Cannot export VM {vm['name']}: host {host['name']} is in another data center.")
    return vm, host, directory, filename


def _plan_export(tx: Tx, vm_id: str, action: dict) -> tuple[dict, dict, str, str, list[dict], str]:
    vm, host, directory, filename = _check_export(tx, vm_id, action)
    pairs = []
    for att in tx.find_by("disk_attachment", vm_id=vm["id"]):
        disk = tx.must("disk", att["disk"]["id"])
        if disk.get("status") != "ok":
            raise Conflict(f"Cannot export VM {vm['name']}: disk {disk['name']} is {disk.get('status')}.")
        pairs.append((att, disk))
    vm_nics = tx.find_by("nic", vm_id=vm["id"])
    ovf = build_ovf(tx, vm, pairs, vm_nics)
    body = [{"pool": images.pool_of(d), "volume": images.volume(d), "image": images.volume(d), "disk": d["id"]}
            for _a, d in pairs]
    for _a, disk in pairs:
        disk["status"] = "locked"
        tx.update("disk", disk)
    path = f"{directory.rstrip('/')}/{filename}"
    tx.event(1223, f"Starting to export VM {vm['name']} as a Virtual Appliance to {path} on host {host['name']} "
                   f"by {tx.who}.", vm=vm["id"], host=host["id"])
    return vm, host, directory, filename, body, ovf


def _exported(tx: Tx, vm_id: str, disk_ids: list[str], path: str, host_name: str, error: str = "") -> None:
    for disk_id in disk_ids:
        disk = tx.get("disk", disk_id)
        if disk is not None and disk.get("status") == "locked":
            disk["status"] = "ok"
            tx.update("disk", disk)
    vm = tx.get("vm", vm_id) or {"name": vm_id, "id": None}
    if error:
        tx.event(1225, f"Failed to export VM {vm['name']} as a Virtual Appliance to {path} on host {host_name}: "
                       f"{error}", "error", vm=vm["id"])
    else:
        tx.event(1224, f"VM {vm['name']} was exported successfully as a Virtual Appliance to {path} on host "
                       f"{host_name}.", vm=vm["id"])


def _export_job(ctx: Context, vm: dict, host: dict, directory: str, filename: str, body: list[dict],
                ovf: str) -> None:
    path = f"{directory.rstrip('/')}/{filename}"
    disk_ids = [d["disk"] for d in body]
    try:
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            domains = [tx.must("storage_domain", pool) for pool in {d["pool"] for d in body}]
        for domain in domains:
            ctx.engine.broker.connect_storage(host, pool_spec(domain))
        ctx.engine.broker.image_op(host, "ova_export", {"directory": directory, "filename": filename,
                                                        "ovf": ovf, "disks": body})
    except AgentError as e:
        run(ctx, "image_job", _exported, vm["id"], disk_ids, path, host["name"], str(e))
        return
    run(ctx, "image_job", _exported, vm["id"], disk_ids, path, host["name"])


def export(ctx: Context, parent: dict | None, current: dict, action: dict) -> dict:
    """``POST /vms/{id}/export`` to a path on a host; export domains are not supported."""
    if action.get("storage_domain") and not action.get("host"):
        raise BadRequest("Export domains are not supported; export to a path on a host with action.host and "
                         "action.directory.")
    with ctx.engine.db.read() as conn:  # the checks, then the host's answer on the path, then the locks
        _, host, directory, filename = _check_export(Tx(conn, ctx), current["id"], action)
    try:
        ctx.engine.broker.image_op(host, "ova_check", {"directory": directory, "filename": filename}, timeout=30.0)
    except AgentError as e:
        if e.status == 409:
            raise Conflict(f"Cannot export VM {current['name']} to host {host['name']}: {e}") from None
        if 400 <= e.status < 500:
            raise BadRequest(f"action.directory: {e}") from None
        raise Conflict(f"Cannot export VM {current['name']}: host {host['name']}: {e}") from None
    vm, host, directory, filename, body, ovf = run(ctx, "export_vm_ova", _plan_export, current["id"], action)
    ctx.engine.jobs.submit(ctx, f"Exporting VM {vm['name']} as OVA", _export_job, ctx, vm, host, directory,
                           filename, body, ovf)
    return {}


# ---------------------------------------------------------------- import


def _text(el: etree._Element, path: str, default: str = "") -> str:
    found = el.find(path, NSMAP)
    return found.text.strip() if found is not None and found.text else default


def parse_ovf(text: str) -> dict:
    """What an import needs from an OVF: memory, CPU topology, description, disks and NICs."""
    try:
        root = etree.fromstring(text.encode())
    except etree.XMLSyntaxError as e:
        raise BadRequest(f"The OVA's OVF descriptor is not valid XML: {e}") from None
    system = root.find("VirtualSystem")
    if system is None:
        system = root.find("ovf:VirtualSystem", NSMAP)
    if system is None:
        raise BadRequest("The OVA's OVF descriptor has no VirtualSystem.")
    files = {f.get(_o("id")): f.get(_o("href")) for f in root.iter("File", _o("File"))}
    items = list(system.iter("Item", _o("Item")))

    def rtype(item: etree._Element) -> str:
        return _text(item, "rasd:ResourceType")

    out: dict = {"description": _text(system, "Description"), "disks": [], "nics": []}
    for item in items:
        if rtype(item) == MEMORY:
            out["memory"] = int(_text(item, "rasd:VirtualQuantity", "0")) << 20
        elif rtype(item) == CPU:
            out["cpu"] = {"topology": {"sockets": int(_text(item, "rasd:num_of_sockets", "1")),
                                       "cores": int(_text(item, "rasd:cpu_per_socket", "1")),
                                       "threads": int(_text(item, "rasd:threads_per_cpu", "1"))}}
        elif rtype(item) == NETWORK:
            sub = _text(item, "rasd:ResourceSubType", "3")
            kind = next((k for k, v in NIC_TYPES.items() if str(v) == sub), "virtio")
            out["nics"].append({"name": _text(item, "rasd:Name") or f"nic{len(out['nics']) + 1}",
                                "interface": kind, "network": _text(item, "rasd:Connection"),
                                "mac": _text(item, "rasd:MACAddress"),
                                "plugged": _text(item, "IsPlugged", "true") == "true"})
    items_by_image = {_text(i, "rasd:InstanceId"): i for i in items if rtype(i) == DISK}
    interfaces = {v: k for k, v in DISK_INTERFACES.items()}
    for d in root.iter("Disk", _o("Disk")):
        units = d.get(_o("capacityAllocationUnits")) or "byte"
        scale = 1 << int(units.split("^")[1]) if "^" in units else 1
        image = d.get(_o("diskId"))
        disk_item = items_by_image.get(image) if image is not None else None
        member = files.get(d.get(_o("fileRef")), d.get(_o("fileRef")))
        out["disks"].append({
            "member": member, "alias": d.get(_o("disk-alias")) or image,
            "description": d.get(_o("disk-description")) or "",
            "provisioned_size": max(int(float(d.get(_o("capacity")) or 0) * scale), 1),
            "format": "raw" if (d.get(_o("volume-format")) or "").upper() == "RAW" else "cow",
            "sparse": (d.get(_o("volume-type")) or "Sparse") != "Preallocated",
            "interface": interfaces.get(d.get(_o("disk-interface")) or "VirtIO", "virtio"),
            "bootable": (d.get(_o("boot")) or "false") == "true",
            "active": disk_item is None or _text(disk_item, "IsPlugged", "true") == "true"})
    out["memory_policy"] = {}
    guaranteed, maximum = _text(system, "MinAllocatedMem"), _text(system, "MaxMemorySizeMb")
    if guaranteed.isdigit() and int(guaranteed):
        out["memory_policy"]["guaranteed"] = int(guaranteed) << 20
    if maximum.isdigit() and int(maximum):
        out["memory_policy"]["max"] = int(maximum) << 20
    return out


def _ova_path(url: object) -> str:
    if not isinstance(url, str) or not url:
        raise BadRequest("external_vm_import.url is required", "Incomplete parameters")
    if not url.startswith("ova://"):
        raise BadRequest(f"external_vm_import.url '{url}': only ova:// URLs (an OVA file on the host) are "
                         "supported")
    path = url[len("ova://"):]
    if not path.startswith("/"):
        raise BadRequest(f"external_vm_import.url '{url}' does not name an absolute path (ova:///path/file.ova)")
    return path


def _import_host(tx: Tx, doc: dict) -> dict:
    if not doc.get("host"):
        raise BadRequest("external_vm_import.host is required for an OVA", "Incomplete parameters")
    host = tx.ref("host", doc["host"], "external_vm_import.host")
    if host.get("status") != "up":
        raise Conflict(f"Cannot import VM {doc.get('name')}: host {host['name']} is {host.get('status')}.")
    return host


def _profile_for(tx: Tx, network: str, cluster_id: str) -> dict | None:
    """The network's profile of the same name in the cluster's data center (none when there is no such one)."""
    if not network:
        return None
    for profile in tx.by_name("vnic_profile", network):
        net = tx.get("network", profile["network"]["id"]) or {}
        if net.get("name") == network:
            assigned = tx.find_by("cluster_network", cluster_id=cluster_id, network_id=net["id"])
            if assigned:
                return profile
    return None


def _create_imported(tx: Tx, doc: dict, spec: dict, path: str) -> tuple[dict, list[dict], dict]:
    host = _import_host(tx, doc)
    sd = tx.ref("storage_domain", doc.get("storage_domain"), "external_vm_import.storage_domain")
    if sd.get("type") != "data":
        raise BadRequest(f"external_vm_import.storage_domain: {sd['name']} is not a data domain")
    cluster = tx.ref("cluster", doc.get("cluster"), "external_vm_import.cluster")
    vm_doc: dict = {"name": doc.get("name"), "cluster": {"id": cluster["id"]},
                    "description": spec.get("description") or ""}
    if spec.get("memory"):
        vm_doc["memory"] = spec["memory"]
        policy = {"guaranteed": spec["memory"], "max": spec["memory"]}
        policy.update(spec.get("memory_policy") or {})
        policy["guaranteed"] = min(policy["guaranteed"], spec["memory"])
        policy["max"] = max(policy["max"], spec["memory"])
        vm_doc["memory_policy"] = policy
    if spec.get("cpu"):
        vm_doc["cpu"] = spec["cpu"]
    vm = vms.create(tx, vm_doc)
    sparse = doc.get("sparse")
    work = []
    for d in spec["disks"]:
        att = disks_cmd.create_attachment(tx, "vm", vm, {
            "interface": d["interface"], "bootable": d["bootable"], "active": d["active"],
            "disk": {"alias": d["alias"], "description": d["description"], "provisioned_size": d["provisioned_size"],
                     "format": d["format"], "sparse": d["sparse"] if sparse is None else bool(sparse),
                     "storage_domains": [{"id": sd["id"]}]}})
        disk = tx.must("disk", att["disk"]["id"])
        disk["status"] = "locked"
        tx.update("disk", disk)
        work.append({"member": d["member"], "pool": sd["id"], "volume": disk["id"], "format": disk["format"],
                     "sparse": disk["sparse"], "disk": disk["id"]})
    taken = set()
    for n in spec["nics"]:
        nic = {"name": n["name"], "interface": n["interface"], "plugged": n["plugged"]}
        profile = _profile_for(tx, n["network"], cluster["id"])
        if profile:
            nic["vnic_profile"] = {"id": profile["id"]}
        mac = n.get("mac")
        if mac and mac not in taken and not tx.find_by("nic", mac_address=mac):
            nic["mac"] = {"address": mac}  # kept unless another VM (the one exported, say) holds it
        taken.add(mac)
        nics.create(tx, "vm", vm, nic)
    vm = tx.must("vm", vm["id"])
    vm["status"] = "image_locked"
    tx.update("vm", vm)
    tx.event(1165, f"Starting to import VM {vm['name']} from the OVA {path} on host {host['name']} by {tx.who}.",
             vm=vm["id"], cluster=cluster["id"], host=host["id"])
    return vm, work, host


def _imported(tx: Tx, vm_id: str, path: str, outcome: dict | None, error: str = "") -> None:
    vm = tx.get("vm", vm_id)
    if vm is None:
        return
    for att in tx.find_by("disk_attachment", vm_id=vm_id):
        disk = tx.get("disk", att["disk"]["id"])
        if disk is None:
            continue
        info = (outcome or {}).get(disk["id"])
        disk["status"] = "ok" if info else "illegal"
        if info:
            disk["provisioned_size"] = info.get("virtual_size") or disk["provisioned_size"]
            if info.get("actual_size") is not None:
                disk["actual_size"] = disk["total_size"] = info["actual_size"]
        tx.update("disk", disk)
    vm["status"] = "down"
    vm["has_illegal_images"] = outcome is None
    tx.update("vm", vm)
    if outcome is None:
        tx.event(1153, f"Failed to import VM {vm['name']} from the OVA {path}: {error}", "error", vm=vm_id)
    else:
        tx.event(1152, f"VM {vm['name']} was imported from the OVA {path} by {tx.who}.", vm=vm_id)


def _import_job(ctx: Context, vm: dict, work: list[dict], host: dict, path: str) -> None:
    try:
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            domains = [tx.must("storage_domain", pool) for pool in {w["pool"] for w in work}]
        for domain in domains:
            ctx.engine.broker.connect_storage(host, pool_spec(domain))
        done = ctx.engine.broker.image_op(host, "ova_extract", {"path": path, "disks": work})["volumes"]
    except AgentError as e:
        run(ctx, "image_job", _imported, vm["id"], path, None, f"Host {host['name']}: {e}")
        return
    run(ctx, "image_job", _imported, vm["id"], path, {w["disk"]: done.get(w["volume"]) for w in work})


def import_ova(ctx: Context, parent: dict | None, doc: dict) -> dict:
    """``POST /externalvmimports`` with ``url="ova:///path/file.ova"``, ``host``, ``cluster``,
    ``storage_domain`` and ``name``."""
    path = _ova_path(doc.get("url"))
    if (doc.get("provider") or "kvm") != "kvm":
        raise BadRequest(f"external_vm_import.provider '{doc['provider']}': an OVA is imported with provider kvm")
    if not doc.get("name"):
        raise BadRequest("external_vm_import.name is required", "Incomplete parameters")
    with ctx.engine.db.read() as conn:
        host = _import_host(Tx(conn, ctx), doc)
    try:
        read = ctx.engine.broker.image_op(host, "ova_read", {"path": path}, timeout=120.0)
    except AgentError as e:
        if 400 <= e.status < 500:
            raise BadRequest(f"external_vm_import.url: {e}") from None
        raise Conflict(f"Cannot read {path} on host {host['name']}: {e}") from None
    spec = parse_ovf(read["ovf"])
    members = {m["name"] for m in read.get("members") or []}
    missing = [d["member"] for d in spec["disks"] if d["member"] not in members]
    if missing:
        raise BadRequest(f"external_vm_import.url: {path} lacks the disk file(s) its OVF names: "
                         f"{', '.join(missing)}")
    vm, work, host = run(ctx, "import_vm_ova", _create_imported, doc, spec, path)
    ctx.engine.jobs.submit(ctx, f"Importing VM {vm['name']} from an OVA", _import_job, ctx, vm, work, host, path)
    return {"id": vm["id"]}


def load_import(vm: dict | None) -> dict | None:
    """An import reads back as the VM it made."""
    if vm is None:
        return None
    return {"id": vm["id"], "name": vm["name"], "vm": {"id": vm["id"]}, "cluster": vm.get("cluster"),
            "provider": "kvm"}
