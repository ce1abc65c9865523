"""How one kind of entity maps between desired state (user terms) and the wire (the engine's JSON).

A :class:`Kind` is mostly a table of :class:`Field` rows; the few behaviours that are not a table
(actions that reach a ``state``, steps before a delete, a custom request body) are plain functions on it.
Facts are the current state in user terms: what the planner compares desired fields with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.wire import MISSING, Field, get_path, plain_list, set_path

Facts = dict[str, Any]
Wire = dict[str, Any]


@dataclass(frozen=True)
class ActionPlan:
    """An action the planner wants (``start``, ``attach``...), why, and the state that ends it."""

    action: str
    reason: str
    end_state: str | None = None


@dataclass(frozen=True)
class Request:
    """One request of a change that takes several (``add`` to, ``update`` in or ``remove`` from ``path``; ``upload``
    POSTs ``data``, raw bytes of ``content_type`` such as an archive, to ``path``)."""

    op: str
    path: str
    ident: str | None = None
    body: Wire | None = None
    data: bytes | None = None
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Kind:
    name: str
    collection: str  # top-level path, or the path under the parent for sub-collection kinds
    fields: tuple[Field, ...]
    order: int
    scope: tuple[str, ...] = ()  # fields that, with the name, identify an entity (a network: its data center)
    # The scope fields that identify an entity with these values, when it depends on them (a template version: its
    # number when declared, else its name).
    identity: Callable[[dict[str, Any]], tuple[str, ...]] | None = None
    parent: str | None = None  # the field naming the owner whose sub-collection holds this kind (a NIC: vm)
    parent_kind: str | None = None
    required: tuple[str, ...] = ()  # fields needed to create one
    label_word: str = ""
    # Wait: states that end a create, and states that mean it failed.
    created_states: tuple[str, ...] = ()
    failed_states: tuple[str, ...] = ()
    wait_removed: bool = False
    # Hooks (pure): extra facts, actions for a state, steps before a delete, request bodies.
    sub_collection: str | None = None  # the path under the parent when the parent field is set
    extra_facts: Callable[[Wire, Any], Facts] | None = None
    actions: Callable[[Any, Facts | None], list[ActionPlan]] | None = None
    before_delete: Callable[[Facts], list[ActionPlan]] | None = None
    delete_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    create_params: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # query parameters of a create
    create_body: Callable[[Wire, dict[str, Any]], Wire] | None = None
    update_body: Callable[[Wire, dict[str, Any], Facts], Wire] | None = None
    # An update that takes several requests (sub-collections): (path, id, body, changed values, facts) -> requests.
    update_requests: Callable[[str, str, Wire, dict[str, Any], Facts], list[Request]] | None = None
    # Requests after a create (attachments): (path, new id, body, values) -> requests.
    create_requests: Callable[[str, str, Wire, dict[str, Any]], list[Request]] | None = None
    # A raw upload that adds or replaces the entity (an archive): (values, options) -> an ``upload`` request, or
    # None when nothing is to be uploaded. A create sends it instead of the JSON body (the entity's id is then its
    # name unless the engine answers with one); an update sends it before its other requests.
    upload: Callable[[dict[str, Any], dict[str, Any]], Request | None] | None = None
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)  # sent at create when the user gave nothing
    # Where an entity lives when its values say it (a permission: under its object): (values, find_id) -> path.
    locate: Callable[[dict[str, Any], Callable[[str, str, dict[str, Any]], str | None]], str] | None = None
    # (kind, name) of entities it needs beyond its reference fields (a permission: its object).
    refers: Callable[[dict[str, Any]], list[tuple[str, str]]] | None = None
    # A create made by another request than a POST to the collection (a disk copied from another one): (values,
    # find_id) -> (path, body), or None for an ordinary create; the answer names the new entity by ``id`` or by
    # ``<kind>.id``.
    create_via: Callable[[dict[str, Any], Callable[[str, str, dict[str, Any]], str | None]],
                         tuple[str, Wire] | None] | None = None
    # Members of a create body read from the engine when the step runs (a VM copied from a snapshot: the
    # snapshot's id): (client, values, find_id) -> members.
    create_lookup: Callable[[Any, dict[str, Any], Callable[[str, str, dict[str, Any]], str | None]], Wire] | None \
        = None
    # Whether an update is waited for until a created state (a disk moved to another domain): (changed values).
    update_waits: Callable[[dict[str, Any]], bool] | None = None
    # Fields needed to create one, when they depend on the values (a disk copied from another needs no size).
    required_for: Callable[[dict[str, Any]], tuple[str, ...]] | None = None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def label(self, name: str | None, ident: str | None = None) -> str:
        return f"{self.label_word or self.name.replace('_', ' ')} '{name or ident}'"

    def key(self, facts: Facts) -> tuple:
        """What identifies an entity of this kind among its siblings: the name plus the scope fields."""
        return (facts.get("name"),) + tuple(facts.get(s) for s in self.scope)


# ---------------------------------------------------------------- conversions


def _many(value: Any) -> bool:
    """A list of references (plain or wrapped, ``{"vm": [...]}``), not one (``{"id": ...}``)."""
    return isinstance(value, list) or (isinstance(value, dict) and "id" not in value and "name" not in value)


def to_facts(kind: Kind, entity: Wire, lookup: Any) -> Facts:
    """The current state of ``entity`` in user terms; ``lookup.name(kind, id)`` turns a reference into a name."""
    facts: Facts = {"id": entity.get("id"), "name": entity.get("name")}
    for f in kind.fields:
        if f.create_only:
            continue
        value = get_path(entity, f.wire_path)
        if value is MISSING:
            continue
        if f.ref and _many(value):
            value = sorted(n for n in (lookup.name(f.ref, r.get("id")) for r in plain_list(value)) if n)
        elif f.ref:
            value = lookup.name(f.ref, value.get("id")) if isinstance(value, dict) and value.get("id") else None
        elif f.decode:
            value = f.decode(value)
        facts[f.name] = value
    if kind.extra_facts:
        facts.update(kind.extra_facts(entity, lookup))
    return facts


def to_wire(kind: Kind, values: dict[str, Any], ids: Callable[[str, str, dict], str | None]) -> Wire:
    """A request body for ``values`` (user terms).

    ``ids(kind, name, values)`` finds the id of a referenced entity (None when unknown or ambiguous, and then
    the reference goes by name for the engine to resolve).
    """
    body: Wire = {}
    wire: Any
    for name, value in values.items():
        f = kind.field(name)
        if f is None or not f.send:
            continue
        if f.ref and isinstance(value, list):  # a list of references, wrapped by the field's encoder
            refs = [{"id": i} if (i := ids(f.ref, v, values)) else {"name": v} for v in value]
            wire = f.encode(refs) if f.encode else refs
        elif f.ref:
            if value in (None, ""):
                wire = None
            else:
                ident = ids(f.ref, value, values)
                wire = {"id": ident} if ident else {"name": value}
        elif f.encode:
            wire = f.encode(value)
        else:
            wire = value
        set_path(body, f.wire_path, wire)
    return body
