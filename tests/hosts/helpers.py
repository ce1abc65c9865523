"""Helpers for the host and VM runtime tests: bounded polling, an estate of lab hosts, agent-side checks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import ovirtsdk4 as sdk
import ovirtsdk4.types as t

from engine_api.lab.hosts import Lab
from tests.live import LiveEngine

T = TypeVar("T")
GiB = 1 << 30
MiB = 1 << 20
AGENT_PORT = 54321


class Timeout(AssertionError):
    pass


def show_vm(vm: t.Vm) -> str:
    return f"{vm.name}: {vm.status.value}" + (f" on {vm.host.id}" if vm.host else "")


def wait_for(fn: Callable[[], T], cond: Callable[[T], bool], timeout: float = 15.0, interval: float = 0.05,
             what: str = "condition", describe: Callable[[T], object] = repr) -> T:
    """Call ``fn`` until ``cond`` holds for its value; fail with the last value after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if cond(value):
            return value
        if time.monotonic() > deadline:
            raise Timeout(f"timed out after {timeout:.1f} s waiting for {what}; last value: {describe(value)}")
        time.sleep(interval)


def connect(live: LiveEngine) -> sdk.Connection:
    return sdk.Connection(url=live.url, username=live.username, password=live.password, timeout=60)


def agent_vms(live: LiveEngine, address: str, port: int = AGENT_PORT) -> dict[str, str]:
    """What the agent itself reports: VM id -> libvirt-derived status, for every VM not down."""
    stats = live.engine.broker.stats({"address": address, "port": port})
    return {v["id"]: v["status"] for v in stats["vms"] if v["status"] != "down"}


def events_since(conn: sdk.Connection, index: int) -> list[t.Event]:
    return conn.system_service().events_service().list(from_=index, max=1000)


def last_event_index(conn: sdk.Connection) -> int:
    events = conn.system_service().events_service().list(max=1)
    return int(events[0].index) if events else 0


@dataclass
class Estate:
    """Lab hosts registered in the engine (by lab index) and an active NFS data domain."""

    live: LiveEngine
    conn: sdk.Connection
    host_ids: list[str]
    sd_id: str
    addresses: list[str]

    @property
    def system(self) -> sdk.services.SystemService:
        return self.conn.system_service()

    def address(self, i: int) -> str:
        return self.addresses[i]

    def address_of(self, host_id: str) -> str:
        return self.addresses[self.index_of(host_id)]

    def index_of(self, host_id: str) -> int:
        return self.host_ids.index(host_id)

    def host(self, i: int) -> t.Host:
        return self.system.hosts_service().host_service(self.host_ids[i]).get()

    def host_service(self, i: int) -> sdk.services.HostService:
        return self.system.hosts_service().host_service(self.host_ids[i])

    def agent_vms(self, i: int) -> dict[str, str]:
        return agent_vms(self.live, self.address(i))

    def monitor_round(self, i: int, rounds: int = 1) -> None:
        """Wait until monitoring has applied ``rounds`` fresh reports of host ``i``'s agent."""
        stats = self.live.engine.host_stats
        for _ in range(rounds):
            before = stats.get(self.host_ids[i])
            wait_for(lambda: stats.get(self.host_ids[i]), lambda now, b=before: now is not None and now is not b,
                     what=f"a monitoring round of host {i}")

    def vm(self, vm_id: str) -> sdk.services.VmService:
        return self.system.vms_service().vm_service(vm_id)

    def wait_vm(self, vm_id: str, cond: Callable[[t.Vm], bool], timeout: float = 15.0, what: str = "") -> t.Vm:
        return wait_for(lambda: self.vm(vm_id).get(), cond, timeout, what=what or f"VM {vm_id}", describe=show_vm)

    def wait_vm_status(self, vm_id: str, status: t.VmStatus, timeout: float = 15.0) -> t.Vm:
        return self.wait_vm(vm_id, lambda v: v.status == status, timeout, f"VM status {status.value}")

    def wait_host_status(self, i: int, status: t.HostStatus, timeout: float = 15.0) -> t.Host:
        return wait_for(lambda: self.host(i), lambda h: h.status == status, timeout,
                        what=f"host {i} status {status.value}", describe=lambda h: h.status.value)

    def new_vm(self, name: str, memory: int = 256 * MiB, ha: bool = False) -> str:
        vm = self.system.vms_service().add(t.Vm(
            name=name, cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"), memory=memory,
            memory_policy=t.MemoryPolicy(guaranteed=memory, max=memory),
            high_availability=t.HighAvailability(enabled=ha, priority=1) if ha else None))
        return vm.id

    def start_on(self, vm_id: str, i: int | None = None) -> t.Vm:
        """Start a VM (on lab host ``i`` when given) and wait until it is up."""
        vm = t.Vm(placement_policy=t.VmPlacementPolicy(hosts=[t.Host(id=self.host_ids[i])])) if i is not None \
            else None
        self.vm(vm_id).start(vm=vm)
        return self.wait_vm_status(vm_id, t.VmStatus.UP)

    def destroy_vm(self, vm_id: str) -> None:
        """Stop (if needed) and remove a VM; for test cleanup."""
        service = self.vm(vm_id)
        try:
            vm = service.get()
        except sdk.NotFoundError:
            return
        if vm.status != t.VmStatus.DOWN:
            wait_for(service.get, lambda v: v.status not in TRANSIENT, timeout=15, what="a settled VM")
            if service.get().status != t.VmStatus.DOWN:
                service.stop()
                self.wait_vm_status(vm_id, t.VmStatus.DOWN)
        service.remove()


