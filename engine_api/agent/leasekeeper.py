"""The lease keeper: a small daemon beside the agent that keeps this host's VM leases alive on shared storage.

It is a process of its own, as sanlock is beside vdsm: an agent that hangs (SIGSTOP, a deadlock) or dies leaves
the keeper renewing, so its VMs keep their leases and no other host may start them. A keeper that cannot renew
a lease (its storage is gone) for ``kill_after`` destroys the VM holding it, before the lease expires and
another host may take it; a lease another host holds now (it expired meanwhile) stops the VM at once.

The agent takes a lease before it starts the VM (``Holds.take``, which starts the keeper if none runs), and gives
it up when the VM stops here; a host whose VMs hold no lease runs no keeper. The keeper learns which leases to
renew from ``STATE_DIR/leases/<vm>.json``, one file per lease held. A keeper with no lease to keep stops once the
agent is gone too.

Lab switch: while ``STATE_DIR/lab-storage-cut`` exists the keeper behaves as if its storage were unreachable
(every read and write of a lease fails), as a host cut from its storage domain's server would.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine_api.agent import leases
from engine_api.agent.leases import LeaseError, Timings

log = logging.getLogger("vdc-leasekeeper")
STORAGE_CUT = "lab-storage-cut"
START_GRACE = 180.0  # seconds a hold may wait for its VM to start before an inactive VM's lease is given up


def host_lease_id(state_dir: Path) -> str:
    """This host's identity in lease records (sanlock's host id), made once per host."""
    path = Path(state_dir) / "lease-host-id"
    if not path.exists():
        path.write_text(str(uuid.uuid4()))
    return path.read_text().strip()


class Holds:
    """The agent's side: take a lease before starting a VM, give it up when the VM stops here."""

    def __init__(self, state_dir: Path, timings: Timings, ensure_keeper: Callable[[], None] | None = None):
        self.ensure_keeper = ensure_keeper  # starts the host's keeper unless it runs
        self.dir = Path(state_dir) / "leases"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.owner = host_lease_id(state_dir)
        self.timings = timings
        self.storage_cut = Path(state_dir) / STORAGE_CUT

    def take(self, vm_id: str, domain_path: str) -> None:
        if self.storage_cut.exists():
            raise LeaseError("the lease's storage cannot be reached (the lab cut this host from its storage)")
        if self.ensure_keeper is not None:
            self.ensure_keeper()  # the lease must be renewed from the moment it is taken
        path = leases.lease_path(domain_path, vm_id)
        leases.acquire(path, self.owner, self.timings)
        self._record(vm_id, path)

    def _record(self, vm_id: str, path: Path) -> None:
        """Tell the keeper to renew this lease."""
        hold = self.dir / f"{vm_id}.json"
        tmp = hold.with_suffix(".tmp")
        tmp.write_text(json.dumps({"vm": vm_id, "path": str(path), "since": time.time()}))
        os.replace(tmp, hold)

    def any(self) -> bool:
        """Whether this host holds any lease (then a keeper must run)."""
        return any(self.dir.glob("*.json"))

    def held(self, vm_id: str) -> bool:
        return (self.dir / f"{vm_id}.json").exists()

    def path_of(self, vm_id: str) -> str | None:
        """Where the lease this host holds for the VM is, if it holds one."""
        try:
            return str(json.loads((self.dir / f"{vm_id}.json").read_text())["path"])
        except (OSError, ValueError, KeyError):
            return None

    def take_over(self, vm_id: str, lease_path: str) -> None:
        """Hold a lease its holder hands over (a live migration brought the VM here): the record names this
        host at once, and the source's keeper, finding it no longer holds the lease, lets it go."""
        if self.ensure_keeper is not None:
            self.ensure_keeper()
        path = Path(lease_path)
        record = leases.read(path) or {}
        leases.write(path, {"owner": self.owner, "generation": int(record.get("generation") or 0) + 1,
                            "renewed": time.time(), "expiry": self.timings.expiry})
        self._record(vm_id, path)

    def give_up(self, vm_id: str) -> None:
        hold = self.dir / f"{vm_id}.json"
        try:
            path = Path(json.loads(hold.read_text())["path"])
        except (OSError, ValueError, KeyError):
            return
        hold.unlink(missing_ok=True)
        if not self.storage_cut.exists():
            leases.release(path, self.owner)


