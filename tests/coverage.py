"""Coverage of the oVirt API: walk ovirtsdk4's service tree against an engine and call every (path, operation).

Every service class of the real SDK names its operations (``get``, ``list``, ``add``, ``update``, ``remove`` and
its actions, with the URL segment each one posts to) and its locators (the services below it). The walk starts
at the system service, lists each collection to address its first entity, and sorts every (path, operation)
pair into:

- ``works``: a 2xx answer;
- ``refused``: a 4xx other than 404 with a fault that says why (405 for a method the path does not take, 400
  for an empty request body, 409 for a state that does not allow it, ...);
- ``404``: the path is not served;
- ``unreached``: an entity path below a collection that holds nothing to address in this estate;
- ``unclear``: a 4xx without a fault, and ``5xx``: a failure of the engine (both must stay at zero).

Reads are checked for invented data: every entity a list answers must be readable at its own ``href`` with the
same id. Writes are probed with empty bodies (``<vm/>``, ``<action/>``), so they work when an empty body is
valid and are refused clearly otherwise; removes run last, deepest path first.

``python -m tests.coverage`` starts a fresh engine, builds a small estate and prints the figures (``--json`` for
every pair); :func:`run` is what ``tests/api/test_coverage.py`` calls on a bounded walk.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import ovirtsdk4 as sdk
from lxml import etree

PREFIX = "/ovirt-engine/api"
_ACTION = re.compile(r"_internal_action\(\s*action,\s*'(\w+)'")
_TYPED = re.compile(r"\('\w+', \w+, types\.(\w+)\)")  # the body's type, as the method checks it
_CRUD = {"_internal_get(": "get", "_internal_add(": "add", "_internal_update(": "update",
         "_internal_remove(": "remove"}


@dataclass(frozen=True)
class Operation:
    name: str  # get, list, add, update, remove, or the action's URL segment
    type: str | None = None  # the body element of an add or update (the method's first parameter)


@dataclass
class Pair:
    path: str  # with {id} for entity segments
    operation: str
    outcome: str = "unreached"
    status: int | None = None
    detail: str = ""


@dataclass
class Report:
    pairs: list[Pair] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)  # listed entities that cannot be read back as listed

    def counts(self) -> Counter:
        return Counter(p.outcome for p in self.pairs)

    def summary(self) -> str:
        c = self.counts()
        return (f"{c['works']} of {len(self.pairs)} pairs work, {c['refused']} refused clearly, {c['404']} 404, "
                f"{c['unreached']} unreached, {c['unclear']} unclear, {c['5xx']} 5xx; "
                f"{len(self.inconsistent)} listed entities inconsistent")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def operations(cls: type) -> list[Operation]:
    """The operations a service class of ovirtsdk4 sends, read from how each method calls the connection."""
    ops: dict[str, Operation] = {}
    for name, fn in vars(cls).items():
        if name.startswith("_") or name == "service" or name.endswith("_service") or not callable(fn):
            continue
        src = inspect.getsource(fn)
        if m := _ACTION.search(src):
            ops.setdefault(m.group(1), Operation(m.group(1)))
            continue
        for call, op in _CRUD.items():
            if call in src:
                if op == "get" and name == "list":
                    op = "list"
                typed = _TYPED.search(src) if op in ("add", "update") else None
                body = _snake(typed.group(1)) if typed else None
                ops.setdefault(op, Operation(op, body))
    return list(ops.values())


def locators(cls: type) -> list[tuple[str, bool]]:
    """The locator methods of a service class, each with whether it takes an id."""
    out = []
    for name, fn in vars(cls).items():
        if name.endswith("_service") and not name.startswith("_") and callable(fn):
            out.append((name, len(inspect.signature(fn).parameters) > 1))
    return out


class Walker:
    def __init__(self, url: str, username: str, password: str, max_depth: int = 8, probe_writes: bool = True):
        self.base = url.rstrip("/")
        self.origin = self.base[: self.base.index(PREFIX)]
        token = httpx.post(f"{self.origin}/ovirt-engine/sso/oauth/token", headers={"Accept": "application/json"},
                           data={"grant_type": "password", "scope": "ovirt-app-api", "username": username,
                                 "password": password}).json()["access_token"]
        self.http = httpx.Client(headers={"Authorization": f"Bearer {token}", "Accept": "application/xml",
                                          "Content-Type": "application/xml", "Version": "4"}, timeout=60)
        self.sdk = sdk.Connection(url=url, username=username, password=password)  # builds services, sends nothing
        self.max_depth = max_depth
        self.probe_writes = probe_writes
        self.report = Report()
        self.seen: set[str] = set()
        self.writes: list[tuple[Pair, str, str, str | None]] = []  # (pair, method, path, body)
        me = etree.fromstring(self.http.get(self.base).content).find("authenticated_user")
        self.me = me.get("id") if me is not None else None

    def close(self) -> None:
        self.http.close()
        self.sdk.close(logout=False)

    # ---------------------------------------------------------------- requests

    def call(self, pair: Pair, method: str, path: str, body: str | None = None) -> etree._Element | None:
        url = f"{self.base}/{path}" if path else self.base
        r = self.http.request(method, url, content=body)
        pair.status = r.status_code
        doc = None
        if r.content.strip():
            try:
                doc = etree.fromstring(r.content)
            except etree.XMLSyntaxError:
                doc = None
        fault = None
        if doc is not None:
            fault = doc if doc.tag == "fault" else doc.find("fault")
        if fault is not None:
            pair.detail = (fault.findtext("detail") or fault.findtext("reason") or "")[:300]
        if r.status_code >= 500:
            pair.outcome = "5xx"
        elif r.status_code == 404:
            pair.outcome = "404"
        elif r.status_code >= 400:
            pair.outcome = "refused" if fault is not None else "unclear"
        else:
            pair.outcome = "works"
        return doc if r.status_code < 300 else None

    # ---------------------------------------------------------------- the walk

    def walk(self) -> Report:
        self._service(self.sdk.system_service(), "", 0)
        if self.probe_writes:
            self._writes()
        return self.report

    def _pair(self, template: str, op: str) -> Pair:
        pair = Pair(template or "/", op)
        self.report.pairs.append(pair)
        return pair

    def _service(self, service: Any, template: str, depth: int) -> None:
        cls = type(service)
        path: str = service._path
        key = f"{template}|{cls.__name__}"
        if key in self.seen:
            return
        self.seen.add(key)
        listed: list[etree._Element] = []
        served = True
        for op in operations(cls):
            pair = self._pair(template, op.name)
            if op.name in ("get", "list"):
                doc = self.call(pair, "GET", path)
                served = pair.outcome != "404"
                if op.name == "list" and doc is not None:
                    listed = [e for e in doc if e.get("id")]
                    self._consistent(template, listed)
            elif op.name in ("add", "update"):
                self.writes.append((pair, "POST" if op.name == "add" else "PUT", path, f"<{op.type}/>"))
            elif op.name == "remove":
                self.writes.append((pair, "DELETE", path, None))
            else:
                self.writes.append((pair, "POST", f"{path}/{op.name}", "<action/>"))
        if depth >= self.max_depth:
            return
        for name, takes_id in locators(cls):
            locate = getattr(service, name)
            if not takes_id:
                child = locate()
                segment = child._path[len(path):].lstrip("/")
                self._service(child, f"{template}/{segment}", depth + 1)
                continue
            ident = self._first_id(listed, path)
            if ident is None:
                child_cls = type(locate("0"))
                for op in operations(child_cls):  # unreached: nothing to address; or below a path not served
                    pair = self._pair(f"{template}/{{id}}", op.name)
                    if not served:
                        pair.outcome, pair.detail = "404", "below a collection that is not served"
                continue
            self._service(locate(ident), f"{template}/{{id}}", depth + 1)

    def _first_id(self, listed: list[etree._Element], path: str) -> str | None:
        if listed:
            return listed[0].get("id")
        return None

    def _consistent(self, template: str, listed: list[etree._Element]) -> None:
        """A listed entity reads back at its href with its id (up to three per list)."""
        for item in listed[:3]:
            href = item.get("href") or ""
            if not href.startswith(PREFIX + "/"):
                self.report.inconsistent.append(f"{template}: item {item.get('id')} has href {href!r}")
                continue
            r = self.http.get(f"{self.origin}{href}")
            if r.status_code != 200 or etree.fromstring(r.content).get("id") != item.get("id"):
                self.report.inconsistent.append(f"{template}: {href} answers {r.status_code}")

    def _writes(self) -> None:
        """Updates, adds and actions, then removes deepest first (the caller's own user last of all)."""
        removes = [w for w in self.writes if w[1] == "DELETE"]
        for pair, method, path, body in (w for w in self.writes if w[1] != "DELETE"):
            self.call(pair, method, path, body)
        mine = f"users/{self.me}"
        removes.sort(key=lambda w: (w[2] == mine, -w[2].count("/")))
        for pair, method, path, body in removes:
            self.call(pair, method, path, body)


def estate(base: str, http: httpx.Client) -> None:
    """A small estate, so that most collections hold something to address: a VM with a NIC and a tag, a template
    made from another VM, a network with its profile, a tag tree, an affinity group and label, a role and a
    scheduling policy (the Default data center and cluster, Blank, the built-in roles and units exist)."""
    def post(path: str, body: str) -> etree._Element:
        r = http.post(f"{base}/{path}", content=body)
        assert r.status_code < 300, f"POST {path}: {r.status_code} {r.text[:300]}"
        return etree.fromstring(r.content)

    vm = "<vm><name>{}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"
    web = post("vms", vm.format("cov-web")).get("id")
    source = post("vms", vm.format("cov-source")).get("id")
    post(f"vms/{web}/nics", "<nic><name>nic1</name></nic>")
    post("networks", "<network><name>cov-net</name><data_center><name>Default</name></data_center></network>")
    post("tags", "<tag><name>cov-env</name></tag>")
    post("tags", "<tag><name>cov-prod</name><parent><name>cov-env</name></parent></tag>")
    post(f"vms/{web}/tags", "<tag><name>cov-prod</name></tag>")
    post("templates", f'<template><name>cov-template</name><vm id="{source}"/></template>')
    cluster = etree.fromstring(http.get(f"{base}/clusters", params={"search": "name=Default"}).content)[0].get("id")
    post(f"clusters/{cluster}/affinitygroups", f'<affinity_group><name>cov-group</name><vms><vm id="{web}"/></vms>'
                                              "</affinity_group>")
    post("affinitylabels", f'<affinity_label><name>cov-label</name><vms><vm id="{web}"/></vms></affinity_label>')
    post("roles", "<role><name>cov-role</name><administrative>false</administrative><permits><permit id=\"1\"/>"
                  "</permits></role>")
    post("schedulingpolicies", "<scheduling_policy><name>cov-policy</name></scheduling_policy>")
    post("events", "<event><description>coverage walk</description><severity>normal</severity>"
                   "<origin>coverage</origin><custom_id>1</custom_id></event>")


def run(url: str, username: str, password: str, max_depth: int = 8, probe_writes: bool = True,
        build: bool = True) -> Report:
    walker = Walker(url, username, password, max_depth, probe_writes)
    try:
        if build:
            estate(walker.base, walker.http)
        return walker.walk()
    finally:
        walker.close()


def _serve() -> Iterator[tuple[str, str, str]]:
    from tests import live

    with tempfile.TemporaryDirectory(prefix="vdc-coverage-") as tmp:
        server = live.start(Path(tmp))
        try:
            yield server.url, server.username, server.password
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write every pair with its outcome to this file")
    parser.add_argument("--depth", type=int, default=8, help="how deep below the root to walk")
    args = parser.parse_args()
    for url, username, password in _serve():
        report = run(url, username, password, args.depth)
        print(report.summary())
        for outcome in ("5xx", "unclear"):
            for p in report.pairs:
                if p.outcome == outcome:
                    print(f"  {outcome}: {p.operation} {p.path} ({p.status}) {p.detail}")
        for line in report.inconsistent:
            print(f"  inconsistent: {line}")
        if args.json:
            args.json.write_text(json.dumps({"summary": report.summary(), "pairs": [asdict(p) for p in report.pairs],
                                             "inconsistent": report.inconsistent}, indent=1) + "\n")


if __name__ == "__main__":
    main()
