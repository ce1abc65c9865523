"""VM leases on a shared, file-based storage domain: one small record per VM lease, ``<domain>/leases/<vm>.lease``.

A record says which host holds the lease (``owner``, the host's lease id), when it last renewed it
(``renewed``, wall clock: hosts of a cluster keep their clocks in sync) and how long a renewal stays valid
(``expiry``). Every write is atomic (a temporary file in the same directory, fsync, rename), so a reader sees a
whole record or the one before it.

The timings follow sanlock's, which all derive from one I/O timeout N (10 s in vdsm): the holder renews every
2N; a holder that could not renew for 8N kills what holds the lease; a lease not renewed for 14N is free for
another host. The lab scales N down (``io_timeout``) so that a lease moves in seconds.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

LEASES_DIR = "leases"


class LeaseError(Exception):
    """The lease is held by another live host, or its storage cannot be reached."""


@dataclass(frozen=True)
class Timings:
    io_timeout: float = 10.0

    @property
    def renew_interval(self) -> float:
        return 2 * self.io_timeout

    @property
    def kill_after(self) -> float:
        return 8 * self.io_timeout

    @property
    def expiry(self) -> float:
        return 14 * self.io_timeout


def lease_path(domain_path: str | Path, vm_id: str) -> Path:
    return Path(domain_path) / LEASES_DIR / f"{vm_id}.lease"


def read(path: Path) -> dict | None:
    """The lease's record; None when it was never taken. Raises OSError when the storage cannot be read."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError:  # torn by something other than write(): treat as free, the next write fixes it
        return None


def write(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def expired(record: dict | None, now: float | None = None) -> bool:
    """Whether another host may take the lease: never taken, released, or not renewed within its expiry."""
    if not record or not record.get("owner"):
        return True
    return (now if now is not None else time.time()) - float(record.get("renewed") or 0) > float(record["expiry"])


def status(path: Path, now: float | None = None) -> dict:
    """What a reader sees: the owner, seconds since its last renewal, and whether the lease is free."""
    now = now if now is not None else time.time()
    record = read(path)
    if record is None:
        return {"owner": None, "expired": True}
    return {"owner": record.get("owner"), "generation": record.get("generation"),
            "age": round(now - float(record.get("renewed") or 0), 3), "expiry": record.get("expiry"),
            "expired": expired(record, now)}


def acquire(path: Path, owner: str, timings: Timings) -> dict:
    """Take the lease for ``owner``, as sanlock's delta lease does: only when it is free (or already ours),
    then wait one renewal interval and read it back, so that of two hosts racing for it only one goes on."""
    try:
        record = read(path)
        if record and record.get("owner") not in (None, owner) and not expired(record):
            raise LeaseError(f"the lease is held by host {record['owner']} (renewed "
                             f"{time.time() - float(record['renewed']):.1f} s ago)")
        mine = {"owner": owner, "generation": int((record or {}).get("generation") or 0) + 1,
                "renewed": time.time(), "expiry": timings.expiry}
        write(path, mine)
        time.sleep(min(timings.renew_interval, 5.0))
        back = read(path)
    except OSError as e:
        raise LeaseError(f"the lease's storage cannot be reached: {e}") from None
    if not back or back.get("owner") != owner:
        raise LeaseError(f"host {(back or {}).get('owner')} took the lease at the same time")
    renew(path, owner, timings)
    return back


def renew(path: Path, owner: str, timings: Timings) -> bool:
    """Renew a lease this host holds; False when another host holds it now. Raises OSError on storage loss."""
    record = read(path)
    if record is None or record.get("owner") != owner:
        return False
    record.update(renewed=time.time(), generation=int(record.get("generation") or 0) + 1, expiry=timings.expiry)
    write(path, record)
    return True


def release(path: Path, owner: str) -> None:
    """Give the lease up (the VM stopped here); nothing happens to a lease another host holds."""
    try:
        record = read(path)
        if record and record.get("owner") == owner:
            record.update(owner=None, renewed=time.time(), generation=int(record.get("generation") or 0) + 1)
            write(path, record)
    except OSError:
        pass  # unreachable storage: the lease expires by itself
