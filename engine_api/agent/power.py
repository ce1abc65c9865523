"""Asking a guest to power down or reboot, as vdsm does: its QEMU guest agent when one answers, else the ACPI
power button; and the guest reboots libvirt saw, which tell the engine that a requested reboot happened.

A request is only a request: a guest without ACPI support (or one that ignores it) keeps running, and the
engine decides, after its timeout, to power it off (destroy) or to reset it.
"""

from __future__ import annotations

import json
import threading
from collections import Counter

import libvirt

GUEST_AGENT_CHANNEL = "org.qemu.guest_agent.0"
_event_loop_started = False
_event_loop_lock = threading.Lock()


def guest_agent_answers(dom: libvirt.virDomain, timeout: int = 1) -> bool:
    """Whether the domain has a QEMU guest agent channel and the agent in the guest answers a ping."""
    if GUEST_AGENT_CHANNEL not in dom.XMLDesc(0):
        return False
    try:
        import libvirt_qemu

        reply = libvirt_qemu.qemuAgentCommand(dom, json.dumps({"execute": "guest-ping"}), timeout, 0)
    except (ImportError, libvirt.libvirtError):
        return False
    return "return" in json.loads(reply or "{}")


def request_shutdown(dom: libvirt.virDomain) -> str:
    """Ask the guest to power off; returns the method used (``guest_agent``, ``acpi`` or ``default``)."""
    if guest_agent_answers(dom):
        try:
            dom.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_GUEST_AGENT)
            return "guest_agent"
        except libvirt.libvirtError:
            pass
    try:
        dom.shutdownFlags(libvirt.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN)
        return "acpi"
    except libvirt.libvirtError as e:
        if e.get_error_code() not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT):
            raise
    dom.shutdown()  # a hypervisor that knows no methods (libvirt's test driver): its default
    return "default"


def request_reboot(dom: libvirt.virDomain) -> str:
    """Ask the guest to reboot; returns the method used. The QEMU process stays: this is no destroy and start."""
    if guest_agent_answers(dom):
        try:
            dom.reboot(libvirt.VIR_DOMAIN_REBOOT_GUEST_AGENT)
            return "guest_agent"
        except libvirt.libvirtError:
            pass
    dom.reboot(libvirt.VIR_DOMAIN_REBOOT_ACPI_POWER_BTN)
    return "acpi"


def _run_event_loop() -> None:
    while True:
        libvirt.virEventRunDefaultImpl()


def start_event_loop() -> None:
    """libvirt delivers domain events through an event loop the process runs (one per process)."""
    global _event_loop_started
    with _event_loop_lock:
        if not _event_loop_started:
            libvirt.virEventRegisterDefaultImpl()
            threading.Thread(target=_run_event_loop, name="libvirt-events", daemon=True).start()
            _event_loop_started = True


class Reboots:
    """How many times each domain rebooted (a guest's own reboot, an ACPI one, a reset) since the agent
    started, from libvirt's reboot events on a connection of its own. The engine compares the count before
    and after its request. libvirt's test driver emits no such event: its reboots are counted by the caller."""

    def __init__(self, uri: str | None):
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.conn: libvirt.virConnect | None = None
        if uri is not None:
            start_event_loop()
            self.conn = libvirt.open(uri)
            self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, self._rebooted, None)

    def _rebooted(self, _conn: libvirt.virConnect, dom: libvirt.virDomain, _opaque: object) -> None:
        self.note(dom.UUIDString())

    def note(self, uuid: str) -> None:
        with self.lock:
            self.counts[uuid] += 1

    def count(self, uuid: str) -> int:
        with self.lock:
            return self.counts[uuid]
