"""A guest with no operating system that proves it stays alive: a boot sector that counts timer ticks.

It sets up a stack, enables interrupts, then halts until each BIOS timer tick (about 18 a second) and adds one
to a 32-bit counter at physical address 0x500. A live migration keeps the count going on the destination;
a restart starts it again from zero. It has no ACPI handler, so a graceful shutdown request goes unanswered.

The machine code, as GNU ``as --32`` assembles it (16-bit real mode, loaded at 0x7c00 by the BIOS)::

    cli; xor %ax,%ax; mov %ax,%ds; mov %ax,%ss; mov $0x7c00,%sp   # a known stack
    movl $0,0x500; sti                                               # the counter; let the timer in
 1: hlt; incl 0x500; jmp 1b
"""

from __future__ import annotations

from pathlib import Path

import libvirt
import libvirt_qemu

CODE = bytes.fromhex("fa31c08ed88ed0bc007c66c706000500000000fbf466ff060005ebf8")
BOOT_SECTOR = CODE + bytes(510 - len(CODE)) + b"\x55\xaa"


def write_boot_sector(path: str | Path) -> None:
    """Put the counting boot sector at the start of a raw disk image, keeping its size."""
    with open(path, "r+b") as f:
        f.write(BOOT_SECTOR)


def read_counter(libvirt_uri: str, vm_id: str) -> int:
    """The guest's tick count, read from its memory through the QEMU monitor."""
    conn = libvirt.open(libvirt_uri)
    try:
        dom = conn.lookupByUUIDString(vm_id)
        out = libvirt_qemu.qemuMonitorCommand(dom, "xp /1wx 0x500", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)
    finally:
        conn.close()
    return int(out.split(":")[1].split()[0], 16)
