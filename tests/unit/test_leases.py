"""VM lease records and the lease keeper, on a temporary directory standing in for the storage domain (timings
scaled down so that a lease expires in a fraction of a second)."""

from __future__ import annotations

import json
import time

import pytest

from engine_api.agent import leases
from engine_api.agent.leasekeeper import STORAGE_CUT, Holds, Keeper
from engine_api.agent.leases import LeaseError, Timings

FAST = Timings(0.05)  # renew every 0.1 s, kill after 0.4 s, free after 0.7 s


def test_timings_follow_sanlock_from_one_io_timeout():
    vdsm = Timings(10.0)
    assert (vdsm.renew_interval, vdsm.kill_after, vdsm.expiry) == (20.0, 80.0, 140.0)


def test_a_live_lease_is_refused_to_another_host_and_taken_once_expired(tmp_path):
    path = leases.lease_path(tmp_path, "vm-1")
    taken = leases.acquire(path, "host-a", FAST)
    assert taken["owner"] == "host-a" and not leases.expired(leases.read(path))
    with pytest.raises(LeaseError, match="held by host host-a"):
        leases.acquire(path, "host-b", FAST)
    assert leases.renew(path, "host-a", FAST)
    time.sleep(FAST.expiry + 0.1)  # host-a stopped renewing
    assert leases.status(path)["expired"]
    again = leases.acquire(path, "host-b", FAST)
    assert again["owner"] == "host-b" and again["generation"] > taken["generation"]
    assert not leases.renew(path, "host-a", FAST)  # the former holder learns it lost the lease
    assert [p.name for p in path.parent.iterdir()] == ["vm-1.lease"]  # whole writes: no temporary file left


def test_release_frees_the_lease_only_for_its_holder(tmp_path):
    path = leases.lease_path(tmp_path, "vm-2")
    leases.acquire(path, "host-a", FAST)
    leases.release(path, "host-b")
    assert leases.read(path)["owner"] == "host-a"
    leases.release(path, "host-a")
    assert leases.expired(leases.read(path))
    assert leases.acquire(path, "host-b", FAST)["owner"] == "host-b"


def test_a_never_taken_lease_is_free():
    assert leases.expired(None)
    assert leases.status(leases.lease_path("/nonexistent-domain", "vm"))["expired"]


def _keeper(tmp_path) -> tuple[Keeper, Holds]:
    state = tmp_path / "host"
    state.mkdir()
    keeper = Keeper(state, "test:///default", FAST)
    return keeper, keeper.holds


def test_keeper_renews_while_it_reaches_storage_and_gives_the_vm_up_when_it_cannot(tmp_path):
    keeper, holds = _keeper(tmp_path)
    domain = tmp_path / "domain"
    holds.take("vm-3", str(domain))
    path = leases.lease_path(domain, "vm-3")
    first = leases.read(path)["generation"]
    deadline = time.time() + 1.0
    while time.time() < deadline:
        keeper.step(time.time())
        time.sleep(FAST.io_timeout / 2)
    assert leases.read(path)["generation"] > first and holds.held("vm-3")
    (keeper.state_dir / STORAGE_CUT).touch()  # the host loses its storage
    cut = time.time()
    while holds.held("vm-3") and time.time() - cut < 2.0:
        keeper.step(time.time())
        time.sleep(FAST.io_timeout / 2)
    gone = time.time() - cut
    assert not holds.held("vm-3")  # its VM destroyed (none runs in this test) and the hold dropped
    assert FAST.kill_after - FAST.renew_interval <= gone < FAST.expiry  # before another host may take it


def test_keeper_lets_a_lease_go_once_another_host_holds_it(tmp_path):
    keeper, holds = _keeper(tmp_path)
    domain = tmp_path / "domain"
    holds.take("vm-4", str(domain))
    path = leases.lease_path(domain, "vm-4")
    record = leases.read(path)
    leases.write(path, {**record, "owner": "another-host"})  # handed over by a migration
    time.sleep(FAST.renew_interval)
    keeper.step(time.time())
    assert not holds.held("vm-4")
    assert json.loads(path.read_text())["owner"] == "another-host"


def test_a_keeper_frozen_past_kill_after_gives_the_vm_up_instead_of_renewing(tmp_path):
    keeper, holds = _keeper(tmp_path)
    domain = tmp_path / "domain"
    holds.take("vm-5", str(domain))
    path = leases.lease_path(domain, "vm-5")
    generation = leases.read(path)["generation"]
    keeper.step(time.time())
    keeper.step(time.time() + FAST.kill_after + 0.1)  # as if the keeper had been stopped that long
    assert not holds.held("vm-5")
    assert leases.read(path)["generation"] == generation  # not renewed behind other hosts' backs


def test_a_keeper_started_again_resumes_the_holds_from_their_last_renewal(tmp_path):
    keeper, holds = _keeper(tmp_path)
    domain = tmp_path / "domain"
    holds.take("vm-6", str(domain))
    path = leases.lease_path(domain, "vm-6")
    for _ in range(6):  # renewed for a while, longer than kill_after after the hold was taken
        time.sleep(FAST.renew_interval)
        keeper.step(time.time())
    assert time.time() - json.loads((holds.dir / "vm-6.json").read_text())["since"] > FAST.kill_after
    successor = Keeper(keeper.state_dir, "test:///default", FAST)  # the keeper died; another one starts
    before = leases.read(path)["generation"]
    successor.step(time.time() + FAST.renew_interval)
    assert holds.held("vm-6") and leases.read(path)["generation"] > before  # renewed on, VM kept
