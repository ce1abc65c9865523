"""What a real QEMU domain reports: CPU statistics of the running guest, its VNC console's real port, tickets."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

import libvirt
import ovirtsdk4.types as t
from lxml import etree

from tests.hosts.helpers import wait_for
from tests.qemu.vms import counting_vm, libvirt_uri, wait_counting


def _stats(estate, vm_id: str) -> dict[str, float]:
    return {s.name: s.values[0].datum for s in estate.vm(vm_id).statistics_service().list()}


def test_cpu_statistics_console_port_and_ticket(qestate):
    vm_id, _ = counting_vm(qestate, "q-measured")
    try:
        vm = qestate.start_on(vm_id, 0)
        wait_counting(qestate, vm_id)
        stats = wait_for(lambda: _stats(qestate, vm_id), lambda s: "cpu.current.total" in s, timeout=20,
                         what="VM CPU statistics", describe=sorted)
        for name in ("cpu.current.total", "cpu.current.guest", "cpu.current.hypervisor"):
            if name in stats:  # guest and hypervisor need the process times, which libvirt may not have
                # qemu's own threads count too (vdsm's figures are not capped): at most the host's CPUs' worth
                assert 0 <= stats[name] <= 100 * os.cpu_count(), (name, stats[name])
        assert stats["elapsed.time"] >= 0

        (console,) = qestate.vm(vm_id).graphics_consoles_service().list()
        assert console.protocol == t.GraphicsType.VNC
        console = wait_for(lambda: qestate.vm(vm_id).graphics_consoles_service().list()[0],
                           lambda c: c.port is not None, what="the console's port", describe=lambda c: c.port)
        host = qestate.host(0)
        assert console.address == host.address  # the domain listens on every address of its host
        conn = libvirt.open(libvirt_uri(qestate, vm.host.id))
        try:
            dom = conn.lookupByUUIDString(vm_id)
            live = etree.fromstring(dom.XMLDesc(0).encode()).find("devices/graphics")
            assert int(live.get("port")) == console.port  # the port QEMU really has
            with socket.create_connection((console.address, console.port), timeout=5) as s:
                assert s.recv(12).startswith(b"RFB ")  # and a VNC server answers there

            ticket = qestate.vm(vm_id).ticket(ticket=t.Ticket(expiry=300))
            assert ticket.expiry == 300 and 0 < len(ticket.value) <= 8  # VNC: 8 significant characters
            secure = etree.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE).encode()).find("devices/graphics")
            assert secure.get("passwd") == ticket.value
            valid_to = datetime.strptime(secure.get("passwdValidTo"), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
            assert 200 < (valid_to - datetime.now(UTC)).total_seconds() <= 300
            console_ticket = qestate.vm(vm_id).graphics_consoles_service().console_service(console.id).ticket(
                ticket=t.Ticket(value="s3cret"))
            assert console_ticket.value == "s3cret"
            secure = etree.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE).encode()).find("devices/graphics")
            assert secure.get("passwd") == "s3cret"
        finally:
            conn.close()
    finally:
        qestate.destroy_vm(vm_id)
