"""Runs a plan through the client, step by step, waiting for end states; the first failure stops the run.

Steps run in dependency order (:mod:`.scheduler`), several at a time when asked; each step only appends
to the registry and the id map, so steps on different threads do not disturb one another.

Entities created earlier in the run are registered, so later steps can refer to them by id (a disk needs
its new VM's id for ``/vms/{id}/diskattachments``).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient
from ansible_collections.vdc.infra.plugins.module_utils.errors import EngineError, PlanError, WaitError
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Kind, Request, to_wire
from ansible_collections.vdc.infra.plugins.module_utils.planner import Current, Plan, Step
from ansible_collections.vdc.infra.plugins.module_utils.scheduler import run_steps
from ansible_collections.vdc.infra.plugins.module_utils.waiter import WaitOptions, wait_for

_NO_NAME = frozenset({"event", "disk"})  # kinds whose request body carries no top-level name


class Executor:
    def __init__(self, client: EngineClient, current: Current, wait: WaitOptions | None = None):
        self.client = client
        self.registry: Current = {k: list(v) for k, v in current.items()}
        # (kind, name) -> its entities: a lookup per reference would otherwise scan the kind's whole list (a disk
        # or NIC of each of 5,000 new VMs looks its VM up), quadratic in the estate's size.
        self._named: dict[tuple[str, Any], list[dict[str, Any]]] = {}
        for kind, facts in self.registry.items():
            for f in facts:
                self._named.setdefault((kind, f.get("name")), []).append(f)
        self.wait = wait or WaitOptions()
        self.ids: dict[str, str] = {}  # label -> id of what this run touched

    # ------------------------------------------------------------ names and ids

    def find_id(self, kind: str, name: str | None, values: dict[str, Any]) -> str | None:
        """The id of ``kind`` named ``name``, narrowed by the scope found in ``values``; None if not unique."""
        k = KINDS[kind]
        hits = [f for f in self._named.get((kind, name), ())
                if all(f.get(s) == values[s] for s in k.scope if values.get(s) is not None)]
        return hits[0].get("id") if len(hits) == 1 else None

    def _id_of(self, step: Step) -> str:
        ident = step.id or self.ids.get(step.label) or self.find_id(step.kind, step.values.get("name"), step.values)
        if not ident:
            raise PlanError("its id is unknown (was it created in this run?)", step.label)
        return ident

    def _path(self, kind: Kind, values: dict[str, Any]) -> str:
        """Where entities of ``kind`` live: the top collection, or the sub-collection of their owner."""
        if kind.locate:
            return kind.locate(values, self.find_id)
        owner = values.get(kind.parent) if kind.parent else None
        if not owner or not kind.parent_kind:
            return kind.collection
        owner_id = self.find_id(kind.parent_kind, owner, values)
        if not owner_id:
            raise PlanError(f"{kind.parent} '{owner}' not found", KINDS[kind.parent_kind].label(owner))
        return f"{KINDS[kind.parent_kind].collection}/{owner_id}/{kind.sub_collection}"

    # ------------------------------------------------------------ running

    def run(self, plan: Plan, parallel: int = 1) -> list[dict[str, Any]]:
        """Carry out the plan's changes in dependency order, ``parallel`` steps at a time at most."""
        return [step.as_dict() for step in run_steps(plan.changes(), self.execute, parallel)]

    def execute(self, step: Step) -> None:
        """One step; an engine fault names the step's entity."""
        try:
            getattr(self, f"_{step.op}")(step)
        except EngineError as e:
            raise e.about(step.label) from None

    def _create(self, step: Step) -> None:
        kind = KINDS[step.kind]
        body = to_wire(kind, step.values, self.find_id)
        if "name" in step.values and kind.name not in _NO_NAME:
            body["name"] = step.values["name"]
        full = body
        if kind.create_body:
            body = kind.create_body(body, step.values)
        params = kind.create_params(step.options) if kind.create_params else {}
        path = self._path(kind, step.values)
        upload = kind.upload(step.values, step.options) if kind.upload else None
        via = kind.create_via(step.values, self.find_id) if kind.create_via else None
        if kind.create_lookup:
            body.update(kind.create_lookup(self.client, step.values, self.find_id))
        if upload:
            created = self._upload(upload)
            ident = created.get("id") or created.get("name")
        elif via:
            created = self.client.add(via[0], via[1])
            ident = created.get("id") or (created.get(kind.name) or {}).get("id")
        else:
            wait = self.wait.timeout if kind.created_states and self.wait.wait else 0
            created = self.client.add(path, body, params or None, wait=wait)
            ident = created.get("id")
        if not ident:
            raise PlanError("the engine answered the create without an id", step.label)
        self.ids[step.label] = ident
        registered = {**step.values, "id": ident}
        self.registry.setdefault(kind.name, []).append(registered)
        self._named.setdefault((kind.name, registered.get("name")), []).append(registered)
        if kind.create_requests:
            self._send(kind.create_requests(path, ident, full, step.values))
        # The create's answer carries the status: an entity already in its end state (a new VM is down) needs
        # no poll, which saves a request per entity.
        if kind.created_states and self.wait.wait and created.get("status") not in kind.created_states:
            self._wait_status(kind, ident, step.label, kind.created_states)

    def _update(self, step: Step) -> None:
        kind = KINDS[step.kind]
        values = {**(step.current or {}), **step.values}
        body = to_wire(kind, step.values, lambda k, n, v: self.find_id(k, n, {**values, **v}))
        if kind.update_body:
            body = kind.update_body(body, values, step.current or {})
        path, ident = self._path(kind, values), self._id_of(step)
        upload = kind.upload(step.values, step.options) if kind.upload else None
        if upload:
            self._upload(upload)
        if not kind.update_requests:
            self.client.update(path, ident, body)
            return
        self._send(kind.update_requests(path, ident, body, step.values, step.current or {}))
        if kind.update_waits and kind.update_waits(step.values) and kind.created_states and self.wait.wait:
            self._wait_status(kind, ident, step.label, kind.created_states)

    def _upload(self, r: Request) -> dict[str, Any]:
        return self.client.upload(r.path, r.data or b"", r.content_type)

    def _send(self, requests: list[Request]) -> None:
        for r in requests:
            if r.op == "upload":
                self._upload(r)
            elif r.op == "add":
                self.client.add(r.path, r.body or {})
            elif r.op == "update":
                self.client.update(r.path, r.ident or "", r.body or {})
            elif r.ident:
                self.client.remove(r.path, r.ident)

    def _delete(self, step: Step) -> None:
        kind = KINDS[step.kind]
        params = kind.delete_params(step.options) if kind.delete_params else {}
        path = self._path(kind, step.values)
        ident = self._id_of(step)
        self.client.remove(path, ident, params or None)
        if self.wait.wait and kind.wait_removed:
            wait_for(lambda: self.client.get(path, ident), step.label, (), (), self.wait, gone=True)

    def _action(self, step: Step) -> None:
        ident = self._id_of(step)
        if step.kind == "storage_domain":
            self._storage_action(step, ident)
            return
        kind = KINDS[step.kind]
        self.client.action(kind.collection, ident, step.action or "")
        if self.wait.wait and step.end_state:
            self._wait_status(kind, ident, step.label, (step.end_state,))

    def _storage_action(self, step: Step, sd_id: str) -> None:
        dc = step.values.get("data_center") or (step.current or {}).get("data_center")
        dc_id = self.find_id("data_center", dc, {})
        if not dc_id:
            raise PlanError(f"data center '{dc}' not found", step.label)
        base = f"datacenters/{dc_id}/storagedomains"
        if step.action == "attach":
            self.client.add(base, {"id": sd_id})
        elif step.action == "detach":
            self.client.remove(base, sd_id)
            return
        elif step.action == "deactivate" and (step.current or {}).get("status") != "active" \
                and (self.client.get(base, sd_id) or {}).get("status") == "maintenance":
            return  # planned after an attach that left it in maintenance (no host up): nothing to deactivate
        else:
            self.client.action(base, sd_id, step.action or "")
        if self.wait.wait and step.end_state:
            # Attaching to a data center with a host up activates the domain at once (as oVirt does).
            ok = (step.end_state, "active") if step.action == "attach" else (step.end_state,)
            wait_for(lambda: self.client.get(base, sd_id), step.label, ok, ("unknown",), self.wait)

    def _wait_status(self, kind: Kind, ident: str, label: str, ok: tuple[str, ...]) -> None:
        path = "disks" if kind.name == "disk" else kind.collection
        try:
            wait_for(lambda: self.client.get(path, ident), label, ok, kind.failed_states, self.wait)
        except WaitError as e:
            e.events = self.recent_events(label)
            raise WaitError(str(e).removeprefix(f"{label}: "), label, e.state, e.events) from None

    def recent_events(self, label: str, limit: int = 3) -> list[str]:
        """The engine's last warning/error events that mention the entity, for a failure message."""
        name = label.split("'")[1] if "'" in label else label
        try:
            events = self.client.list("events", max=100)
        except EngineError:
            return []
        hits = [e for e in events if e.get("severity") in ("warning", "error", "alert")
                and name in (e.get("description") or "")]
        return [e["description"] for e in hits[:limit]]


def entity_id(executor: Executor, step: Step) -> str | None:
    return step.id or executor.ids.get(step.label)


def facts_of(current: Current, kind: str, ident: str) -> Facts | None:
    return next((f for f in current.get(kind, []) if f.get("id") == ident), None)
