"""Search compares ordered enums by their order, as oVirt's search does: ``severity>normal`` finds warnings,
errors and alerts (compared as text it would find nothing), ``status<up`` the VMs below up."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.inprocess import Api, engine_api, fault

VM = "<vm><name>{}</name><cluster><name>Default</name></cluster><template><name>Blank</name></template></vm>"


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(Path(tmp_path_factory.mktemp("enums"))) as api:
        for i, severity in enumerate(("warning", "error", "alert")):
            api.created("/events", f"<event><description>{severity} one</description><severity>{severity}</severity>"
                                   f"<origin>test</origin><custom_id>{i + 1}</custom_id></event>")
        api.created("/vms", VM.format("ordered"))
        yield api


def severities(api: Api, query: str) -> set[str]:
    return {e.findtext("severity") for e in api.items("/events", {"search": query})}


def test_severity_by_order(api: Api) -> None:
    assert severities(api, "severity>normal") == {"warning", "error", "alert"}
    assert severities(api, "severity>=error") == {"error", "alert"}
    assert severities(api, "severity<warning") == {"normal"}
    assert severities(api, "severity=error") == {"error"}
    assert severities(api, "severity>warning") == {"error", "alert"}
    assert severities(api, "severity>error") == {"alert"}
    assert severities(api, "severity!=normal") == {"warning", "error", "alert"}
    fault(api.get("/events", {"search": "severity>fatal"}), 400, "fatal", "normal, warning, error, alert")


def test_status_by_order(api: Api) -> None:
    names = lambda q: {v.findtext("name") for v in api.items("/vms", {"search": q})}  # noqa: E731
    assert "ordered" in names("status!=up") and "ordered" in names("status<up")  # down comes before up
    assert "ordered" not in names("status>=up") and "ordered" not in names("status=up")
