"""Placement: a pure function from a cluster snapshot, a VM and a policy to a decision and its reasons.

Filters run first (the mandatory ones, then the policy's in position order); every host a filter refuses is
recorded with the filter's name and reason. The weights then rank the hosts left, as oVirt's rank selector
does: for each weight unit, hosts are sorted by weight (lower is better), a host's rank is ``(n - 1) - (number
of hosts with a strictly lower weight)`` (ties share a rank), and ``factor × rank`` is added to its score. The
highest score wins; among equals, the first host by name.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from engine_api.scheduler.external import Units
from engine_api.scheduler.model import HostView, Snapshot, VmView
from engine_api.scheduler.policies import Policy
from engine_api.scheduler.request import Request
from engine_api.scheduler.units import BY_ID, MANDATORY


@dataclass
class Score:
    unit: str
    factor: int
    weight: float
    rank: int


@dataclass
class Verdict:
    """What placement made of one host: refused (``filter`` and ``reason``), or ranked (``scores``, ``score``)."""

    host: str
    name: str
    status: str = "up"
    filter: str | None = None
    reason: str = ""
    scores: list[Score] = field(default_factory=list)
    score: int = 0
    external: bool = False  # refused by an external filter

    @property
    def passed(self) -> bool:
        return self.filter is None and self.status == "up" and not self.reason


@dataclass
class Decision:
    host: str | None
    verdicts: list[Verdict]

    def host_name(self) -> str | None:
        return next((v.name for v in self.verdicts if v.host == self.host), None)

    def fault(self, verb: str = "run") -> str:
        """oVirt's answer when no host fits."""
        refused = [v for v in self.verdicts if v.filter]
        if not refused:
            return (f"Cannot {verb} VM. There are no hosts to use. Check that the cluster contains at least one host "
                    "in Up state.")
        lines = [f"The host {v.name} did not satisfy {'external' if v.external else 'internal'} filter {v.filter}"
                 + (f" because {v.reason}." if v.reason else ".") for v in refused]
        return (f"Cannot {verb} VM. There is no host that satisfies current scheduling constraints. "
                "See below for details:, " + ", ".join(lines))


def merged_properties(policy: Policy, cluster_properties: dict[str, str] | None) -> dict[str, str]:
    """The policy's parameters, overridden by the cluster's ``custom_scheduling_policy_properties``."""
    props = dict(policy.properties)
    props.update(cluster_properties or {})
    return props


def schedule(snapshot: Snapshot, vm: VmView, policy: Policy, props: dict[str, str] | None = None, *,
             candidates: set[str] | None = None, exclude: set[str] | frozenset[str] = frozenset(),
             migrating: bool = False, balancing: bool = False, explain: bool = False,
             external: Units | None = None) -> Decision:
    """Choose a host of ``snapshot`` for ``vm``. ``candidates`` limits the hosts considered (a host asked for, a
    balancer's destinations), ``exclude`` drops some. ``explain`` computes every weight even when the choice is
    already made (one host left), for the placement explanation. ``external`` runs the policy's external units,
    after the internal ones: filters on the hosts left (each on the same list, the results intersected), weights
    ranked as internal ones are."""
    req = Request(snapshot, vm, props if props is not None else dict(policy.properties), migrating, balancing)
    verdicts: dict[str, Verdict] = {}
    hosts: list[HostView] = []
    for h in sorted(snapshot.hosts, key=lambda h: h.name):
        v = verdicts[h.id] = Verdict(h.id, h.name, h.status)
        if candidates is not None and h.id not in candidates:
            v.reason = "it was not a candidate"
        elif h.id in exclude:
            v.reason = "it was excluded"
        elif h.status != "up":
            v.reason = f"it is {h.status.replace('_', ' ')}"
        else:
            hosts.append(h)
    if not explain:
        verdicts = {h.id: verdicts[h.id] for h in hosts} if hosts else verdicts
    seen: set[str] = set()
    for unit_id in [u.id for u in MANDATORY] + policy.ordered_filters():
        if unit_id in seen or not hosts:
            continue
        seen.add(unit_id)
        unit = BY_ID.get(unit_id)
        if unit is None:
            continue
        refused = unit.fn(req, hosts)
        if refused:
            for host_id, reason in refused.items():
                v = verdicts[host_id]
                v.filter, v.reason = unit.name, reason
            hosts = [h for h in hosts if h.id not in refused]
    outside = [u for u in policy.ordered_filters() if u not in BY_ID]
    if external is not None and outside and hosts:
        accepted = external.filter(outside, [h.id for h in hosts], vm.id, req.props)
        for unit_id in outside:
            if unit_id not in accepted:
                continue  # it failed: skipped, as the proxy does
            for h in hosts:
                v = verdicts[h.id]
                if h.id not in accepted[unit_id] and v.filter is None:
                    v.filter, v.reason, v.external = external.name(unit_id), "the external filter refused it", True
            hosts = [h for h in hosts if h.id in accepted[unit_id]]
    chosen = None
    if len(hosts) == 1 and not explain:
        chosen = hosts[0].id
    elif hosts:
        totals = _rank(req, policy, hosts, verdicts, explain, external)
        best = max(range(len(hosts)), key=lambda i: (totals[i], -i))
        chosen = hosts[best].id
    return Decision(chosen, list(verdicts.values()))


def _rank(req: Request, policy: Policy, hosts: list[HostView], verdicts: dict[str, Verdict],
          explain: bool, external: Units | None = None) -> list[int]:
    n = len(hosts)
    totals = [0] * n
    outside = [(u, f) for u, f in policy.weights if u not in BY_ID and (f or explain)]
    scored = external.score([u for u, _ in outside], [h.id for h in hosts], req.vm.id, req.props) \
        if external is not None and outside else {}
    for unit_id, factor in [*((u, f) for u, f in policy.weights if u in BY_ID), *outside]:  # external ones last
        unit = BY_ID.get(unit_id)
        if unit is None:
            if unit_id not in scored or external is None:
                continue  # it failed: skipped, as the proxy does
            name, weights = external.name(unit_id) or unit_id, [scored[unit_id][h.id] for h in hosts]
        elif factor == 0 and not explain:
            continue
        else:
            name, weights = unit.name, unit.fn(req, hosts)
        ordered = sorted(weights)
        if ordered[0] == ordered[-1] and not explain:
            continue  # every host ranks the same: nothing to add
        for i, w in enumerate(weights):
            rank = (n - 1) - bisect_left(ordered, w)
            totals[i] += factor * rank
            if explain:
                verdicts[hosts[i].id].scores.append(Score(name, factor, w, rank))
    for i, h in enumerate(hosts):
        verdicts[h.id].score = totals[i]
    return totals
