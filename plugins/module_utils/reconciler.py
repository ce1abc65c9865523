"""The one reconcile path every managing module takes: read → plan → execute (unless check mode) → result.

:func:`reconcile` serves the per-entity modules; ``apply`` composes the same :func:`survey`, planner and
:func:`carry_out` for a whole estate (adding prune deletes between the read and the plan).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.executor import Executor
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.planner import Current, Desired, Plan, find, plan
from ansible_collections.vdc.infra.plugins.module_utils.state import Lookup, read
from ansible_collections.vdc.infra.plugins.module_utils.waiter import WaitOptions

SECRET_FIELDS = frozenset({"password", "root_password"})
# Links a returned entity has followed (as documented); such entities are always read afresh, so a run that
# changes nothing returns the same shape as one that does.
RETURN_FOLLOW = {"vm": ["disk_attachments.disk", "nics"]}


def diff_of(p: Plan) -> list[dict[str, Any]]:
    """One before/after pair per changing step, holding only the fields that change (secrets masked)."""
    out = []
    for step in p.changes():
        what = step.op if step.op != "action" else f"action {step.action}"
        before = {k: _mask(k, c["before"]) for k, c in step.changes.items()}
        after = {k: _mask(k, c["after"]) for k, c in step.changes.items()}
        if step.op == "create":
            before = {}
        if step.op == "delete":
            after = {}
        out.append({"before_header": f"{step.label} ({what})", "after_header": f"{step.label} ({what})",
                    "before": before, "after": after})
    return out


def _mask(key: str, value: Any) -> Any:
    return "********" if key in SECRET_FIELDS and value is not None else value


def survey(client: EngineClient, desired: list[Desired], also: Iterable[str] = ()) -> tuple[Current, Lookup]:
    """The current state of every kind ``desired`` declares or owns (plus ``also``), in bulk reads."""
    return read(client, {d.kind for d in desired} | {o for d in desired for o in d.owns} | set(also))


def carry_out(client: EngineClient, the_plan: Plan, current: Current, wait: WaitOptions, check_mode: bool,
              parallel: int = 1) -> Executor:
    """Execute the plan's changes (nothing in check mode); the executor knows the ids of what it created."""
    executor = Executor(client, current, wait)
    if not check_mode and the_plan.changed:
        executor.run(the_plan, parallel)
    return executor


def reconcile(client: EngineClient, desired: list[Desired], wait: WaitOptions, check_mode: bool) -> dict[str, Any]:
    """Bring ``desired`` about; ``desired[0]`` is the entity the result describes."""
    current, lookup = survey(client, desired)
    the_plan = plan(desired, current)
    main = desired[0]
    found = find(current, main)
    ident = found.get("id") if found else None
    executor = carry_out(client, the_plan, current, wait, check_mode)
    if not check_mode and the_plan.changed:
        ident = ident or executor.ids.get(main.label)
    result: dict[str, Any] = {
        "changed": the_plan.changed, "id": ident, "diff": diff_of(the_plan),
        "plan": [s.as_dict() for s in the_plan.steps],
    }
    kind = KINDS[main.kind]
    entity = None
    if ident and main.state != "absent":
        if (check_mode or not the_plan.changed) and main.kind not in RETURN_FOLLOW:
            entity = _as_read(main.kind, lookup.get(main.kind, ident if main.kind != "cluster_network" else None))
        else:
            path = executor._path(kind, {**(found or {}), **main.values})
            follow = RETURN_FOLLOW.get(main.kind)
            if main.kind == "disk" and path != kind.collection:
                follow = ["disk"]  # an attached disk is its attachment with the disk followed, as the reader has it
            entity = client.get(path, ident, follow=follow)
    result["entity"] = _public(entity)
    return result


def _as_read(kind: str, doc: Any) -> Any:
    """The reader shapes a floating disk like an attachment (``{"disk": ..., "_vm": None}``): the disk itself."""
    if kind == "disk" and isinstance(doc, dict) and "_vm" in doc and doc["_vm"] is None:
        return doc.get("disk")
    return doc


def _public(doc: Any) -> Any:
    """A wire entity without the reader's private keys (``_vm``, ``_attachments``...)."""
    if isinstance(doc, dict):
        return {k: _public(v) for k, v in doc.items() if not k.startswith("_")}
    if isinstance(doc, list):
        return [_public(v) for v in doc]
    return doc
