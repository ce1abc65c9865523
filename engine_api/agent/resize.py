"""Growing a disk's volume: through the hypervisor while a running VM holds it (the guest sees the new size at
once), with ``qemu-img resize`` otherwise."""

from __future__ import annotations

import libvirt
from lxml import etree

from engine_api.agent.storage import Storage
from engine_api.protocol.client import AgentError


def holder(conn: libvirt.virConnect, path: str) -> tuple[libvirt.virDomain, str] | None:
    """The running domain whose disk is the file ``path``, and that disk's target name."""
    for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
        root = etree.fromstring(dom.XMLDesc(0).encode())
        for disk in root.iterfind("devices/disk"):
            source, target = disk.find("source"), disk.find("target")
            dev = target.get("dev") if target is not None else None
            if source is not None and dev and source.get("file") == path:
                return dom, dev
    return None


def resize(conn: libvirt.virConnect, storage: Storage, pool_id: str, vol_id: str, size: int,
           live_capable: bool) -> dict:
    """Grow the volume to ``size`` bytes (never shrink); ``live`` in the answer says whether a running VM's
    hypervisor did it. ``live_capable`` is False for a hypervisor that does not open the files (libvirt's
    test driver): qemu-img then resizes the file even while a domain uses it."""
    with storage.lock:
        info = storage.volume_info(pool_id, vol_id)
        current = info["virtual_size"] or 0
        if size < current:
            raise AgentError(f"volume {vol_id} cannot shrink from {current} to {size} bytes", 400)
        held = holder(conn, info["path"]) if live_capable else None
        if held is None:
            return {**storage.resize_volume(pool_id, vol_id, size), "live": False}
        dom, target = held
        if size > current:
            try:
                dom.blockResize(target, size, libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
            except libvirt.libvirtError as e:
                raise AgentError(f"the hypervisor could not resize disk {target} of VM {dom.name()}: "
                                 f"{e.get_error_message()}", 409) from None
        return {**storage.volume_info(pool_id, vol_id), "live": True, "vm": dom.UUIDString(), "target": target}
