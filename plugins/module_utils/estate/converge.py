"""Applying an estate: the reconciler's survey → plan → carry out, with the estate's own additions.

Between the bulk read and the plan come the deletes only a whole estate can know about (pruning, teardown)
and the ownership check; ``only`` narrows both what is declared and what is pruned. Nothing here talks to
the engine except through :func:`~..reconciler.survey` and :func:`~..reconciler.carry_out`, the same calls
the per-entity modules make.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.estate.flatten import ONLY_KINDS, Flat, selected
from ansible_collections.vdc.infra.plugins.module_utils.estate.owner import MARKED_KINDS
from ansible_collections.vdc.infra.plugins.module_utils.estate.prune import (
    check_ownership,
    pruned,
    replace_declared,
    torn_down,
)
from ansible_collections.vdc.infra.plugins.module_utils.estate.report import counts, totals
from ansible_collections.vdc.infra.plugins.module_utils.planner import Current, Desired, Plan, plan
from ansible_collections.vdc.infra.plugins.module_utils.reconciler import carry_out, survey
from ansible_collections.vdc.infra.plugins.module_utils.waiter import WaitOptions

TEARDOWN_KINDS = ("vm", "host", "cluster", "storage_domain", "data_center")


@dataclass(frozen=True)
class ApplyOptions:
    estate: str
    prune: bool = False
    only: tuple[str, ...] = ()
    parallel: int = 8
    check_mode: bool = False
    wait: WaitOptions = WaitOptions()


def _check_only(only: tuple[str, ...], entries: list[Desired], current: Current) -> None:
    """Each word of ``only`` must name a kind or some entity; a typo would otherwise select nothing."""
    names = {d.name for d in entries} | {f.get("name") for facts in current.values() for f in facts}
    unknown = [w for w in only if w not in ONLY_KINDS and w not in names]
    if unknown:
        raise PlanError(f"only: {', '.join(map(repr, unknown))} names no kind ({', '.join(sorted(ONLY_KINDS))}) "
                        "and no declared or existing entity")


def desired_now(flat: Flat, current: Current, options: ApplyOptions) -> tuple[list[Desired], dict[str, str]]:
    """The declared entries plus teardown and prune deletes, narrowed by ``only``; and why each delete was
    added, by entity label."""
    extra: list[Desired] = []
    reasons: dict[str, str] = {}
    for dc in flat.teardown:
        torn = torn_down(current, dc)
        reasons.update((d.label, f"recursive cleanup of data center {dc}") for d in torn)
        extra += torn
    everything = replace_declared(flat.desired, extra)
    if options.prune:
        gone = pruned(current, everything, options.estate)
        reasons.update((d.label, f"no longer declared in estate {options.estate}, which owns it") for d in gone)
        everything += gone
    return [d for d in everything if selected(d, list(options.only))], reasons


def _explained(the_plan: Plan, reasons: dict[str, str]) -> Plan:
    """Deletes the estate added say why (rather than the planner's "state absent")."""
    if not reasons:
        return the_plan
    return Plan(tuple(replace(s, reason=f"{s.reason}: {reasons[s.label]}") if s.label in reasons and s.op == "delete"
                      else s for s in the_plan.steps))


def apply(client: EngineClient, flat: Flat, options: ApplyOptions) -> tuple[Plan, dict[str, Any]]:
    """Plan the estate against the engine and, outside check mode, carry the plan out."""
    declared = [d for d in flat.desired if selected(d, list(options.only))]
    also = (MARKED_KINDS if options.prune else ()) + (TEARDOWN_KINDS if flat.teardown else ())
    current = survey(client, declared, also)[0]
    _check_only(options.only, flat.desired, current)
    check_ownership(current, declared, options.estate)
    wanted, reasons = desired_now(flat, current, options)
    the_plan = _explained(plan(wanted, current), reasons)
    carry_out(client, the_plan, current, options.wait, options.check_mode, options.parallel)
    per_kind = counts(the_plan)
    return the_plan, {"changed": the_plan.changed, "estate": options.estate, "counts": per_kind,
                      "totals": totals(per_kind), "plan": [s.as_dict() for s in the_plan.changes()]}
