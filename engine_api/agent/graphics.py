"""A VM's graphics device: in the domain XML the agent builds, as the running domain reports it, and its ticket.

A display (oVirt's ``Vm.display``, type ``vnc`` or ``spice``) becomes a ``<graphics>`` device with an automatic
port and a password that has already expired, as vdsm does it: nobody connects until the engine sets a
one-time password (a ticket) through :func:`set_ticket`. The port is the hypervisor's to choose; it is known
only from the live domain XML (:func:`devices`), and libvirt's test driver never allocates one.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import libvirt
from lxml import etree

PROTOCOLS = ("vnc", "spice")
EXPIRED = "1970-01-01T00:00:01"
_VIDEO = {"vnc": "vga", "spice": "qxl"}


def add_device(devices: etree._Element, display: dict | None, listen: str = "0.0.0.0") -> None:
    """Append the graphics and video devices of ``display`` (nothing for a VM without one)."""
    protocol = (display or {}).get("type")
    if protocol not in PROTOCOLS:
        return
    listen = (display or {}).get("listen") or listen
    g = etree.SubElement(devices, "graphics", type=protocol, autoport="yes", listen=listen,
                         passwd=secrets.token_urlsafe(6), passwdValidTo=EXPIRED)  # VNC takes 8 characters
    etree.SubElement(g, "listen", type="address", address=listen)
    video = etree.SubElement(devices, "video")
    heads = str(max(1, int((display or {}).get("monitors") or 1)))
    etree.SubElement(video, "model", type=_VIDEO[protocol], heads=heads)


def devices(xml: str) -> list[dict]:
    """The graphics devices of a (live) domain XML: protocol, and listen address and ports when it has them."""
    root = etree.fromstring(xml.encode())
    out = []
    for g in root.iterfind("devices/graphics"):
        protocol = g.get("type")
        if protocol not in PROTOCOLS:
            continue
        item: dict = {"type": protocol}
        listen = g.get("listen") or next((el.get("address") for el in g.iterfind("listen") if el.get("address")), None)
        if listen:
            item["listen"] = listen
        for attr, key in (("port", "port"), ("tlsPort", "tls_port")):
            value = g.get(attr) or ""
            if value.isdigit() and int(value) > 0:
                item[key] = int(value)
        out.append(item)
    return out


def set_ticket(dom: libvirt.virDomain, protocol: str | None, password: str, expiry: int,
               now: datetime | None = None) -> dict:
    """Give the running domain's graphics device (of ``protocol``, else the first) a password valid for
    ``expiry`` seconds. Raises ``LookupError`` without such a device, ``libvirt.libvirtError`` when the
    hypervisor refuses."""
    root = etree.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE).encode())
    found = [g for g in root.iterfind("devices/graphics") if g.get("type") in PROTOCOLS]
    if protocol:
        found = [g for g in found if g.get("type") == protocol]
    if not found:
        raise LookupError(f"the VM has no {protocol or 'graphics'} console")
    g = found[0]
    valid_to = (now or datetime.now(UTC)) + timedelta(seconds=expiry)
    g.set("passwd", password)
    g.set("passwdValidTo", valid_to.strftime("%Y-%m-%dT%H:%M:%S"))
    g.set("connected", "keep")  # clients connected with an earlier ticket stay
    dom.updateDeviceFlags(etree.tostring(g, encoding="unicode"), libvirt.VIR_DOMAIN_AFFECT_LIVE)
    return {"type": g.get("type"), "expiry": expiry}
