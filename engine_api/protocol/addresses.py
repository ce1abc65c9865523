"""Addresses as agents report them (an address, a prefix length, a version) and as the API shows them."""

from __future__ import annotations

import ipaddress


def netmask(prefix: int, version: str) -> str:
    net = ipaddress.ip_network(f"{'0.0.0.0' if version == 'v4' else '::'}/{prefix}")
    return str(net.netmask) if version == "v4" else str(prefix)
