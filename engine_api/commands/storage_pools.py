"""How a storage domain appears on a host: the libvirt pool spec the agent connects."""

from __future__ import annotations

import ipaddress

from engine_api.commands.tx import Tx
from engine_api.core.errors import Conflict
from engine_api.protocol.client import AgentError


def _loopback(address: str | None) -> bool:
    if not address:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def pool_spec(sd: dict) -> dict:
    """A lab NFS or POSIX domain on a loopback address is served from its local directory, unmounted."""
    storage = sd.get("storage") or {}
    kind, address, path = storage.get("type"), storage.get("address"), storage.get("path") or ""
    spec = {"id": sd["id"], "name": sd["name"], "type": "dir", "path": path}
    if kind in ("nfs", "glusterfs") and not _loopback(address):
        spec.update(type="netfs", address=address, remote_path=path,
                    path=f"/var/lib/vdc/storage/{address}:{path.replace('/', '_')}")
    return spec


def connect_on_hosts(tx: Tx, sd: dict, hosts: list[dict]) -> None:
    """Connect the domain on every given host; the first refusal fails the whole command."""
    broker = tx.engine.broker
    info = None
    for host in hosts:
        try:
            info = broker.connect_storage(host, pool_spec(sd))
        except AgentError as e:
            raise Conflict(f"Host {host['name']} cannot connect Storage Domain {sd['name']}: {e}") from None
    if info:
        sd = tx.must("storage_domain", sd["id"])
        sd.update(available=info["available"], used=info["used"], committed=sd.get("committed", 0))
        tx.update("storage_domain", sd)


def disconnect_on_hosts(tx: Tx, sd: dict, hosts: list[dict]) -> None:
    """Best effort: a host that cannot be told keeps a stopped pool, which the next connect reuses."""
    for host in hosts:
        try:
            tx.engine.broker.disconnect_storage(host, sd["id"])
        except AgentError:
            pass


def active_domains(tx: Tx, dc_id: str) -> list[dict]:
    rows = tx.find_by("attached_storage_domain", data_center_id=dc_id)
    return [tx.must("storage_domain", a["storage_domain"]["id"]) for a in rows if a.get("status") == "active"]