class Keeper:
    def __init__(self, state_dir: Path, libvirt_uri: str, timings: Timings, watch_pid: int | None = None):
        self.state_dir = Path(state_dir)
        self.holds = Holds(state_dir, timings)
        self.libvirt_uri = libvirt_uri
        self.timings = timings
        self.watch_pid = watch_pid
        self.renewed: dict[str, float] = {}  # VM -> when its lease was last renewed by this keeper
        self.conn: Any = None  # the hypervisor, opened when a VM must be looked at

    def _domain(self, vm_id: str) -> Any:
        import libvirt

        if self.conn is None or not self.conn.isAlive():
            self.conn = libvirt.open(self.libvirt_uri)
        try:
            return self.conn.lookupByUUIDString(vm_id)
        except libvirt.libvirtError:
            return None

    def _kill(self, vm_id: str, why: str) -> None:
        try:
            dom = self._domain(vm_id)
            if dom is not None and dom.isActive():
                log.warning("destroying VM %s: %s", vm_id, why)
                dom.destroy()
        except Exception as e:  # noqa: BLE001 - the hold stays, and the next round tries again
            log.error("could not destroy VM %s: %s", vm_id, e)
            return
        (self.holds.dir / f"{vm_id}.json").unlink(missing_ok=True)
        self.renewed.pop(vm_id, None)

    def _active(self, vm_id: str) -> bool | None:
        try:
            dom = self._domain(vm_id)
            return dom is not None and bool(dom.isActive())
        except Exception:  # noqa: BLE001 - the hypervisor does not answer: keep the lease
            return None

    def step(self, now: float) -> None:
        cut = (self.state_dir / STORAGE_CUT).exists()
        for hold_file in sorted(self.holds.dir.glob("*.json")):
            try:
                hold = json.loads(hold_file.read_text())
            except (OSError, ValueError):
                continue
            vm_id, path = hold["vm"], Path(hold["path"])
            if vm_id not in self.renewed:
                self.renewed[vm_id] = self._last_renewal(hold, path, now)
            last = self.renewed[vm_id]
            if now - float(hold.get("since") or now) > START_GRACE and self._active(vm_id) is False:
                self.holds.give_up(vm_id)  # the VM stopped here without the agent giving its lease up
                self.renewed.pop(vm_id, None)
                continue
            if now - last > self.timings.kill_after:  # checked first: a keeper that was itself frozen this long
                self._kill(vm_id, f"its lease was not renewed for {now - last:.1f} s")  # may not renew it
                continue
            if now - last >= self.timings.renew_interval:
                try:
                    if cut:
                        raise OSError("cut from storage (lab switch)")
                    if leases.renew(path, self.holds.owner, self.timings):
                        self.renewed[vm_id] = last = now
                    else:
                        self._kill(vm_id, "another host holds its lease now")
                        continue
                except OSError as e:
                    log.warning("cannot renew the lease of VM %s: %s", vm_id, e)

    def _last_renewal(self, hold: dict, path: Path, now: float) -> float:
        """When this host last renewed a lease it holds, as far as a keeper (re)started now can know: the record
        on the storage when it is still this host's, else when the hold was taken."""
        since = float(hold.get("since") or now)
        try:
            record = leases.read(path)
        except OSError:
            return since
        if record and record.get("owner") == self.holds.owner:
            return max(since, float(record.get("renewed") or 0))
        return since

    def _agent_gone(self) -> bool:
        try:
            return not _alive(int((self.state_dir / "agent.pid").read_text()))
        except (OSError, ValueError):
            return True

    def run(self) -> None:
        tick = self.timings.io_timeout / 2
        idle = 0  # ticks in a row with no lease to keep and no agent to take one
        while True:
            if self.watch_pid and not _alive(self.watch_pid):
                log.warning("process %s is gone: the lab host is shut down", self.watch_pid)
                return
            self.step(time.time())
            idle = idle + 1 if not any(self.holds.dir.glob("*.json")) and self._agent_gone() else 0
            if idle >= 3:  # nothing to renew, and the agent that would ask is gone (it starts a keeper again)
                log.info("no lease to keep and no agent: stopping")
                return
            time.sleep(tick)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_pid(state_dir: Path) -> int | None:
    """The keeper of this host, if one runs."""
    try:
        pid = int((Path(state_dir) / "leasekeeper.pid").read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"leasekeeper" in cmdline else None


def ensure_running(state_dir: Path, libvirt_uri: str, timings: Timings, watch_pid: int | None = None) -> int:
    """Start the host's keeper unless it runs already (an agent restarted keeps the keeper it had)."""
    state_dir = Path(state_dir)
    if (pid := running_pid(state_dir)) is not None:
        return pid
    command = [sys.executable, "-m", "engine_api.agent.leasekeeper", "--state-dir", str(state_dir),
               "--libvirt-uri", libvirt_uri, "--io-timeout", str(timings.io_timeout)]
    if watch_pid:
        command += ["--exit-with", str(watch_pid)]
    with open(state_dir / "leasekeeper.log", "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)  # not the agent's group: the agent's fate is not its
    (state_dir / "leasekeeper.pid").write_text(str(process.pid))
    return process.pid


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vdc-leasekeeper", description="Keep this host's VM leases alive.")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--libvirt-uri", default="qemu:///system")
    p.add_argument("--io-timeout", type=float, default=Timings().io_timeout,
                   help="sanlock's I/O timeout N: renew every 2N, destroy a VM whose lease was not renewed for 8N; "
                        "other hosts may take a lease not renewed for 14N")
    p.add_argument("--exit-with", type=int, metavar="PID", help="stop when this process is gone (lab hosts)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    Keeper(Path(args.state_dir), args.libvirt_uri, Timings(args.io_timeout), args.exit_with).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
