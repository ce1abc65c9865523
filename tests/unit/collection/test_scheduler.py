"""The scheduler: which step waits for which, and running them on a pool. Pure: fake execute functions."""

from __future__ import annotations

import threading
import time

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired, plan
from ansible_collections.vdc.infra.plugins.module_utils.scheduler import dependencies, run_steps

CURRENT = {"data_center": [{"id": "dc", "name": "dc1"}], "template": [{"id": "t", "name": "Blank"}],
           "vm": [{"id": "v0", "name": "gone", "cluster": "c1", "status": "up"}]}


def estate_plan():
    desired = [
        Desired("cluster", {"name": "c1", "data_center": "dc1"}),
        Desired("host", {"name": "hv1", "cluster": "c1", "address": "10.0.0.1"}),
        Desired("storage_domain", {"name": "data", "data_center": "dc1", "nfs": {"address": "n", "path": "/d"}}),
        Desired("network", {"name": "app", "data_center": "dc1"}),
        Desired("cluster_network", {"name": "app", "cluster": "c1", "data_center": "dc1"}),
        Desired("vm", {"name": "gone"}, "absent"),
    ]
    for i in range(3):
        desired.append(Desired("vm", {"name": f"vm{i}", "cluster": "c1"}, "running"))
        desired.append(Desired("disk", {"name": f"d{i}", "vm": f"vm{i}", "size": 1, "storage_domain": "data"}))
        desired.append(Desired("nic", {"name": "nic1", "vm": f"vm{i}", "profile": "app"}))
    return plan(desired, CURRENT).changes()


def test_dependencies_follow_references_and_owners():
    steps = estate_plan()
    deps = dependencies(steps)
    at = {(s.op, s.label, s.action): i for i, s in enumerate(steps)}

    def waits(step, *others):
        return all(at[o] in deps[at[step]] for o in others)

    stop, delete = ("action", "VM 'gone'", "stop"), ("delete", "VM 'gone'", None)
    cluster = ("create", "cluster 'c1'", None)
    activate = ("action", "storage domain 'data'", "activate")
    attach = ("action", "storage domain 'data'", "attach")
    assert waits(delete, stop) and waits(cluster, stop, delete)
    assert waits(("create", "host 'hv1'", None), cluster)
    assert waits(activate, attach, ("create", "host 'hv1'", None))
    vm, start = ("create", "VM 'vm1'", None), ("action", "VM 'vm1'", "start")
    disk, nic = ("create", "disk 'd1' of VM 'vm1'", None), ("create", "NIC 'nic1' of VM 'vm1'", None)
    assert waits(vm, cluster) and not waits(vm, activate)
    assert waits(disk, vm, activate) and not waits(disk, start)
    assert waits(nic, vm, ("create", "network 'app'", None), ("create", "network assignment 'app' of cluster 'c1'",
                                                                       None))
    assert waits(start, vm, disk, nic)
    assert not waits(("create", "VM 'vm2'", None), vm)  # VMs do not wait for one another


@pytest.mark.parametrize("parallel", [1, 4])
def test_every_step_runs_after_what_it_waits_for(parallel):
    steps = estate_plan()
    deps = dependencies(steps)
    order: list[int] = []
    lock = threading.Lock()

    def execute(step):
        time.sleep(0.001)
        with lock:
            order.append(steps.index(step))

    done = run_steps(steps, execute, parallel)
    assert len(done) == len(steps) == len(order)
    position = {i: n for n, i in enumerate(order)}
    assert all(position[j] < position[i] for i, d in enumerate(deps) for j in d)


def test_independent_steps_run_side_by_side():
    steps = estate_plan()
    running, peak = 0, 0
    lock = threading.Lock()

    def execute(step):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    run_steps(steps, execute, 4)
    assert peak >= 3  # e.g. the three VMs, or the host, the domain and the network


def test_the_first_failure_stops_new_work_and_is_raised():
    steps = estate_plan()
    ran = []

    def execute(step):
        if step.label == "cluster 'c1'":
            raise RuntimeError("engine says no")
        ran.append(step.label)

    with pytest.raises(RuntimeError, match="engine says no"):
        run_steps(steps, execute, 4)
    assert not any(label.startswith(("VM 'vm", "host")) for label in ran)
