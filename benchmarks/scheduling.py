"""Benchmark the scheduler in-process: placing one VM among 500 hosts running 5,000 VMs with the ``none`` policy's
full unit set (its 15 filters and 9 weights, plus the mandatory filters), and one load-balancing cycle over 50
clusters.

Run with ``.venv/bin/python benchmarks/scheduling.py``. Both are the pure functions the engine calls (the snapshot
is built once, as the store would give it; its per-host load is computed inside each timed placement):

1. placement: ``schedule()`` for a 2 GiB, 2-vCPU VM, repeated; the median and the 95th percentile are reported
   (target: median under 5 ms);
2. balancing: for each of 50 clusters of 10 hosts and 100 VMs (``vm_evenly_distributed``, one host carrying more
   VMs than the others), the balancer's proposal and the placement of the proposed VM among its candidates, as
   the loop decides before migrating; the whole cycle is timed, repeated, median reported.

Writes ``benchmarks/scheduling_results.json``. Not a pytest module.
"""

from __future__ import annotations

import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine_api.scheduler.model import Group, HostView, Rule, Snapshot, VmView  # noqa: E402
from engine_api.scheduler.policies import BUILTIN_BY_ID, NONE_ID, VM_EVENLY_DISTRIBUTED_ID  # noqa: E402
from engine_api.scheduler.select import schedule  # noqa: E402
from engine_api.scheduler.units import BY_ID  # noqa: E402

GiB = 1 << 30
TARGET_MS = 5.0


def _hosts(rng: random.Random, count: int, prefix: str) -> list[HostView]:
    return [HostView(f"{prefix}h{i}", f"{prefix}host{i:03d}", "up", 512 * GiB, 64, 2, 16, 2,
                     cpu_usage=rng.uniform(5, 60), swap_total=8 * GiB, swap_free=8 * GiB, mem_free=256 * GiB,
                     hooks=frozenset({"50_vhostmd"}) if i % 2 else frozenset())
            for i in range(count)]


def _vms(rng: random.Random, hosts: list[HostView], count: int, prefix: str, skew: int = 0) -> list[VmView]:
    out = []
    for i in range(count):
        host = hosts[0] if i < skew else hosts[i % len(hosts)]
        out.append(VmView(f"{prefix}v{i}", f"{prefix}vm{i}", "up", host.id, rng.choice([1, 2, 4]) * GiB,
                          rng.choice([1, 2, 4])))
    return out


def placement(runs: int) -> dict:
    rng = random.Random(11)
    hosts = _hosts(rng, 500, "")
    vms = _vms(rng, hosts, 5000, "")
    groups = [Group(f"g{i}", f"g{i}", frozenset({vms[i].id, vms[i + 1].id}), frozenset({hosts[i].id}),
                    Rule(True, i % 2 == 0, i % 3 == 0), Rule(True, True, False)) for i in range(0, 40, 2)]
    new = VmView("new", "new", memory=2 * GiB, vcpus=2, sockets=1, cores=2, threads=1)
    policy = BUILTIN_BY_ID[NONE_ID]
    times = []
    chosen = None
    for _ in range(runs):
        snap = Snapshot("c", "c", "4.7", hosts=hosts, vms=vms, groups=groups)  # fresh: load computed inside
        start = time.perf_counter()
        chosen = schedule(snap, new, policy).host
        times.append((time.perf_counter() - start) * 1000)
    assert chosen is not None
    units = len(policy.filters) + len(policy.weights)
    return {"hosts": 500, "vms": 5000, "policy": "none", "policy_units": units, "runs": runs,
            "median_ms": round(statistics.median(times), 3),
            "p95_ms": round(sorted(times)[int(0.95 * len(times)) - 1], 3), "target_median_ms": TARGET_MS}


def balancing(runs: int) -> dict:
    rng = random.Random(12)
    policy = BUILTIN_BY_ID[VM_EVENLY_DISTRIBUTED_ID]
    props = dict(policy.properties)
    balancer = BY_ID[policy.balance or ""]
    clusters = []
    for c in range(50):
        hosts = _hosts(rng, 10, f"c{c}")
        clusters.append((hosts, _vms(rng, hosts, 100, f"c{c}", skew=20)))
    times, moved = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        moved = 0
        for hosts, vms in clusters:
            snap = Snapshot("c", "c", "4.7", hosts=hosts, vms=vms)
            proposal = balancer.fn(snap, props)
            if proposal is None:
                continue
            vm = snap.vm(proposal.vm)
            assert vm is not None
            if schedule(snap, vm, policy, props, candidates=set(proposal.candidates), migrating=True,
                        balancing=True).host:
                moved += 1
        times.append((time.perf_counter() - start) * 1000)
    return {"clusters": 50, "hosts_per_cluster": 10, "vms_per_cluster": 100, "policy": "vm_evenly_distributed",
            "runs": runs, "migrations_decided": moved, "median_ms": round(statistics.median(times), 3)}


def main() -> int:
    results = {"python": platform.python_version(), "machine": platform.machine(),
               "placement": placement(200), "balancing_cycle": balancing(20)}
    p, b = results["placement"], results["balancing_cycle"]
    print(f"placement of one VM, {p['hosts']} hosts, {p['vms']} VMs, policy none ({p['policy_units']} units): "
          f"median {p['median_ms']} ms, p95 {p['p95_ms']} ms (target median < {TARGET_MS} ms: "
          f"{'met' if p['median_ms'] < TARGET_MS else 'missed'})")
    print(f"one balancing cycle, {b['clusters']} clusters of {b['hosts_per_cluster']} hosts and "
          f"{b['vms_per_cluster']} VMs: median {b['median_ms']} ms, {b['migrations_decided']} migrations decided")
    Path(__file__).with_name("scheduling_results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
