"""The planner: desired entities plus current facts in, an ordered plan out. Pure: no I/O, no clock.

Rules:
- an entity is found by id, else by its name plus its scope (a network: its data center);
- only the fields a user declared are compared; an empty value ("", [], None) equals any other empty value;
- deletes run first, children before parents; then creates, updates and actions, parents before children
  (data center → cluster → host → storage → network → vNIC profile → template → VM → disk → NIC);
- every entity that needs nothing gets a no-op step saying why, so a plan explains itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import ActionPlan, Facts, Kind
from ansible_collections.vdc.infra.plugins.module_utils.units import format_size

Current = dict[str, list[Facts]]


@dataclass(frozen=True)
class Desired:
    """One entity as declared: ``values`` are the declared fields in user terms (name and scope included)."""

    kind: str
    values: dict[str, Any]
    state: str = "present"
    id: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # control options: force, destroy, detach_only
    owns: tuple[str, ...] = ()  # child kinds reconciled exclusively: undeclared children are deleted

    @property
    def name(self) -> str | None:
        return self.values.get("name")

    @property
    def label(self) -> str:
        return entity_label(self.kind, self.values, self.id)


@dataclass(frozen=True)
class Step:
    op: str  # create | update | delete | action | noop
    kind: str
    label: str
    values: dict[str, Any] = field(default_factory=dict)  # what to send: all of it (create) or the changes
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # field -> {"before": .., "after": ..}
    id: str | None = None
    action: str | None = None
    end_state: str | None = None
    reason: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    current: Facts | None = None

    @property
    def changed(self) -> bool:
        return self.op != "noop"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op, "kind": self.kind, "entity": self.label, "reason": self.reason}
        if self.id:
            out["id"] = self.id
        if self.action:
            out["action"] = self.action
        if self.changes:
            out["changes"] = self.changes
        return out


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]

    @property
    def changed(self) -> bool:
        return any(s.changed for s in self.steps)

    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.changed]


def entity_label(kind: str, values: dict[str, Any], ident: str | None = None) -> str:
    k = KINDS[kind]
    text = k.label(values.get("name"), ident)
    if k.parent and k.parent_kind and values.get(k.parent):
        text += f" of {KINDS[k.parent_kind].label(values[k.parent])}"
    return text


# ---------------------------------------------------------------- comparing


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def same(want: Any, have: Any, unordered: bool = False) -> bool:
    """Does ``have`` satisfy ``want``? Dicts compare only the keys declared in ``want``."""
    if is_empty(want) or is_empty(have):
        return is_empty(want) and is_empty(have)
    if isinstance(want, dict):
        return isinstance(have, dict) and all(same(v, have.get(k)) for k, v in want.items())
    if isinstance(want, list) and unordered and isinstance(have, list):
        return sorted(map(repr, want)) == sorted(map(repr, have))
    return want == have


def _shown(want: Any, have: Any) -> Any:
    """``have`` trimmed to what ``want`` declares, for a readable diff."""
    if isinstance(want, dict) and isinstance(have, dict):
        return {k: have.get(k) for k in want}
    return have


def field_changes(kind: Kind, values: dict[str, Any], facts: Facts) -> dict[str, dict[str, Any]]:
    """Field -> before/after for every declared, comparable field that differs; refuses immutable ones."""
    changes = {}
    for f in kind.fields:
        if f.name not in values or f.create_only:
            continue
        want, have = values[f.name], facts.get(f.name)
        if same(want, have, f.unordered):
            continue
        if f.immutable:
            raise PlanError(f"{f.name} cannot be changed after creation (it is {have!r}, declared {want!r}); "
                            "remove and re-create the entity to change it",
                            entity_label(kind.name, {**facts, **values}, facts.get("id")))
        if f.grow_only and isinstance(have, int) and isinstance(want, int) and want < have:
            raise PlanError(f"{f.name} can only grow (it is {format_size(have)}, declared {format_size(want)})",
                            entity_label(kind.name, {**facts, **values}, facts.get("id")))
        changes[f.name] = {"before": _shown(want, have), "after": want}
    return changes


# ---------------------------------------------------------------- finding


Index = dict[tuple[Any, ...], list[Facts]]


def index_by_name(current: Current) -> Index:
    """``(kind, name)`` and ``(kind, name, scope...)`` -> facts: planning thousands of entities (500 NICs all
    named nic1) must not scan every entity of a kind for each one."""
    out: Index = {}
    for kind, facts in current.items():
        scope = KINDS[kind].scope if kind in KINDS else ()
        for f in facts:
            out.setdefault((kind, f.get("name")), []).append(f)
            if scope:
                out.setdefault((kind, f.get("name"), *(f.get(s) for s in scope)), []).append(f)
    return out


def find(current: Current, desired: Desired, index: Index | None = None) -> Facts | None:
    kind = KINDS[desired.kind]
    candidates = current.get(desired.kind, [])
    if desired.id:
        return next((f for f in candidates if f.get("id") == desired.id), None)
    fields = kind.identity(desired.values) if kind.identity else kind.scope
    if index is not None:
        scope = tuple(desired.values.get(s) for s in kind.scope)
        whole = scope and None not in scope and not kind.identity
        key = (desired.kind, desired.name, *scope) if whole else (desired.kind, desired.name)
        candidates = index.get(key, [])
    matches = [f for f in candidates if f.get("name") == desired.name
               and all(f.get(s) == desired.values[s] for s in fields if desired.values.get(s) is not None)]
    if len(matches) > 1:
        scopes = ", ".join(kind.scope) or "id"
        raise PlanError(f"the name matches {len(matches)} entities; declare {scopes} to pick one", desired.label)
    return matches[0] if matches else None


def _check_refs(kind: Kind, desired: Desired, values: dict[str, Any], index: Index,
                declared: set[tuple[str, str]]) -> None:
    for f in kind.fields:
        value = values.get(f.name)
        if not f.ref or is_empty(value):
            continue
        for one in value if isinstance(value, list) else [value]:
            exists = (f.ref, one) in index or (f.ref, one) in declared  # the index: no scan per reference
            if not exists:
                raise PlanError(f"{f.name}: {KINDS[f.ref].label(one)} does not exist", desired.label)


# ---------------------------------------------------------------- planning


def _action_steps(desired: Desired, actions: list[ActionPlan], ident: str | None, current: Facts | None) -> list[Step]:
    return [Step("action", desired.kind, desired.label, values=desired.values, id=ident, action=a.action,
                 end_state=a.end_state, reason=a.reason, options=desired.options, current=current,
                 changes={"status": {"before": (current or {}).get("status"), "after": a.end_state}})
            for a in actions]


def _delete_steps(kind: Kind, facts: Facts, label: str, reason: str, options: dict[str, Any]) -> list[Step]:
    steps = []
    for a in kind.before_delete(facts) if kind.before_delete else []:
        steps.append(Step("action", kind.name, label, values=facts, id=facts.get("id"), action=a.action,
                          end_state=a.end_state, reason=a.reason, options=options, current=facts,
                          changes={"status": {"before": facts.get("status"), "after": a.end_state}}))
    shown = {k: v for k, v in facts.items() if k != "id" and not k.startswith("_") and not is_empty(v)}
    steps.append(Step("delete", kind.name, label, values=facts, id=facts.get("id"), reason=reason, options=options,
                      current=facts, changes={k: {"before": v, "after": None} for k, v in sorted(shown.items())}))
    return steps


def _plan_one(desired: Desired, current: Current, declared: set[tuple[str, str]], index: Index) -> list[Step]:
    kind = KINDS[desired.kind]
    facts = find(current, desired, index)
    label = desired.label
    if desired.state == "absent":
        if facts is None:
            return [Step("noop", kind.name, label, reason="does not exist, as declared (state absent)")]
        return _delete_steps(kind, facts, label, "state absent", desired.options)
    if facts is None:
        values = {**{k: v for k, v in kind.defaults.items() if k not in desired.values}, **desired.values}
        _check_refs(kind, desired, values, index, declared)
        required = kind.required_for(values) if kind.required_for else kind.required
        missing = [r for r in required if is_empty(values.get(r))]
        if missing:
            raise PlanError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required to create it",
                            label)
        shown = {k: v for k, v in values.items() if k == "name" or not getattr(kind.field(k), "create_only", True)}
        steps = [Step("create", kind.name, label, values=values, reason="does not exist", options=desired.options,
                      changes={k: {"before": None, "after": v} for k, v in sorted(shown.items())})]
        actions = kind.actions(desired, None) if kind.actions else []
        return steps + _action_steps(desired, actions, None, None)
    _check_refs(kind, desired, desired.values, index, declared)
    changes = field_changes(kind, desired.values, facts)
    steps = []
    if changes:
        steps.append(Step("update", kind.name, label, values={k: c["after"] for k, c in changes.items()},
                          changes=changes, id=facts["id"], reason=f"{', '.join(changes)} differ",
                          options=desired.options, current=facts))
    actions = kind.actions(desired, facts) if kind.actions else []
    steps += _action_steps(desired, actions, facts["id"], facts)
    if not steps:
        compared = [f.name for f in kind.fields if f.name in desired.values and not f.create_only]
        why = f"matches the declared {', '.join(compared)}" if compared else "exists; no comparable field declared"
        steps.append(Step("noop", kind.name, label, id=facts["id"], reason=why, current=facts))
    return steps


def _extras(owner: Desired, current: Current, declared_keys: set[tuple]) -> list[Step]:
    """Children of an exclusive owner that are not declared: deleted."""
    steps = []
    for child in owner.owns:
        kind = KINDS[child]
        for facts in current.get(child, []):
            if facts.get(kind.parent or "") != owner.name or (child, kind.key(facts)) in declared_keys:
                continue
            label = entity_label(child, facts, facts.get("id"))
            steps += _delete_steps(kind, facts, label, f"not declared in exclusive {owner.label}", {})
    return steps


def plan(desired: list[Desired], current: Current) -> Plan:
    """The steps that take ``current`` to ``desired``, in execution order."""
    declared = {(d.kind, d.name) for d in desired if d.state != "absent" and d.name}
    # The engine gives every new VM network a vNIC profile of the same name.
    declared |= {("vnic_profile", name) for kind, name in declared if kind == "network"}
    declared_keys = {(d.kind, KINDS[d.kind].key(d.values)) for d in desired}
    forward: list[Step] = []
    backward: list[Step] = []
    index = index_by_name(current)
    for d in desired:
        for step in _plan_one(d, current, declared, index):
            (backward if step.op == "delete" or (step.current is not None and d.state == "absent") else forward) \
                .append(step)
        if d.owns and d.state != "absent":
            backward += _extras(d, current, declared_keys)
    backward.sort(key=lambda s: -KINDS[s.kind].order)
    forward.sort(key=lambda s: KINDS[s.kind].order)
    return Plan(tuple(backward + forward))
