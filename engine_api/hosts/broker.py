"""The engine's side of the agent protocol: one method per agent call, addressed by the host's document.

Every call is mutual TLS, loopback included: the engine presents its certificate, and accepts an agent only
if its certificate comes from the engine's CA and names the host's address.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable

from engine_api.protocol.client import AgentError, call

__all__ = ["AgentError", "Broker"]


class Broker:
    def __init__(self, secret: str, tls: Callable[[], ssl.SSLContext], timeout: float = 30.0):
        self.secret = secret
        self.tls = tls  # the engine's client context (made when first needed)
        self.timeout = timeout

    @staticmethod
    def url(host: dict) -> str:
        address = host["address"]
        try:
            if ipaddress.ip_address(address).version == 6:
                address = f"[{address}]"
        except ValueError:
            pass
        return f"https://{address}:{host.get('port') or 54321}"

    def _call(self, host: dict, path: str, method: str = "GET", body: dict | None = None,
              timeout: float | None = None) -> dict:
        return call(self.url(host) + path, self.secret, method, body, timeout or self.timeout, self.tls())

    def capabilities(self, host: dict, timeout: float = 5.0) -> dict:
        return self._call(host, "/capabilities", timeout=timeout)

    def stats(self, host: dict, timeout: float = 5.0) -> dict:
        return self._call(host, "/stats", timeout=timeout)

    def create_vm(self, host: dict, spec: dict) -> dict:
        """Returns once the hypervisor started the VM: a busy host starting many QEMU processes takes a while."""
        return self._call(host, "/vms", "POST", spec, timeout=max(self.timeout, 120.0))

    def vm_op(self, host: dict, vm_id: str, op: str, body: dict | None = None) -> dict:
        return self._call(host, f"/vms/{vm_id}/{op}", "POST", body or {})

    def migrate(self, source: dict, vm_id: str, destination: dict, bandwidth_mib: int = 0,
                max_time: float = 120.0) -> dict:
        """Live-migrate to the destination's hypervisor (its reported ``migration_uri``); the source agent aborts a
        migration still running after ``max_time`` seconds, so the call waits a little longer than that."""
        dest = {"url": self.url(destination), "secret": self.secret, "libvirt_uri": destination.get("_migration_uri")}
        body = {"destination": dest, "bandwidth": bandwidth_mib, "max_time": max_time}
        return self._call(source, f"/vms/{vm_id}/migrate", "POST", body, timeout=max_time + 30)

    def sync_hooks(self, host: dict, hooks: list[dict], settings: dict) -> dict:
        """Make the host's engine-managed hook scripts exactly ``hooks``; returns what changed and what it has."""
        return self._call(host, "/hooks/sync", "POST", {"hooks": hooks, "settings": settings})

    def connect_storage(self, host: dict, pool: dict) -> dict:
        return self._call(host, "/storage/pools", "POST", pool)

    def disconnect_storage(self, host: dict, pool_id: str) -> dict:
        return self._call(host, f"/storage/pools/{pool_id}", "DELETE")

    def create_volume(self, host: dict, pool_id: str, volume: dict) -> dict:
        return self._call(host, f"/storage/pools/{pool_id}/volumes", "POST", volume)

    def remove_volume(self, host: dict, pool_id: str, volume_id: str) -> dict:
        return self._call(host, f"/storage/pools/{pool_id}/volumes/{volume_id}", "DELETE")

    def resize_volume(self, host: dict, pool_id: str, volume_id: str, size: int) -> dict:
        return self._call(host, f"/storage/pools/{pool_id}/volumes/{volume_id}/resize", "POST", {"size": size})

    def lease_status(self, host: dict, pool_id: str, vm_id: str) -> dict:
        """A VM's lease as the host reads it on the storage domain: ``owner``, ``age``, ``expired``."""
        return self._call(host, "/leases/status", "POST", {"pool": pool_id, "vm": vm_id}, timeout=10.0)

    def image_op(self, host: dict, op: str, body: dict, timeout: float = 3600.0) -> dict:
        """Image work on the host (copy, overlay, chain, snapshot, merge, live move: ``agent.images``)."""
        return self._call(host, f"/images/{op}", "POST", body, timeout=timeout)
