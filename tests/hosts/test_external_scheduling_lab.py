"""External scheduling units on three lab hosts, through the real API and the sandboxed workers: the seed
article's max_vms filter keeps VMs off a full host, even_vm_distribution spreads VMs as a weight, vm_balance makes
the balancing loop migrate a VM off an overloaded host, each calling the engine's API with its read-only token;
runaway units are contained (placement answers within the timeout plus a margin, an audit event names each unit,
the engine keeps serving)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from engine_api.rest.typed_members import read_answer
from engine_api.scheduler.external.pool import MARGIN
from tests import live
from tests.hosts.helpers import Estate, MiB, connect, ensure_estate, wait_for

PLUGINS = Path(__file__).resolve().parents[2] / "playbooks" / "files" / "scheduler_plugins"
BALANCE_SECONDS = 1.5
TIMEOUT_MS = 3000
_n = itertools.count(1)

RUNAWAYS = '''
import os, sys

class ext_loops:
    def do_filter(self, hosts_ids, vm_id, args_map):
        while True:
            pass

class ext_fails:
    def do_filter(self, hosts_ids, vm_id, args_map):
        sys.exit(2)

class ext_garbage:
    def do_filter(self, hosts_ids, vm_id, args_map):
        print("no literal here (")

class ext_hog:
    def do_filter(self, hosts_ids, vm_id, args_map):
        hoard = []
        while True:
            hoard.append(bytearray(64 << 20))

class ext_bomb:
    def do_filter(self, hosts_ids, vm_id, args_map):
        while True:
            try:
                os.fork()
            except OSError:
                pass

class ext_writer:
    def do_filter(self, hosts_ids, vm_id, args_map):
        import ovirtsdk4 as sdk
        import ovirtsdk4.types as t
        conn = sdk.Connection(url=os.environ["VDC_API_URL"], token=os.environ["VDC_API_TOKEN"])
        conn.system_service().data_centers_service().add(t.DataCenter(name="written_by_a_unit", local=False))
        print(hosts_ids)
'''


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = live.start(tmp_path_factory.mktemp("extlab"), lab_hosts=3,
                        config={"monitor_interval": 0.5, "non_responsive_timeout": 3.0,
                                "vds_load_balancing_interval_in_minutes": BALANCE_SECONDS / 60})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def conn(lab):
    connection = connect(lab)
    try:
        yield connection
    finally:
        connection.close()


def _vdc(lab, method: str, path: str, body: dict | None = None) -> httpx.Response:
    base = lab.url + "/vdc/"
    return httpx.request(method, base + path, json=body, auth=(lab.username, lab.password), timeout=60)


@pytest.fixture(scope="module")
def plugins(lab) -> dict[str, str]:
    """unit name -> id, for the seeds' three units and the runaways."""
    r = _vdc(lab, "PUT", "engineconfig/ExternalSchedulerResponseTimeout", {"value": str(TIMEOUT_MS)})
    assert r.status_code == 200, r.text
    ids = {}
    for name, text in [(p.stem, p.read_text()) for p in sorted(PLUGINS.glob("*.py"))] + [("runaways", RUNAWAYS)]:
        r = _vdc(lab, "POST", "schedulerplugins", {"name": name, "content": text})
        assert r.status_code == 201, r.text
        ids.update({u["name"]: u["id"] for u in r.json()["units"]})
    return ids


@pytest.fixture
def estate(lab, conn, plugins, tmp_path_factory) -> Estate:
    est = ensure_estate(lab, conn, str(tmp_path_factory.getbasetemp() / "nfsext"))
    yield est
    _use(est, "none")
    for vm in est.system.vms_service().list(search="name=ext*"):
        est.destroy_vm(vm.id)


def _cluster(est: Estate) -> sdk.services.ClusterService:
    cluster = est.system.clusters_service().list(search="name=Default")[0]
    return est.system.clusters_service().cluster_service(cluster.id)


def _use(est: Estate, name: str, **props: str) -> None:
    policy = [p for p in est.system.scheduling_policies_service().list() if p.name == name][0]
    _cluster(est).update(t.Cluster(
        scheduling_policy=t.SchedulingPolicy(id=policy.id),
        custom_scheduling_policy_properties=[t.Property(name=k, value=v) for k, v in props.items()] or None))


def _policy(est: Estate, plugins: dict[str, str], filters: list[str] = (), weights: list[str] = (),
            balancer: str | None = None) -> str:
    """A policy with the Memory filter, the given external units and nothing else (ties go to lab0)."""
    policies = est.system.scheduling_policies_service()
    name = f"ext{next(_n)}"
    policy = policies.add(t.SchedulingPolicy(name=name))
    service = policies.policy_service(policy.id)
    memory = "c9ddbb34-0e1d-4061-a8d7-b0893fa80932"
    for unit in [memory, *(plugins[f] for f in filters)]:
        service.filters_service().add(t.Filter(scheduling_policy_unit=t.SchedulingPolicyUnit(id=unit)))
    for w in weights:
        service.weights_service().add(t.Weight(scheduling_policy_unit=t.SchedulingPolicyUnit(id=plugins[w]),
                                               factor=1))
    if balancer:
        service.balances_service().add(t.Balance(scheduling_policy_unit=t.SchedulingPolicyUnit(id=plugins[balancer])))
    return name


def _vm(est: Estate) -> str:
    return est.new_vm(f"ext{next(_n)}", 128 * MiB)


