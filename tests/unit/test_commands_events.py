"""The audit log through the real REST API, in-process: listing, ``from``, ``max``, ``search``, one event,
and external events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.inprocess import Api, engine_api, fault, named, number, ref


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("engine")) as client:
        yield client


def indexes(api: Api, params: dict | None = None) -> list[int]:
    return [number(e, "index") for e in api.items("/events", params)]


def test_a_new_engine_has_events_newest_first(api: Api) -> None:
    events = api.items("/events")
    assert events, "an engine must have at least one event from its first start"
    got = [number(e, "index") for e in events]
    assert got == sorted(got, reverse=True)
    assert [e.attrib["id"] for e in events] == [str(i) for i in got]
    first = events[0]
    assert first.findtext("severity") == "normal" and first.findtext("time") and first.findtext("description")
    assert first.findtext("code") is not None and first.attrib["href"].endswith(f"/events/{got[0]}")


def test_from_and_max(api: Api) -> None:
    top = indexes(api, {"max": "1"})
    assert len(top) == 1
    cluster = named(api, "clusters", "Default").attrib["id"]
    for name in ("ev_a", "ev_b", "ev_c"):
        api.created("/vms", f'<vm><name>{name}</name><cluster id="{cluster}"/></vm>')
    newer = api.items("/events", {"from": str(top[0])})
    assert len(newer) == 3 and all(number(e, "index") > top[0] for e in newer)
    assert [e.findtext("description").split()[1] for e in newer] == ["ev_c", "ev_b", "ev_a"]
    assert ref(newer[0], "vm") and ref(newer[0], "cluster") == cluster
    assert indexes(api, {"from": str(top[0]), "max": "2"}) == [number(e, "index") for e in newer[:2]]
    assert api.items("/events", {"from": str(number(newer[0], "index"))}) == []
    fault(api.get("/events", {"from": "soon"}), 400, "from")
    fault(api.get("/events", {"from": str(1 << 64)}), 400, "from")
    fault(api.get("/events", {"max": str(1 << 64)}), 400, "max")


def new_vm(api: Api, name: str) -> str:
    return api.created("/vms", f"<vm><name>{name}</name><cluster><name>Default</name></cluster></vm>").attrib["id"]


def test_search(api: Api) -> None:
    new_vm(api, "ev_s1")
    new_vm(api, "ev_s2")
    fault(api.post("/vms", "<vm><name>ev_s1</name><cluster><name>Default</name></cluster></vm>"), 409)
    errors = api.items("/events", {"search": "severity=error"})
    assert errors and all(e.findtext("severity") == "error" for e in errors)
    assert any("ev_s1" in (e.findtext("description") or "") for e in errors)
    started = api.items("/events", {"search": "type=9700"})
    assert started and all(e.findtext("code") == "9700" for e in started)
    assert [e.findtext("code") for e in api.items("/events", {"search": "code=9700"})] == ["9700"] * len(started)
    found = api.items("/events", {"search": "message=*ev_s2*"})
    assert len(found) == 1 and "ev_s2" in (found[0].findtext("description") or "")
    assert api.items("/events", {"search": "severity=error and message=*ev_s2*"}) == []
    first = min(indexes(api))
    assert indexes(api, {"search": f"index<={first}"}) == [first]
    fault(api.get("/events", {"search": "colour=red"}), 400, "colour")
    fault(api.get("/events", {"search": "severity="}), 400)
    fault(api.get("/events", {"search": f"severity=normal page {1 << 64}"}), 400, "page")
    paged = api.items("/events", {"search": "severity=normal page 2", "max": "2"})
    assert [number(e, "index") for e in paged] == indexes(api, {"search": "severity=normal"})[2:4]


def test_get_one_event(api: Api) -> None:
    (newest,) = api.items("/events", {"max": "1"})
    got = api.one(f"/events/{newest.attrib['id']}")
    assert got.findtext("description") == newest.findtext("description")
    assert api.gone("/events/999999") and api.gone("/events/nonsense")


def test_external_events(api: Api) -> None:
    vm = new_vm(api, "ev_x")
    body = ("<event><description>backup done</description><severity>warning</severity><origin>backup</origin>"
            f'<custom_id>7</custom_id><vm id="{vm}"/></event>')
    created = api.created("/events", body)
    index = number(created, "index")
    assert created.attrib["id"] == str(index)
    assert created.findtext("severity") == "warning" and created.findtext("origin") == "backup"
    assert created.findtext("custom_id") == "7" and ref(created, "vm") == vm
    assert created.findtext("flood_rate") == "30" and created.findtext("log_on_host") == "false"
    assert indexes(api, {"max": "1"}) == [index]  # the event is its own record: nothing else was logged
    fault(api.post("/events", body), 409, "backup", "7")
    fault(api.post("/events", "<event><description>x</description><origin>o</origin><custom_id>1</custom_id>"
                              "</event>"), 400, "event.severity")
    fault(api.post("/events", "<event><description>x</description><severity>normal</severity>"
                              "<custom_id>1</custom_id></event>"), 400, "event.origin")
    fault(api.post("/events", "<event><description>x</description><severity>normal</severity><origin>o</origin>"
                              "</event>"), 400, "event.custom_id")
    fault(api.post("/events", "<event><severity>normal</severity><origin>o</origin><custom_id>1</custom_id>"
                              "</event>"), 400, "event.description")
    fault(api.post("/events", "<event><description>x</description><severity>normal</severity><origin>o</origin>"
                              '<custom_id>1</custom_id><host id="0badc0de-0000-4000-8000-000000000000"/></event>'),
          400, "event.host")
    fault(api.post("/events", "<event><description>x</description><severity>normal</severity><origin>o</origin>"
                              f"<custom_id>{1 << 40}</custom_id></event>"), 400, "event.custom_id")
    r = api.post("/events", {"description": "json event", "severity": "alert", "origin": "backup",
                             "custom_id": 8}, accept_json=True)
    assert r.status_code == 201, r.text
    assert r.json()["severity"] == "alert" and api.items("/events", {"search": "origin=backup and custom_id=8"})
