"""What an apply did (or would do), per kind: entities created, updated, deleted and unchanged.

An entity counts once: created if the plan creates it, deleted if it deletes it, updated if anything else
changes (a field, or an action such as starting a VM), unchanged otherwise.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.planner import Plan

OUTCOMES = ("created", "updated", "deleted", "unchanged")


def _outcome(ops: set[str]) -> str:
    if "create" in ops:
        return "created"
    if "delete" in ops:
        return "deleted"
    if ops - {"noop"}:
        return "updated"
    return "unchanged"


def counts(plan: Plan) -> dict[str, dict[str, int]]:
    """``{kind: {created, updated, deleted, unchanged}}`` for every kind the plan touches."""
    ops: dict[tuple[str, str], set[str]] = {}
    for step in plan.steps:
        ops.setdefault((step.kind, step.label), set()).add(step.op)
    out: dict[str, dict[str, int]] = {}
    for (kind, _label), seen in ops.items():
        out.setdefault(kind, dict.fromkeys(OUTCOMES, 0))[_outcome(seen)] += 1
    return out


def totals(per_kind: dict[str, dict[str, int]]) -> dict[str, int]:
    return {o: sum(c[o] for c in per_kind.values()) for o in OUTCOMES}


def plan_text(plan: Plan) -> str:
    """The plan as lines a person reads under ``--diff``: one per changing step, and a summary."""
    signs = {"create": "+", "update": "~", "delete": "-", "action": ">"}
    lines = []
    for step in plan.changes():
        what = f"{step.op} {step.action}" if step.op == "action" else step.op
        lines.append(f"{signs[step.op]} {step.label}: {what} ({step.reason})")
    summary: dict[str, Any] = totals(counts(plan))
    lines.append(", ".join(f"{n} {o}" for o, n in summary.items()))
    return "\n".join(lines) + "\n"
