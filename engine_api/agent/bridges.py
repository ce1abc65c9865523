"""Linux bridges for VM NICs on a lab host: made on demand, removed once nothing is plugged into them.

A production host has its network bridges set up by its administrator (or its network configuration); the
agent only checks that a NIC's bridge exists. A lab host (``--create-bridges``) makes a missing bridge with no
uplink, so the VMs of one network on every lab host share one segment, as hosts on one switch do.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from engine_api.protocol.client import AgentError

SYS_NET = Path("/sys/class/net")
NAME_MAX = 15  # IFNAMSIZ - 1


def exists(name: str) -> bool:
    return (SYS_NET / name / "bridge").is_dir()


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise AgentError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")


def ensure(names: list[str], create: bool) -> list[str]:
    """Check (or, when ``create``, make) each bridge; returns the ones made now."""
    made = []
    for name in dict.fromkeys(names):
        if exists(name):
            continue
        if not create:
            raise AgentError(f"bridge {name} does not exist on this host: set up its network first")
        if len(name) > NAME_MAX or "/" in name or not name.isprintable() or not name.strip():
            raise AgentError(f"'{name}' cannot be a bridge name (at most {NAME_MAX} characters)", 400)
        try:
            _ip("link", "add", "name", name, "type", "bridge")
        except AgentError:
            if not exists(name):  # another lab host made it meanwhile
                raise
        _ip("link", "set", name, "up")
        made.append(name)
    return made


def remove_unused(names: list[str], grace: float = 3.0) -> None:
    """Delete the bridges of ``names`` that nothing is plugged into (best effort), waiting up to ``grace``
    seconds for the ports of VMs that are being killed to go away."""
    deadline = time.monotonic() + grace
    pending = list(names)
    while pending:
        for name in list(pending):
            brif = SYS_NET / name / "brif"
            if not brif.is_dir():
                pending.remove(name)
            elif not any(brif.iterdir()):
                subprocess.run(["ip", "link", "del", name], capture_output=True)
                pending.remove(name)
        if not pending or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def record(state_dir: Path, names: list[str]) -> None:
    """Remember the bridges this host made, so that whoever tears the lab down can remove them."""
    if names:
        path = Path(state_dir) / "bridges-made"
        known = made_in(state_dir)
        path.write_text("".join(f"{n}\n" for n in dict.fromkeys([*known, *names])))


def made_in(state_dir: Path) -> list[str]:
    path = Path(state_dir) / "bridges-made"
    return path.read_text().split() if path.exists() else []
