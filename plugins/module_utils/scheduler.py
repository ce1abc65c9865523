"""Running a plan's steps in dependency order, independent ones side by side on a bounded thread pool.

The planner's order is one valid sequence; this module works out which steps really wait for which, so
500 VMs are created eight at a time while each VM's disks still wait for that VM, and its start waits
for its disks and NICs. The rules (pure, see :func:`dependencies`):

- steps of one entity keep their plan order (create, then start);
- every delete (and the actions before it) finishes before anything is created or updated, and deletes
  run children first: a step waits for the deletes of every kind that comes later in dependency order;
- a step waits for the steps of the entities it refers to (a VM for its cluster, a disk for its VM and its
  storage domain, a NIC for its vNIC profile, the network of that name and that network's assignments to
  clusters); an action of an owner (a VM's
  start) waits instead for its own children, so a VM starts once its disks and NICs exist;
- storage domain actions wait for every host step (activation needs a host up) and for the storage
  actions declared before them (the first data domain attached becomes the master), and VM actions wait
  for every host and storage step (a VM starts on a host that is up, from a domain that is active).

With ``parallel=1`` the steps run in plan order wherever the rules allow, with no thread at all.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.planner import Step

_OWNER_KINDS = frozenset(k.parent_kind for k in KINDS.values() if k.parent_kind)


def _backward(step: Step) -> bool:
    """A delete, or an action that prepares one (stop a VM, detach a domain): the values are the facts."""
    return step.op == "delete" or (step.op == "action" and step.values is step.current and step.current is not None)


def _referenced(step: Step) -> list[tuple[str, str]]:
    """(kind, name) of every entity ``step`` needs to exist first."""
    kind = KINDS[step.kind]
    values = step.values
    out: list[tuple[str, str]] = []
    for f in kind.fields:
        target = values.get(f.name)
        if f.ref and isinstance(target, str) and target:
            out.append((f.ref, target))
        elif f.ref and isinstance(target, list):
            out += [(f.ref, t) for t in target if isinstance(t, str) and t]
    if kind.parent and kind.parent_kind and values.get(kind.parent):
        out.append((kind.parent_kind, values[kind.parent]))
    if kind.refers:
        out += kind.refers(values)
    if step.kind == "cluster_network" and values.get("name"):
        out.append(("network", values["name"]))
    for scope in kind.scope:
        if scope in KINDS and values.get(scope):
            out.append((scope, values[scope]))
    # The engine makes a network's vNIC profile of the same name, and a NIC may use a network only once
    # the network is assigned to the VM's cluster.
    profiles = [name for k, name in out if k == "vnic_profile"]
    out += [("network", name) for name in profiles]
    if step.kind != "cluster_network":
        out += [("cluster_network", name) for k, name in out if k == "network"]
    return out


def dependencies(steps: Sequence[Step]) -> list[set[int]]:
    """For each step, the indexes of the steps it waits for."""
    deps: list[set[int]] = [set() for _step in steps]
    by_entity: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    backward_by_order: dict[int, list[int]] = defaultdict(list)
    backward: list[int] = []
    for i, s in enumerate(steps):
        by_entity[(s.kind, s.label)].append(i)
        if _backward(s):
            backward.append(i)
            backward_by_order[KINDS[s.kind].order].append(i)
        elif s.values.get("name"):
            by_name[(s.kind, s.values["name"])].append(i)
    children: dict[tuple[str, Any], list[int]] = defaultdict(list)
    for i, s in enumerate(steps):
        parent, parent_kind = KINDS[s.kind].parent, KINDS[s.kind].parent_kind
        if not _backward(s) and parent and parent_kind and s.values.get(parent):
            children[(parent_kind, s.values[parent])].append(i)
    hosts = [i for i, s in enumerate(steps) if s.kind == "host" and not _backward(s)]
    storage = [i for i, s in enumerate(steps) if s.kind == "storage_domain" and not _backward(s)]
    # The engine's configuration (a VM's custom properties are checked against it) is set before anything else.
    configs = [i for i, s in enumerate(steps) if s.kind == "engine_config"]
    # A policy names the units of scheduler plugins, which the engine registers when it takes the plugin's file.
    plugins = [i for i, s in enumerate(steps) if s.kind == "policy_unit" and not _backward(s)]
    for chain in by_entity.values():
        for before, after in zip(chain, chain[1:], strict=False):
            deps[after].add(before)
    for i, s in enumerate(steps):
        if _backward(s):
            order = KINDS[s.kind].order
            deps[i].update(j for o, idx in backward_by_order.items() if o > order for j in idx)
            continue
        deps[i].update(backward)
        if s.kind != "engine_config":
            deps[i].update(configs)
        if s.kind == "scheduling_policy":
            deps[i].update(plugins)
        deferred = s.op == "action" and s.kind in _OWNER_KINDS
        for ref in _referenced(s):
            deps[i].update(j for j in by_name.get(ref, ()) if not _is_deferred(steps[j]))
        if deferred:
            deps[i].update(children.get((s.kind, s.values.get("name")), ()))
        if s.kind == "storage_domain" and s.op == "action":
            deps[i].update(hosts)
            deps[i].update(j for j in storage if j < i and steps[j].op == "action")
        if s.kind == "vm" and s.op == "action":
            deps[i].update(hosts)
            deps[i].update(storage)
        deps[i].discard(i)
    return deps


def _is_deferred(step: Step) -> bool:
    return step.op == "action" and step.kind in _OWNER_KINDS


def run_steps(steps: Sequence[Step], execute: Callable[[Step], None], parallel: int = 1) -> list[Step]:
    """Execute ``steps`` respecting :func:`dependencies`; the first failure stops new work and is raised
    once the steps already running have ended. Returns the steps done, in completion order."""
    deps = dependencies(steps)
    waiting = [len(d) for d in deps]
    dependents: list[list[int]] = [[] for _step in steps]
    for i, d in enumerate(deps):
        for j in d:
            dependents[j].append(i)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    done: list[int] = []

    def finished(i: int) -> None:
        done.append(i)
        for k in dependents[i]:
            waiting[k] -= 1
            if waiting[k] == 0:
                heapq.heappush(ready, k)

    if parallel <= 1:
        while ready:
            i = heapq.heappop(ready)
            execute(steps[i])
            finished(i)
    else:
        _run_pool(steps, execute, parallel, ready, finished)
    if len(done) != len(steps):  # only a cycle leaves steps behind; the rules above make none
        left = sorted(set(range(len(steps))) - set(done))
        raise RuntimeError(f"steps left with unmet dependencies: {', '.join(steps[i].label for i in left[:5])}")
    return [steps[i] for i in done]


def _run_pool(steps: Sequence[Step], execute: Callable[[Step], None], parallel: int, ready: list[int],
              finished: Callable[[int], None]) -> None:
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="vdc-apply") as pool:
        running: dict[Future, int] = {}
        while ready or running:
            while ready and failure is None and len(running) < parallel:
                i = heapq.heappop(ready)
                running[pool.submit(execute, steps[i])] = i
            if not running:
                break
            completed = wait(running, return_when=FIRST_COMPLETED).done
            for future in completed:
                i = running.pop(future)
                error = future.exception()
                if error is None:
                    finished(i)
                elif failure is None:
                    failure = error
            if failure is not None:
                ready.clear()
    if failure is not None:
        raise failure
