"""A VM's graphics console: its display (oVirt ``Vm.display``) added or removed, and one-time tickets.

A VM has a console exactly when its configuration has a display; removing the console makes the VM headless
(as oVirt does it), adding one gives it a display of that protocol. A ticket is a password the running
domain's graphics device accepts until it expires; the host's agent sets it on the hypervisor.
"""

from __future__ import annotations

import secrets

from engine_api.commands.common import owner
from engine_api.commands.runner import authorize, run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.protocol.client import AgentError

PROTOCOLS = ("vnc", "spice")
RUNNING = {"up", "paused", "powering_down", "powering_up", "reboot_in_progress", "migrating"}
DEFAULT_EXPIRY = 120  # seconds, oVirt's default for a ticket
_TICKET_LENGTH = {"vnc": 8, "spice": 12}  # a VNC password has at most 8 significant characters


def console_id(protocol: str) -> str:
    """oVirt's id of a graphics console: its protocol name in hex (vnc: 766e63)."""
    return protocol.encode().hex()


def display_protocol(vm: dict) -> str | None:
    """The protocol of a VM's (or template's) display; None when it has none (headless)."""
    protocol = (vm.get("display") or {}).get("type")
    return protocol if protocol in PROTOCOLS else None


# ---------------------------------------------------------------- adding and removing the console


def _added(tx: Tx, vm_id: str, protocol: str) -> dict:
    vm = tx.must("vm", vm_id)
    current = display_protocol(vm)
    if current:
        raise Conflict(f"Cannot add a {protocol} console to VM {vm['name']}: it already has a {current} console, "
                       "and a VM has one graphics console here.")
    vm["display"] = {**(vm.get("display") or {}), "type": protocol}
    vm["display"].setdefault("monitors", 1)
    tx.update("vm", vm)
    tx.event(35, f"VM {vm['name']} configuration was updated by {tx.who}: {protocol} console added.", vm=vm_id)
    return {"id": console_id(protocol), "protocol": protocol, "vm": {"id": vm_id}}


def add_console(ctx: Context, parent: dict | None, doc: dict) -> dict:
    protocol = doc.get("protocol")
    if protocol not in PROTOCOLS:
        raise BadRequest(f"graphics_console.protocol must be one of {', '.join(PROTOCOLS)}, got {protocol}")
    return run(ctx, "update_vm", _added, owner(parent, "graphics consoles")["id"], protocol)


def _removed(tx: Tx, vm_id: str) -> None:
    vm = tx.must("vm", vm_id)
    if vm["status"] != "down":
        raise Conflict(f"Cannot remove the graphics console of VM {vm['name']}: it is "
                       f"{vm['status'].replace('_', ' ')}; stop it first.")
    vm.pop("display", None)
    tx.update("vm", vm)
    tx.event(35, f"VM {vm['name']} configuration was updated by {tx.who}: graphics console removed.", vm=vm_id)


def remove_console(ctx: Context, parent: dict | None, console: dict) -> None:
    run(ctx, "update_vm", _removed, owner(parent, "graphics consoles")["id"])


# ---------------------------------------------------------------- tickets


def _ticket_target(tx: Tx, vm_id: str, protocol: str | None) -> tuple[dict, dict, str]:
    vm = tx.must("vm", vm_id)
    configured = display_protocol(vm)
    if configured is None or (protocol and protocol != configured):
        raise Conflict(f"Cannot set a console ticket for VM {vm['name']}: it has no "
                       f"{protocol or 'graphics'} console.")
    if vm["status"] not in RUNNING or not vm.get("host"):
        raise Conflict(f"Cannot set a console ticket for VM {vm['name']}: it is {vm['status'].replace('_', ' ')}.")
    return vm, tx.must("host", vm["host"]["id"]), configured


def _set_ticket(ctx: Context, vm_id: str, protocol: str | None, action: dict) -> dict:
    authorize(ctx, "set_vm_ticket", vm_id)
    with ctx.engine.db.read() as conn:
        vm, host, protocol = _ticket_target(Tx(conn, ctx), vm_id, protocol)
    wanted = action.get("ticket") or {}
    expiry = wanted.get("expiry")
    if expiry is None:
        expiry = DEFAULT_EXPIRY
    if not isinstance(expiry, int) or expiry <= 0:
        raise BadRequest(f"ticket.expiry must be a positive number of seconds, got {expiry}")
    value = wanted.get("value") or secrets.token_urlsafe(12)[:_TICKET_LENGTH[protocol]]
    try:
        ctx.engine.broker.vm_op(host, vm_id, "ticket", {"protocol": protocol, "password": value, "expiry": expiry})
    except AgentError as e:
        raise Conflict(f"Cannot set a console ticket for VM {vm['name']} on Host {host['name']}: {e}") from None
    return {"ticket": {"value": value, "expiry": expiry}}


def vm_ticket(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    """``POST /vms/{id}/ticket``: a ticket for the VM's console."""
    return _set_ticket(ctx, vm["id"], None, action)


def console_ticket(ctx: Context, parent: dict | None, console: dict, action: dict) -> dict:
    """``POST /vms/{id}/graphicsconsoles/{cid}/ticket``: a ticket for that console's protocol."""
    return _set_ticket(ctx, owner(parent, "graphics consoles")["id"], console["protocol"], action)
