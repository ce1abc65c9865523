"""VDSM hooks as managed artifacts: a script (file name, hook point, content) with its targets (clusters and/or
hosts), kept by the engine with its sha256 and installed by it on every target host's agent.

A hook is a document in the store's ``settings`` table (``vdsm_hook/<id>``): hooks are engine configuration,
few and small. Its identity is (event, name): one file per hook point on a host. The per-host status is
computed from what each host's agent last reported (its scripts and their sha256), never assumed:
``installed``, ``changed`` or ``missing`` (drift, or not deployed yet), ``pending`` (the host is not up).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from engine_api.commands.tx import Tx, new_id, now_iso
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.protocol.hooks import MAX_SCRIPT, NAME, POINTS
from engine_api.store.schema import settings

PREFIX = "vdsm_hook/"
CODE_DEPLOYED, CODE_REMOVED, CODE_FAILED, CODE_DRIFT, CODE_REPAIRED = 9603, 9604, 9601, 9602, 9605
ACTIVE = ("up", "maintenance", "non_operational", "initializing")  # hosts whose agent takes a sync now


# ---------------------------------------------------------------- the documents


def all_hooks(conn: Connection) -> list[dict]:
    rows = conn.execute(select(settings.c.value).where(settings.c.key.startswith(PREFIX))).all()
    return sorted((json.loads(r.value) for r in rows), key=lambda h: (h["event"], h["name"]))


def get(conn: Connection, ident: str) -> dict:
    row = conn.execute(select(settings.c.value).where(settings.c.key == PREFIX + ident)).first()
    if row is None:
        raise NotFound(f"no VDSM hook with id '{ident[:64]}'")
    return json.loads(row.value)


def _save(conn: Connection, doc: dict, new: bool) -> None:
    value = json.dumps(doc, sort_keys=True)
    if new:
        conn.execute(insert(settings).values(key=PREFIX + doc["id"], value=value))
    else:
        conn.execute(update(settings).where(settings.c.key == PREFIX + doc["id"]).values(value=value))


def content_of(doc: dict) -> bytes:
    return base64.b64decode(doc["content_b64"])


# ---------------------------------------------------------------- targets and status


def target_host_ids(tx: Tx, doc: dict) -> list[str]:
    ids = {h["id"] for h in doc.get("hosts") or []}
    for c in doc.get("clusters") or []:
        ids.update(h["id"] for h in tx.find_by("host", cluster_id=c["id"]))
    return sorted(i for i in ids if tx.get("host", i) is not None)


def hooks_for_host(tx: Tx, host: dict) -> list[dict]:
    cluster = (host.get("cluster") or {}).get("id")
    return [h for h in all_hooks(tx.conn)
            if any(t["id"] == host["id"] for t in h.get("hosts") or [])
            or any(c["id"] == cluster for c in h.get("clusters") or [])]


def state_on(doc: dict, host: dict) -> str:
    """What the host's agent last reported of this hook."""
    if host.get("status") not in ACTIVE and host.get("status") != "connecting":
        return "pending"
    for h in host.get("_hooks") or []:
        if h.get("event") == doc["event"] and h.get("name") == doc["name"]:
            return "installed" if h.get("sha256") == doc["sha256"] else "changed"
    return "missing"


def describe(tx: Tx, doc: dict, content: bool = True) -> dict:
    out = {k: v for k, v in doc.items() if k != "content_b64"}
    if content:
        raw = content_of(doc)
        try:
            out["content"] = raw.decode()
        except UnicodeDecodeError:
            out["content_base64"] = doc["content_b64"]
    hosts = []
    for ident in target_host_ids(tx, doc):
        host = tx.must("host", ident)
        hosts.append({"host": {"id": ident, "name": host["name"]}, "status": state_on(doc, host)})
    out["host_status"] = hosts
    out["href"] = f"/ovirt-engine/api/vdc/hooks/{doc['id']}"
    return out


# ---------------------------------------------------------------- input


def _refs(tx: Tx, kind: str, values: Any, field: str) -> list[dict]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise BadRequest(f"{field} must be a list of references (id or name)")
    out: list[dict] = []
    for i, v in enumerate(values):
        if isinstance(v, str):
            v = {"name": v}
        found = tx.ref(kind, v, f"{field}[{i}]")
        if found["id"] not in (r["id"] for r in out):
            out.append({"id": found["id"], "name": found["name"]})
    return out


