"""The host's hypervisor through libvirt: VMs, storage pools and volumes, capabilities and statistics.

libvirt's ``test:///`` driver keeps its state in memory only, so the agent writes every domain it defines
to ``<state dir>/domains`` and brings them back (running ones started again) when it restarts: the VMs of
a host outlive its agent, as qemu processes do.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import libvirt
from lxml import etree

from engine_api.agent import bridges, domain, graphics, hooks, migration, netinfo, power, resize
from engine_api.agent.leasekeeper import Holds
from engine_api.agent.leases import LeaseError
from engine_api.agent.migration import Migrations
from engine_api.agent.stats import Sampler
from engine_api.agent.storage import Storage
from engine_api.protocol.client import AgentError

libvirt.registerErrorHandler(lambda *_: None, None)  # errors are raised as exceptions; keep stderr quiet


class Driver:
    def __init__(self, uri: str, state_dir: Path, migration_uri: str | None = None, create_bridges: bool = False,
                 display_address: str = "0.0.0.0", hook_timeout: float = hooks.DEFAULT_TIMEOUT):
        self.uri = uri
        self.display_address = display_address  # where VM consoles listen
        self.migration_uri = migration_uri  # how peers reach this hypervisor for a live migration
        self.create_bridges = create_bridges
        self.state_dir = Path(state_dir)
        self.domains_dir = self.state_dir / "domains"
        self.hooks_dir = self.state_dir / "hooks"
        self.hooks = hooks.HookRunner(self.hooks_dir, self.state_dir / "run", hook_timeout)
        self.incoming_vms: set[str] = set()  # defined here by a migration, not started yet
        self.domains_dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = libvirt.open(uri)
        self.test = self.conn.getType() == "TEST"
        self.domain_type = "test" if self.test else "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "qemu"
        self.started = time.time()
        self.sampler = Sampler()
        self.storage = Storage(self.conn, self.state_dir)
        self.migrations = Migrations()
        self.reboots = power.Reboots(None if self.test else uri)
        self.holds: Holds | None = None  # VM leases, when the host's lease keeper runs (``vdc-agent serve``)
        self._restore()

    # ---------------------------------------------------------------- persistence

    def _restore(self) -> None:
        """Storage first (disks live there); then the test driver's domains, which live in memory only. A real
        hypervisor keeps its own definitions: VMs it no longer runs stay down, as after a host reboot."""
        self.storage.restore()
        if not self.test:
            return
        for xml_file in sorted(self.domains_dir.glob("*.xml")):
            uuid = xml_file.stem
            try:
                dom = self.conn.lookupByUUIDString(uuid)
            except libvirt.libvirtError:
                dom = self.conn.defineXML(xml_file.read_text())
            if (self.domains_dir / f"{uuid}.running").exists() and not dom.isActive():
                dom.create()

    def _remember(self, dom: libvirt.virDomain, running: bool) -> None:
        uuid = dom.UUIDString()
        (self.domains_dir / f"{uuid}.xml").write_text(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        marker = self.domains_dir / f"{uuid}.running"
        if running:
            marker.touch()
        else:
            marker.unlink(missing_ok=True)

    def _forget(self, uuid: str) -> None:
        for suffix in (".xml", ".running"):
            (self.domains_dir / f"{uuid}{suffix}").unlink(missing_ok=True)

    # ---------------------------------------------------------------- facts

    def capabilities(self) -> dict:
        self.hooks.run("before_get_caps", {})
        return self.hooks.run_soft("after_get_caps", self._capabilities())

    def _capabilities(self) -> dict:
        model, memory_mib, cpus, mhz, _nodes, sockets, cores, threads = self.conn.getInfo()
        return {
            "hostname": socket.gethostname(), "uri": self.uri, "hypervisor": self.conn.getType(),
            "migration_uri": None if self.test else self.migration_uri, "domain_type": self.domain_type,
            "libvirt_version": self.conn.getLibVersion(), "cpu": {
                "model": model, "speed": mhz, "cpus": cpus, "sockets": sockets, "cores": cores, "threads": threads},
            "memory": memory_mib * 1024 * 1024, "hooks": hooks.installed(self.hooks_dir),
            "nics": netinfo.nics(),
        }

    def stats(self) -> dict:
        self.hooks.run("before_get_stats", {})
        self.hooks.run("before_get_all_vm_stats", {})
        report = self._stats()
        vms = self.hooks.run_soft("after_get_all_vm_stats", report.pop("vms"))
        report = self.hooks.run_soft("after_get_stats", report)
        return {**report, "vms": vms, "hook_journal": self.hooks.journal.report(),
                "hooks": hooks.installed(self.hooks_dir)}

    def _custom(self, dom: libvirt.virDomain) -> dict[str, str]:
        """The VM's custom properties, from its domain's metadata (the hooks' environment)."""
        try:
            return domain.custom_properties(dom.XMLDesc(0))
        except (libvirt.libvirtError, ValueError):
            return {}

    def _vm_hook(self, point: str, dom: libvirt.virDomain, params: dict | None = None) -> None:
        """A VM point's chain over the domain's XML; a failure at a failing point refuses the operation."""
        if not self.hooks.has(point):
            return
        try:
            self.hooks.run(point, dom.XMLDesc(0), dom.UUIDString(), self._custom(dom), params)
        except hooks.HookError as e:
            raise AgentError(str(e), 409) from None

    def _stats(self) -> dict:
        """Not under ``self.lock``: the report only reads libvirt (whose connection is thread-safe; bulk stats
        skip a domain busy with a job rather than wait) and counters with locks of their own, so a VM start,
        stop or migration never delays it, nor waits for it. A domain an operation changes meanwhile is
        reported as libvirt sees it at that moment; the engine leaves alone a VM a job is moving."""
        vms = []
        used = 0
        for dom in self.conn.listAllDomains():
            try:
                entry = self._domain_report(dom)
            except libvirt.libvirtError:  # gone while listed: a migration's source, undefined by libvirt
                continue
            if entry.pop("_active"):
                used += entry["memory"]
            vms.append(entry)
        measured = self.sampler.vms(self.conn, self._start_time)
        for vm in vms:
            if vm["id"] in measured:
                vm["statistics"] = measured[vm["id"]]
        total = self.conn.getInfo()[1] * 1024 * 1024
        return {"memory_total": total, "memory_used": used, "memory_free": total - used,
                "cpu_load": round(os.getloadavg()[0], 2), "uptime": round(time.time() - self.started, 1), "vms": vms,
                "host": self.sampler.host(self.conn), "nics": netinfo.nics()}

    def _domain_report(self, dom: libvirt.virDomain) -> dict:
        state, _reason = dom.state()
        info = dom.info()
        status = domain.STATES.get(state, "unknown")
        if status == "down" and dom.hasManagedSaveImage():  # hibernated: its saved state is here
            status = "suspended"
        uuid, active = dom.UUIDString(), dom.isActive()
        entry = {"id": uuid, "name": dom.name(), "status": status, "memory": info[2] * 1024, "vcpus": info[3],
                 "cpu_time": info[4], "_active": active}
        entry["reboots"] = self.reboots.count(uuid)  # the engine's proof of a reboot
        if (progress := self.migrations.progress(uuid)) is not None:
            entry["migration_progress"] = progress  # oVirt's migration.progress statistic
        if active:
            entry["graphics"] = graphics.devices(dom.XMLDesc(0))
        return entry

    def _start_time(self, uuid: str) -> float | None:
        """When this agent last started the domain (its running marker was written), for its elapsed time."""
        try:
            return (self.domains_dir / f"{uuid}.running").stat().st_mtime
        except OSError:
            return None

    def set_ticket(self, uuid: str, params: dict) -> dict:
        """A one-time password on the running domain's graphics device (``protocol``, ``password``, ``expiry``)."""
        with self.lock:
            dom = self._dom(uuid)
            if not dom.isActive():
                raise AgentError(f"VM {uuid} is not running on this host", 409)
            self._vm_hook("before_vm_set_ticket", dom)
            try:
                done = graphics.set_ticket(dom, params.get("protocol"), str(params["password"]),
                                           int(params.get("expiry") or 120))
                self._vm_hook("after_vm_set_ticket", dom)
                return done
            except LookupError as e:
                raise AgentError(str(e), 409) from None
            except libvirt.libvirtError as e:
                raise AgentError(f"the hypervisor refused the ticket: {e.get_error_message()}", 409) from None

    # ---------------------------------------------------------------- VMs

    def _dom(self, uuid: str) -> libvirt.virDomain:
        try:
            return self.conn.lookupByUUIDString(uuid)
        except libvirt.libvirtError:
            raise AgentError(f"no VM {uuid} on this host", 404) from None

    def _take_lease(self, spec: dict) -> None:
        """A VM with a lease runs only once this host holds it (another host may hold it yet)."""
        lease = spec.get("lease")
        if not lease or self.holds is None or self.holds.held(spec["id"]):
            return
        try:
            self.holds.take(spec["id"], str(self.storage.path(lease["pool"])))
        except LeaseError as e:
            raise AgentError(f"VM {spec['name']} cannot take its lease: {e}", 409) from None

    def _give_up_lease(self, uuid: str) -> None:
        if self.holds is not None:
            self.holds.give_up(uuid)

    def create_vm(self, spec: dict) -> dict:
        self._take_lease(spec)
        try:
            return self._create_vm(spec)
        except BaseException:
            try:
                running = self.conn.lookupByUUIDString(spec["id"]).isActive()
            except libvirt.libvirtError:
                running = False
            if not running:
                self._give_up_lease(spec["id"])
            raise

    def _create_vm(self, spec: dict) -> dict:
        env = {k: str(v) for k, v in (spec.get("custom_properties") or {}).items()}
        with self.lock:
            for disk in spec.get("disks") or []:
                if disk.get("pool") and disk.get("volume"):
                    disk["path"] = self.ensure_volume(disk["pool"], disk["volume"], disk.get("size", 1 << 30),
                                                      disk.get("format", "cow"), disk.get("sparse", True))
            if spec.get("display"):
                spec["display"] = {"listen": self.display_address, **spec["display"]}
            xml = domain.build(spec, self.domain_type, spec.get("arch") or "x86_64")
            try:
                existing = self.conn.lookupByUUIDString(spec["id"])
            except libvirt.libvirtError:
                existing = None
            if existing is not None:
                if existing.isActive():
                    return {"id": spec["id"], "status": "up"}
                if existing.hasManagedSaveImage():  # resume a hibernated VM
                    self._vm_hook("before_vm_dehibernate", existing)
                    existing.create()
                    self._remember(existing, True)
                    self._vm_hook("after_vm_dehibernate", existing)
                    return {"id": spec["id"], "status": "up"}
                try:
                    existing.undefine()
                except libvirt.libvirtError:
                    pass
            self.hooks.set_launch_flags(spec["id"], 0)
            try:
                xml = self.hooks.run("before_vm_start", xml, spec["id"], env)
            except hooks.HookError as e:
                self.hooks.take_launch_flags(spec["id"])
                raise AgentError(str(e)) from None
            flags = self.hooks.take_launch_flags(spec["id"])
            if not self.test:  # the test driver has no network devices to plug into
                nic_bridges = [n.get("bridge") or "ovirtmgmt" for n in spec.get("nics") or []]
                bridges.record(self.state_dir, bridges.ensure(nic_bridges, self.create_bridges))
            try:
                dom = self.conn.defineXML(xml)
            except libvirt.libvirtError as e:
                raise AgentError(f"libvirt could not start {spec['name']}: {e.get_error_message()}") from None
        memory = spec.get("restore_memory")
        try:  # QEMU takes a while to start (seconds when many start at once): not under the host-wide lock,
            if memory and not self.test:  # resumed from the RAM saved with a snapshot, on the previewed disks
                self.conn.restoreFlags(str(self.storage.volume_path(memory["pool"], memory["volume"])), xml, 0)
            else:
                dom.createWithFlags(flags)  # so that monitoring and the other VMs' calls go on meanwhile
        except libvirt.libvirtError as e:
            raise AgentError(f"libvirt could not start {spec['name']}: {e.get_error_message()}") from None
        with self.lock:
            self._remember(dom, True)
        self.hooks.run_soft("after_vm_start", dom.XMLDesc(0), spec["id"], env)
        return {"id": spec["id"], "status": "up"}

    def vm_xml(self, uuid: str) -> str:
        return self._dom(uuid).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)

    def destroy(self, uuid: str, undefine: bool = True) -> dict:
        with self.lock:
            try:
                dom = self.conn.lookupByUUIDString(uuid)
            except libvirt.libvirtError:
                self._forget(uuid)
                return {"id": uuid, "status": "down"}
            custom = self._custom(dom)
            self.hooks.run_soft("before_vm_destroy", None, uuid, custom)
            xml = dom.XMLDesc(0)
            if dom.isActive():
                dom.destroy()
            self._give_up_lease(uuid)
            if undefine:
                dom.undefine()
                self._forget(uuid)
            else:
                self._remember(dom, False)
        self.hooks.run_soft("after_vm_destroy", xml, uuid, custom)
        return {"id": uuid, "status": "down"}

    def shutdown(self, uuid: str) -> dict:
        """Ask the guest to power off. It stays ``powering_down`` until it does: the engine watches it go down,
        and powers it off itself when it did not in time."""
        with self.lock:
            dom = self._dom(uuid)
            method = power.request_shutdown(dom) if dom.isActive() else "none"
            if not dom.isActive():
                dom.undefine()
                self._forget(uuid)
                return {"id": uuid, "status": "down", "method": method}
        return {"id": uuid, "status": "powering_down", "method": method}

    def reboot(self, uuid: str) -> dict:
        """Ask the guest to reboot, in its QEMU process. ``reboots`` is the count before the request: the VM's
        ``reboots`` in ``/stats`` goes past it once the guest really rebooted. The test driver reboots at once."""
        with self.lock:
            dom = self._dom(uuid)
            if not dom.isActive():
                raise AgentError(f"VM {uuid} is not running on this host", 409)
            before = self.reboots.count(uuid)
            try:
                method = power.request_reboot(dom)
            except libvirt.libvirtError as e:
                raise AgentError(f"cannot reboot: {e.get_error_message()}", 409) from None
            if self.test:
                self.reboots.note(uuid)
                return {"id": uuid, "status": "up", "method": method, "reboots": before}
        return {"id": uuid, "status": "reboot_in_progress", "method": method, "reboots": before}

    def reset(self, uuid: str) -> dict:
        """Reset the guest's virtual hardware (a reboot it cannot refuse), in the same QEMU process."""
        with self.lock:
            dom = self._dom(uuid)
            try:
                dom.reset(0)
            except libvirt.libvirtError as e:
                raise AgentError(f"cannot reset: {e.get_error_message()}", 409) from None
            if self.test:
                self.reboots.note(uuid)
        return {"id": uuid, "status": "up"}

    def pause(self, uuid: str) -> dict:
        with self.lock:
            dom = self._dom(uuid)
            self._vm_hook("before_vm_pause", dom)
            dom.suspend()
            self.hooks.run_soft("after_vm_pause", dom.XMLDesc(0), uuid, self._custom(dom))
        return {"id": uuid, "status": "paused"}

    def hibernate(self, uuid: str) -> dict:
        with self.lock:
            dom = self._dom(uuid)
            self._vm_hook("before_vm_hibernate", dom)
            xml, custom = dom.XMLDesc(0), self._custom(dom)
            try:
                dom.managedSave()
            except libvirt.libvirtError as e:
                raise AgentError(f"cannot hibernate: {e.get_error_message()}") from None
            self._remember(dom, False)
            self.hooks.run_soft("after_vm_hibernate", xml, uuid, custom)
        return {"id": uuid, "status": "suspended"}

    def resume(self, uuid: str) -> dict:
        with self.lock:
            dom = self._dom(uuid)
            self._vm_hook("before_vm_cont", dom)
            dom.resume()
            self.hooks.run_soft("after_vm_cont", dom.XMLDesc(0), uuid, self._custom(dom))
        return {"id": uuid, "status": "up"}

    def incoming(self, xml: str, start: bool = True) -> dict:
        """The destination's half of a migration the hypervisor cannot do itself; with ``start`` False it is only
        defined, and started by ``start_defined`` once the source stopped its copy."""
        with self.lock:
            xml = self.prepare_incoming(xml)
            try:
                dom = self.conn.defineXML(xml)
                if start:
                    dom.create()
            except libvirt.libvirtError as e:
                raise AgentError(f"could not receive the VM: {e.get_error_message()}") from None
            self._remember(dom, start)
            if start:
                self.hooks.run_soft("after_vm_migrate_destination", dom.XMLDesc(0), dom.UUIDString(),
                                    self._custom(dom))
            else:
                self.incoming_vms.add(dom.UUIDString())
        return {"id": dom.UUIDString(), "status": "up" if start else "down"}

    def prepare_incoming(self, xml: str) -> str:
        """The destination's ``before_vm_migrate_destination`` chain over the arriving domain's XML."""
        if not self.hooks.has("before_vm_migrate_destination"):
            return xml
        uuid = etree.fromstring(xml.encode()).findtext("uuid") or ""
        try:
            return self.hooks.run("before_vm_migrate_destination", xml, uuid, domain.custom_properties(xml))
        except hooks.HookError as e:
            raise AgentError(str(e), 409) from None

    def migrated_in(self, uuid: str, lease_path: str | None = None) -> dict:
        """A migration brought the VM here (libvirt's own, or a handover): the destination's after chain. A VM
        with a lease brings it along: this host holds it from now on (the source gave it over)."""
        dom = self._dom(uuid)
        if lease_path and self.holds is not None:
            self.holds.take_over(uuid, lease_path)
        self.hooks.run_soft("after_vm_migrate_destination", dom.XMLDesc(0), uuid, self._custom(dom))
        return {"id": uuid, "status": "up"}

    def start_defined(self, uuid: str) -> dict:
        """Start a domain defined here and not running (the last step of a handover)."""
        with self.lock:
            dom = self._dom(uuid)
            if not dom.isActive():
                try:
                    dom.create()
                except libvirt.libvirtError as e:
                    raise AgentError(f"could not start VM {uuid}: {e.get_error_message()}") from None
            self._remember(dom, True)
        if uuid in self.incoming_vms:
            self.incoming_vms.discard(uuid)
            self.migrated_in(uuid)
        return {"id": uuid, "status": "up"}

    def migrate_out(self, uuid: str, move) -> dict:
        """The source's hooks around a migration ``move()`` does: before (it may refuse the migration), after."""
        dom = self._dom(uuid)
        self._vm_hook("before_vm_migrate_source", dom)
        xml, custom = dom.XMLDesc(0), self._custom(dom)
        done = move()
        self.hooks.run_soft("after_vm_migrate_source", xml, uuid, custom)
        return done

    def migratable_xml(self, uuid: str) -> str:
        flags = 0 if self.test else libvirt.VIR_DOMAIN_XML_MIGRATABLE
        return self._dom(uuid).XMLDesc(flags)

    def migrate_native(self, uuid: str, destination_uri: str, bandwidth_mib: int = 0, max_time: float = 0.0,
                       dest_xml: str | None = None) -> dict:
        """Live peer-to-peer migration by the hypervisor itself (see ``migration``); not under ``self.lock``:
        monitoring keeps reading this host while it runs. ``dest_xml``: the definition as the destination's
        hooks rewrote it."""
        done = self.migrations.migrate(self._dom(uuid), destination_uri, bandwidth_mib, max_time, dest_xml)
        self._forget(uuid)
        return done

    def cancel_migration(self, uuid: str) -> dict:
        return self.migrations.cancel(self._dom(uuid))

    def migration_stats(self, uuid: str) -> dict:
        """On the destination: the figures of the migration that brought the VM here."""
        return {"id": uuid, **migration.completed_figures(self._dom(uuid))}

    # ---------------------------------------------------------------- storage

    def connect_storage(self, pool: dict) -> dict:
        return self.storage.connect(pool)

    def disconnect_storage(self, pool_id: str) -> dict:
        return self.storage.disconnect(pool_id)

    def ensure_volume(self, pool_id: str, vol_id: str, size: int, fmt: str, sparse: bool) -> str:
        return self.storage.ensure_volume(pool_id, vol_id, size, fmt, sparse)

    def remove_volume(self, pool_id: str, vol_id: str) -> dict:
        return self.storage.remove_volume(pool_id, vol_id)

    def resize_volume(self, pool_id: str, vol_id: str, size: int) -> dict:
        return resize.resize(self.conn, self.storage, pool_id, vol_id, size, live_capable=not self.test)
