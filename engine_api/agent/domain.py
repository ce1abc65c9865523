"""The libvirt domain XML of a VM, built from the engine's VM spec; and libvirt states mapped back.

A VM spec is the JSON the engine sends::

    {"id", "name", "memory" (bytes), "cpu": {"sockets", "cores", "threads"},
     "boot": ["hd", "network", "cdrom"], "custom_properties": {"name": "value"},
     "disks": [{"id", "path", "format": "cow"|"raw", "interface", "bootable", "read_only"}],
     "nics": [{"id", "name", "mac", "bridge", "interface"}],
     "display": {"type": "vnc"|"spice", "monitors", "listen"}}  (no display: no graphics device)
"""

from __future__ import annotations

from lxml import etree

from engine_api.agent import graphics

METADATA_NS = "http://vdc.example/vm/1.0"

_DISK_BUS = {"virtio": ("virtio", "vd"), "virtio_scsi": ("scsi", "sd"), "sata": ("sata", "sd"), "ide": ("ide", "hd"),
             "spapr_vscsi": ("scsi", "sd")}
_NIC_MODEL = {"virtio": "virtio", "e1000": "e1000", "e1000e": "e1000e", "rtl8139": "rtl8139",
              "rtl8139_virtio": "rtl8139"}

# libvirt virDomainState -> oVirt VmStatus
STATES = {0: "unassigned", 1: "up", 2: "up", 3: "paused", 4: "powering_down", 5: "down", 6: "down",
          7: "suspended"}


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _target_names(prefix: str):
    i = 0
    while True:
        yield prefix + ("abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else f"a{i}")
        i += 1


def build(spec: dict, domain_type: str = "kvm", arch: str = "x86_64") -> str:
    dom = etree.Element("domain", type=domain_type)
    _sub(dom, "name", spec["name"])
    _sub(dom, "uuid", spec["id"])
    kib = str(max(int(spec.get("memory", 1 << 30)) // 1024, 1024))
    _sub(dom, "memory", kib, unit="KiB")
    _sub(dom, "currentMemory", kib, unit="KiB")
    cpu = spec.get("cpu") or {}
    sockets, cores, threads = (int(cpu.get(k) or 1) for k in ("sockets", "cores", "threads"))
    _sub(dom, "vcpu", str(sockets * cores * threads), placement="static")
    meta = _sub(dom, "metadata")
    vm_meta = etree.SubElement(meta, f"{{{METADATA_NS}}}vm", nsmap={"vdc": METADATA_NS})
    custom = etree.SubElement(vm_meta, f"{{{METADATA_NS}}}custom")
    for name, value in sorted((spec.get("custom_properties") or {}).items()):
        prop = etree.SubElement(custom, f"{{{METADATA_NS}}}property", name=name)
        prop.text = str(value)
    os_el = _sub(dom, "os")
    _sub(os_el, "type", "hvm", arch=arch)
    for dev in spec.get("boot") or ["hd"]:
        _sub(os_el, "boot", dev="hd" if dev == "hd" else "network" if dev == "network" else "cdrom")
    features = _sub(dom, "features")  # ACPI: the power button a graceful shutdown or reboot presses
    _sub(features, "acpi")
    _sub(features, "apic")
    cpu_el = _sub(dom, "cpu")
    _sub(cpu_el, "topology", sockets=str(sockets), cores=str(cores), threads=str(threads))
    devices = _sub(dom, "devices")
    names: dict[str, object] = {}
    for disk in sorted(spec.get("disks") or [], key=lambda d: not d.get("bootable")):  # bootable disk first
        bus, prefix = _DISK_BUS.get(disk.get("interface") or "virtio", ("virtio", "vd"))
        gen = names.setdefault(prefix, _target_names(prefix))
        d = _sub(devices, "disk", type="file", device="disk")
        _sub(d, "driver", name="qemu", type="qcow2" if disk.get("format") == "cow" else "raw", cache="none")
        _sub(d, "source", file=disk["path"])
        _sub(d, "target", dev=next(gen), bus=bus)  # type: ignore[call-overload]
        _sub(d, "serial", disk["id"][:20])
        if disk.get("read_only"):
            _sub(d, "readonly")
    for nic in spec.get("nics") or []:
        i = _sub(devices, "interface", type="bridge")
        _sub(i, "mac", address=nic["mac"])
        _sub(i, "source", bridge=nic.get("bridge") or "ovirtmgmt")
        _sub(i, "model", type=_NIC_MODEL.get(nic.get("interface") or "virtio", "virtio"))
        if nic.get("linked") is False:
            _sub(i, "link", state="down")
    graphics.add_device(devices, spec.get("display"))
    if domain_type != "test":  # where a QEMU guest agent answers (shutdown, reboot); libvirt picks the socket
        channel = _sub(devices, "channel", type="unix")
        _sub(channel, "target", type="virtio", name="org.qemu.guest_agent.0")
    return etree.tostring(dom, encoding="unicode")


def custom_properties(xml: str) -> dict[str, str]:
    """The custom properties stored in a domain's metadata."""
    root = etree.fromstring(xml.encode())
    return {name: p.text or "" for p in root.iter(f"{{{METADATA_NS}}}property") if (name := p.get("name")) is not None}