def _content(body: dict) -> bytes:
    if body.get("content") is not None and body.get("content_base64") is not None:
        raise BadRequest("give content or content_base64, not both")
    if body.get("content_base64") is not None:
        try:
            raw = base64.b64decode(str(body["content_base64"]), validate=True)
        except ValueError:
            raise BadRequest("content_base64 is not base64") from None
    elif body.get("content") is not None:
        if not isinstance(body["content"], str):
            raise BadRequest("content must be text")
        raw = body["content"].encode()
    else:
        raise BadRequest("the hook's content is required (content or content_base64)")
    if not raw:
        raise BadRequest("the hook's content is empty")
    if len(raw) > MAX_SCRIPT:
        raise BadRequest(f"a hook script may have at most {MAX_SCRIPT} bytes")
    return raw


def _identity(body: dict) -> tuple[str, str]:
    event, name = str(body.get("event") or ""), str(body.get("name") or "")
    if event not in POINTS:
        raise BadRequest(f"event: '{event[:64]}' is not a hook point; hook points: {', '.join(POINTS)}")
    if not NAME.match(name):
        raise BadRequest(f"name: '{name[:64]}' is not a hook file name (letters, digits, '_', '.', '+', '-', "
                         "such as 50_numa)")
    return event, name


def _fill(tx: Tx, doc: dict, body: dict, partial: bool) -> None:
    if not partial or "content" in body or "content_base64" in body:
        raw = _content(body)
        doc.update(content_b64=base64.b64encode(raw).decode(), sha256=hashlib.sha256(raw).hexdigest(),
                   md5=hashlib.md5(raw, usedforsecurity=False).hexdigest(), size=len(raw))
    if not partial or "clusters" in body:
        doc["clusters"] = _refs(tx, "cluster", body.get("clusters"), "clusters")
    if not partial or "hosts" in body:
        doc["hosts"] = _refs(tx, "host", body.get("hosts"), "hosts")
    if "description" in body:
        doc["description"] = str(body.get("description") or "")[:1000]


# ---------------------------------------------------------------- commands (run in a transaction)


def add(tx: Tx, body: dict) -> dict:
    event, name = _identity(body)
    if any(h["event"] == event and h["name"] == name for h in all_hooks(tx.conn)):
        raise Conflict(f"Cannot add VDSM hook {event}/{name}: it exists already; update it instead.")
    doc = {"id": new_id(), "event": event, "name": name, "created": now_iso()}
    _fill(tx, doc, body, partial=False)
    doc["updated"] = doc["created"]
    _save(tx.conn, doc, new=True)
    tx.event(CODE_DEPLOYED, f"VDSM hook {event}/{name} (sha256 {doc['sha256'][:12]}) was added by {tx.who}.")
    return doc


def change(tx: Tx, ident: str, body: dict) -> tuple[dict, list[str]]:
    """Returns the hook and the hosts it targeted before (they may need it removed)."""
    doc = get(tx.conn, ident)
    before_hosts = target_host_ids(tx, doc)
    for key in ("event", "name"):
        if key in body and body[key] != doc[key]:
            raise BadRequest(f"{key} of a hook cannot change; remove it and add another")
    old = dict(doc)
    _fill(tx, doc, body, partial=True)
    if doc != old:
        doc["updated"] = now_iso()
        _save(tx.conn, doc, new=False)
        tx.event(CODE_DEPLOYED, f"VDSM hook {doc['event']}/{doc['name']} (sha256 {doc['sha256'][:12]}) was "
                                f"updated by {tx.who}.")
    return doc, before_hosts


def remove(tx: Tx, ident: str) -> tuple[dict, list[str]]:
    doc = get(tx.conn, ident)
    hosts = target_host_ids(tx, doc)
    tx.conn.execute(delete(settings).where(settings.c.key == PREFIX + ident))
    tx.writes += 1
    tx.event(CODE_REMOVED, f"VDSM hook {doc['event']}/{doc['name']} was removed by {tx.who}.")
    return doc, hosts
