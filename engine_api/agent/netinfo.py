"""The host's network interfaces as the kernel shows them: ``/sys/class/net`` and ``ip -j addr``.

Each interface is reported with what is readable: name, MAC, MTU, speed (only when the driver knows it),
state, and its addresses. Nothing is filled in: an interface without a known speed has no ``speed``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

SYS_NET = Path("/sys/class/net")
_NO_MAC = "00:00:00:00:00:00"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:  # e.g. EINVAL: the speed of an interface without a link
        return None


def _status(operstate: str | None, carrier: str | None) -> str | None:
    """``up``/``down`` from the RFC 2863 operational state; an ``unknown`` one (loopback, tun) by its carrier."""
    if operstate == "up":
        return "up"
    if operstate in ("down", "lowerlayerdown", "notpresent", "dormant", "testing"):
        return "down"
    if carrier in ("0", "1"):
        return "up" if carrier == "1" else "down"
    return None


def link(sys_net: Path, name: str) -> dict:
    """One interface's facts from sysfs."""
    d = sys_net / name
    nic: dict = {"name": name}
    mac = _read(d / "address")
    if mac and mac != _NO_MAC and len(mac) == 17:
        nic["mac"] = mac
    mtu = _read(d / "mtu")
    if mtu and mtu.isdigit():
        nic["mtu"] = int(mtu)
    speed = _read(d / "speed")  # Mbit/s; -1 or unreadable when the driver does not know
    if speed and speed.isdigit() and int(speed) > 0:
        nic["speed"] = int(speed) * 1_000_000
    if status := _status(_read(d / "operstate"), _read(d / "carrier")):
        nic["status"] = status
    return nic


def addresses_from_ip_json(data: list[dict]) -> dict[str, list[dict]]:
    """Interface name -> its addresses, from ``ip -j addr show``: address, prefix, version, dynamic (DHCP)."""
    out: dict[str, list[dict]] = {}
    for iface in data:
        for a in iface.get("addr_info") or []:
            if a.get("family") not in ("inet", "inet6") or not a.get("local"):
                continue
            out.setdefault(iface.get("ifname", ""), []).append({
                "address": a["local"], "prefix": int(a.get("prefixlen", 0)),
                "version": "v4" if a["family"] == "inet" else "v6", "scope": a.get("scope"),
                "dynamic": bool(a.get("dynamic"))})
    return out


def addresses() -> dict[str, list[dict]]:
    """Every interface's addresses; none when ``ip`` is missing or fails (they are then unknown)."""
    ip = shutil.which("ip") or next((p for p in ("/usr/sbin/ip", "/sbin/ip") if Path(p).exists()), None)
    if ip is None:
        return {}
    try:
        proc = subprocess.run([ip, "-j", "addr", "show"], capture_output=True, text=True, timeout=5, check=True)
        return addresses_from_ip_json(json.loads(proc.stdout or "[]"))
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}


def nics(sys_net: Path = SYS_NET) -> list[dict]:
    """The host's interfaces, by name, each with its addresses."""
    try:
        names = sorted(p.name for p in sys_net.iterdir())
    except OSError:
        return []
    found = addresses()
    out = []
    for name in names:
        nic = link(sys_net, name)
        if found.get(name):
            nic["addresses"] = found[name]
        out.append(nic)
    return out