def _host_of(est: Estate, vm_id: str) -> int:
    return est.index_of(est.vm(vm_id).get().host.id)


def _explain(est: Estate, vm_id: str) -> dict:
    r = httpx.post(f"{est.live.url}/vms/{vm_id}/placement", json={}, auth=(est.live.username, est.live.password),
                   headers={"Accept": "application/json", "Version": "4"}, timeout=60)
    assert r.status_code == 200, r.text
    return read_answer(r.json(), f"vms/{vm_id}/placement")["placement"]  # integers and booleans come as strings


def _last_event(est: Estate) -> int:
    events = est.system.events_service().list(max=1)
    return int(events[0].index) if events else 0


def test_max_vms_keeps_vms_off_a_full_host(estate: Estate, plugins) -> None:
    _use(estate, _policy(estate, plugins, filters=["max_vms"]), maximum_vm_count="1")
    first = _vm(estate)
    estate.start_on(first, 0)
    plan = _explain(estate, _vm(estate))
    verdicts = {h["name"]: h for h in plan["hosts"]["placement_host"]}
    assert verdicts["lab0"]["filter"] == "max_vms" and "external filter" in verdicts["lab0"]["reason"]
    placed = [_vm(estate) for _ in range(2)]
    for vm in placed:
        estate.start_on(vm)
    assert sorted(_host_of(estate, v) for v in [first, *placed]) == [0, 1, 2]  # one per host: none is full twice
    with pytest.raises(sdk.Error) as refused:
        estate.vm(_vm(estate)).start()
    assert "did not satisfy external filter max_vms" in str(refused.value)


def test_even_vm_distribution_spreads_as_a_weight(estate: Estate, plugins) -> None:
    _use(estate, _policy(estate, plugins, weights=["even_vm_distribution"]))
    vms = [_vm(estate) for _ in range(3)]
    for vm in vms:
        estate.start_on(vm)
    assert sorted(_host_of(estate, v) for v in vms) == [0, 1, 2]
    plan = _explain(estate, _vm(estate))
    weights = [w for h in plan["hosts"]["placement_host"] for w in h["weights"]["placement_weight"]]
    assert {w["name"] for w in weights} == {"even_vm_distribution"} and {w["weight"] for w in weights} == {1}


def test_without_the_weight_ties_pack_on_one_host(estate: Estate, plugins) -> None:
    """The control of the test above: the spread is the external weight's doing."""
    _use(estate, _policy(estate, plugins))
    vms = [_vm(estate) for _ in range(2)]
    for vm in vms:
        estate.start_on(vm)
    assert {_host_of(estate, v) for v in vms} == {0}


def test_vm_balance_moves_a_vm_off_an_overloaded_host(estate: Estate, plugins) -> None:
    vms = [_vm(estate) for _ in range(3)]
    for vm in vms:
        estate.start_on(vm, 0)
    index = _last_event(estate)
    _use(estate, _policy(estate, plugins, balancer="vm_balance"), maximum_vm_count="2")
    wait_for(lambda: Counter(_host_of(estate, v) for v in vms if estate.vm(v).get().status == t.VmStatus.UP),
             lambda c: sum(c.values()) == 3 and c[0] <= 2, timeout=60, what="a VM moved off lab0")
    events = [e for e in estate.system.events_service().list(from_=index, max=1000) if e.code == 67]
    assert events and "the external balancer vm_balance chose it" in events[0].description


def test_runaway_units_are_contained(estate: Estate, plugins) -> None:
    names = ["ext_loops", "ext_fails", "ext_garbage", "ext_hog", "ext_bomb", "ext_writer"]
    _use(estate, _policy(estate, plugins, filters=names))
    index = _last_event(estate)
    vm = _vm(estate)
    served: list[float] = []
    done = threading.Event()

    def meanwhile() -> None:  # the engine keeps serving while the units run
        while not done.is_set():
            started = time.monotonic()
            estate.system.hosts_service().list()
            served.append(time.monotonic() - started)
            time.sleep(0.1)
    watcher = threading.Thread(target=meanwhile, daemon=True)
    watcher.start()
    started = time.monotonic()
    plan = _explain(estate, vm)
    took = time.monotonic() - started
    done.set()
    watcher.join()
    assert took < TIMEOUT_MS / 1000 + MARGIN + 1, took
    assert plan["host"]["id"] in estate.host_ids  # failing filters are skipped
    assert len(served) >= 3 and max(served) < 2, served
    events = wait_for(lambda: [e for e in estate.system.events_service().list(from_=index, max=1000)
                               if e.code == 9000],
                      lambda found: {n for n in names if any(f"plugin {n} " in e.description for e in found)}
                      == set(names), timeout=15, what="an audit event per unit",
                      describe=lambda found: [e.description for e in found])
    text = {n: next(e.description for e in events if f"plugin {n} " in e.description) for n in names}
    assert "did not finish within 3 s" in text["ext_loops"] and "did not finish within 3 s" in text["ext_bomb"]
    assert "exited with status 2" in text["ext_fails"] and "no Python literal" in text["ext_garbage"]
    assert any(w in text["ext_hog"] for w in ("MemoryError", "signal", "did not finish"))  # limit, or timeout first
    assert "Forbidden" in text["ext_writer"] or "403" in text["ext_writer"], text["ext_writer"]
    assert not estate.system.data_centers_service().list(search="name=written_by_a_unit")
    estate.start_on(vm)  # and a start goes through the same way