TRANSIENT = {t.VmStatus.WAIT_FOR_LAUNCH, t.VmStatus.POWERING_UP, t.VmStatus.POWERING_DOWN, t.VmStatus.MIGRATING,
             t.VmStatus.SAVING_STATE, t.VmStatus.RESTORING_STATE, t.VmStatus.REBOOT_IN_PROGRESS}


def host_name(i: int) -> str:
    return f"lab{i}"


def ensure_estate(live: LiveEngine, conn: sdk.Connection, storage_path: str, sd_name: str = "labnfs",
                  lab: Lab | None = None) -> Estate:
    """Register every lab host (idempotent), bring them up, and attach an active NFS data domain."""
    system = conn.system_service()
    hosts = system.hosts_service()
    ids = []
    lab = lab or live.engine.lab
    for i, lab_host in enumerate(lab.hosts):
        found = hosts.list(search=f"name={host_name(i)}")
        if not found:
            found = [hosts.add(t.Host(name=host_name(i), address=lab_host.address, port=lab_host.port,
                                      cluster=t.Cluster(name="Default")))]
        ids.append(found[0].id)
    for host_id in ids:
        service = hosts.host_service(host_id)
        host = wait_for(service.get, lambda h: h.status not in (t.HostStatus.INSTALLING, t.HostStatus.INITIALIZING,
                                                                t.HostStatus.PREPARING_FOR_MAINTENANCE),
                        what="an installed host")
        if host.status == t.HostStatus.MAINTENANCE:
            service.activate()
        wait_for(service.get, lambda h: h.status == t.HostStatus.UP, what=f"host {host.name} up")
    sds = system.storage_domains_service()
    found = sds.list(search=f"name={sd_name}")
    if found:
        sd = found[0]
    else:
        # a fresh export each time: hosts keep a removed domain's pool connected (see test_host_lifecycle)
        path = f"{storage_path}/{sd_name}-{uuid.uuid4().hex[:8]}"
        sd = sds.add(t.StorageDomain(name=sd_name, type=t.StorageDomainType.DATA, host=t.Host(id=ids[0]),
                                     storage=t.HostStorage(type=t.StorageType.NFS, address="127.0.0.1", path=path)))
    dc = system.data_centers_service().list(search="name=Default")[0]
    attached = system.data_centers_service().data_center_service(dc.id).storage_domains_service()
    if not any(a.id == sd.id for a in attached.list()):
        attached.add(t.StorageDomain(id=sd.id))
    service = attached.storage_domain_service(sd.id)
    if service.get().status == t.StorageDomainStatus.MAINTENANCE:
        service.activate()
    wait_for(service.get, lambda a: a.status == t.StorageDomainStatus.ACTIVE, what="storage domain active")
    return Estate(live, conn, ids, sd.id, [h.address for h in lab.hosts])
