"""Image work on a host: copies and conversions, thin overlays, backing chains, snapshots and merges.

A disk is a chain of volumes in its storage domain's directory: the bottom may be a template's volume (shared,
never written), each snapshot adds a qcow2 overlay on top. Backing files inside one domain are recorded by
name (relative), so the chain opens the same on every host that mounts the domain, wherever it mounts it.

While a VM runs here, its chain changes through the hypervisor (external disk-only snapshots, block commit,
block copy); a VM that is down is handled with qemu-img. A merge always names its base and top: an active
block commit without a base would commit into the bottom of the chain, a template's shared volume.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import libvirt
from lxml import etree

from engine_api.agent import ova
from engine_api.agent.storage import FORMATS, qemu_img
from engine_api.protocol.client import AgentError

JOB_TIMEOUT = 600.0  # seconds a block job may run before it is aborted


class Images:
    """The image operations of one host's agent (``POST /images/{op}``)."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.storage = driver.storage

    def handle(self, op: str, data: dict) -> dict:
        fn = getattr(self, f"op_{op}", None)
        if fn is None:
            raise AgentError(f"unknown image operation {op}", 404)
        return fn(data)

    # ---------------------------------------------------------------- helpers

    def _path(self, pool: str, vol: str) -> Path:
        return self.storage.volume_path(pool, vol)

    def _info(self, path: Path) -> dict:
        """``qemu-img info`` of one image."""
        return json.loads(qemu_img("info", "-U", "--output=json", str(path)))

    def _chain(self, path: Path) -> list[dict]:
        """``qemu-img info`` of an image and of each image below it, top first."""
        return json.loads(qemu_img("info", "-U", "--output=json", "--backing-chain", str(path)))

    def _backing_ref(self, pool: str, vol: str, backing_pool: str, backing_vol: str) -> str:
        """How an overlay names its backing file: by name in the same domain, by path across domains."""
        if pool == backing_pool:
            return backing_vol
        return str(self._path(backing_pool, backing_vol))

    def _running(self, vm_id: str | None) -> libvirt.virDomain | None:
        """The VM's domain when it runs here under a hypervisor that opens its files."""
        if not vm_id or self.driver.test:
            return None
        try:
            dom = self.driver.conn.lookupByUUIDString(vm_id)
        except libvirt.libvirtError:
            return None
        return dom if dom.isActive() else None

    @staticmethod
    def _target(dom: libvirt.virDomain, path: Path) -> str:
        """The target (``vda``) of the domain's disk whose active layer is ``path``."""
        root = etree.fromstring(dom.XMLDesc(0).encode())
        want = os.path.realpath(path)
        for disk in root.iterfind("devices/disk"):
            source, target = disk.find("source"), disk.find("target")
            dev = target.get("dev") if target is not None else None
            if source is not None and dev and os.path.realpath(source.get("file") or "") == want:
                return dev
        raise AgentError(f"VM {dom.name()} has no disk on {path.name}", 409)

    @staticmethod
    def _wait_job(dom: libvirt.virDomain, target: str, what: str, ready: bool = False) -> None:
        """Wait until the block job on ``target`` finished (or, with ``ready``, reached the point where it can be
        pivoted: its cursor at its end)."""
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            info = dom.blockJobInfo(target, 0)
            if not info:
                return
            if ready and info.get("end", 0) > 0 and info.get("cur") == info.get("end"):
                return
            time.sleep(0.05)
        dom.blockJobAbort(target, 0)
        raise AgentError(f"{what} did not finish within {JOB_TIMEOUT:.0f} s; it was aborted")

    @staticmethod
    def _pivot(dom: libvirt.virDomain, target: str) -> None:
        """Switch ``target`` to the job's new image. The hypervisor may report a mirror complete a moment before
        libvirt has taken in its ready event; libvirt then refuses the pivot as not ready yet, so try again."""
        deadline = time.monotonic() + 30.0
        while True:
            try:
                dom.blockJobAbort(target, libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
                return
            except libvirt.libvirtError as e:
                if e.get_error_code() != libvirt.VIR_ERR_BLOCK_COPY_ACTIVE or time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    # ---------------------------------------------------------------- operations

    def op_copy(self, data: dict) -> dict:
        """A new volume holding what the source chain shows (collapsed), in the format and allocation asked."""
        src = self._path(data["src_pool"], data["src_volume"])
        dst = self._path(data["dst_pool"], data["dst_volume"])
        fmt = data.get("format") or "cow"
        if fmt not in FORMATS:
            raise AgentError(f"unknown volume format '{fmt}' (cow or raw)", 400)
        if not src.exists():
            raise AgentError(f"no volume {data['src_volume']} in storage {data['src_pool']}", 404)
        partial = dst.with_name(f".{dst.name}.copying")
        args = ["convert", "-U", "-q", "-O", FORMATS[fmt]]
        if data.get("sparse", True) is False:
            args += ["-S", "0", "-o", "preallocation=falloc"]
        with self.storage.lock:
            if dst.exists():
                raise AgentError(f"volume {data['dst_volume']} already exists in storage {data['dst_pool']}", 409)
        try:
            qemu_img(*args, str(src), str(partial), timeout=3600)
        except AgentError:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(dst)
        return self.storage.volume_info(data["dst_pool"], data["dst_volume"])

    def op_overlay(self, data: dict) -> dict:
        """A qcow2 volume whose backing file is another volume (a thin disk on a template, a snapshot's layer)."""
        pool, vol = data["pool"], data["volume"]
        path = self._path(pool, vol)
        backing = self._path(data["backing_pool"], data["backing_volume"])
        if not backing.exists():
            raise AgentError(f"no volume {data['backing_volume']} in storage {data['backing_pool']}", 404)
        ref = self._backing_ref(pool, vol, data["backing_pool"], data["backing_volume"])
        info = self._info(backing)
        size = int(data.get("size") or info["virtual-size"])
        with self.storage.lock:
            if path.exists():
                return self.storage.volume_info(pool, vol)
            partial = path.with_name(f".{vol}.creating")
            # -u: the backing file is not opened (a running VM holds it); its format and size are given
            qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", ref, "-F", info["format"], str(partial), str(size))
            partial.rename(path)
        return self.storage.volume_info(pool, vol)

    def op_chain(self, data: dict) -> dict:
        """The volume's backing chain as ``qemu-img info --backing-chain`` reads it, top first."""
        chain = self._chain(self._path(data["pool"], data["volume"]))
        return {"chain": [{"path": c.get("filename"), "format": c.get("format"), "backing": c.get("backing-filename"),
                           "virtual_size": c.get("virtual-size"), "actual_size": c.get("actual-size")}
                          for c in chain]}

    def op_ova_check(self, data: dict) -> dict:
        return ova.check(self, data)

    def op_ova_export(self, data: dict) -> dict:
        return ova.pack(self, data)

    def op_ova_read(self, data: dict) -> dict:
        return ova.read(self, data)

    def op_ova_extract(self, data: dict) -> dict:
        return ova.extract(self, data)

    def op_remove(self, data: dict) -> dict:
        for vol in data.get("volumes") or []:
            self.storage.remove_volume(data["pool"], vol)
        return {"removed": list(data.get("volumes") or [])}

    def op_snapshot(self, data: dict) -> dict:
        """New top volumes on the given disks: live through the hypervisor (an external snapshot reusing the
        overlays made here, disk-only unless ``memory`` names a volume for the RAM), or just the overlays while
        the VM is down."""
        disks = data.get("disks") or []
        made: list[Path] = []
        try:
            for d in disks:
                self.op_overlay({"pool": d["pool"], "volume": d["new_volume"], "backing_pool": d["pool"],
                                 "backing_volume": d["volume"]})
                made.append(self._path(d["pool"], d["new_volume"]))
            dom = self._running(data.get("vm"))
            live = dom is not None
            if dom is not None:
                self._live_snapshot(dom, disks, data.get("memory"))
        except (AgentError, libvirt.libvirtError) as e:
            for p in made:
                p.unlink(missing_ok=True)
            if isinstance(e, libvirt.libvirtError):
                raise AgentError(f"the hypervisor could not take the snapshot: {e.get_error_message()}", 409) from None
            raise
        return {"live": live, "memory": bool(live and data.get("memory"))}

    def _live_snapshot(self, dom: libvirt.virDomain, disks: list[dict], memory: dict | None) -> None:
        root = etree.Element("domainsnapshot")
        disks_el = etree.SubElement(root, "disks")
        wanted = set()
        for d in disks:
            target = self._target(dom, self._path(d["pool"], d["volume"]))
            wanted.add(target)
            el = etree.SubElement(disks_el, "disk", name=target, snapshot="external", type="file")
            etree.SubElement(el, "driver", type="qcow2")
            etree.SubElement(el, "source", file=str(self._path(d["pool"], d["new_volume"])))
        dom_root = etree.fromstring(dom.XMLDesc(0).encode())
        for disk in dom_root.iterfind("devices/disk"):
            target_el = disk.find("target")
            dev = target_el.get("dev") if target_el is not None else None
            if dev is not None and dev not in wanted:
                etree.SubElement(disks_el, "disk", name=dev, snapshot="no")
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA \
            | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC
        if memory:
            etree.SubElement(root, "memory", snapshot="external",
                             file=str(self._path(memory["pool"], memory["volume"])))
            flags |= libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_LIVE
        else:
            flags |= libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
        dom.snapshotCreateXML(etree.tostring(root, encoding="unicode"), flags)

    def op_merge(self, data: dict) -> dict:
        """Merge volume ``top`` into its backing volume ``base``; ``child`` is the volume above ``top`` (None when
        ``top`` is the disk's active layer). Afterwards ``top`` is gone and ``base`` takes its place."""
        pool, base, top, child = data["pool"], data["base"], data["top"], data.get("child")
        base_path, top_path = self._path(pool, base), self._path(pool, top)
        backing = self._info(top_path).get("backing-filename")
        if not backing or os.path.realpath(base_path) != os.path.realpath(top_path.parent / backing):
            raise AgentError(f"volume {base} is not the backing file of {top}", 409)
        dom = self._running(data.get("vm"))
        if dom is not None:
            self._live_merge(dom, pool, base_path, top_path, child)
        else:
            qemu_img("commit", "-q", "-f", "qcow2", str(top_path), timeout=3600)  # into its backing file: base
            if child:
                child_path = self._path(pool, child)
                qemu_img("rebase", "-q", "-u", "-f", "qcow2", "-b", base, "-F", self._info(base_path)["format"],
                         str(child_path))
        top_path.unlink(missing_ok=True)
        return {"live": dom is not None, "volume": base}

    def _live_merge(self, dom: libvirt.virDomain, pool: str, base: Path, top: Path, child: str | None) -> None:
        leaf = self._path(pool, child) if child else top
        target = self._target(dom, leaf if child else top)
        flags = libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE
        if child is None:
            flags |= libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE
        try:
            dom.blockCommit(target, str(base), str(top), 0, flags)
            if child is None:
                self._wait_job(dom, target, "the active block commit", ready=True)
                self._pivot(dom, target)
            self._wait_job(dom, target, "the block commit")
        except libvirt.libvirtError as e:
            raise AgentError(f"the hypervisor could not merge {top.name} into {base.name}: "
                             f"{e.get_error_message()}", 409) from None

    def op_move_live(self, data: dict) -> dict:
        """Copy a running VM's disk (its whole chain, collapsed) to another domain and switch the VM to it."""
        src = self._path(data["src_pool"], data["src_volume"])
        dst = self._path(data["dst_pool"], data["dst_volume"])
        dom = self._running(data.get("vm"))
        if dom is None:
            raise AgentError("the VM does not run on this host", 409)
        target = self._target(dom, src)
        fmt = FORMATS[data.get("format") or "cow"]
        size = self._info(src)["virtual-size"]
        qemu_img("create", "-q", "-f", fmt, str(dst), str(size))
        xml = f"<disk type='file'><driver type='{fmt}'/><source file='{dst}'/></disk>"
        try:
            dom.blockCopy(target, xml, None, libvirt.VIR_DOMAIN_BLOCK_COPY_REUSE_EXT
                          | libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB)
            self._wait_job(dom, target, "the block copy", ready=True)
            self._pivot(dom, target)
        except (libvirt.libvirtError, AgentError) as e:
            try:
                dom.blockJobAbort(target, 0)
            except libvirt.libvirtError:
                pass
            dst.unlink(missing_ok=True)
            detail = e.get_error_message() if isinstance(e, libvirt.libvirtError) else str(e)
            raise AgentError(f"the hypervisor could not copy disk {target}: {detail}", 409) from None
        return self.storage.volume_info(data["dst_pool"], data["dst_volume"])
